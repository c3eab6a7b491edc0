"""``revoke ARN --policy P -n NS``: the policy goes from those namespaces only. EKS replaces an association's
scope when the policy is associated again
(https://docs.aws.amazon.com/eks/latest/APIReference/API_AssociateAccessPolicy.html), so the access entry
keeps its other namespaces by a re-association; on aws-auth only the groups of those namespaces go."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.access import AccessScope, ScopeType
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke
from eksaccess.features.manage.steps import StepCode
from eksaccess.features.manage.via import Via

ACCT = "111122223333"
DEV = f"arn:aws:iam::{ACCT}:role/developer"
OPS = f"arn:aws:iam::{ACCT}:role/ops"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
MAP_ROLES = f"""- rolearn: {OPS}
  username: ops
  groups: [eksaccess:edit:a, eksaccess:edit:b, eksaccess:view:a, team]
"""


def _state() -> ClusterState:
    entries: list[dict[str, Any]] = [
        {
            "principalArn": DEV,
            "accessPolicies": [
                {"policyArn": EDIT, "accessScope": {"type": "namespace", "namespaces": ["a", "b"]}}
            ],
        },
        {
            "principalArn": ADMIN,
            "accessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}],
        },
    ]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": "API_AND_CONFIG_MAP",
            "accessEntries": entries,
            "awsAuth": {"mapRoles": MAP_ROLES},
        }
    )


def test_one_namespace_of_two_is_a_scope_update() -> None:
    plan = plan_revoke(_state(), RevokeRequest(arn=DEV, policy="edit", namespaces=("b",)))
    assert [(s.code, s.scope) for s in plan.steps] == [
        (StepCode.POLICY_UPDATE, AccessScope(type=ScopeType.NAMESPACE, namespaces=("a",)))
    ]


def test_the_last_namespaces_disassociate() -> None:
    plan = plan_revoke(_state(), RevokeRequest(arn=DEV, policy="edit", namespaces=("a", "b")))
    assert [s.code for s in plan.steps] == [StepCode.POLICY_DISASSOCIATE]


def test_a_namespace_it_does_not_hold_plans_nothing() -> None:
    plan = plan_revoke(_state(), RevokeRequest(arn=DEV, policy="edit", namespaces=("c",)))
    assert plan.steps == ()


def test_aws_auth_loses_only_that_namespaces_group_of_that_policy() -> None:
    plan = plan_revoke(_state(), RevokeRequest(arn=OPS, policy="edit", namespaces=("a",)))
    assert [(s.code, s.groups) for s in plan.steps] == [
        (StepCode.ROLE_UPSERT, ("eksaccess:edit:b", "eksaccess:view:a", "team"))
    ]


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"arn": DEV, "namespaces": ("a",)}, "-n/--namespace narrows --policy"),
        ({"arn": DEV, "policy": "edit", "namespaces": ("Bad_NS!",)}, "Bad_NS!"),
    ],
)
def test_refused_before_anything_is_read(request_args: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        RevokeRequest(**request_args)
    assert message in err.value.message


def test_a_cluster_wide_policy_has_no_namespace_to_take() -> None:
    with pytest.raises(InputError) as err:
        plan_revoke(
            _state(),
            RevokeRequest(arn=ADMIN, policy="cluster-admin", namespaces=("a",), via=Via.ACCESS_ENTRY),
        )
    assert "held cluster-wide" in err.value.message
