"""Audit risk codes on purpose-built snapshots: each check fires on the case it is about, and stays quiet
on the look-alike that is fine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.trust import AccountIam, parse_authorization_details
from eksaccess.domain.risk import RISKS
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze import risks
from eksaccess.features.analyze.audit import AuditInput, ClusterFailure, audit

A = "111122223333"
B = "444455556666"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN_ENTRY = {
    "principalArn": f"arn:aws:iam::{A}:role/admin",
    "accessPolicies": [
        {"policyArn": POLICY + "AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}
    ],
}


def role_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def user_arn(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def entry(
    arn: str, policy: str | None = None, scope: Any = None, groups: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"principalArn": arn, "kubernetesGroups": list(groups), **extra}
    if policy:
        out["accessPolicies"] = [{"policyArn": POLICY + policy, "accessScope": scope or {"type": "cluster"}}]
    return out


def state(
    *,
    mode: str = "API_AND_CONFIG_MAP",
    entries: list[dict[str, Any]] | None = None,
    map_roles: list[dict[str, Any]] | None = None,
    manifests: list[dict[str, Any]] | None = None,
    namespaces: tuple[str, ...] | None = ("dev",),
    creator: str | None = None,
) -> ClusterState:
    kube = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces or ()]
    data: dict[str, Any] = {
        "apiVersion": "eksaccess/v1",
        "kind": "ClusterState",
        "cluster": {"name": "c1", "region": "us-west-2", "accountId": A, "creatorArn": creator},
        "authenticationMode": mode,
        "accessEntries": ([ADMIN_ENTRY] if mode != "CONFIG_MAP" else []) + (entries or []),
        "awsAuth": {"mapRoles": json.dumps(map_roles)} if map_roles else None,
        "kubernetes": kube + (manifests or []),
    }
    return ClusterState.model_validate(data)


def iam_account(users: list[dict[str, Any]] = (), roles: list[dict[str, Any]] = ()) -> AccountIam:  # type: ignore[assignment]
    return parse_authorization_details(
        {"UserDetailList": list(users), "RoleDetailList": list(roles)}, account=A
    )


def iam_role(name: str, trusted: Any, role_id: str | None = None) -> dict[str, Any]:
    return {
        "RoleName": name,
        "RoleId": role_id or f"AROA{name.upper()}",
        "Arn": role_arn(name),
        "AssumeRolePolicyDocument": {
            "Statement": [{"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}]
        },
    }


def iam_user(name: str, keys: int = 0) -> dict[str, Any]:
    return {
        "UserName": name,
        "UserId": f"AIDA{name.upper()}",
        "Arn": user_arn(name),
        "AccessKeyMetadata": [{"AccessKeyId": f"AKIA{i}", "Status": "Active"} for i in range(keys)],
    }


def cluster_role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules,
    }


def binding(
    kind: str, name: str, role: str, subjects: list[tuple[str, str]], namespace: str = ""
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": k, "name": n, "apiGroup": "rbac.authorization.k8s.io"} for k, n in subjects],
    }


def run(st: ClusterState, iam: list[AccountIam] | None = None) -> list[tuple[FindingCode, str]]:
    report = audit([AuditInput(state=st)], iam=iam)
    return [(r.code, r.subject) for r in report.risks]


def codes(st: ClusterState, iam: list[AccountIam] | None = None) -> set[FindingCode]:
    return {code for code, _ in run(st, iam)}


def test_every_code_has_a_catalogue_entry_and_a_check() -> None:
    assert list(RISKS) == [
        FindingCode.SYSTEM_MASTERS_OUTSIDE_CREATOR,
        FindingCode.WILDCARD_RULE,
        FindingCode.PRINCIPAL_NOT_IN_IAM,
        FindingCode.MAPPED_BY_BOTH,
        FindingCode.AWS_AUTH_SHADOWED,
        FindingCode.SCOPE_NAMESPACE_MISSING,
        FindingCode.USER_KEYS_CLUSTER_ADMIN,
        FindingCode.ROLE_ASSUMABLE_BY_ANYONE,
        FindingCode.ROLE_ASSUMABLE_CROSS_ACCOUNT,
        FindingCode.GROUP_WITHOUT_PRINCIPAL,
        FindingCode.ESCALATION_OUTSIDE_ADMINS,
        FindingCode.NO_CLUSTER_ADMIN,
        FindingCode.NODE_ROLE_CANNOT_JOIN,  # test_audit_node_roles.py
        FindingCode.WORKLOAD_ADMIN_ROLE_WIDE_REACH,  # test_audit_workload.py
        FindingCode.TRUST_ANY_SERVICE_ACCOUNT,
        FindingCode.TRUST_NO_AUDIENCE,
        FindingCode.TRUST_PROVIDER_GONE,
    ]
    assert len(risks.CHECKS) == 16


def test_a_clean_cluster_has_no_risk() -> None:
    st = state(
        entries=[entry(role_arn("dev"), "AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["dev"]})]
    )
    iam = [
        iam_account(
            roles=[iam_role("admin", {"AWS": user_arn("ops")}), iam_role("dev", {"AWS": user_arn("ops")})],
            users=[iam_user("ops")],
        )
    ]
    assert run(st, iam) == []


def test_system_masters_outside_the_creator() -> None:
    rows = [{"rolearn": role_arn("break-glass"), "username": "bg", "groups": ["system:masters"]}]
    assert (FindingCode.SYSTEM_MASTERS_OUTSIDE_CREATOR, role_arn("break-glass")) in run(state(map_roles=rows))
    creator_only = state(mode="CONFIG_MAP", creator=user_arn("creator"))
    assert FindingCode.SYSTEM_MASTERS_OUTSIDE_CREATOR not in codes(creator_only)


def test_wildcard_rules_in_own_roles_not_in_default_roles() -> None:
    manifests = [
        cluster_role("ops", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]),
        cluster_role("reader", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
        binding("ClusterRoleBinding", "ops", "ops", [("Group", "ops")]),
    ]
    found = [
        s
        for c, s in run(state(manifests=manifests, entries=[entry(role_arn("o"), groups=("ops",))]))
        if c is FindingCode.WILDCARD_RULE
    ]
    assert found == ['ClusterRole "ops"']


def test_principals_missing_from_iam_or_recreated() -> None:
    st = state(
        entries=[
            entry(role_arn("ghost"), "AmazonEKSViewPolicy"),
            entry(role_arn("recreated"), "AmazonEKSViewPolicy", principalId="AROAOLDID"),
            entry(role_arn("other", B), "AmazonEKSViewPolicy"),
        ]
    )
    iam = [
        iam_account(
            roles=[
                iam_role("admin", {"AWS": user_arn("x")}),
                iam_role("recreated", {"AWS": user_arn("x")}, "AROANEWID"),
            ]
        )
    ]
    found = [s for c, s in run(st, iam) if c is FindingCode.PRINCIPAL_NOT_IN_IAM]
    assert found == [role_arn("ghost"), role_arn("recreated")]  # account B is not known: not judged
    assert FindingCode.PRINCIPAL_NOT_IN_IAM not in codes(st)  # IAM not read: not judged


def test_mapped_by_both_and_shadowed_rows() -> None:
    same = state(
        entries=[entry(role_arn("dev"), groups=("devs",))],
        map_roles=[{"rolearn": role_arn("dev"), "groups": ["devs"]}],
    )
    assert {FindingCode.MAPPED_BY_BOTH} <= codes(same) and FindingCode.AWS_AUTH_SHADOWED not in codes(same)
    different = state(
        entries=[entry(role_arn("dev"), groups=("devs",))],
        map_roles=[{"rolearn": role_arn("dev"), "groups": ["devs", "ops"]}],
    )
    assert {FindingCode.MAPPED_BY_BOTH, FindingCode.AWS_AUTH_SHADOWED} <= codes(different)
    api = state(mode="API", map_roles=[{"rolearn": role_arn("old"), "groups": ["devs"]}])
    assert (FindingCode.AWS_AUTH_SHADOWED, role_arn("old")) in run(api)


def test_policies_scoped_to_missing_namespaces() -> None:
    scope = {"type": "namespace", "namespaces": ["dev", "prod", "de*", "tmp-*"]}
    st = state(entries=[entry(role_arn("dev"), "AmazonEKSEditPolicy", scope)])
    report = audit([AuditInput(state=st)])
    messages = [r.detail for r in report.risks if r.code is FindingCode.SCOPE_NAMESPACE_MISSING]
    assert len(messages) == 1 and "prod, tmp-*" in messages[0]
    unknown = audit(
        [
            AuditInput(
                state=state(namespaces=None, entries=[entry(role_arn("dev"), "AmazonEKSEditPolicy", scope)])
            )
        ]
    )
    assert not unknown.risks and any("no Namespace objects" in n for n in unknown.clusters[0].notes)


def test_users_with_long_term_keys_reaching_cluster_admin() -> None:
    st = state(
        entries=[
            entry(user_arn("direct"), "AmazonEKSClusterAdminPolicy"),
            entry(user_arn("nokeys"), "AmazonEKSClusterAdminPolicy"),
        ]
    )
    iam = [
        iam_account(
            users=[iam_user("direct", keys=1), iam_user("nokeys"), iam_user("hopper", keys=2)],
            roles=[iam_role("admin", {"AWS": user_arn("hopper")})],
        )
    ]
    found = [s for c, s in run(st, iam) if c is FindingCode.USER_KEYS_CLUSTER_ADMIN]
    assert sorted(found) == [user_arn("direct"), user_arn("hopper")]


def test_roles_assumable_by_anyone_or_other_accounts() -> None:
    st = state(
        entries=[
            entry(role_arn("open"), "AmazonEKSViewPolicy"),
            entry(role_arn("partner"), "AmazonEKSViewPolicy"),
        ]
    )
    iam = [
        iam_account(
            roles=[
                iam_role("admin", {"AWS": user_arn("ops")}),
                iam_role("open", "*"),
                iam_role("partner", {"AWS": f"arn:aws:iam::{B}:root"}),
            ],
            users=[iam_user("ops")],
        )
    ]
    found = run(st, iam)
    assert (FindingCode.ROLE_ASSUMABLE_BY_ANYONE, role_arn("open")) in found
    assert (FindingCode.ROLE_ASSUMABLE_CROSS_ACCOUNT, role_arn("partner")) in found
    assert (FindingCode.ROLE_ASSUMABLE_CROSS_ACCOUNT, role_arn("admin")) not in found


def test_bindings_to_groups_no_principal_has() -> None:
    manifests = [
        binding(
            "RoleBinding",
            "ghosts",
            "edit",
            [("Group", "ghosts"), ("Group", "devs"), ("Group", "system:nodes")],
            "dev",
        ),
    ]
    st = state(manifests=manifests, entries=[entry(role_arn("dev"), groups=("devs",))])
    assert [s for c, s in run(st) if c is FindingCode.GROUP_WITHOUT_PRINCIPAL] == ['Group "ghosts"']


def test_escalation_verbs_outside_admins() -> None:
    manifests = [
        cluster_role(
            "binder",
            [
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "resources": ["clusterroles"],
                    "verbs": ["bind", "escalate"],
                }
            ],
        ),
        cluster_role("impersonator", [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        binding("ClusterRoleBinding", "binders", "binder", [("Group", "binders")]),
        binding(
            "RoleBinding", "imp", "impersonator", [("Group", "imps")], "dev"
        ),  # a RoleBinding: users are cluster-scoped
        binding("ClusterRoleBinding", "admins-too", "binder", [("Group", "admins")]),
    ]
    st = state(
        manifests=manifests,
        entries=[
            entry(role_arn("binder"), "AmazonEKSViewPolicy", groups=("binders",)),
            entry(role_arn("imp"), "AmazonEKSViewPolicy", groups=("imps",)),
            entry(role_arn("boss"), "AmazonEKSClusterAdminPolicy", groups=("admins",)),
        ],
    )
    assert [s for c, s in run(st) if c is FindingCode.ESCALATION_OUTSIDE_ADMINS] == [role_arn("binder")]


@pytest.mark.parametrize(
    ("mode", "expected"), [("API", True), ("API_AND_CONFIG_MAP", True), ("CONFIG_MAP", False)]
)
def test_no_cluster_admin(mode: str, expected: bool) -> None:
    data = state(mode=mode).model_dump(mode="json")
    data["accessEntries"] = [entry(role_arn("viewer"), "AmazonEKSViewPolicy")] if mode != "CONFIG_MAP" else []
    assert (FindingCode.NO_CLUSTER_ADMIN in codes(ClusterState.model_validate(data))) is expected


def test_exit_codes() -> None:
    clean = audit([AuditInput(state=state())])
    assert clean.exit_code == 0
    masters = state(map_roles=[{"rolearn": role_arn("bg"), "groups": ["system:masters"]}])
    assert audit([AuditInput(state=masters)]).exit_code == 1
    failed = ClusterFailure(name="c2", region="eu-west-1", profile="p", error="AccessDenied")
    assert audit([AuditInput(state=masters)], failures=[failed]).exit_code == 3
