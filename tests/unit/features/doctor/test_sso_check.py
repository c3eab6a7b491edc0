"""SSO_SESSION_NAME_AT's near miss: a binding that would allow the request if its subject, written with the
e-mail address, were the name ``{{SessionName}}`` rendered (``@`` -> ``-``); and the mapping findings of a
permission set's role naming the set."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.adapters.aws import CallerIdentity
from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.identity import Caller, KubeIdentity, resolve
from eksaccess.domain.iam.sso import permission_set_role
from eksaccess.domain.iam.templates import at_sign_near_miss
from eksaccess.features.doctor.checks.mapping import mapping
from eksaccess.features.doctor.checks.sso import entry_fix
from eksaccess.features.doctor.checks.subject_case import subject_misses
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target

ALICE = KubeIdentity(
    username="sso:alice-example.com", uid="u", groups=("team-alice-example.com", "system:authenticated")
)
LIST_PODS = Attributes(verb="list", resource="pods", namespace="dev")


def _binding(kind: str, name: str, role: str = "edit", namespace: str | None = "dev") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "b"}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}],
    }


@pytest.mark.parametrize(
    ("binding", "found"),
    [
        (
            _binding("User", "sso:alice@example.com"),
            [("User", "sso:alice@example.com", "sso:alice-example.com")],
        ),
        (
            _binding("Group", "team-alice@example.com"),
            [("Group", "team-alice@example.com", "team-alice-example.com")],
        ),
        (
            _binding("User", "sso:alice@example.com", namespace=None),
            [("User", "sso:alice@example.com", "sso:alice-example.com")],
        ),
        (_binding("User", "sso:alice-example.com"), []),  # spelled as rendered: it applies
        (_binding("User", "sso:alice@example.com", namespace="prod"), []),  # would not allow a request in dev
        (
            _binding("User", "sso:alice@example.com", role="system:discovery"),
            [],
        ),  # the role does not allow it
        (_binding("User", "sso:bob@example.com"), []),  # someone else
        (_binding("User", "SSO:alice@example.com"), []),  # another case too: not this near miss
    ],
)
def test_at_misses(binding: dict[str, Any], found: list[tuple[str, str, str]]) -> None:
    manifests = [binding]
    got = subject_misses(manifests, Authorizer.from_manifests(manifests), ALICE, LIST_PODS, at_sign_near_miss)
    assert [(m.kind, m.written, m.wanted) for m in got] == found


# --- the mapping findings name the permission set ---------------------------------------------------------

ACCOUNT = "111122223333"
SSO_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Dev_fedcba9876543210/alice@example.com"
RESERVED = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_fedcba9876543210"


def _facts() -> Facts:
    target = Target(
        cluster_name="prod",
        token_cluster_name="prod",
        region="eu-west-1",
        token_region="eu-west-1",
        profile="dev",
        role_arn=None,
        context="prod",
        server="https://prod.example",
        ca_data="Q0E=",
        namespace=None,
        plugin=None,
        exec_command="aws",
    )
    facts = Facts(target=target, options=DoctorOptions())
    facts.caller = Outcome(value=CallerIdentity(arn=SSO_SESSION, account=ACCOUNT, user_id="AROAX:alice"))
    return facts


@pytest.mark.parametrize(
    ("mode", "aws_auth", "code"),
    [
        (AuthenticationMode.API, None, FindingCode.ACCESS_ENTRY_MISSING),
        (AuthenticationMode.CONFIG_MAP, {"mapRoles": ""}, FindingCode.AWS_AUTH_ENTRY_MISSING),
        # the reserved path in aws-auth: the role-path rule, and the set named
        (
            AuthenticationMode.CONFIG_MAP,
            {"mapRoles": f"- rolearn: {RESERVED}\n  username: a\n"},
            FindingCode.AWS_AUTH_ROLE_PATH,
        ),
    ],
)
def test_mapping_findings_of_an_sso_role_name_its_permission_set(
    mode: AuthenticationMode, aws_auth: dict[str, str] | None, code: FindingCode
) -> None:
    resolution = resolve(
        mode=mode,
        access_entries=[],
        aws_auth=parse_aws_auth(aws_auth),
        caller=Caller(arn=SSO_SESSION, account=ACCOUNT, user_id="AROAX:alice@example.com"),
        aws_auth_data=aws_auth,
    )
    findings = mapping(
        _facts(), resolution, mode, parse_aws_auth(aws_auth), live_unauthorized=True, token_ok=True
    )
    assert [f.code for f in findings] == [code]
    assert "the IAM Identity Center permission set Dev, account 111122223333" in findings[0].detail


# --- the fix of a stale suffix keeps the old entry's settings ---------------------------------------------

OLD_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef"
WRITER = Writer(cluster="prod", region="eu-west-1", profile="admin")


@pytest.mark.parametrize(
    ("entry", "eksaccess_has", "plain_has"),
    [
        # nothing but the entry: grant still has something to give
        (AccessEntry(principal_arn=OLD_ROLE), ["--type STANDARD"], []),
        # a username of its own and groups are carried over, in both forms
        (
            AccessEntry(principal_arn=OLD_ROLE, username="sso:{{SessionName}}", kubernetes_groups=("devs",)),
            ["--username 'sso:{{SessionName}}'", "--group devs"],
            ["--username 'sso:{{SessionName}}'", "--kubernetes-groups devs"],
        ),
    ],
)
def test_the_entry_fix_recreates_the_old_entry_for_the_current_role(
    entry: AccessEntry, eksaccess_has: list[str], plain_has: list[str]
) -> None:
    current = permission_set_role(SSO_SESSION)
    old = permission_set_role(OLD_ROLE)
    assert current is not None and old is not None
    (step,) = entry_fix(WRITER, entry, current, old)
    grant, revoke = step.eksaccess
    assert grant.startswith("eksaccess grant --permission-set Dev --account 111122223333 --cluster prod")
    assert revoke.startswith(f"eksaccess revoke {OLD_ROLE} --cluster prod --via access-entry --force")
    assert all(part in grant for part in eksaccess_has), grant
    create, *_, delete = step.plain
    # the old entry's path (a region segment included) with the current role's name
    new_arn = OLD_ROLE.replace("0123456789abcdef", "fedcba9876543210")
    assert f"create-access-entry --cluster-name prod --principal-arn {new_arn}" in create
    assert all(part in create for part in plain_has), create
    assert f"delete-access-entry --cluster-name prod --principal-arn {OLD_ROLE}" in delete
