"""grant / revoke / export / plan / apply / rollback on the sandbox in every authentication mode.

Features run in-process against the sandbox with boto3 (fast); the CLI runs as a subprocess with the
sandbox's standard AWS and kube environment, exactly as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.history_files import HistoryFiles
from eksaccess.cli.main import main
from eksaccess.features.manage.apply import apply_plan
from eksaccess.features.manage.connect import Connection, LiveView, connect, read_live
from eksaccess.features.manage.desired import dump_cluster_access, export_access
from eksaccess.features.manage.evaluate import Evaluator
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
NODES = f"arn:aws:iam::{ACCT}:role/nodes"
MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
FAST = Backoff(attempts=10, base=0.01, cap=0.2)

AWS_AUTH = """    awsAuth:
      mapRoles: |
        # nodes: do not touch
        - rolearn: arn:aws:iam::111122223333:role/nodes
          username: system:node:{{EC2PrivateDNSName}}
          groups:
            - system:bootstrappers
            - system:nodes
        - rolearn: arn:aws:iam::111122223333:role/eks-admin   # break-glass
          username: eks-admin:{{SessionName}}
          groups: [system:masters]
"""


def scenario_text(mode: str) -> str:
    entries = ""
    if mode != "CONFIG_MAP":
        entries = """    accessEntries:
      - principalArn: arn:aws:iam::111122223333:user/admin
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
            accessScope: {type: cluster}
"""
    return f"""apiVersion: eksaccess/v1
kind: Scenario
name: manage-{mode.lower().replace("_", "-")}
description: eksaccess manage tests in {mode}
accounts:
  "{ACCT}":
    users: [{{name: admin}}, {{name: alice}}, {{name: bob}}]
    roles:
      - {{name: eks-admin, trustedBy: ["arn:aws:iam::{ACCT}:root"]}}
      - {{name: nodes}}
      - {{name: developer, trustedBy: ["arn:aws:iam::{ACCT}:user/alice"]}}
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "{ADMIN}"}}
    authenticationMode: {mode}
{entries}{AWS_AUTH}    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
profiles:
  - {{name: admin, user: "{ADMIN}"}}
  - {{name: alice, user: "{ALICE}"}}
  - {{name: eks-admin, roleArn: "arn:aws:iam::{ACCT}:role/eks-admin", sourceProfile: admin}}
