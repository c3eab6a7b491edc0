"""migrate on the sandbox: a varied aws-auth (roles, users, accounts, templates, node roles, masters) moved to
access entries with the equivalence proof, then the mode step to API that needs --accept-differences."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from eksaccess.adapters.aws import AwsSession
from eksaccess.cli.main import main
from eksaccess.domain.access import EntryType
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.features.manage.evaluate import Evaluator, caller_for
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
OTHER = "444455556666"

SCENARIO = f"""apiVersion: eksaccess/v1
kind: Scenario
name: manage-migrate
description: a varied aws-auth to migrate
accounts:
  "{ACCT}":
    users: [{{name: admin}}, {{name: ci}}]
    roles:
      - {{name: ops, trustedBy: ["arn:aws:iam::{ACCT}:root"]}}
      - {{name: nodes}}
      - {{name: fargate-pods}}
      - {{name: dev}}
      - {{name: legacy}}
  "{OTHER}":
    users: [{{name: auditor}}]
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "arn:aws:iam::{ACCT}:user/admin"}}
    authenticationMode: CONFIG_MAP
    awsAuth:
      mapRoles: |
        # on-call admins
        - rolearn: arn:aws:iam::{ACCT}:role/ops
          username: ops:{{{{SessionName}}}}
          groups: [system:masters, oncall]
        - rolearn: arn:aws:iam::{ACCT}:role/nodes
          username: system:node:{{{{EC2PrivateDNSName}}}}
          groups:
            - system:bootstrappers
            - system:nodes
        - rolearn: arn:aws:iam::{ACCT}:role/fargate-pods
          username: system:node:{{{{SessionName}}}}
          groups: [system:bootstrappers, system:nodes, system:node-proxier]
        - rolearn: arn:aws:iam::{ACCT}:role/dev
          username: "dev:{{{{AccountID}}}}:{{{{SessionName}}}}"
          groups: [devs]
        - rolearn: arn:aws:iam::{ACCT}:role/legacy
          username: legacy{{{{SessionName}}}}
          groups: [devs]
      mapUsers: |
        - userarn: arn:aws:iam::{ACCT}:user/ci
          username: ci
          groups: [deployers]
        - userarn: arn:aws:iam::{OTHER}:user/auditor
          username: auditor
          groups: [auditors]
      mapAccounts: |
        - "{OTHER}"
    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
      - apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {{name: devs-edit, namespace: dev}}
        roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
        subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}}]
      - apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {{name: deployers-admin}}
        roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}}
        subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: deployers}}]
profiles:
  - {{name: admin, user: "arn:aws:iam::{ACCT}:user/admin"}}
"""


def run(
    sb: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    for key, value in {**sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_migrate_with_the_equivalence_proof(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    sb = make_sandbox(str(path))
    conn = connect(
        AwsSession(session=sb.boto_session("admin"), region="us-west-2"),
        "demo",
        backoff=Backoff(base=0.01, cap=0.1),
    )
    before = read_live(conn).state
    assert (
        before.cluster.creator_arn == f"arn:aws:iam::{ACCT}:user/admin"
    )  # found by whoami: the creator counts

    code, out, _ = run(sb, tmp_path, monkeypatch, capsys, "migrate", "--cluster", "demo")
    assert code == 2  # CONFIG_MAP needs the explicit, irreversible mode step

    code, out, _ = run(
        sb,
        tmp_path,
        monkeypatch,
        capsys,
        "migrate",
        "--cluster",
        "demo",
        "--to",
        "API_AND_CONFIG_MAP",
        "--dry-run",
        "-o",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    unexpressible = {
        (u["where"].split()[-1], u["principal"].rsplit("/", 1)[-1]) for u in report["unexpressible"]
    }
    assert unexpressible == {("mapRoles[4]", "legacy"), ("mapAccounts", OTHER)}
    assert report["equivalence"]["equivalent"] is True, report["equivalence"]
    assert report["equivalence"]["principalsChecked"] == 8
    assert read_live(conn).state.authentication_mode.value == "CONFIG_MAP"  # dry run changed nothing

    code, out, err = run(
        sb, tmp_path, monkeypatch, capsys, "migrate", "--cluster", "demo", "--to", "API_AND_CONFIG_MAP"
    )
    assert code == 0, err
    assert "Equivalence: proven" in out and "Verified" in out and "cannot be undone" in err
    after = read_live(conn).state
    assert after.authentication_mode.value == "API_AND_CONFIG_MAP"
    entries = {e.principal_arn.rsplit("/", 1)[-1]: e for e in after.access_entries()}
    assert entries["nodes"].type is EntryType.EC2_LINUX
    assert entries["fargate-pods"].type is EntryType.FARGATE_LINUX
    assert [p.policy_name for p in entries["ops"].policies] == ["AmazonEKSClusterAdminPolicy"]
    assert (
        entries["ops"].kubernetes_groups == ("oncall",) and entries["ops"].username == "ops:{{SessionName}}"
    )
    assert entries["dev"].username == "dev:{{AccountID}}:{{SessionName}}"
    assert entries["auditor"].kubernetes_groups == ("auditors",)
    assert "legacy" not in entries and "admin" in entries  # EKS made the creator's entry on the mode change
    assert after.aws_auth == before.aws_auth  # aws-auth untouched: what is not converted keeps working
    # the live identities of the converted principals are the ones they had
    old, new = Evaluator(before), Evaluator(after)
    for arn in (
        f"arn:aws:iam::{ACCT}:role/dev",
        f"arn:aws:iam::{ACCT}:role/nodes",
        f"arn:aws:iam::{ACCT}:user/ci",
    ):
        assert old.identity(arn, caller_for(arn)) == new.identity(arn, caller_for(arn))

    # migrating again changes nothing; moving to API would cut off legacy and the account: refused
    code, out, err = run(sb, tmp_path, monkeypatch, capsys, "migrate", "--cluster", "demo", "--to", "API")
    assert code == 1 and "legacy" in out and "--accept-differences" in err
    assert read_live(conn).state.authentication_mode.value == "API_AND_CONFIG_MAP"
    code, out, err = run(
        sb,
        tmp_path,
        monkeypatch,
        capsys,
        "migrate",
        "--cluster",
        "demo",
        "--to",
        "API",
        "--accept-differences",
    )
    assert code == 0, err
    assert read_live(conn).state.authentication_mode.value == "API"
    conn.close()
