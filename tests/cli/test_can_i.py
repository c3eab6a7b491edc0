"""``eksaccess can-i`` end to end on a snapshot file: output, JSON contract and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eksaccess.cli.main import main

A = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
STATE: dict[str, Any] = {
    "apiVersion": "eksaccess/v1",
    "kind": "ClusterState",
    "cluster": {"name": "prod", "region": "eu-west-1", "accountId": A},
    "authenticationMode": "API_AND_CONFIG_MAP",
    "accessEntries": [
        {
            "principalArn": f"arn:aws:iam::{A}:role/Dev",
            "kubernetesGroups": ["developers"],
            "accessPolicies": [
                {
                    "policyArn": POLICY + "AmazonEKSViewPolicy",
                    "accessScope": {"type": "namespace", "namespaces": ["dev-*"]},
                }
            ],
        }
    ],
    "awsAuth": {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: ops\n  groups: [ops]\n"},
    "kubernetes": [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "developers-edit", "namespace": "dev-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "Group", "name": "developers"}],
        }
    ],
}
DEV = f"arn:aws:sts::{A}:assumed-role/Dev/jane"


@pytest.fixture
def snapshot(tmp_path: Path) -> str:
    path = tmp_path / "state.yaml"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["can-i", *args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_yes_with_reason_in_text(capsys: pytest.CaptureFixture[str], snapshot: str) -> None:
    code, out, _ = run(capsys, "delete", "pods", "-n", "dev-a", "--arn", DEV, "--snapshot", snapshot)
    assert code == 0
    assert out.startswith("yes\n")
    assert (
        'RBAC: allowed by RoleBinding "developers-edit/dev-a" of ClusterRole "edit" to Group "developers"'
        in out
    )
    assert "rule {" in out


def test_json_contract(capsys: pytest.CaptureFixture[str], snapshot: str) -> None:
    code, out, _ = run(
        capsys, "list", "po", "-n", "dev-b", "--arn", DEV, "--snapshot", snapshot, "-o", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["allowed"] is True
    assert data["identity"]["groups"] == ["developers", "system:authenticated"]
    assert data["identity"]["source"]["kind"] == "accessEntry"
    reason = data["reasons"][0]
    assert reason["authorizer"] == "accessPolicy" and reason["policyArn"] == POLICY + "AmazonEKSViewPolicy"
    assert "pods" in reason["rule"]["resources"]
    assert data["request"] == {
        "verb": "list",
        "resource": "pods",
        "subresource": "",
        "apiGroup": "",
        "name": "",
        "namespace": "dev-b",
    }


def test_no_exits_1_with_near_misses(capsys: pytest.CaptureFixture[str], snapshot: str) -> None:
    code, out, _ = run(
        capsys, "delete", "pods", "-n", "dev-b", "--arn", DEV, "--snapshot", snapshot, "-o", "json"
    )
    data = json.loads(out)
    assert code == 1 and data["allowed"] is False
    kinds = {m["kind"] for m in data["nearMisses"]}
    assert {"policyVerbNotGranted", "otherNamespace"} <= kinds
    code, out, _ = run(capsys, "delete", "pods", "-n", "dev-b", "--arn", DEV, "--snapshot", snapshot)
    assert code == 1 and out.startswith("no\n") and "Near misses:" in out


def test_unmapped_principal_is_no(capsys: pytest.CaptureFixture[str], snapshot: str) -> None:
    code, out, _ = run(
        capsys, "get", "pods", "--arn", f"arn:aws:iam::{A}:user/nobody", "--snapshot", snapshot
    )
    assert code == 1 and "not authenticated" in out


def test_non_resource_url(capsys: pytest.CaptureFixture[str], snapshot: str) -> None:
    code, out, _ = run(
        capsys, "get", "/version", "--arn", f"arn:aws:iam::{A}:role/ops", "--snapshot", snapshot
    )
    assert code == 0
    assert 'allowed by   RBAC: allowed by ClusterRoleBinding "system:discovery"' in out
    assert 'also         RBAC: allowed by ClusterRoleBinding "system:public-info-viewer"' in out


@pytest.mark.parametrize(
    "args",
    [
        ["get", "pods/log/x", "--arn", DEV],
        ["get", "pods", "--arn", "not-an-arn"],
        ["get pods", "pods", "--arn", DEV],
        ["get", "pods", "-n", "a", "-A", "--arn", DEV],
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], snapshot: str, args: list[str]
) -> None:
    code, out, err = run(capsys, *args, "--snapshot", snapshot)
    assert code == 2 and not out
    assert err.startswith("eksaccess: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_missing_snapshot_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "get", "pods", "--arn", DEV, "--snapshot", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err
