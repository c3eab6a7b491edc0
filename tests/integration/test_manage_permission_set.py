"""A permission set instead of an ARN: ``grant --permission-set NAME --account A`` and ``permissionSet:`` in a
desired-state file resolve to the set's role through IAM (ListRoles under /aws-reserved/sso.amazonaws.com/),
and after Identity Center provisions the set again (a new role suffix), ``plan`` shows the drift: the old
role's entry deleted, the new role's created, each line saying why. The aws CLI reads the entries back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.scenarios.seed import principal_id
from eksaccess.sandbox.testing import RunningSandbox
from support.cli import run_cli

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
SSO = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/"
DEV = f"{SSO}AWSReservedSSO_Dev_0123456789abcdef"
DEV_AGAIN = f"{SSO}AWSReservedSSO_Dev_fedcba9876543210"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
VENV_BIN = Path(sys.executable).parent

SCENARIO = f"""apiVersion: eksaccess/v1
kind: Scenario
name: permission-sets
description: permission set roles in one account
accounts:
  "{ACCT}":
    users: [{{name: admin}}]
    roles:
      - {{name: AWSReservedSSO_Dev_0123456789abcdef, path: /aws-reserved/sso.amazonaws.com/}}
      - {{name: AWSReservedSSO_DevOps_00112233445566aa, path: /aws-reserved/sso.amazonaws.com/}}
      - {{name: AWSReservedSSO_Ops_0123456789abcdef, path: /aws-reserved/sso.amazonaws.com/}}
      - {{name: AWSReservedSSO_Ops_99887766554433ff, path: /aws-reserved/sso.amazonaws.com/eu-west-1/}}
      - {{name: AWSReservedSSO_Dev_aaaaaaaaaaaaaaaa, path: /teams/}}
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "arn:aws:iam::{ACCT}:user/admin"}}
    authenticationMode: API_AND_CONFIG_MAP
    accessEntries:
      - principalArn: arn:aws:iam::{ACCT}:user/admin
        accessPolicies: [{{policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: {{type: cluster}}}}]
    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
profiles:
  - {{name: admin, user: "arn:aws:iam::{ACCT}:user/admin"}}
kubeconfig:
  contexts: [{{name: admin, cluster: demo, profile: admin}}]
  currentContext: admin
"""

DESIRED = """apiVersion: eksaccess/v1
kind: ClusterAccess
cluster: {name: demo, region: us-west-2}
principals:
  - permissionSet: {name: Dev, account: "111122223333"}
    via: access-entry
    policies:
      - {policy: edit, namespaces: [dev]}