"""


def start(make_sandbox: MakeSandbox, tmp_path: Path, mode: str, **knobs: Any) -> RunningSandbox:
    path = tmp_path / f"scenario-{mode}.yaml"
    path.write_text(scenario_text(mode), encoding="utf-8")
    return make_sandbox(str(path), **knobs)


def open_cluster(sb: RunningSandbox, profile: str = "admin") -> tuple[Connection, LiveView]:
    conn = connect(AwsSession(session=sb.boto_session(profile), region="us-west-2"), "demo", backoff=FAST)
    return conn, read_live(conn)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """The CLI in this process (main(), exit codes and all), with the sandbox's environment."""

    def run(
        sb: RunningSandbox, tmp_path: Path, *args: str, profile: str = "admin", stdin: str | None = None
    ) -> Result:
        for key, value in {**sb.env_for(profile), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(returncode=code, stdout=out.out, stderr=out.err)

    return run


def subprocess_cli(
    sb: RunningSandbox, tmp_path: Path, *args: str, profile: str = "admin", stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **sb.env_for(profile), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    return subprocess.run(
        [sys.executable, "-m", "eksaccess.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("mode", MODES)
def test_grant_then_revoke_round_trip(make_sandbox: MakeSandbox, tmp_path: Path, mode: str) -> None:
    sb = start(make_sandbox, tmp_path, mode)
    conn, view = open_cluster(sb)
    history = HistoryFiles(tmp_path / "h", account=ACCT, region="us-west-2", cluster="demo")
    original = dump_cluster_access(export_access(view.state))
    request = GrantRequest(
        arn=ALICE, policies=(PolicyRequest(policy="edit", namespaces=("dev",)), PolicyRequest(policy="view"))
    )
    report = apply_plan(conn, view, plan_grant(view.state, request), history=history, command="grant")
    assert not report.failed and not report.mismatches and report.changed >= 1
    view = read_live(conn)
    evaluator = Evaluator(view.state)
    from eksaccess.domain.authz.authorize import Attributes

    assert evaluator.allows(
        ALICE, Attributes(verb="create", resource="deployments", api_group="apps", namespace="dev")
    )
    assert evaluator.allows(ALICE, Attributes(verb="list", resource="pods", namespace="default"))
    assert not evaluator.allows(ALICE, Attributes(verb="create", resource="pods", namespace="default"))
    again = plan_grant(view.state, request)
    assert again.steps == ()  # idempotent
    report = apply_plan(conn, view, plan_revoke(view.state, RevokeRequest(arn=ALICE)), history=history)
    assert not report.failed and not report.mismatches
    view = read_live(conn)
    assert dump_cluster_access(export_access(view.state)) == original
    assert Evaluator(view.state).identity(ALICE) is None
    conn.close()


@pytest.mark.parametrize("mode", ["CONFIG_MAP", "API"])
def test_cli_export_apply_plan_are_no_ops_and_apply_needs_approval(
    make_sandbox: MakeSandbox, tmp_path: Path, mode: str, cli: Callable[..., Result]
) -> None:
    sb = start(make_sandbox, tmp_path, mode)
    exported = cli(sb, tmp_path, "export", "--cluster", "demo")
    assert exported.returncode == 0, exported.stderr
    access = tmp_path / "access.yaml"
    access.write_text(exported.stdout, encoding="utf-8")
    planned = cli(sb, tmp_path, "plan", "-f", str(access), "--prune", "--detailed-exitcode")
    assert planned.returncode == 0 and "No changes" in planned.stdout, planned.stderr
    applied = cli(sb, tmp_path, "apply", "-f", str(access), "--prune", "--auto-approve")
    assert applied.returncode == 0 and "No changes" in applied.stdout

    # a change: bob gets view; plan shows it (exit 2 with --detailed-exitcode, as Terraform), apply needs approval
    via = "aws-auth" if mode == "CONFIG_MAP" else "access-entry"
    access.write_text(
        exported.stdout
        + f"- arn: arn:aws:iam::{ACCT}:user/bob\n  via: {via}\n  policies:\n  - policy: view\n",
        encoding="utf-8",
    )
    planned = cli(sb, tmp_path, "plan", "-f", str(access), "--detailed-exitcode", "-o", "json")
    assert planned.returncode == 2, planned.stderr
    refused = cli(sb, tmp_path, "apply", "-f", str(access), stdin="")
    assert (
        refused.returncode == 2 and "--auto-approve" in refused.stderr and "Traceback" not in refused.stderr
    )
    applied = cli(sb, tmp_path, "apply", "-f", str(access), "--auto-approve")
    assert applied.returncode == 0 and "Verified" in applied.stdout, applied.stderr
    planned = cli(sb, tmp_path, "plan", "-f", str(access), "--prune", "--detailed-exitcode")
    assert planned.returncode == 0 and "No changes" in planned.stdout  # plan shows nothing after apply
    listed = cli(sb, tmp_path, "list", "--cluster", "demo", "-o", "json")
    import json

    rows = json.loads(listed.stdout)["principals"]
    assert any(r["principal"].endswith("user/bob") and r["effective"] for r in rows)


def test_cli_grant_with_ordered_policies_and_corrected_arn(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "CONFIG_MAP")
    done = subprocess_cli(
        sb, tmp_path, "grant", f"arn:aws:sts::{ACCT}:assumed-role/developer/alice-session", "--cluster", "demo",
        "--policy", "edit", "--namespace", "dev", "--namespace", "default", "--policy", "view",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"using arn:aws:iam::{ACCT}:role/developer instead of" in done.stderr
    assert "group eksaccess:edit:dev" in done.stderr and "RoleBinding eksaccess:edit:dev" in done.stderr
    conn, view = open_cluster(sb)
    row = next(r for r in Evaluator(view.state).aws_auth.roles if r.rolearn.endswith("role/developer"))
    assert row.groups == ("eksaccess:edit:dev", "eksaccess:edit:default", "eksaccess:view")
    names = {
        m["metadata"]["name"]
        for m in view.state.kubernetes
        if m["kind"] in ("RoleBinding", "ClusterRoleBinding")
    }
    assert {"eksaccess:edit:dev", "eksaccess:edit:default", "eksaccess:view"} <= names
    conn.close()


@pytest.mark.parametrize(
    ("mode", "args", "profile", "expected"),
    [
        ("API", ["revoke", ADMIN], "admin", "would lose access you use now"),
        ("CONFIG_MAP", ["revoke", NODES], "admin", "node role"),
        ("CONFIG_MAP", ["revoke", f"arn:aws:iam::{ACCT}:role/eks-admin"], "eks-admin", "configmaps/aws-auth"),
        (
            "API_AND_CONFIG_MAP",
            ["revoke", ADMIN, "--via", "access-entry"],
            "eks-admin",
            "no principal holds cluster-admin",
        ),
    ],
)
def test_lockout_guard_refuses_and_force_overrides(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    mode: str,
    args: list[str],
    profile: str,
    expected: str,
    cli: Callable[..., Result],
) -> None:
    sb = start(make_sandbox, tmp_path, mode)
    if "no principal holds" in expected:  # make the admin entry the only admin: eks-admin's row is gone
        assert (
            cli(sb, tmp_path, "revoke", f"arn:aws:iam::{ACCT}:role/eks-admin", "--cluster", "demo").returncode
            == 0
        )
        profile = "admin"
        args = [*args[:2], "--via", "access-entry"]
        expected = "would lose access you use now"
    refused = cli(sb, tmp_path, *args, "--cluster", "demo", profile=profile)
    assert refused.returncode == 2, refused.stderr
    assert expected in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = cli(sb, tmp_path, *args, "--cluster", "demo", "--force", profile=profile)
    assert forced.returncode == 0, forced.stderr


def test_removing_the_last_admin_names_the_admin(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "API_AND_CONFIG_MAP")
    conn, view = open_cluster(sb, "eks-admin")
    from eksaccess.features.manage.apply import LockoutError
    from eksaccess.features.manage.via import Via

    view = read_live(conn)
    plan = plan_revoke(view.state, RevokeRequest(arn=ADMIN, via=Via.ACCESS_ENTRY))
    # eks-admin keeps system:masters: allowed
    assert apply_plan(conn, view, plan).changed == 1
    view = read_live(conn)
    plan = plan_revoke(view.state, RevokeRequest(arn=f"arn:aws:iam::{ACCT}:role/eks-admin"))
    with pytest.raises(LockoutError) as err:
        apply_plan(conn, view, plan)
    assert "no principal holds cluster-admin" in err.value.message
    assert f"arn:aws:iam::{ACCT}:role/eks-admin" in err.value.message
    conn.close()
