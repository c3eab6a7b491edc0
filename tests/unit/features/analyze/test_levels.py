"""Effective access level and reach, probed through the whole authorizer chain."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authorize import Authorizer
from eksaccess.features.analyze.levels import AccessLevel, effective_access

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
RBAC = "rbac.authorization.k8s.io"


def rb(name: str, namespace: str, role: str, group: str, kind: str = "ClusterRole") -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": RBAC, "kind": kind, "name": role},
        "subjects": [{"kind": "Group", "name": group, "apiGroup": RBAC}],
    }


MANIFESTS = [
    rb("a-view", "a", "view", "team"),
    rb("b-edit", "b", "edit", "team"),
    rb("c-admin", "c", "admin", "leads"),
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "node-reader"},
        "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}],
    },
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "node-readers"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "node-reader"},
        "subjects": [{"kind": "Group", "name": "nodes-team", "apiGroup": RBAC}],
    },
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "all-view"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "viewers", "apiGroup": RBAC}],
    },
]
AUTHZ = Authorizer.from_manifests(MANIFESTS)


def assoc(name: str, *namespaces: str) -> AccessPolicyAssociation:
    scope = (
        AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces)
        if namespaces
        else AccessScope(type=ScopeType.CLUSTER)
    )
    return AccessPolicyAssociation(policy_arn=POLICY + name, scope=scope)


CASES = [
    ("masters", ["system:masters"], [], "cluster-admin", ["*"]),
    ("cluster admin policy", [], [assoc("AmazonEKSClusterAdminPolicy")], "cluster-admin", ["*"]),
    ("admin policy in dev", [], [assoc("AmazonEKSAdminPolicy", "dev")], "admin", ["dev"]),
    ("edit policy everywhere", [], [assoc("AmazonEKSEditPolicy")], "edit", ["*"]),
    ("view policy on a pattern", [], [assoc("AmazonEKSViewPolicy", "dev-*")], "view", ["dev-*"]),
    ("rbac view in a, edit in b", ["team"], [], "edit", ["b"]),
    ("rbac view everywhere, admin in c", ["viewers", "leads"], [], "admin", ["c"]),
    ("only nodes", ["nodes-team"], [], "custom", []),
    ("secret reader policy", [], [assoc("AmazonEKSSecretReaderPolicy")], "custom", []),
    ("nothing", ["unbound"], [], "none", []),
]


@pytest.mark.parametrize(
    ("groups", "policies", "level", "reach"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_levels(
    groups: list[str], policies: list[AccessPolicyAssociation], level: str, reach: list[str]
) -> None:
    access = effective_access(
        AUTHZ,
        username="someone",
        groups=[*groups, "system:authenticated"],
        policies=policies,
        principal_arn="arn:x",
    )
    assert (access.level, list(access.reach)) == (AccessLevel(level), reach)


def test_namespaces_keep_lower_levels_elsewhere() -> None:
    access = effective_access(AUTHZ, username="u", groups=["team", "viewers", "system:authenticated"])
    assert dict(access.namespaces) == {"*": AccessLevel.VIEW, "b": AccessLevel.EDIT}
