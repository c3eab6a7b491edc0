"""Fleet mode against the sandbox: two accounts, two regions, one cluster that cannot be read (its
profile's allow list has no eks:DescribeCluster). The others are audited, the failure is named, exit 3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from eksaccess.adapters.aws import AwsSession
from eksaccess.cli.main import main
from eksaccess.features.analyze.audit import audit
from eksaccess.features.analyze.fleet import EventKind, FleetEvent, read_fleet
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

A = "111122223333"
B = "444455556666"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _cluster(name: str, region: str, account: str, creator: str, extra_entries: str = "") -> str:
    return f"""
  - cluster: {{name: {name}, region: {region}, accountId: "{account}", creatorArn: "{creator}"}}
    authenticationMode: API
    accessEntries:
      - principalArn: {creator}
        accessPolicies:
          - {{policyArn: {ADMIN_POLICY}, accessScope: {{type: cluster}}}}
{extra_entries}"""


SCENARIO = f"""apiVersion: eksaccess/v1
kind: Scenario
name: fleet
description: Three clusters in two accounts and two regions; ops-b may not describe clusters.
accounts:
  "{A}":
    users:
      - name: ops-a
    roles:
      - name: cross-admin
        trustedBy: ["arn:aws:iam::{B}:user/ops-b"]
  "{B}":
    users:
      - name: ops-b
        allow: ["eks:ListClusters", "sts:GetCallerIdentity"]
clusters:{
    _cluster(
        "a-west",
        "us-west-2",
        A,
        f"arn:aws:iam::{A}:user/ops-a",
        f'''      - principalArn: arn:aws:iam::{A}:role/cross-admin
        accessPolicies:
          - {{policyArn: {ADMIN_POLICY}, accessScope: {{type: cluster}}}}''',
    )
}{_cluster("a-east", "us-east-1", A, f"arn:aws:iam::{A}:user/ops-a")}{
    _cluster("b-west", "us-west-2", B, f"arn:aws:iam::{B}:user/ops-b")
}
profiles:
  - {{name: ops-a, user: "arn:aws:iam::{A}:user/ops-a", region: us-west-2}}
  - {{name: ops-b, user: "arn:aws:iam::{B}:user/ops-b", region: us-west-2}}
"""


@pytest.fixture
def fleet_sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    path = tmp_path / "fleet.yaml"
    path.write_text(SCENARIO)
    with running_sandbox(tmp_path, str(path)) as sb:
        yield sb


def test_fleet_reads_what_it_can_and_names_the_failure(fleet_sandbox: RunningSandbox) -> None:
    sb = fleet_sandbox
    events: list[FleetEvent] = []

    def factory(profile: str | None, region: str | None) -> AwsSession:
        return AwsSession(session=sb.boto_session(profile, region), region=region)

    result = read_fleet(
        ["ops-a", "ops-b"],
        ["us-west-2", "us-east-1"],
        session_factory=factory,
        per_region=2,
        backoff=Backoff(attempts=2, base=0.01),
        progress=events.append,
    )
    assert [(i.state.cluster.account_id, i.state.cluster.name) for i in result.inputs] == [
        (A, "a-east"),
        (A, "a-west"),
    ]
    assert [(f.name, f.region, f.profile, f.kind) for f in result.failures] == [
        ("b-west", "us-west-2", "ops-b", "access-denied")
    ]
    assert "eks:DescribeCluster" in result.failures[0].error
    assert result.iam is not None and [a.account for a in result.iam] == [A]
    assert any(f"IAM of account {B} not read" in n for n in result.notes)
    assert sorted(e.kind for e in events if e.kind is not EventKind.DISCOVERED) == ["done", "done", "failed"]

    report = audit(result.inputs, iam=result.iam, failures=result.failures, notes=result.notes)
    assert report.exit_code == 3
    west = next(c for c in report.clusters if c.name == "a-west")
    cross = next(p for p in west.principals if p.arn.endswith("role/cross-admin"))
    assert [(c.source, c.kind.value) for c in cross.reachable_by] == [
        (f"arn:aws:iam::{B}:user/ops-b", "external")
    ]
    assert any(r.code == "ROLE_ASSUMABLE_CROSS_ACCOUNT" and r.subject == cross.arn for r in report.risks)


def test_fleet_cli_exit_3_with_partial_json(
    fleet_sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for key, value in fleet_sandbox.env_for(None).items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "audit",
                "--all",
                "--profiles",
                "ops-a,ops-b",
                "--regions",
                "us-west-2,us-east-1",
                "-o",
                "json",
                "--out",
                str(out),
            ]
        )
    assert exit_info.value.code == 3
    data = json.loads(out.read_text())
    assert data["summary"]["clusters"] == 2 and data["summary"]["clustersFailed"] == 1
    assert data["failures"][0]["name"] == "b-west"
    assert f"wrote {out}" in capsys.readouterr().err
