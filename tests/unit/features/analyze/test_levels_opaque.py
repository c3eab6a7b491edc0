"""A level that depends on an access policy whose rules AWS does not publish is shown as unknown.

The published tables and the opaque policies: domain/data/access_policy_rules.yaml (from
https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html). Both evaluators (the
reference ``effective_access`` and the audit's ``LevelIndex``) say the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.cli.audit_text import render_text
from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, audit
from eksaccess.features.analyze.levels import Access, AccessLevel, LevelIndex, effective_access

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
RBAC = "rbac.authorization.k8s.io"
AUTHZ = Authorizer.from_manifests(
    [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "dev-view", "namespace": "dev"},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "Group", "name": "devs", "apiGroup": RBAC}],
        }
    ]
)


def assoc(name: str, *namespaces: str) -> AccessPolicyAssociation:
    scope = (
        AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces)
        if namespaces
        else AccessScope(type=ScopeType.CLUSTER)
    )
    return AccessPolicyAssociation(policy_arn=POLICY + name, scope=scope)


CASES: list[tuple[str, list[str], list[AccessPolicyAssociation], AccessLevel, tuple[str, ...], str]] = [
    (
        "only an opaque policy",
        [],
        [assoc("AmazonEKSACKPolicy")],
        AccessLevel.CUSTOM,
        ("AmazonEKSACKPolicy",),
        "unknown (opaque policy AmazonEKSACKPolicy)",
    ),
    (
        "two opaque policies",
        [],
        [assoc("AmazonEKSArgoCDClusterPolicy"), assoc("AmazonEKSArgoCDPolicy", "argocd")],
        AccessLevel.CUSTOM,
        ("AmazonEKSArgoCDClusterPolicy", "AmazonEKSArgoCDPolicy"),
        "unknown (opaque policies AmazonEKSArgoCDClusterPolicy, AmazonEKSArgoCDPolicy)",
    ),
    (
        "an unknown policy name",
        [],
        [assoc("AmazonEKSFuturePolicy")],
        AccessLevel.CUSTOM,
        ("AmazonEKSFuturePolicy",),
        "unknown (opaque policy AmazonEKSFuturePolicy)",
    ),
    (
        "view through RBAC, and an opaque policy",
        ["devs"],
        [assoc("AmazonEKSSecretAdminPolicy", "dev")],
        AccessLevel.VIEW,
        ("AmazonEKSSecretAdminPolicy",),
        "view or more (opaque policy AmazonEKSSecretAdminPolicy)",
    ),
    (
        "cluster-admin cannot be more",
        [],
        [assoc("AmazonEKSClusterAdminPolicy"), assoc("AmazonEKSKROPolicy")],
        AccessLevel.CLUSTER_ADMIN,
        (),
        "cluster-admin",
    ),
    (
        "published tables only",
        [],
        [assoc("AmazonEKSEditPolicy", "dev"), assoc("AmazonEKSHybridPolicy")],
        AccessLevel.EDIT,
        (),
        "edit",
    ),
]


@pytest.mark.parametrize(
    ("groups", "policies", "level", "opaque", "label"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_opaque_policies_are_named_in_the_level(
    groups: list[str],
    policies: list[AccessPolicyAssociation],
    level: AccessLevel,
    opaque: tuple[str, ...],
    label: str,
) -> None:
    reference = effective_access(AUTHZ, username="u", groups=groups, policies=policies)
    indexed = LevelIndex(AUTHZ).access(username="u", groups=groups, policies=policies)
    for found in (reference, indexed):
        assert (found.level, found.opaque, found.label) == (level, opaque, label)
    data: dict[str, Any] = indexed.to_json()
    assert data["level"] == str(level) and data["opaquePolicies"] == list(opaque)


def test_no_policy_no_opaque() -> None:
    found = LevelIndex(AUTHZ).access(username="u", groups=["devs"])
    assert found == Access(level=AccessLevel.VIEW, reach=("dev",), namespaces={"dev": AccessLevel.VIEW})
    assert found.label == "view"


def test_audit_shows_the_opaque_policy_in_level_and_policies() -> None:
    ack = "arn:aws:iam::111122223333:role/ack-capability"
    cluster_state = ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "c1", "region": "us-west-2", "accountId": "111122223333"},
            "authenticationMode": "API",
            "accessEntries": [
                {
                    "principalArn": ack,
                    "accessPolicies": [
                        {"policyArn": POLICY + "AmazonEKSACKPolicy", "accessScope": {"type": "cluster"}}
                    ],
                }
            ],
            "kubernetes": [],
        }
    )
    report = audit([AuditInput(state=cluster_state)])
    (principal,) = [p for p in report.clusters[0].principals if p.arn == ack]
    assert principal.policies == ("AmazonEKSACKPolicy (cluster; opaque: rules not published)",)
    row = principal.to_json()
    assert row["level"] == "custom" and row["opaquePolicies"] == ["AmazonEKSACKPolicy"]
    line = next(line for line in render_text(report).splitlines() if ack in line)
    assert "unknown (opaque policy AmazonEKSACKPolicy)" in line