"""


def _require(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: this test reads back with the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def _start(make_sandbox: MakeSandbox, tmp_path: Path) -> tuple[RunningSandbox, dict[str, str]]:
    path = tmp_path / "permission-sets.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    sb = make_sandbox(str(path))
    env = {
        **{k: v for k, v in os.environ.items() if k in ("LANG", "TMPDIR")},
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
        **sb.env_for("admin"),
        "HOME": str(tmp_path),
        "EKSACCESS_HISTORY_DIR": str(tmp_path / "history"),
    }
    return sb, env


def _aws(env: Mapping[str, str], *args: str) -> Any:
    done = subprocess.run(
        [_require("aws"), *args, "--output", "json"],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (args, done.stderr)
    return json.loads(done.stdout)


def _entries(env: Mapping[str, str]) -> list[str]:
    return sorted(_aws(env, "eks", "list-access-entries", "--cluster-name", "demo")["accessEntries"])


def _policies(env: Mapping[str, str], arn: str) -> list[tuple[str, str, list[str]]]:
    found = _aws(
        env, "eks", "list-associated-access-policies", "--cluster-name", "demo", "--principal-arn", arn
    )
    return [
        (p["policyArn"], p["accessScope"]["type"], p["accessScope"].get("namespaces", []))
        for p in found["associatedAccessPolicies"]
    ]


def _reprovision(sb: RunningSandbox, old: str, new: str) -> None:
    """What IAM Identity Center does when the set is provisioned to the account again: the set's role is
    deleted and created anew with another suffix (and another unique id). The sandbox's IAM has no
    DeleteRole/CreateRole (nor may anyone call them on reserved roles), so the test does it in its store."""
    store = sb.store
    record = store.get_principal(old)
    assert record is not None
    name = new.rsplit("/", 1)[1]
    store.put_principal(replace(record, arn=new, name=name, unique_id=principal_id(new)))
    with store.write() as conn:
        conn.execute("DELETE FROM principals WHERE arn = ?", (old,))


def test_grant_by_permission_set_creates_the_entry_of_its_role(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sb, env = _start(make_sandbox, tmp_path)
    done = run_cli(
        env, "grant", "--permission-set", "Dev", "--account", ACCT, "--policy", "edit", "-n", "dev",
        "--cluster", "demo", "--region", "us-west-2", "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert any(DEV in notice for notice in report["notices"]), report
    # the role's ARN as IAM gives it, path included (the decoy under /teams/ and DevOps are not the set's)
    assert _entries(env) == sorted([f"arn:aws:iam::{ACCT}:user/admin", DEV])
    assert _policies(env, DEV) == [(EDIT, "namespace", ["dev"])]


def test_grant_by_permission_set_through_aws_auth_writes_the_pathless_arn(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sb, env = _start(make_sandbox, tmp_path)
    done = run_cli(
        env, "grant", "--permission-set", "Dev", "--account", ACCT, "--group", "devs", "--via", "aws-auth",
        "--cluster", "demo", "--region", "us-west-2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = subprocess.run(
        [
            _require("kubectl"),
            "--context",
            "admin",
            "-n",
            "kube-system",
            "get",
            "configmap",
            "aws-auth",
            "-o",
            "json",
        ],
        env={**env, "KUBECONFIG": str(sb.kubeconfig)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert got.returncode == 0, got.stderr
    roles = json.loads(got.stdout)["data"]["mapRoles"]
    assert f"arn:aws:iam::{ACCT}:role/AWSReservedSSO_Dev_0123456789abcdef" in roles
    assert "aws-reserved" not in roles  # aws-auth compares the path-less ARN


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--permission-set", "Nope", "--account", ACCT], "the permission set Nope has no role in account"),
        (["--permission-set", "Ops", "--account", ACCT], "the permission set Ops has 2 roles"),
        (["--permission-set", "Dev", "--account", "444455556666"], "cannot be resolved with credentials"),
        (["--permission-set", "Dev"], "needs --account"),
        ([DEV, "--permission-set", "Dev", "--account", ACCT], "not both"),
        (["--permission-set", "a b", "--account", ACCT], "is not a permission set name"),
        (["--account", ACCT], "--account goes with --permission-set"),
    ],
)
def test_a_permission_set_that_does_not_resolve_to_one_role_is_bad_input(
    args: list[str], said: str, make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    _, env = _start(make_sandbox, tmp_path)
    done = run_cli(env, "grant", *args, "--policy", "view", "--cluster", "demo", "--region", "us-west-2")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # one line (and at most a hint)
    if "Ops" in args:
        assert "AWSReservedSSO_Ops_0123456789abcdef" in done.stderr
        assert "eu-west-1/AWSReservedSSO_Ops_99887766554433ff" in done.stderr


def test_the_desired_state_names_a_permission_set_and_plan_shows_the_reprovisioned_role(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sb, env = _start(make_sandbox, tmp_path)
    path = tmp_path / "access.yaml"
    path.write_text(DESIRED, encoding="utf-8")
    done = run_cli(env, "apply", "-f", str(path), "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert DEV in _entries(env) and _policies(env, DEV) == [(EDIT, "namespace", ["dev"])]
    done = run_cli(env, "plan", "-f", str(path), "--detailed-exitcode")
    assert done.returncode == 0, done.stdout + done.stderr  # no drift

    _reprovision(sb, DEV, DEV_AGAIN)
    done = run_cli(env, "plan", "-f", str(path), "--detailed-exitcode", "-o", "json")
    assert done.returncode == 2, done.stdout + done.stderr  # drift
    steps = {(s["code"], s["principal"]): s for s in json.loads(done.stdout)["steps"]}
    deleted = steps[("entry.delete", DEV)]
    assert "the permission set Dev (account 111122223333) was provisioned again" in deleted["before"]
    assert "AWSReservedSSO_Dev_fedcba9876543210" in deleted["before"]
    assert ("entry.create", DEV_AGAIN) in steps and ("policy.associate", DEV_AGAIN) in steps
    text = run_cli(env, "plan", "-f", str(path))
    assert text.returncode == 0
    assert any(DEV in line and "provisioned again" in line for line in text.stdout.splitlines()), text.stdout

    done = run_cli(env, "apply", "-f", str(path), "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert _entries(env) == sorted([f"arn:aws:iam::{ACCT}:user/admin", DEV_AGAIN])
    assert _policies(env, DEV_AGAIN) == [(EDIT, "namespace", ["dev"])]
    assert run_cli(env, "plan", "-f", str(path), "--detailed-exitcode").returncode == 0


def test_a_desired_state_principal_is_an_arn_or_a_permission_set(tmp_path: Path) -> None:
    from eksaccess.errors import InputError
    from eksaccess.features.manage.desired import parse_cluster_access

    head = "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo}\nprincipals:\n"
    both = f"  - {{arn: {DEV}, permissionSet: {{name: Dev, account: '{ACCT}'}}}}\n"
    for body, said in [
        (both, "give arn or permissionSet"),
        ("  - {via: access-entry}\n", "give arn or permissionSet"),
        ("  - {permissionSet: {name: Dev, account: '1234'}}\n", "principals[0].permissionSet.account"),
        ("  - {permissionSet: {name: 'a b', account: '111122223333'}}\n", "principals[0].permissionSet.name"),
    ]:
        with pytest.raises(InputError, match=said.replace("[", r"\[").replace("]", r"\]")):
            parse_cluster_access(head + body)
