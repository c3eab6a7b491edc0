"""The audit's JSON: bindings by name (the groups' once per cluster), chains as the roles on the way, and
a size that does not grow as principals x bindings."""

from __future__ import annotations

import json
from typing import Any

from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, audit

A = "111122223333"
RBAC = "rbac.authorization.k8s.io"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{A}:role/{name}"


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{A}:user/{name}"


def binding(kind: str, name: str, subjects: list[tuple[str, str]], namespace: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": k, "name": n, "apiGroup": RBAC} for k, n in subjects],
    }


def state(principals: int, manifests: list[dict[str, Any]]) -> ClusterState:
    entries = [
        {"principalArn": role_arn(f"r{i}"), "kubernetesGroups": ["devs"], "username": f"u{i}"}
        for i in range(principals)
    ]
    entries.append({"principalArn": role_arn("ops"), "kubernetesGroups": ["ops"], "username": "ops"})
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "c1", "region": "us-west-2", "accountId": A},
            "authenticationMode": "API",
            "accessEntries": entries,
            "kubernetes": [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}},
                *manifests,
            ],
        }
    )


MANIFESTS = [
    binding("ClusterRoleBinding", "devs-view", [("Group", "devs")]),
    binding("RoleBinding", "devs-and-ops", [("Group", "ops"), ("Group", "devs")], "dev"),
    binding("ClusterRoleBinding", "u0-own", [("User", "u0"), ("Group", "devs")]),
    binding("ClusterRoleBinding", "everyone", [("Group", "system:authenticated")]),
    binding("ClusterRoleBinding", "nobody-here", [("Group", "other")]),
]


def cluster_json(principals: int = 3, iam: Any = None) -> dict[str, Any]:
    report = audit([AuditInput(state=state(principals, MANIFESTS))], iam=iam)
    out: dict[str, Any] = report.to_json()
    return out


def test_group_bindings_are_listed_once_per_cluster_and_user_bindings_per_principal() -> None:
    cluster = cluster_json()["clusters"][0]
    crb, rb = "ClusterRoleBinding", "RoleBinding"
    assert cluster["groupBindings"] == {
        "devs": [f'{crb} "devs-view"', f'{rb} "devs-and-ops/dev"', f'{crb} "u0-own"'],
        "ops": [f'{rb} "devs-and-ops/dev"'],
    }
    assert cluster["bindings"] == {
        f'{crb} "devs-view"': 'ClusterRole "view"',
        f'{rb} "devs-and-ops/dev"': 'ClusterRole "view"',
        f'{crb} "u0-own"': 'ClusterRole "view"',
    }  # bindings only system:authenticated or groups nobody has are left out
    rows = {p["username"]: p for p in cluster["principals"]}
    assert rows["u0"]["userBindings"] == [f'{crb} "u0-own"']
    assert rows["u1"]["userBindings"] == [] and rows["ops"]["userBindings"] == []


def test_user_and_group_bindings_together_are_every_binding_the_principal_holds() -> None:
    report = audit([AuditInput(state=state(3, MANIFESTS))])
    data = report.to_json()["clusters"][0]
    rows = {p["arn"]: p for p in data["principals"]}
    for p in report.clusters[0].principals:
        assert p.identity is not None
        row = rows[p.arn]
        named = set(row["userBindings"]) | {
            b for g in row["groups"] for b in data["groupBindings"].get(g, [])
        }
        held = {  # what applies other than through system:authenticated, which every identity has
            b.describe()
            for b in p.bindings
            if any(
                s.name in (p.identity.username, *p.identity.groups) and s.name != "system:authenticated"
                for s in b.subjects
            )
        }
        assert named == held, p.arn


def test_the_json_does_not_repeat_shared_bindings_per_principal() -> None:
    small, large = cluster_json(10), cluster_json(400)
    text = json.dumps(large)
    assert text.count("devs-view") == 2  # its entry in "bindings" and in groupBindings["devs"]
    per_principal = (len(text) - len(json.dumps(small))) / 390
    assert per_principal < 700, per_principal


def test_chains_name_the_roles_on_the_way_and_people_point_at_the_principal() -> None:
    iam = parse_authorization_details(
        {
            "UserDetailList": [{"UserName": "alice", "Arn": user_arn("alice")}],
            "RoleDetailList": [
                {
                    "RoleName": name,
                    "Arn": role_arn(name),
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}
                        ]
                    },
                }
                for name, trusted in (("r0", role_arn("jump")), ("jump", user_arn("alice")))
            ],
        }
    )
    data = cluster_json(1, iam=[iam])
    row = next(p for p in data["clusters"][0]["principals"] if p["arn"] == role_arn("r0"))
    assert row["reachableBy"] == [
        {"arn": role_arn("jump"), "kind": "role", "via": [], "conditional": False},
        {"arn": user_arn("alice"), "kind": "user", "via": [role_arn("jump")], "conditional": False},
    ]
    assert data["people"] == [
        {
            "arn": user_arn("alice"),
            "access": [
                {
                    "cluster": f"{A}/us-west-2/c1",
                    "principal": role_arn("r0"),
                    "level": "view",
                    "via": [role_arn("jump")],
                }
            ],
        }
    ]
