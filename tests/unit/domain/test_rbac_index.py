"""The index and the naive evaluator agree on random clusters and requests (hypothesis), who-can's
subject list agrees with can-i, and who-can's prepared request names the reasons authorize names."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Attributes, Authorizer
from eksaccess.domain.authz.rbac import subject_applies

NAMESPACES = ["ns1", "ns2"]
USERS = ["alice", "bob", "system:serviceaccount:ns1:app", "system:serviceaccount:ns2:app"]
GROUPS = ["devs", "ops", "system:authenticated", "system:serviceaccounts"]

verbs = st.lists(st.sampled_from(["get", "list", "delete", "*"]), min_size=1, max_size=2, unique=True)
groups_ = st.lists(st.sampled_from(["", "apps", "*"]), min_size=1, max_size=2, unique=True)
resources = st.lists(
    st.sampled_from(["pods", "pods/log", "deployments", "deployments/scale", "*/scale", "*", "nodes"]),
    min_size=1,
    max_size=3,
    unique=True,
)
names = st.lists(st.sampled_from(["a", "b"]), max_size=1)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 6)) == 0:
        return {
            "verbs": draw(verbs),
            "nonResourceURLs": draw(
                st.lists(st.sampled_from(["/api", "/api/*", "*"]), min_size=1, max_size=2)
            ),
        }
    rule: dict[str, Any] = {"verbs": draw(verbs), "apiGroups": draw(groups_), "resources": draw(resources)}
    if draw(names):
        rule["resourceNames"] = draw(names)
    return rule


@st.composite
def subjects(draw: st.DrawFn) -> dict[str, str]:
    kind = draw(st.sampled_from(["User", "Group", "ServiceAccount", "Robot"]))
    if kind == "User":
        return {"kind": kind, "name": draw(st.sampled_from([*USERS, "*"]))}
    if kind == "Group":
        return {"kind": kind, "name": draw(st.sampled_from(GROUPS))}
    if kind == "ServiceAccount":
        subject = {"kind": kind, "name": "app"}
        namespace = draw(st.sampled_from(["", *NAMESPACES]))
        if namespace:
            subject["namespace"] = namespace
        return subject
    return {"kind": kind, "name": "alice"}


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    manifests: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 4))):
        labels = {"agg": "true"} if draw(st.booleans()) else {}
        manifests.append(
            {
                "kind": "ClusterRole",
                "metadata": {"name": f"cr{i}", "labels": labels},
                "rules": draw(st.lists(rules(), max_size=3)),
            }
        )
    if draw(st.booleans()):
        manifests.append(
            {
                "kind": "ClusterRole",
                "metadata": {"name": "aggregated"},
                "rules": None,
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]},
            }
        )
    for i in range(draw(st.integers(0, 3))):
        namespace = draw(st.sampled_from(NAMESPACES))
        manifests.append(
            {
                "kind": "Role",
                "metadata": {"name": f"r{i}", "namespace": namespace},
                "rules": draw(st.lists(rules(), max_size=3)),
            }
        )
    role_names = ["cr0", "cr1", "cr2", "aggregated", "missing", "view", "edit"]
    for i in range(draw(st.integers(0, 8))):
        namespace = draw(st.sampled_from(["", *NAMESPACES]))
        ref_kind = draw(st.sampled_from(["ClusterRole", "Role"])) if namespace else "ClusterRole"
        ref_name = draw(
            st.sampled_from(role_names if ref_kind == "ClusterRole" else ["r0", "r1", "r2", "missing"])
        )
        meta = {"name": f"b{i}", **({"namespace": namespace} if namespace else {})}
        manifests.append(
            {
                "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
                "metadata": meta,
                "roleRef": {"kind": ref_kind, "name": ref_name},
                "subjects": draw(st.lists(subjects(), max_size=3)),
            }
        )
    return draw(st.permutations(manifests))


@st.composite
def requests(draw: st.DrawFn) -> Attributes:
    if draw(st.integers(0, 5)) == 0:
        return Attributes(
            verb=draw(st.sampled_from(["get", "post"])),
            path=draw(st.sampled_from(["/api", "/api/v1", "/healthz", "/metrics"])),
        )
    resource, _, sub = draw(
        st.sampled_from(["pods", "pods/log", "deployments", "deployments/scale", "nodes", "secrets"])
    ).partition("/")
    return Attributes(
        verb=draw(st.sampled_from(["get", "list", "delete", "create"])),
        resource=resource,
        subresource=sub,
        api_group=draw(st.sampled_from(["", "apps"])),
        name=draw(st.sampled_from(["", "a", "b"])),
        namespace=draw(st.sampled_from(["", *NAMESPACES])),
    )


identities = st.tuples(st.sampled_from(USERS), st.lists(st.sampled_from(GROUPS), max_size=3, unique=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.lists(st.tuples(requests(), identities), min_size=1, max_size=5))
def test_index_and_naive_evaluator_always_agree(manifests: list[dict[str, Any]], cases: list[Any]) -> None:
    indexed = Authorizer.from_manifests(manifests)
    naive = Authorizer.from_manifests(manifests, naive=True)
    for attrs, (user, groups) in cases:
        for explain in (True, False):
            a = indexed.authorize(attrs, username=user, groups=groups, explain=explain)
            b = naive.authorize(attrs, username=user, groups=groups, explain=explain)
            assert (a.allowed, a.reason) == (b.allowed, b.reason)
            assert [r.text for r in a.reasons] == [r.text for r in b.reasons]
            assert a.errors == b.errors


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), requests(), identities)
def test_who_can_subjects_agree_with_can_i(
    manifests: list[dict[str, Any]], attrs: Attributes, identity: Any
) -> None:
    authz = Authorizer.from_manifests(manifests)
    user, groups = identity
    via_who_can = any(
        subject_applies(g.subject, user, groups, g.binding.namespace) for g in authz.who_can(attrs)
    )
    assert via_who_can == authz.authorize(attrs, username=user, groups=groups).allowed


POLICY = "arn:aws:eks::aws:cluster-access-policy/"
scopes = st.one_of(
    st.just(AccessScope(type=ScopeType.CLUSTER)),
    st.lists(st.sampled_from(["ns1", "ns2", "ns*", "n*", "other"]), min_size=1, max_size=2, unique=True).map(
        lambda names: AccessScope(type=ScopeType.NAMESPACE, namespaces=tuple(names))
    ),
)
associations = st.builds(
    AccessPolicyAssociation,
    policy_arn=st.sampled_from(
        [
            POLICY + name
            for name in [
                "AmazonEKSViewPolicy",
                "AmazonEKSEditPolicy",
                "AmazonEKSClusterAdminPolicy",
                "Unknown",
            ]
        ]
    ),
    scope=scopes,
)
identities_with_masters = st.tuples(
    st.sampled_from(USERS),
    st.lists(st.sampled_from([*GROUPS, "system:masters"]), max_size=3, unique=True),
    st.lists(associations, max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    clusters(), st.lists(requests(), min_size=1, max_size=3), st.lists(identities_with_masters, max_size=6)
)
def test_prepared_request_gives_the_reasons_authorize_gives(
    manifests: list[dict[str, Any]], asked: list[Attributes], who: list[Any]
) -> None:
    """who-can's per-request evaluation (grants indexed by subject, each access policy and scope evaluated
    once) names exactly the reasons of the whole chain, identity by identity, as the naive evaluator."""
    indexed = Authorizer.from_manifests(manifests)
    naive = Authorizer.from_manifests(manifests, naive=True)
    for attrs in asked:
        prepared = indexed.prepare(attrs)
        for user, groups, policies in who:
            arn = f"arn:aws:iam::111122223333:role/{user.replace(':', '-')}"
            fast = prepared.decide(username=user, groups=groups, policies=policies, principal_arn=arn)
            reference = naive.authorize(
                attrs, username=user, groups=groups, policies=policies, principal_arn=arn
            )
            if reference.allowed:
                assert fast is not None
                assert (fast.allowed, fast.reason, fast.reasons) == (
                    True,
                    reference.reason,
                    reference.reasons,
                )
            else:
                assert fast is None
                assert prepared.reasons(username=user, groups=groups, policies=policies) == ()
