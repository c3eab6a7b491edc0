"""doctor and IAM Identity Center permission sets, end to end with the real aws CLI and kubectl.

As alice's SSO session (role ``AWSReservedSSO_Dev_<suffix>`` under /aws-reserved/sso.amazonaws.com/,
session ``alice@example.com``):

* the permission set was provisioned again (its role has a new suffix) and the access entry, or the aws-auth
  row, still names the old role: doctor names the set and the cause (SSO_ROLE_STALE_SUFFIX);
* a RoleBinding names ``sso:alice@example.com`` while ``{{SessionName}}`` made the username
  ``sso:alice-example.com``: doctor names the near miss (SSO_SESSION_NAME_AT).

Each printed fix is pasted literally, in both forms (eksaccess, plain aws/kubectl); then kubectl works as the
SSO session, ``kubectl auth whoami`` shows the username with '-' for '@', and the aws CLI reads the access
entries back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.scenarios.model import builtin_text
from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_env, require, run

FORMS = ("eksaccess", "plain")
ACCT = "111122223333"
OLD = "AWSReservedSSO_Dev_0123456789abcdef"
NEW = "AWSReservedSSO_Dev_fedcba9876543210"
SSO = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/"
SESSION_USER = f"arn:aws:sts::{ACCT}:assumed-role/{NEW}/alice-example.com"  # EKS's default username


def _paste(env: Mapping[str, str], finding: Mapping[str, Any], form: str) -> None:
    """Every command of the finding's fix, literally, in order, in bash."""
    commands = [
        command
        for step in finding["fix"]
        for command in ((step["eksaccess"] or step["plain"]) if form == "eksaccess" else step["plain"])
    ]
    assert commands, finding
    for command in commands:
        done = run(env, ["bash", "-c", command])
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout}\n{done.stderr}"


def _whoami(env: Mapping[str, str]) -> str:
    done = run(env, [require("kubectl"), "auth", "whoami", "-o", "json"])
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["status"]["userInfo"]["username"])


def _only(report: Mapping[str, Any], code: str) -> Mapping[str, Any]:
    errors: list[Mapping[str, Any]] = [f for f in report["findings"] if f["severity"] in ("error", "warning")]
    assert [f["code"] for f in errors] == [code], errors
    return errors[0]


def _works_as_the_sso_session(env: Mapping[str, str], username: str) -> None:
    kubectl = run(env, [require("kubectl"), "get", "pods"])
    assert kubectl.returncode == 0, kubectl.stderr
    assert _whoami(env) == username
    code, again = doctor_json(env)
    assert code == 0, [f for f in again["findings"] if f["severity"] == "error"]


@pytest.mark.parametrize("form", FORMS)
def test_a_reprovisioned_permission_set_is_named_and_its_fix_works(form: str, tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "sso-permission-set-reprovisioned") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        assert run(env, [require("kubectl"), "get", "pods"]).returncode != 0  # 401 before
        _, alone = doctor_json(env)
        (unmapped,) = [f for f in alone["findings"] if f["code"] == "NOT_MAPPED"]
        assert "permission set Dev" in unmapped["detail"]
        assert "SSO_ROLE_STALE_SUFFIX" in unmapped["evidence"]["causes"]

        code, report = doctor_json(env, "--admin-profile", "admin")
        assert code == 1
        found = _only(report, "SSO_ROLE_STALE_SUFFIX")
        assert (
            "permission set Dev" in found["detail"] and "provisioned to the account again" in found["detail"]
        )
        assert found["evidence"]["mappedSuffix"] == "0123456789abcdef"
        assert found["evidence"]["currentRole"] == NEW

        _paste(env, found, form)
        _works_as_the_sso_session(env, SESSION_USER)
        admin = {**env, "AWS_PROFILE": "admin"}
        listed = run(admin, [require("aws"), "eks", "list-access-entries", "--cluster-name", "demo"])
        assert listed.returncode == 0, listed.stderr
        entries = json.loads(listed.stdout)["accessEntries"]
        assert f"{SSO}{NEW}" in entries and f"{SSO}{OLD}" not in entries
        policies = run(
            admin,
            [require("aws"), "eks", "list-associated-access-policies", "--cluster-name", "demo",
             "--principal-arn", f"{SSO}{NEW}"],
        )  # fmt: skip
        assert policies.returncode == 0, policies.stderr
        (policy,) = json.loads(policies.stdout)["associatedAccessPolicies"]
        assert policy["policyArn"].endswith("AmazonEKSEditPolicy")
        assert policy["accessScope"] == {"type": "namespace", "namespaces": ["dev"]}


def _aws_auth_scenario(tmp_path: Path) -> Path:
    """The same world in CONFIG_MAP mode: the aws-auth row names the set's old role (path-less, as it must)."""
    text = builtin_text("sso-permission-set-reprovisioned")
    head, _, rest = text.partition("    authenticationMode: API\n")
    _, _, tail = rest.partition("    kubernetes:\n")
    row = f"""    authenticationMode: CONFIG_MAP
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::{ACCT}:role/{OLD}
          username: "sso:{{{{SessionName}}}}"
          groups:
            - developers
    kubernetes:
      - apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {{name: developers-edit, namespace: dev}}
        roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
        subjects:
          - {{apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}}
"""
    path = tmp_path / "sso-aws-auth.yaml"
    path.write_text(head.replace("name: sso-permission-set-reprovisioned", "name: sso-aws-auth") + row + tail)
    return path


@pytest.mark.parametrize("form", FORMS)
def test_an_aws_auth_row_of_the_old_role_is_pointed_at_the_current_one(form: str, tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", str(_aws_auth_scenario(tmp_path))) as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, report = doctor_json(env, "--admin-profile", "admin")
        assert code == 1
        found = _only(report, "SSO_ROLE_STALE_SUFFIX")
        assert f"aws-auth mapRoles row for arn:aws:iam::{ACCT}:role/{OLD}" in found["detail"]
        _paste(env, found, form)
        _works_as_the_sso_session(env, "sso:alice-example.com")


@pytest.mark.parametrize("form", FORMS)
def test_a_binding_naming_the_email_address_is_named_and_its_fix_works(form: str, tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "sso-session-email-binding") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        assert _whoami(env) == "sso:alice-example.com"  # {{SessionName}}: '@' became '-'
        assert run(env, [require("kubectl"), "get", "pods"]).returncode != 0  # Forbidden before
        code, report = doctor_json(env, "--admin-profile", "admin")
        assert code == 1
        found = _only(report, "SSO_SESSION_NAME_AT")
        for said in ("RoleBinding alice-edit", "'sso:alice@example.com'", "'sso:alice-example.com'", "Dev"):
            assert said in found["detail"], found["detail"]
        _paste(env, found, form)
        _works_as_the_sso_session(env, "sso:alice-example.com")
        can_i = run(env, [require("kubectl"), "auth", "can-i", "create", "deployments", "-n", "dev"])
        assert can_i.stdout.strip() == "yes"
