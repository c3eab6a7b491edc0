"""Permission sets resolved through IAM's ListRoles (an in-memory IAM: tests/support/fake_cluster.py) and
the plan's drift when the set's role was recreated with another suffix (pure, on a ClusterState)."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError, RemoteError
from eksaccess.features.manage.desired import parse_cluster_access
from eksaccess.features.manage.permission_set import resolve_permission_set, resolver
from eksaccess.features.manage.plan import plan_access
from eksaccess.features.manage.steps import StepCode
from support.fake_cluster import FakeEks

ACCT = "111122223333"
SSO = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/"
OLD = f"{SSO}AWSReservedSSO_Dev_0123456789abcdef"
NEW = f"{SSO}AWSReservedSSO_Dev_fedcba9876543210"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
ROLES = [
    NEW,
    f"{SSO}AWSReservedSSO_DevOps_0123456789abcdef",
    f"{SSO}AWSReservedSSO_Ops_0123456789abcdef",
    f"{SSO}eu-west-1/AWSReservedSSO_Ops_fedcba9876543210",
    f"arn:aws:iam::{ACCT}:role/teams/AWSReservedSSO_Dev_aaaaaaaaaaaaaaaa",
]


def test_the_one_role_of_the_set_is_found() -> None:
    iam = FakeEks(roles=ROLES)
    assert resolve_permission_set(iam, "Dev", ACCT, operator_account=ACCT) == NEW


@pytest.mark.parametrize(
    ("name", "account", "said"),
    [
        ("Nope", ACCT, "the permission set Nope has no role in account 111122223333"),
        ("dev", ACCT, "the permission set dev has no role"),  # names are compared as IAM spells them
        ("Ops", ACCT, "the permission set Ops has 2 roles"),
        ("Dev", "444455556666", "cannot be resolved with credentials of account 111122223333"),
        ("Dev", "1234", "is not a 12-digit AWS account id"),
        ("a b", ACCT, "is not a permission set name"),
    ],
)
def test_none_several_or_another_account_is_bad_input(name: str, account: str, said: str) -> None:
    with pytest.raises(InputError, match=said):
        resolve_permission_set(FakeEks(roles=ROLES), name, account, operator_account=ACCT)


def test_iam_refusing_list_roles_is_a_failed_call() -> None:
    denied = AwsCallError(AwsErrorKind.ACCESS_DENIED, "not authorized: iam:ListRoles", operation="ListRoles")
    iam = FakeEks(roles=ROLES, fail_on=lambda op: denied if op == "ListRoles" else None)
    with pytest.raises(RemoteError, match="permission set Dev"):
        resolve_permission_set(iam, "Dev", ACCT, operator_account=ACCT)


def test_the_resolver_asks_iam_once_per_set() -> None:
    iam = FakeEks(roles=ROLES)
    resolve = resolver(iam, ACCT)
    assert resolve("Dev", ACCT) == resolve("Dev", ACCT) == NEW
    assert iam.calls.count("ListRoles") == 1


def _state(entry_arn: str, mode: str = "API") -> ClusterState:
    entries: list[dict[str, Any]] = [
        {
            "principalArn": entry_arn,
            "accessPolicies": [
                {"policyArn": EDIT, "accessScope": {"type": "namespace", "namespaces": ["dev"]}}
            ],
        }
    ]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "accessEntries": entries,
        }
    )


FILE = """apiVersion: eksaccess/v1
kind: ClusterAccess
cluster: {name: demo}
principals:
  - permissionSet: {name: Dev, account: "111122223333"}
    policies: [{policy: edit, namespaces: [dev]}]
"""


def test_plan_is_a_no_op_while_the_role_is_the_same() -> None:
    plan = plan_access(_state(NEW), parse_cluster_access(FILE), resolve_set=lambda name, account: NEW)
    assert plan.steps == ()


def test_plan_replaces_the_entry_of_the_earlier_role_and_says_why() -> None:
    plan = plan_access(_state(OLD), parse_cluster_access(FILE), resolve_set=lambda name, account: NEW)
    steps = {(s.code, s.principal): s for s in plan.steps}
    assert set(steps) == {
        (StepCode.ENTRY_CREATE, NEW),
        (StepCode.POLICY_ASSOCIATE, NEW),
        (StepCode.ENTRY_DELETE, OLD),
    }
    why = steps[(StepCode.ENTRY_DELETE, OLD)].describe()
    assert "the permission set Dev (account 111122223333) was provisioned again" in why
    assert "AWSReservedSSO_Dev_fedcba9876543210" in why
    assert any(NEW in notice for notice in plan.notices)


def test_a_file_naming_permission_sets_needs_iam() -> None:
    with pytest.raises(InputError, match="resolving them needs IAM"):
        plan_access(_state(NEW), parse_cluster_access(FILE))
