"""Guards and validation before any write (issue #16), through the CLI against the sandbox.

Every refusal exits 2 with one ``eksaccess: error:`` line and leaves the cluster as it was; a dry run
exits as the real run would. The CLI runs in this process (main(), exit codes and all) with the sandbox's
standard AWS and kube environment; the cluster is read back with boto3 and the Kubernetes client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from eksaccess.adapters.aws import AwsSession
from eksaccess.cli.main import main
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.features.manage.evaluate import Evaluator
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
GHOST = f"arn:aws:iam::{ACCT}:user/ghost"
NODE_ROLE = f"arn:aws:iam::{ACCT}:role/Node-Role"
DEVELOPER = f"arn:aws:iam::{ACCT}:role/developer"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
FAST = Backoff(attempts=10, base=0.01, cap=0.2)

SCENARIO = f"""apiVersion: eksaccess/v1
kind: Scenario
name: manage-validation
description: guards and validation before any write
accounts:
  "{ACCT}":
    users: [{{name: admin}}, {{name: alice}}, {{name: blind, deny: ["iam:*"]}}]
    roles:
      - {{name: Node-Role}}
      - {{name: monitor}}
      - {{name: developer, trustedBy: ["{ALICE}"]}}
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "{ADMIN}"}}
    authenticationMode: API_AND_CONFIG_MAP
    accessEntries:
      - principalArn: {ADMIN}
        accessPolicies: [{{policyArn: {CLUSTER_ADMIN}, accessScope: {{type: cluster}}}}]
      - principalArn: arn:aws:iam::{ACCT}:user/blind
        accessPolicies: [{{policyArn: {CLUSTER_ADMIN}, accessScope: {{type: cluster}}}}]
    awsAuth:
      mapRoles: |
        - rolearn: {NODE_ROLE}
          username: system:node:{{{{EC2PrivateDNSName}}}}
          groups: [system:bootstrappers, system:nodes]
        - rolearn: arn:aws:iam::{ACCT}:role/monitor
          username: monitor
          groups: [system:monitoring]
    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
profiles:
  - {{name: admin, user: "{ADMIN}"}}
  - {{name: blind, user: "arn:aws:iam::{ACCT}:user/blind"}}
"""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        """The one error line (asserting there is exactly one, and no traceback)."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("eksaccess: error:")]
        assert len(lines) == 1 and "Traceback" not in self.stderr, self.stderr
        return lines[0]


Cli = Callable[..., Result]


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox, tmp_path: Path) -> RunningSandbox:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return make_sandbox(str(path))


