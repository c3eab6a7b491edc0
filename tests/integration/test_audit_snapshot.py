"""snapshot against the sandbox: the live ClusterState equals the scenario it came from (mode, access
entries, aws-auth data, RBAC objects modulo the default ones, namespaces), and the commands that take
--cluster (snapshot, can-i, who-can, audit) read it live."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eksaccess.adapters.aws import AwsSession
from eksaccess.cli.main import main
from eksaccess.domain.access import effective_username
from eksaccess.domain.authz.rbac import parse_binding, parse_role
from eksaccess.domain.state import ClusterState, parse_cluster_state
from eksaccess.features.analyze.snapshot import take_snapshot
from eksaccess.sandbox.scenarios.model import load_scenario
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
SCENARIOS = ["baseline", "groups-without-bindings", "aws-auth-ignored-api-mode", "aws-auth-malformed"]


def _entries(state: ClusterState) -> dict[str, Any]:
    return {
        e.principal_arn: (
            e.type,
            effective_username(e),
            sorted(e.kubernetes_groups),
            sorted((p.policy_arn, p.scope.type, p.scope.namespaces) for p in e.policies),
        )
        for e in state.access_entries()
    }


def _rbac(state: ClusterState) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for m in state.kubernetes:
        if m["kind"] not in RBAC_KINDS:
            continue
        meta = m["metadata"]
        key = (m["kind"], meta.get("namespace", ""), meta["name"])
        if m["kind"] in ("Role", "ClusterRole"):
            role = parse_role(m)
            out[key] = role.aggregation if role.aggregation is not None else frozenset(role.rules)
        else:
            binding = parse_binding(m)
            out[key] = (binding.role_ref, frozenset(binding.subjects))
    return out


def _namespaces(state: ClusterState) -> set[str]:
    return {m["metadata"]["name"] for m in state.kubernetes if m["kind"] == "Namespace"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_live_snapshot_equals_the_scenario(make_sandbox: MakeSandbox, scenario: str) -> None:
    sb = make_sandbox(scenario)
    expected = load_scenario(scenario).clusters[0]
    session = AwsSession(session=sb.boto_session("admin"), region=expected.cluster.region)
    state = take_snapshot(session, expected.cluster.name).state
    assert state.authentication_mode == expected.authentication_mode
    assert _entries(state) == _entries(expected)
    assert state.aws_auth == expected.aws_auth
    assert _rbac(state) == _rbac(expected)
    assert _namespaces(state) == _namespaces(expected) | {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
    }
    assert state.cluster.account_id == expected.cluster.account_id
    if expected.authentication_mode == "CONFIG_MAP":  # taken by the creator itself: it recognises itself
        assert state.cluster.creator_arn == expected.cluster.creator_arn
    else:
        assert state.cluster.creator_arn is None


def test_snapshot_not_by_the_creator_leaves_the_creator_unknown(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("aws-auth-malformed")
    session = AwsSession(session=sb.boto_session("eks-admin"), region="us-west-2")
    from eksaccess.errors import RemoteError

    with pytest.raises(RemoteError):  # eks-admin's mapping is in the dropped key: 401 from the API server
        take_snapshot(session, "demo")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(sb: RunningSandbox, *args: str, profile: str | None = "admin") -> Result:
        for key, value in sb.env_for(profile).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code=code, out=out.out, err=out.err)

    return run


def test_cli_snapshot_can_i_who_can_and_audit_live(
    sandbox: RunningSandbox, cli: Callable[..., Result], tmp_path: Path
) -> None:
    snap = cli(sandbox, "snapshot", "--cluster", "demo", "--region", "us-west-2")
    assert snap.code == 0, snap.err
    state = parse_cluster_state(snap.out)
    assert state.cluster.name == "demo" and len(state.access_entry_models) == 2
    file = tmp_path / "state.yaml"
    file.write_text(snap.out)

    developer = "arn:aws:iam::111122223333:role/developer"
    live = cli(
        sandbox,
        "can-i",
        "create",
        "deployments",
        "-n",
        "dev",
        "--arn",
        developer,
        "--cluster",
        "demo",
        "-o",
        "json",
    )
    offline = cli(
        sandbox,
        "can-i",
        "create",
        "deployments",
        "-n",
        "dev",
        "--arn",
        developer,
        "--snapshot",
        str(file),
        "-o",
        "json",
    )
    assert live.code == offline.code == 0 and json.loads(live.out) == json.loads(offline.out)
    assert (
        cli(
            sandbox, "can-i", "create", "deployments", "-n", "prod", "--arn", developer, "--cluster", "demo"
        ).code
        == 1
    )

    who = cli(sandbox, "who-can", "delete", "nodes", "--cluster", "demo", "--profile", "admin", "-o", "json")
    assert who.code == 0, who.err
    assert {p["arn"] for p in json.loads(who.out)["principals"]} == {
        "arn:aws:iam::111122223333:user/admin",
        "arn:aws:iam::111122223333:role/eks-admin",
    }
    both = cli(sandbox, "who-can", "get", "pods", "--cluster", "demo", "--snapshot", str(file))
    assert both.code == 2 and "exactly one" in both.err

    report = cli(sandbox, "audit", "--cluster", "demo", "-o", "json")
    assert report.code == 1, report.err  # eks-admin in system:masters is an error-severity risk
    data = json.loads(report.out)
    levels = {p["arn"]: (p["level"], p["reach"]) for p in data["clusters"][0]["principals"]}
    assert levels == {
        "arn:aws:iam::111122223333:user/admin": ("cluster-admin", ["*"]),
        "arn:aws:iam::111122223333:role/eks-admin": ("cluster-admin", ["*"]),
        developer: ("edit", ["dev"]),
    }
    assert data["iamRead"] is True
    developer_row = next(p for p in data["clusters"][0]["principals"] if p["arn"] == developer)
    assert [(c["arn"], c["via"]) for c in developer_row["reachableBy"]] == [
        ("arn:aws:iam::111122223333:user/alice", [])
    ]
    cluster = data["clusters"][0]  # bindings by name: the groups' once per cluster, each with its role
    held = [b for g in developer_row["groups"] for b in cluster["groupBindings"].get(g, [])]
    assert all(b in cluster["bindings"] for b in held + developer_row["userBindings"])
    # eks-admin trusts the account root: admin (allowed everything) and alice (allowed sts:AssumeRole) can
    # become it, and both hold long-term keys (the sandbox lists them as IAM does)
    assert sorted(r["code"] for r in data["risks"]) == [
        "SYSTEM_MASTERS_OUTSIDE_CREATOR",
        *["USER_KEYS_CLUSTER_ADMIN"] * 3,
    ]
    assert set(data["clusters"][0]["clusterAdminUsers"]) == {
        "arn:aws:iam::111122223333:user/admin",
        "arn:aws:iam::111122223333:user/alice",
    }
    offline_report = cli(sandbox, "audit", "--snapshot", str(file), "-o", "json")
    assert offline_report.code == 1 and json.loads(offline_report.out)["iamRead"] is False
