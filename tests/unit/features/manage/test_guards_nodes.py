"""The guard's node and reserved-name rules, on plans built the way grant / apply build them.

A node role's identity (username ``system:node:<name>`` and the node groups) is what the Node authorizer
needs: any change that takes a node row or node access entry off it is refused without --force. An
aws-auth row given a ``system:`` username other than a node username is refused the same way.
"""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.apply import LockoutError, guard
from eksaccess.features.manage.connect import LiveView
from eksaccess.features.manage.desired import parse_cluster_access
from eksaccess.features.manage.grant import GrantRequest, plan_grant
from eksaccess.features.manage.guards import check_lockout
from eksaccess.features.manage.plan import Plan, plan_access
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke
from eksaccess.features.manage.via import Via

ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
NODES = f"arn:aws:iam::{ACCT}:role/Node-Role"
FARGATE = f"arn:aws:iam::{ACCT}:role/pod-execution"
WIN = f"arn:aws:iam::{ACCT}:role/win-nodes"
EC2_ENTRY = f"arn:aws:iam::{ACCT}:role/entry-nodes"
OPS = f"arn:aws:iam::{ACCT}:role/ops"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

MAP_ROLES = f"""- rolearn: {NODES}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: {FARGATE}
  username: system:node:{{{{SessionName}}}}
  groups: [system:bootstrappers, system:nodes, system:node-proxier]
- rolearn: {WIN}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]
- rolearn: {OPS}
  username: system:ops
  groups: [ops]
"""


def state(mode: str = "API_AND_CONFIG_MAP") -> ClusterState:
    entries: list[dict[str, Any]] = [
        {
            "principalArn": ADMIN,
            "accessPolicies": [{"policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}],
        },
        {"principalArn": EC2_ENTRY, "type": "EC2_LINUX"},
    ]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "accessEntries": entries if mode != "CONFIG_MAP" else [],
            "awsAuth": {"mapRoles": MAP_ROLES},
        }
    )


def codes(plan: Plan) -> set[FindingCode]:
    found = check_lockout(plan.before, plan.after, operator=Caller(arn=ADMIN), touched=plan.touched())
    return {v.code for v in found}


def grant(arn: str, **kw: Any) -> Plan:
    return plan_grant(state(), GrantRequest(arn=arn, via=kw.pop("via", Via.AWS_AUTH), **kw))


def desired(*principals: str) -> Plan:
    text = "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo}\nprincipals:\n" + "".join(
        principals
    )
    return plan_access(state(), parse_cluster_access(text))


