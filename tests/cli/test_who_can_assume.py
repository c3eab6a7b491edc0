"""``eksaccess who-can-assume`` on a snapshot file: the JSON contract, text, v1 snapshots and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eksaccess.cli.main import main
from support.workload_state import binding, irsa_trust, role, role_arn, rule, workload_data

WEB = role_arn("web")
DEV = role_arn("dev")
STATE = workload_data(
    service_accounts=[("apps", "web", {"eks.amazonaws.com/role-arn": WEB})],
    trust={WEB: irsa_trust("system:serviceaccount:apps:web")},
    access_entries=[{"principalArn": DEV, "kubernetesGroups": ["devs"]}],
    kubernetes=[
        role("deployer", "apps", [rule(["create"], ["deployments"], ["apps"])]),
        binding("devs-deploy", "apps", "deployer", [{"kind": "Group", "name": "devs"}]),
    ],
)


def run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state: dict[str, Any], *args: str
) -> tuple[int, str, str]:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    code = 0
    try:
        main(["who-can-assume", *args, "--snapshot", str(path)])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, STATE, WEB, "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["roleArn"] == WEB
    assert data["serviceAccounts"] == [
        {
            "namespace": "apps",
            "name": "web",
            "mechanism": "irsa",
            "annotated": True,
            "detail": "trust statement 1 allows",
        }
    ]
    dev = next(p for p in data["paths"] if p["principalArn"] == DEV)
    assert dev == {
        "principalArn": DEV,
        "via": 'access entry -> Group "devs" -> RoleBinding "devs-deploy/apps" -> Role "deployer"',
        "subject": 'Group "devs"',
        "route": "createWorkload",
        "actions": ["create deployments.apps in apps"],
        "grant": 'RoleBinding "devs-deploy/apps" -> Role "deployer"',
        "serviceAccount": "apps/web",
        "mechanism": "irsa",
        "path": f'{DEV} -> Group "devs" -> create deployments.apps in apps -> apps/web -> irsa',
    }
    assert data["principals"] == [DEV]
    assert 'ServiceAccount "apps/web"' in data["subjects"] and 'Group "system:masters"' in data["subjects"]


def test_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, STATE, WEB)
    assert code == 0
    assert out.startswith(f"Service accounts that obtain {WEB}:\n  apps/web  irsa (annotated)")
    rows = [line.split() for line in out.splitlines()]
    assert ["IAM", "PRINCIPAL", "KUBERNETES", "SUBJECT", "HOW", "SERVICE", "ACCOUNT", "MECHANISM"] in rows
    assert [DEV, "Group", '"devs"', "create", "deployments.apps", "in", "apps", "apps/web", "irsa"] in rows
    assert [
        "-",
        "ServiceAccount",
        '"apps/web"',
        "is",
        "the",
        "service",
        "account",
        "apps/web",
        "irsa",
    ] in rows


def test_a_v1_snapshot_answers_with_a_note(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = {k: v for k, v in STATE.items() if k != "workloadIdentity"} | {"apiVersion": "eksaccess/v1"}
    code, out, _ = run(capsys, tmp_path, old, WEB, "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["paths"] == [] and "no workloadIdentity" in data["notes"][0]


@pytest.mark.parametrize("arn", ["nope", f"arn:aws:iam::{'1' * 12}:user/bob"])
def test_bad_role_arn_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, arn: str) -> None:
    code, out, err = run(capsys, tmp_path, STATE, arn, "-o", "json")
    assert code == 2 and not out and err.startswith("eksaccess: error: ROLE_ARN") and err.count("\n") == 1
