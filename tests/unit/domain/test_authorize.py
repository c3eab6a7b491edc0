"""The authorizer chain: RBAC vectors (after
https://github.com/kubernetes/kubernetes/blob/master/plugin/pkg/auth/authorizer/rbac/rbac_test.go), the default roles,
EKS access policies and their scopes, system:masters, impersonation, escalation, 403 texts, near misses."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Attributes, Authority, Authorizer, MissKind
from eksaccess.domain.authz.escalation import can_impersonate, impersonated_groups, may_bind, may_write_role
from eksaccess.domain.authz.forbidden import kube_forbidden_message
from eksaccess.domain.authz.rbac import PolicyRule

AUTH = "system:authenticated"


def cluster_role(name: str, *rules: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"kind": "ClusterRole", "metadata": meta, "rules": list(rules)}


def role(name: str, namespace: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Role", "metadata": {"name": name, "namespace": namespace}, "rules": list(rules)}


def rule(verbs: str, groups: str, resources: str, names: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {
        "verbs": verbs.split(","),
        "apiGroups": ["" if g == "core" else g for g in groups.split(",")],
        "resources": resources.split(","),
    }
    if names:
        data["resourceNames"] = names.split(",")
    return data


def urls(verbs: str, paths: str) -> dict[str, Any]:
    return {"verbs": verbs.split(","), "nonResourceURLs": paths.split(",")}


def subject(spec: str) -> dict[str, str]:
    kind, _, name = spec.partition(":")
    kind = {"u": "User", "g": "Group", "sa": "ServiceAccount"}[kind]
    if kind == "ServiceAccount" and "/" in name:
        namespace, _, name = name.partition("/")
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"kind": kind, "name": name}


def binding(name: str, ref: str, *subjects: str, namespace: str = "") -> dict[str, Any]:
    ref_kind, _, ref_name = ref.partition("/")
    return {
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name},
        "subjects": [subject(s) for s in subjects],
    }


def get(
    resource: str, namespace: str = "", *, verb: str = "get", group: str = "", sub: str = "", name: str = ""
) -> Attributes:
    return Attributes(
        verb=verb, resource=resource, namespace=namespace, api_group=group, subresource=sub, name=name
    )


def cluster_policy(name: str) -> AccessPolicyAssociation:
    return AccessPolicyAssociation(
        policy_arn=f"arn:aws:eks::aws:cluster-access-policy/{name}", scope=AccessScope(type=ScopeType.CLUSTER)
    )


def ns_policy(name: str, *namespaces: str) -> AccessPolicyAssociation:
    return AccessPolicyAssociation(
        policy_arn=f"arn:aws:eks::aws:cluster-access-policy/{name}",
        scope=AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces),
    )


# ------------------------------------------------------------------------- RBAC vectors 20-27


ADMIN_IN_NS1 = Authorizer.from_manifests(
    [
        cluster_role("admin-all", rule("*", "*", "*")),
        binding("rb", "ClusterRole/admin-all", "u:admin", "g:admins", namespace="ns1"),
    ],
    include_bootstrap=False,
)
URL_APIS = Authorizer.from_manifests(
    [
        cluster_role("apis", urls("get", "/apis")),
        cluster_role("apis-star", urls("get", "/apis/*")),
        binding("c1", "ClusterRole/apis", "u:foo", "g:bar"),
        binding("c2", "ClusterRole/apis-star", "u:star"),
    ],
    include_bootstrap=False,
)

CHAIN_VECTORS = [
    ("20", ADMIN_IN_NS1, get("Pods", "ns1"), "admin", [], True),
    ("21", ADMIN_IN_NS1, get("Foobar", "ns1", verb="watch"), "joe", ["group1", "admins"], True),
    ("22", ADMIN_IN_NS1, get("Pods", "ns2"), "admin", [], False),
    ("23", ADMIN_IN_NS1, get("Nodes"), "admin", [], False),
    ("24a", URL_APIS, Attributes(verb="get", path="/apis"), "foo", [], True),
    ("24b", URL_APIS, Attributes(verb="get", path="/apis"), "someone", ["bar"], True),
    ("25a", URL_APIS, Attributes(verb="watch", path="/apis"), "foo", [], False),
    ("25b", URL_APIS, Attributes(verb="get", path="/api/v1"), "foo", [], False),
    ("26a", URL_APIS, Attributes(verb="get", path="/apis/v1"), "star", [], True),
    ("26b", URL_APIS, Attributes(verb="get", path="/apis/v1/foobar"), "star", [], True),
    ("27", URL_APIS, Attributes(verb="get", path="/api/v1"), "star", [], False),
]


@pytest.mark.parametrize(("case", "authz", "attrs", "user", "groups", "expected"), CHAIN_VECTORS)
def test_rbac_chain_vectors(
    case: str, authz: Authorizer, attrs: Attributes, user: str, groups: list[str], expected: bool
) -> None:
    assert authz.authorize(attrs, username=user, groups=groups).allowed is expected, case


def test_vector_28_to_31_role_binding_with_subresources() -> None:
    authz = Authorizer.from_manifests(
        [
            role("pods", "ns1", rule("*", "*", "pods")),
            role("subs", "ns1", rule("*", "*", "pods/status"), rule("*", "*", "*/scale")),
            binding("a", "Role/pods", "u:a", namespace="ns1"),
            binding("b", "Role/subs", "u:b", namespace="ns1"),
        ],
        include_bootstrap=False,
    )
    assert authz.authorize(get("pods", "ns1"), username="a", groups=[]).allowed
    assert not authz.authorize(get("pods", "ns1", sub="status"), username="a", groups=[]).allowed
    for resource, sub in [
        ("pods", "status"),
        ("pods", "scale"),
        ("deployments", "scale"),
        ("anything", "scale"),
    ]:
        assert authz.authorize(get(resource, "ns1", sub=sub), username="b", groups=[]).allowed
    assert not authz.authorize(get("pods", "ns1"), username="b", groups=[]).allowed


def test_reason_names_binding_role_and_subject_like_the_api_server() -> None:
    decision = ADMIN_IN_NS1.authorize(get("pods", "ns1"), username="joe", groups=["admins"])
    assert (
        decision.reason
        == 'RBAC: allowed by RoleBinding "rb/ns1" of ClusterRole "admin-all" to Group "admins"'
    )
    assert decision.reasons[0].rule == PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",))
    crb = URL_APIS.authorize(Attributes(verb="get", path="/apis"), username="foo", groups=[])
    assert crb.reason == 'RBAC: allowed by ClusterRoleBinding "c1" of ClusterRole "apis" to User "foo"'


def test_service_account_subject_defaults_to_the_role_binding_namespace() -> None:
    authz = Authorizer.from_manifests(
        [role("r", "dev", rule("get", "core", "pods")), binding("rb", "Role/r", "sa:app", namespace="dev")],
        include_bootstrap=False,
    )
    decision = authz.authorize(get("pods", "dev"), username="system:serviceaccount:dev:app", groups=[])
    assert decision.reason == 'RBAC: allowed by RoleBinding "rb/dev" of Role "r" to ServiceAccount "app/dev"'
    assert not authz.authorize(
        get("pods", "dev"), username="system:serviceaccount:prod:app", groups=[]
    ).allowed


# ------------------------------------------------------------------------------ rules_for 37-39


def test_rules_for_vectors_37_to_39() -> None:
    read_pods = rule("get,list,watch", "core", "pods")
    read_services = rule("get,list,watch", "core", "services")
    authz = Authorizer.from_manifests(
        [
            role("readthings", "namespace1", read_pods, read_services),
            cluster_role("cluster-admin", rule("*", "*", "*")),
            binding("rb", "Role/readthings", "u:foobar", namespace="namespace1"),
            binding("crb", "ClusterRole/cluster-admin", "g:admin"),
        ],
        include_bootstrap=False,
    )
    review = authz.rules_for(username="foobar", groups=[], namespace="namespace1")
    assert [r.resources for r in review.resource_rules] == [("pods",), ("services",)]
    assert review.incomplete is False
    assert authz.rules_for(username="foobar", groups=[], namespace="namespace2").resource_rules == ()
    admin = authz.rules_for(username="foobar", groups=["admin"], namespace="")
    assert [r.resources for r in admin.resource_rules] == [("*",)]


def test_rules_for_is_rbac_only_and_reports_missing_roles() -> None:
    authz = Authorizer.from_manifests([binding("crb", "ClusterRole/ghost", "u:u")])
    review = authz.rules_for(username="u", groups=[AUTH], namespace="default")
    assert review.evaluation_error == 'clusterrole.rbac.authorization.k8s.io "ghost" not found'
    assert any("/api" in r.non_resource_urls for r in review.non_resource_rules)  # system:discovery
    status = review.to_status()
    assert status["incomplete"] is False and "evaluationError" in status


# --------------------------------------------------------------------------------- default roles


DEFAULTS = Authorizer.from_manifests(
    [
        binding("viewers", "ClusterRole/view", "g:viewers", namespace="dev"),
        binding("editors", "ClusterRole/edit", "g:editors", namespace="dev"),
        binding("admins", "ClusterRole/admin", "g:admins", namespace="dev"),
        binding("cluster-viewers", "ClusterRole/view", "g:cluster-viewers"),
    ]
)


@pytest.mark.parametrize(
    ("group", "attrs", "expected"),
    [
        ("viewers", get("pods", "dev"), True),
        ("viewers", get("pods", "dev", sub="log"), True),
        ("viewers", get("secrets", "dev"), False),
        ("viewers", get("pods", "dev", verb="create", sub="exec"), False),
        ("viewers", get("deployments", "dev", verb="list", group="apps"), True),
        ("viewers", get("deployments", "dev", verb="delete", group="apps"), False),
        ("viewers", get("roles", "dev", verb="list", group="rbac.authorization.k8s.io"), False),
        ("viewers", get("namespaces", "dev", name="dev"), True),
        ("editors", get("secrets", "dev"), True),
        ("editors", get("secrets", "dev", verb="create"), True),
        ("editors", get("pods", "dev", verb="create", sub="exec"), True),
        ("editors", get("serviceaccounts", "dev", verb="impersonate", name="app"), True),
        ("editors", get("serviceaccounts", "dev", verb="create", sub="token", name="app"), True),
        ("editors", get("rolebindings", "dev", verb="create", group="rbac.authorization.k8s.io"), False),
        ("editors", get("resourcequotas", "dev", verb="update"), False),
        ("admins", get("rolebindings", "dev", verb="create", group="rbac.authorization.k8s.io"), True),
        (
            "admins",
            get("localsubjectaccessreviews", "dev", verb="create", group="authorization.k8s.io"),
            True,
        ),
        ("admins", get("secrets", "dev", verb="delete"), True),
        ("admins", get("nodes", verb="list"), False),
        ("admins", get("namespaces", verb="list"), False),
        ("admins", get("clusterroles", verb="create", group="rbac.authorization.k8s.io"), False),
        ("admins", get("pods", "prod"), False),
        ("cluster-viewers", get("pods", verb="list"), True),
        ("cluster-viewers", get("secrets", verb="list"), False),
        ("cluster-viewers", get("nodes", verb="list"), False),
    ],
)
def test_default_roles_behave_like_upstream(group: str, attrs: Attributes, expected: bool) -> None:
    assert DEFAULTS.authorize(attrs, username="someone", groups=[group, AUTH]).allowed is expected


def test_default_cluster_role_bindings_apply_to_every_cluster() -> None:
    authed = ["system:authenticated"]
    ssar = get("selfsubjectaccessreviews", verb="create", group="authorization.k8s.io")
    assert DEFAULTS.authorize(ssar, username="u", groups=authed).reason.endswith(
        'ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"'
    )
    assert DEFAULTS.authorize(
        Attributes(verb="get", path="/apis/apps/v1"), username="u", groups=authed
    ).allowed
    anonymous = ["system:unauthenticated"]
    assert DEFAULTS.authorize(
        Attributes(verb="get", path="/version"), username="system:anonymous", groups=anonymous
    ).allowed
    assert not DEFAULTS.authorize(
        Attributes(verb="get", path="/api"), username="system:anonymous", groups=anonymous
    ).allowed
    assert not DEFAULTS.authorize(
        Attributes(verb="get", path="/metrics"), username="u", groups=authed
    ).allowed


def test_a_cluster_role_of_the_snapshot_overrides_the_default() -> None:
    authz = Authorizer.from_manifests(
        [
            cluster_role("view", rule("get", "core", "secrets")),
            binding("v", "ClusterRole/view", "u:u", namespace="dev"),
        ]
    )
    assert authz.authorize(get("secrets", "dev"), username="u", groups=[]).allowed
    assert not authz.authorize(get("pods", "dev"), username="u", groups=[]).allowed


def test_labelled_custom_role_aggregates_into_default_view() -> None:
    crd_reader = cluster_role(
        "crd-reader",
        rule("get,list", "example.com", "widgets"),
        labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
    )
    authz = Authorizer.from_manifests([crd_reader, binding("a", "ClusterRole/admin", "u:u", namespace="dev")])
    decision = authz.authorize(
        get("widgets", "dev", verb="list", group="example.com"), username="u", groups=[]
    )
    assert decision.allowed  # view -> edit -> admin carries it up


# ------------------------------------------------------------------------------- system:masters


def test_system_masters_is_allowed_before_everything_else() -> None:
    authz = Authorizer.from_manifests([], include_bootstrap=False)
    for attrs in [get("anything", "x", verb="frobnicate"), Attributes(verb="get", path="/metrics")]:
        decision = authz.authorize(attrs, username="creator", groups=["system:masters"])
        assert decision.allowed and decision.reasons[0].authority is Authority.PRIVILEGED_GROUP
    with_defaults = DEFAULTS.authorize(
        get("nodes", verb="delete"), username="c", groups=["system:masters", AUTH]
    )
    assert [r.authority for r in with_defaults.reasons] == [Authority.PRIVILEGED_GROUP, Authority.RBAC]
    assert 'ClusterRoleBinding "cluster-admin"' in with_defaults.reasons[1].text


# ------------------------------------------------------------------------------ access policies


PRINCIPAL = "arn:aws:iam::111122223333:role/Dev"


@pytest.mark.parametrize(
    ("policy", "attrs", "expected"),
    [
        (cluster_policy("AmazonEKSClusterAdminPolicy"), get("nodes", verb="delete"), True),
        (cluster_policy("AmazonEKSClusterAdminPolicy"), Attributes(verb="get", path="/metrics"), True),
        (cluster_policy("AmazonEKSAdminViewPolicy"), get("secrets", "kube-system", verb="list"), True),
        (cluster_policy("AmazonEKSAdminViewPolicy"), get("nodes", verb="watch"), True),
        (cluster_policy("AmazonEKSAdminViewPolicy"), get("pods", "dev", verb="delete"), False),
        (cluster_policy("AmazonEKSViewPolicy"), get("pods", verb="list"), True),
        (cluster_policy("AmazonEKSViewPolicy"), get("secrets", "dev"), False),
        (cluster_policy("AmazonEKSEditPolicy"), get("secrets", "dev", verb="create"), True),
        (
            cluster_policy("AmazonEKSAdminPolicy"),
            get("roles", "dev", verb="create", group="rbac.authorization.k8s.io"),
            True,
        ),
        (cluster_policy("AmazonEKSSecretReaderPolicy"), get("secrets", "dev"), True),
        (cluster_policy("AmazonEKSSecretReaderPolicy"), get("configmaps", "dev"), False),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("pods", "dev-a", verb="list"), True),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("pods", "dev", verb="list"), False),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("pods", "prod", verb="list"), False),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("pods", verb="list"), False),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("namespaces", "dev-a", name="dev-a"), True),
        (ns_policy("AmazonEKSViewPolicy", "dev-*"), get("namespaces", verb="list"), False),
        (ns_policy("AmazonEKSClusterAdminPolicy", "team"), get("nodes", verb="list"), False),
        (ns_policy("AmazonEKSClusterAdminPolicy", "*"), get("nodes", verb="list"), False),
        (ns_policy("AmazonEKSClusterAdminPolicy", "*"), get("pods", "anything"), True),
        (ns_policy("AmazonEKSClusterAdminPolicy", "team"), Attributes(verb="get", path="/metrics"), False),
        (cluster_policy("AmazonEKSAutoNodePolicy"), get("nodes"), False),
    ],
)
def test_access_policies_and_scopes(
    policy: AccessPolicyAssociation, attrs: Attributes, expected: bool
) -> None:
    authz = Authorizer.from_manifests([], include_bootstrap=False)
    decision = authz.authorize(attrs, username="dev", groups=[], policies=[policy], principal_arn=PRINCIPAL)
    assert decision.allowed is expected


def test_access_policy_reason_text() -> None:
    policy = cluster_policy("AmazonEKSClusterAdminPolicy")
    decision = DEFAULTS.authorize(
        get("pods", "dev"), username="admin", groups=[AUTH], policies=[policy], principal_arn=PRINCIPAL
    )
    assert decision.reason == (
        f'EKS Access Policy: allowed by ClusterRoleBinding "{PRINCIPAL}+{policy.policy_arn}" '
        f'of ClusterRole "{policy.policy_arn}" to User "admin"'
    )
    assert decision.reasons[0].authority is Authority.ACCESS_POLICY and decision.reasons[0].scope == "cluster"


def test_policies_and_rbac_are_united_and_order_only_names_the_reason() -> None:
    policy = ns_policy("AmazonEKSViewPolicy", "dev")
    decision = DEFAULTS.authorize(
        get("pods", "dev"), username="u", groups=["viewers", AUTH], policies=[policy]
    )
    assert [r.authority for r in decision.reasons] == [Authority.ACCESS_POLICY, Authority.RBAC]
    secrets = DEFAULTS.authorize(
        get("secrets", "dev"), username="u", groups=["editors", AUTH], policies=[policy]
    )
    assert (
        secrets.allowed and secrets.reasons[0].authority is Authority.RBAC
    )  # policy has no opinion, RBAC allows


# ------------------------------------------------------------------------------------ near misses


def kinds(decision: Any) -> set[MissKind]:
    return {m.kind for m in decision.near_misses}


def test_near_misses_explain_a_deny() -> None:
    authz = Authorizer.from_manifests(
        [
            role("cm-one", "dev", rule("update", "core", "configmaps", "one")),
            binding("view-dev", "ClusterRole/view", "g:devs", namespace="dev"),
            binding("cm", "Role/cm-one", "g:devs", namespace="dev"),
            binding("ghost", "ClusterRole/ghost", "g:devs"),
            binding("ops-edit", "ClusterRole/edit", "g:ops"),
        ]
    )
    groups = ["devs", "team-x", AUTH]
    other_ns = authz.authorize(get("pods", "prod"), username="u", groups=groups)
    assert not other_ns.allowed
    assert {MissKind.OTHER_NAMESPACE, MissKind.MISSING_ROLE, MissKind.UNBOUND_GROUP} <= kinds(other_ns)
    assert other_ns.reason == 'RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found'
    cluster_wide = authz.authorize(get("pods", verb="list"), username="u", groups=groups)
    assert MissKind.CLUSTER_SCOPE in kinds(cluster_wide)
    verb = authz.authorize(get("pods", "dev", verb="delete"), username="u", groups=groups)
    assert MissKind.VERB_NOT_GRANTED in kinds(verb)
    assert any(m.kind is MissKind.OTHER_SUBJECT and 'Group "ops"' in m.detail for m in verb.near_misses)
    name = authz.authorize(get("configmaps", "dev", verb="update", name="two"), username="u", groups=groups)
    assert MissKind.NAME_NOT_GRANTED in kinds(name)
    unbound = next(m for m in other_ns.near_misses if m.kind is MissKind.UNBOUND_GROUP)
    assert unbound.where == 'Group "team-x"'


def test_policy_near_misses() -> None:
    authz = Authorizer.from_manifests([])
    policies = [
        ns_policy("AmazonEKSEditPolicy", "dev"),
        cluster_policy("AmazonEKSViewPolicy"),
        cluster_policy("AmazonEKSComputePolicy"),
    ]
    decision = authz.authorize(
        get("secrets", "prod", verb="delete"), username="u", groups=[AUTH], policies=policies
    )
    assert {MissKind.POLICY_SCOPE, MissKind.POLICY_OPAQUE} <= kinds(decision)
    verb = authz.authorize(
        get("pods", "prod", verb="delete"), username="u", groups=[AUTH], policies=policies[1:2]
    )
    assert MissKind.POLICY_VERB in kinds(verb)


# ---------------------------------------------------------------------------------- impersonation


def test_impersonation_checks() -> None:
    authz = Authorizer.from_manifests(
        [
            cluster_role(
                "imp-alice",
                rule("impersonate", "core", "users", "alice"),
                rule("impersonate", "core", "groups", "devs"),
            ),
            binding("imp", "ClusterRole/imp-alice", "u:bob"),
            binding("editors", "ClusterRole/edit", "g:editors", namespace="dev"),
        ]
    )
    bob: dict[str, Any] = {"username": "bob", "groups": [AUTH]}
    assert can_impersonate(authz, **bob, target_user="alice").allowed
    assert can_impersonate(authz, **bob, target_user="alice", target_groups=["devs"]).allowed
    denied = can_impersonate(authz, **bob, target_user="alice", target_groups=["devs", "admins"])
    assert not denied.allowed and denied.denied == Attributes(
        verb="impersonate", resource="groups", name="admins"
    )
    assert not can_impersonate(authz, **bob, target_user="carol").allowed
    assert not can_impersonate(authz, **bob, target_user="alice", target_uid="1").allowed
    editor: dict[str, Any] = {"username": "e", "groups": ["editors", AUTH]}
    assert can_impersonate(authz, **editor, target_user="system:serviceaccount:dev:app").allowed
    assert not can_impersonate(authz, **editor, target_user="system:serviceaccount:prod:app").allowed
    via_policy = can_impersonate(
        authz,
        username="p",
        groups=[AUTH],
        policies=[ns_policy("AmazonEKSEditPolicy", "dev")],
        target_user="system:serviceaccount:dev:app",
    )
    assert via_policy.allowed


@pytest.mark.parametrize(
    ("user", "groups", "expected"),
    [
        ("alice", [], ("system:authenticated",)),
        ("alice", ["devs"], ("devs", "system:authenticated")),
        ("alice", ["system:unauthenticated"], ("system:unauthenticated",)),
        ("system:anonymous", [], ("system:unauthenticated",)),
        ("system:serviceaccount:dev:app", [], ("system:serviceaccounts", "system:serviceaccounts:dev", AUTH)),
        ("system:serviceaccount:dev:app", ["x"], ("x", AUTH)),
    ],
)
def test_impersonated_identity_groups(user: str, groups: list[str], expected: tuple[str, ...]) -> None:
    assert impersonated_groups(user, groups) == expected


# ------------------------------------------------------------------------------------- escalation


def test_escalation_prevention() -> None:
    authz = Authorizer.from_manifests(
        [
            cluster_role("binder", rule("bind", "rbac.authorization.k8s.io", "clusterroles", "view")),
            cluster_role("escalator", rule("escalate", "rbac.authorization.k8s.io", "roles")),
            binding("b", "ClusterRole/binder", "u:binder"),
            binding("e", "ClusterRole/escalator", "u:escalator", namespace="dev"),
            binding("a", "ClusterRole/admin", "u:nsadmin", namespace="dev"),
        ]
    )
    secrets_rule = [PolicyRule(verbs=("get",), api_groups=("",), resources=("secrets",))]
    nodes_rule = [PolicyRule(verbs=("get",), api_groups=("",), resources=("nodes",))]
    common = {"groups": [AUTH], "role_kind": "Role", "name": "r", "namespace": "dev"}
    assert may_write_role(authz, username="nsadmin", rules=secrets_rule, **common)  # covers it
    assert not may_write_role(
        authz,
        username="nsadmin",
        rules=[PolicyRule(verbs=("*",), api_groups=("",), resources=("secrets",))],
        **common,
    )
    assert may_write_role(authz, username="escalator", rules=nodes_rule, **common)
    assert may_write_role(
        authz,
        username="x",
        groups=["system:masters"],
        role_kind="ClusterRole",
        name="r",
        namespace="",
        rules=nodes_rule,
    )
    assert may_bind(
        authz, username="binder", groups=[AUTH], role_kind="ClusterRole", role_name="view", namespace=""
    )
    assert not may_bind(
        authz, username="binder", groups=[AUTH], role_kind="ClusterRole", role_name="edit", namespace=""
    )
    assert may_bind(
        authz, username="nsadmin", groups=[AUTH], role_kind="ClusterRole", role_name="edit", namespace="dev"
    )
    assert not may_bind(
        authz,
        username="nsadmin",
        groups=[AUTH],
        role_kind="ClusterRole",
        role_name="cluster-admin",
        namespace="dev",
    )


# ------------------------------------------------------------------------------------ 403 message


@pytest.mark.parametrize(
    ("attrs", "user", "reason", "expected"),
    [
        (
            get("pods", "default", verb="list"),
            "alice",
            "",
            'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
        ),
        (
            get("deployments", "dev", group="apps", sub="scale", name="web"),
            "bob",
            "",
            'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments/scale" in API group '
            '"apps" in the namespace "dev"',
        ),
        (
            get("nodes", verb="list"),
            "u",
            'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
            'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope: '
            'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
        ),
        (Attributes(verb="get", path="/metrics"), "u", "", 'forbidden: User "u" cannot get path "/metrics"'),
        (
            get("users", verb="impersonate", name="alice"),
            'we"ird<',
            "",
            'users "alice" is forbidden: User "we\\"ird&lt;" cannot impersonate resource "users" in API group "" at '
            "the cluster scope",
        ),
    ],
)
def test_kube_forbidden_message(attrs: Attributes, user: str, reason: str, expected: str) -> None:
    assert kube_forbidden_message(attrs, user, reason) == expected