@pytest.mark.parametrize(
    ("name", "plan", "expected"),
    [
        # the example: the node row's username rewritten, system:nodes kept
        (
            "username replaced",
            lambda: grant(NODES, username="hacker", groups=("devs",)),
            {"node-identity-changed"},
        ),
        ("username only", lambda: grant(NODES, username="hacker"), {"node-identity-changed"}),
        (
            "EC2 row given Fargate's username",
            lambda: grant(NODES, username="system:node:{{SessionName}}"),
            {"node-identity-changed"},
        ),
        (
            "Fargate row given the EC2 username",
            lambda: grant(FARGATE, username="system:node:{{EC2PrivateDNSName}}"),
            {"node-identity-changed"},
        ),
        (
            "node row loses system:bootstrappers",
            lambda: desired(
                f"  - {{arn: '{NODES}', via: aws-auth, username: 'system:node:{{{{EC2PrivateDNSName}}}}', "
                "groups: [system:nodes]}\n"
            ),
            {"node-identity-changed"},
        ),
        (
            "Windows row loses eks:kube-proxy-windows",
            lambda: desired(
                f"  - {{arn: '{WIN}', via: aws-auth, username: 'system:node:{{{{EC2PrivateDNSName}}}}', "
                "groups: [system:bootstrappers, system:nodes]}\n"
            ),
            {"node-identity-changed"},
        ),
        (
            "node row loses system:nodes",
            lambda: desired(f"  - {{arn: '{NODES}', via: aws-auth, username: x, groups: [devs]}}\n"),
            {"node-loses-system-nodes"},
        ),
        (
            "node row removed",
            lambda: plan_revoke(state(), RevokeRequest(arn=NODES)),
            {"node-loses-system-nodes"},
        ),
        (
            "node access entry becomes STANDARD",
            lambda: desired(
                f"  - {{arn: '{EC2_ENTRY}', via: access-entry, type: STANDARD, groups: [devs]}}\n"
            ),
            {"node-loses-system-nodes"},
        ),
        (
            "node role shadowed by a STANDARD access entry",
            lambda: grant(NODES, via=Via.ACCESS_ENTRY, groups=("devs",)),
            {"node-loses-system-nodes"},
        ),
        # harmless: the node identity stays whole
        ("a group added to a node row", lambda: grant(NODES, groups=("monitoring",)), set()),
        (
            "the node username written again, with a group",
            lambda: grant(NODES, username="system:node:{{EC2PrivateDNSName}}", groups=("monitoring",)),
            set(),
        ),
        ("a group added to a Fargate row", lambda: grant(FARGATE, groups=("monitoring",)), set()),
        (
            "a node row listed whole with one group more",
            lambda: desired(
                f"  - {{arn: '{WIN}', via: aws-auth, username: 'system:node:{{{{EC2PrivateDNSName}}}}', "
                "groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows, monitoring]}\n"
            ),
            set(),
        ),
        ("an unrelated grant", lambda: grant(ALICE, groups=("devs",)), set()),
    ],
)
def test_node_identity(name: str, plan: Any, expected: set[str]) -> None:
    built = plan()
    assert built.steps, name
    assert {str(c) for c in codes(built)} == expected, name


def test_the_refusal_names_the_row_and_how_to_proceed() -> None:
    plan = grant(NODES, username="hacker", groups=("devs",))
    [violation] = check_lockout(plan.before, plan.after, operator=Caller(arn=ADMIN), touched=plan.touched())
    message = violation.detail
    assert violation.subject == NODES
    assert "aws-auth mapRoles[0]" in message
    assert "username would be hacker" in message
    assert "system:node:{{EC2PrivateDNSName}}" in message
    assert "--force" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "plan", "refused"),
    [
        ("new row with system:admin", lambda: grant(ALICE, username="system:admin"), True),
        ("new row with system:masters as username", lambda: grant(ALICE, username="system:masters"), True),
        ("row renamed to system:", lambda: grant(NODES, username="system:hacker"), True),
        (
            "a node username on a node row",
            lambda: grant(
                f"arn:aws:iam::{ACCT}:role/new-nodes", username="system:node:{{EC2PrivateDNSName}}"
            ),
            False,
        ),
        (
            "a Fargate node username",
            lambda: grant(f"arn:aws:iam::{ACCT}:role/new-pods", username="system:node:{{SessionName}}"),
            False,
        ),
        ("a plain username", lambda: grant(ALICE, username="alice"), False),
        # a row that already has a system: username is not this change's doing
        ("a group added to a row already named system:ops", lambda: grant(OPS, groups=("devs",)), False),
    ],
)
def test_reserved_aws_auth_usernames(name: str, plan: Any, refused: bool) -> None:
    assert (FindingCode.RESERVED_USERNAME in codes(plan())) is refused, name


@pytest.mark.parametrize(
    "plan",
    [
        lambda: grant(NODES, username="hacker", groups=("devs",)),
        lambda: grant(ALICE, username="system:admin"),
        lambda: plan_revoke(state(), RevokeRequest(arn=ADMIN)),
    ],
)
def test_guard_refuses_and_force_passes(plan: Any) -> None:
    built = plan()
    view = LiveView(state=built.before, aws_auth_version="1", operator=Caller(arn=ADMIN))
    with pytest.raises(LockoutError) as info:
        guard(built, view, force=False)
    assert isinstance(info.value, InputError) and info.value.exit_code == 2
    assert info.value.message.startswith("refusing to change access: ")
    guard(built, view, force=True)
