"""Effective access level and reach, probed through the whole authorizer chain."""

from __future__ import annotations

import random
from typing import Any

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.features.analyze.levels import AccessLevel, LevelIndex, effective_access

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


VERBS = ["get", "list", "create", "update", "delete", "*", "escalate"]
RESOURCES = [
    ("", "pods"),
    ("", "pods/exec"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "services"),
    ("apps", "deployments"),
    (RBAC, "roles"),
    (RBAC, "rolebindings"),
    ("", "*"),
    ("*", "*"),
    ("apps", "*"),
]
POLICIES = [
    "AmazonEKSViewPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSClusterAdminPolicy",
]


def random_rule(rng: random.Random) -> dict[str, Any]:
    group, resource = rng.choice(RESOURCES)
    rule: dict[str, Any] = {
        "apiGroups": [group],
        "resources": [resource],
        "verbs": rng.sample(VERBS, rng.randint(1, 4)),
    }
    if rng.random() < 0.1:
        rule["resourceNames"] = ["x"]
    return rule


def random_cluster(rng: random.Random) -> tuple[list[dict[str, Any]], list[str]]:
    namespaces = [f"ns{i}" for i in range(6)]
    groups = [f"g{i}" for i in range(12)]
    manifests: list[dict[str, Any]] = [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"cr{i}"},
            "rules": [random_rule(rng) for _ in range(rng.randint(1, 4))],
        }
        for i in range(15)
    ]
    manifests += [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "Role",
            "metadata": {"name": f"r{i}", "namespace": rng.choice(namespaces)},
            "rules": [random_rule(rng) for _ in range(rng.randint(1, 3))],
        }
        for i in range(8)
    ]
    roles = [f"cr{i}" for i in range(15)] + ["view", "edit", "admin", "cluster-admin", "missing"]
    for i in range(30):
        subject = {"kind": "Group", "name": rng.choice(groups), "apiGroup": RBAC}
        if rng.random() < 0.2:
            manifests.append(
                {
                    "apiVersion": f"{RBAC}/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": f"crb{i}"},
                    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": rng.choice(roles)},
                    "subjects": [subject],
                }
            )
        elif rng.random() < 0.3:
            role = rng.choice([m for m in manifests if m["kind"] == "Role"])
            manifests.append(
                rb(
                    f"rb{i}",
                    role["metadata"]["namespace"],
                    role["metadata"]["name"],
                    subject["name"],
                    kind="Role",
                )
            )
        else:
            manifests.append(rb(f"rb{i}", rng.choice(namespaces), rng.choice(roles), subject["name"]))
    return manifests, groups


def random_policies(rng: random.Random) -> list[AccessPolicyAssociation]:
    out = []
    for _ in range(rng.randint(0, 2)):
        if rng.random() < 0.3:
            out.append(assoc(rng.choice(POLICIES[:3])))
        else:
            out.append(
                assoc(
                    rng.choice(POLICIES),
                    *rng.sample(["ns0", "ns1", "ns*", "ns2", "other", "*"], rng.randint(1, 2)),
                )
            )
    return out


@pytest.mark.parametrize("seed", range(6))
def test_level_index_equals_the_probing_reference(seed: int) -> None:
    rng = random.Random(seed)
    manifests, groups = random_cluster(rng)
    authz = Authorizer.from_manifests(manifests)
    index = LevelIndex(authz)
    for i in range(60):
        who = [*rng.sample(groups, rng.randint(0, 3)), "system:authenticated"]
        if rng.random() < 0.03:
            who.append("system:masters")
        policies = random_policies(rng)
        reference = effective_access(
            authz, username=f"u{i}", groups=who, policies=policies, principal_arn="arn:x"
        )
        assert index.access(username=f"u{i}", groups=who, policies=policies) == reference, (who, policies)