@pytest.fixture
def cli(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    def run(*args: str, profile: str = "admin") -> Result:
        env = {**sandbox.env_for(profile), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
        for key, value in env.items():
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


def cluster_now(sb: RunningSandbox) -> tuple[Any, ...]:
    """What the cluster holds: aws-auth and the access entries."""
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo", backoff=FAST)
    with conn:
        state = read_live(conn).state
    return (state.aws_auth, state.access_entries())


def write(tmp_path: Path, name: str, principals: str) -> str:
    path = tmp_path / name
    path.write_text(
        "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo, region: us-west-2}\n"
        f"principals:\n{principals}",
        encoding="utf-8",
    )
    return str(path)


GRANT = ("grant", "--cluster", "demo")

# (command line after the cluster, what the one error line says)
REFUSED: list[tuple[tuple[str, ...], str]] = [
    # guards
    (
        (NODE_ROLE, "--via", "aws-auth", "--username", "hacker", "--group", "devs"),
        f"{NODE_ROLE} is a node role (aws-auth mapRoles[0]); after this change its username would be hacker",
    ),
    ((ALICE, "--via", "aws-auth", "--username", "system:admin"), "the aws-auth username system:admin"),
    ((ALICE, "--via", "aws-auth", "--group", "system:masters"), "refusing to add system:masters"),
    ((ALICE, "--via", "access-entry", "--username", "system:admin"), "cannot start with system:"),
    ((ALICE, "--via", "access-entry", "--username", "iam:admin"), "cannot start with iam:"),
    ((ALICE, "--via", "access-entry", "--group", "system:masters"), "cannot start with system:"),
    # validation
    ((ALICE, "--policy", "view", "--namespace", "../../etc"), "namespace '../../etc' is not a valid"),
    ((ALICE, "--policy", "view", "--namespace", "DEV_Upper"), "namespace 'DEV_Upper' is not a valid"),
    ((ALICE, "--policy", "view", "--namespace", "Bad_NS!"), "namespace 'Bad_NS!' is not a valid"),
    ((ALICE, "--policy", "view", "--namespace", "n" * 300), "(300 characters) is not a valid"),
    (
        (f"arn:aws-cn:iam::{ACCT}:user/alice", "--policy", "view"),
        "is in partition aws-cn, the cluster in aws",
    ),
    (
        (ALICE, "--policy", "NoSuch"),
        "unknown access policy 'NoSuch'; use one of cluster-admin, admin, edit, view",
    ),
    ((ALICE, "--via", "aws-auth", "--username", "dev:{{Evil}}"), "uses {{Evil}}, which the authenticator"),
    (
        (ALICE, "--via", "access-entry", "--username", "dev:{{Evil}}"),
        "uses {{Evil}}, which the authenticator",
    ),
    ((GHOST, "--via", "access-entry", "--policy", "view"), "IAM has no user named ghost in account"),
]


def test_grant_refusals_are_one_line_exit_2_and_change_nothing(sandbox: RunningSandbox, cli: Cli) -> None:
    before = cluster_now(sandbox)
    for args, says in REFUSED:
        for dry_run in ((), ("--dry-run",)):
            done = cli(*GRANT, *args, *dry_run)
            assert done.returncode == 2, (args, dry_run, done.stderr)
            assert says in done.error, (args, dry_run, done.error)
    assert cluster_now(sandbox) == before


def test_force_and_the_explicit_flag_let_the_guarded_changes_through(
    sandbox: RunningSandbox, cli: Cli
) -> None:
    node = cli(*GRANT, NODE_ROLE, "--via", "aws-auth", "--username", "hacker", "--group", "devs", "--force")
    assert node.returncode == 0, node.stderr
    reserved = cli(*GRANT, ALICE, "--via", "aws-auth", "--username", "system:admin", "--force")
    assert reserved.returncode == 0, reserved.stderr
    masters = cli(*GRANT, ALICE, "--via", "aws-auth", "--group", "system:masters", "--allow-system-masters")
    assert masters.returncode == 0, masters.stderr
    assert "cluster-admin outside any access policy" in masters.stderr
    # cluster-admin asked for by name is the documented path to system:masters: no flag needed
    by_policy = cli(*GRANT, DEVELOPER, "--via", "aws-auth", "--policy", "cluster-admin")
    assert by_policy.returncode == 0, by_policy.stderr
    assert "outside any access policy" in by_policy.stderr
    rows = {r.rolearn: r for r in Evaluator(_state(sandbox)).aws_auth.roles}
    assert rows[NODE_ROLE].username == "hacker"
    assert rows[DEVELOPER].groups == ("system:masters",)
    users = {u.userarn: u for u in Evaluator(_state(sandbox)).aws_auth.users}
    assert users[ALICE].username == "system:admin" and "system:masters" in users[ALICE].groups


def _state(sb: RunningSandbox) -> Any:
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo", backoff=FAST)
    with conn:
        return read_live(conn).state


def test_a_dry_run_exits_as_the_real_run_would(sandbox: RunningSandbox, cli: Cli) -> None:
    before = cluster_now(sandbox)
    revoke_dry = cli("revoke", ADMIN, "--cluster", "demo", "--dry-run")
    revoke = cli("revoke", ADMIN, "--cluster", "demo")
    assert revoke_dry.returncode == revoke.returncode == 2
    assert revoke_dry.error == revoke.error and "you (" in revoke.error
    migrate_dry = cli("migrate", "--cluster", "demo", "--to", "API", "--dry-run")
    migrate = cli("migrate", "--cluster", "demo", "--to", "API")
    assert migrate_dry.returncode == migrate.returncode == 1, migrate_dry.stderr
    assert "the migration would change access" in migrate_dry.stderr
    json_dry = cli("migrate", "--cluster", "demo", "--to", "API", "--dry-run", "-o", "json")
    assert json_dry.returncode == 1 and '"equivalent": false' in json_dry.stdout
    assert cluster_now(sandbox) == before
    # without differences a dry run is 0 and still changes nothing
    fine = cli("grant", ALICE, "--cluster", "demo", "--policy", "view", "--dry-run")
    assert fine.returncode == 0 and "Plan for cluster demo" in fine.stdout, fine.stderr
    assert cluster_now(sandbox) == before


def test_desired_files_are_checked_before_planning(sandbox: RunningSandbox, cli: Cli, tmp_path: Path) -> None:
    before = cluster_now(sandbox)
    cases = [
        (
            f"  - {{arn: {ALICE}, policies: [{{policy: view, namespaces: [DEV_Upper]}}]}}\n",
            "namespaces[0]: namespace",
        ),
        (
            f"  - {{arn: 'arn:aws-cn:iam::{ACCT}:user/alice', policies: [{{policy: view}}]}}\n",
            "partition aws-cn",
        ),
        (f"  - {{arn: {ALICE}, policies: [{{policy: NoSuch}}]}}\n", "unknown access policy 'NoSuch'"),
        (
            f"  - {{arn: {GHOST}, via: access-entry, policies: [{{policy: view}}]}}\n",
            "IAM has no user named ghost",
        ),
        (f"  - {{arn: {ALICE}, via: aws-auth, username: 'a:{{{{Evil}}}}'}}\n", "uses {{Evil}}"),
        (
            f"  - {{arn: {ALICE}, via: aws-auth, username: alice, groups: [system:masters]}}\n",
            "--allow-system-masters",
        ),
    ]
    for index, (principals, says) in enumerate(cases):
        path = write(tmp_path, f"access-{index}.yaml", principals)
        for command in (("plan", "-f", path), ("apply", "-f", path, "--auto-approve")):
            done = cli(*command)
            assert done.returncode == 2, (command, done.stderr)
            assert says in done.error, (command, done.error)
    assert cluster_now(sandbox) == before
    # plan says when apply would be refused by the guard (the node row's username)
    node = write(
        tmp_path,
        "node.yaml",
        f"  - {{arn: {NODE_ROLE}, via: aws-auth, username: x, groups: [system:nodes]}}\n",
    )
    planned = cli("plan", "-f", node)
    assert planned.returncode == 0 and "apply would refuse this without --force" in planned.stderr
    applied = cli("apply", "-f", node, "--auto-approve")
    assert applied.returncode == 2 and "is a node role" in applied.error


@pytest.mark.parametrize(
    "args",
    [
        ("can-i", "get", "pods", "-n", "Bad NS/..", "--arn", ALICE, "--cluster", "demo"),
        ("who-can", "get", "pods", "-n", "", "--cluster", "demo"),
        ("who-can", "get", "pods", "-n", "../../etc", "--cluster", "demo"),
    ],
)
def test_analysis_namespaces_are_names(cli: Cli, args: tuple[str, ...]) -> None:
    done = cli(*args)
    assert done.returncode == 2 and "is not a valid Kubernetes namespace name" in done.error


def test_a_principal_iam_cannot_vouch_for_is_refused_by_eks_in_one_line(
    sandbox: RunningSandbox, cli: Cli
) -> None:
    # the sandbox answers CreateAccessEntry for an unknown principal as EKS does
    # (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html)
    eks = sandbox.boto_session("admin").client("eks", region_name="us-west-2")
    with pytest.raises(ClientError) as info:
        eks.create_access_entry(clusterName="demo", principalArn=GHOST)
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "The specified principalArn is invalid" in info.value.response["Error"]["Message"]
    # blind may not read IAM: the check cannot run, EKS refuses, and that is bad input, not a failed call
    # (apply.py maps EKS's refusal of a request to exit 2 when nothing was changed yet)
    before = cluster_now(sandbox)
    done = cli(*GRANT, GHOST, "--via", "access-entry", "--policy", "view", profile="blind")
    assert done.returncode == 2, done.stderr
    assert "The specified principalArn is invalid" in done.error
    assert cluster_now(sandbox) == before
