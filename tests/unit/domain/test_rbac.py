"""RBAC rule and subject matching: vectors after kubernetes'
https://github.com/kubernetes/kubernetes/blob/master/plugin/pkg/auth/authorizer/rbac/rbac_test.go and pkg/registry/rbac/validation/rule_test.go."""

from __future__ import annotations

import pytest

from eksaccess.domain.authz.policy_rules import covers, rule_allows, url_matches
from eksaccess.domain.authz.rbac import (
    Attributes,
    Binding,
    BindingKind,
    PolicyRule,
    RoleRef,
    Subject,
    parse_rbac_objects,
    subject_applies,
)


def res_rule(verbs: str, groups: str, resources: str, names: str = "") -> PolicyRule:
    return PolicyRule(
        verbs=tuple(verbs.split(",")),
        api_groups=tuple("" if g == "core" else g for g in groups.split(",")),
        resources=tuple(resources.split(",")),
        resource_names=tuple(names.split(",")) if names else (),
    )


def url_rule(verbs: str, urls: str) -> PolicyRule:
    return PolicyRule(verbs=tuple(verbs.split(",")), non_resource_urls=tuple(urls.split(",")))


def req(verb: str, group: str, resource: str, sub: str = "", name: str = "") -> Attributes:
    return Attributes(verb=verb, api_group=group, resource=resource, subresource=sub, name=name)


RULE_A = res_rule("*", "group1", "resource1")
RULE_B = res_rule("verb1", "*", "resource1")
RULE_C = res_rule("verb1", "group1", "*")
RULE_D = res_rule("verb1,verb2", "group1,group2", "resource1,resource2")
RULE_E = res_rule("*", "*", "resource1/subresource1")
RULE_F = url_rule("verb1", "*")
RULE_G = url_rule("verb1", "/foo/*")
RULE_H = url_rule("*", "/foo,/foo/bar/one")

RESOURCE_VECTORS = [
    ("1", RULE_A, req("verb1", "group1", "resource1"), True),
    ("2", RULE_A, req("verb2", "group1", "resource1"), True),
    ("3", RULE_A, req("verb1", "group2", "resource1"), False),
    ("4", RULE_A, req("verb1", "group1", "resource2"), False),
    ("5", RULE_B, req("verb1", "group2", "resource1"), True),
    ("6", RULE_B, req("verb2", "group1", "resource1"), False),
    ("7", RULE_C, req("verb1", "group1", "resource2"), True),
    ("8", RULE_C, req("verb1", "group2", "resource1"), False),
    ("10", RULE_E, req("verb1", "group1", "resource1", "subresource1"), True),
    ("11", RULE_E, req("verb1", "group1", "resource1", "subresource2"), False),
    ("12", RULE_E, req("verb1", "group1", "resource2", "subresource1"), False),
    ("28", res_rule("*", "*", "pods"), req("get", "", "pods"), True),
    ("29", res_rule("*", "*", "pods"), req("get", "", "pods", "status"), False),
    ("named-vs-list", res_rule("get", "core", "pods", "x"), req("list", "", "pods"), False),
    ("named-vs-no-name", res_rule("get", "core", "pods", "x"), req("get", "", "pods"), False),
    ("named-match", res_rule("get", "core", "pods", "x"), req("get", "", "pods", name="x"), True),
    ("any-name", res_rule("get", "core", "pods"), req("get", "", "pods", name="x"), True),
    ("verb-case", res_rule("GET", "core", "pods"), req("get", "", "pods"), False),
    ("names-star-literal", res_rule("get", "core", "pods", "*"), req("get", "", "pods", name="x"), False),
    ("no-pods-star", res_rule("get", "core", "pods/*"), req("get", "", "pods", "log"), False),
    ("star-any-sub", res_rule("get", "*", "*"), req("get", "", "pods", "log"), True),
    ("star-sub-needs-sub", res_rule("get", "*", "*/scale"), req("get", "apps", "deployments"), False),
]


@pytest.mark.parametrize(("case", "rule", "attrs", "expected"), RESOURCE_VECTORS)
def test_resource_rule_vectors(case: str, rule: PolicyRule, attrs: Attributes, expected: bool) -> None:
    assert rule_allows(rule, attrs) is expected, case


@pytest.mark.parametrize("verb", ["verb1", "verb2"])
@pytest.mark.parametrize("group", ["group1", "group2"])
@pytest.mark.parametrize("resource", ["resource1", "resource2"])
def test_vector_9_cross_product(verb: str, group: str, resource: str) -> None:
    assert rule_allows(RULE_D, req(verb, group, resource))


@pytest.mark.parametrize("resource", ["pods", "deployments", "anything"])
def test_vector_30_star_subresource(resource: str) -> None:
    rule = res_rule("*", "*", "*/scale")
    assert rule_allows(rule, req("get", "", resource, "scale"))
    assert rule_allows(res_rule("*", "*", "pods/status"), req("get", "", "pods", "status"))


def test_vector_31_subresource_rules_do_not_match_the_resource() -> None:
    rules = [res_rule("*", "*", "pods/status"), res_rule("*", "*", "*/scale")]
    assert not any(rule_allows(rule, req("get", "", "pods")) for rule in rules)


URL_VECTORS = [
    ("13", RULE_F, "verb1", "/foo", True),
    ("13b", RULE_F, "verb1", "/foo/bar/one", True),
    ("14", RULE_F, "verb2", "/foo", False),
    ("15", RULE_G, "verb1", "/foo", False),
    ("16", RULE_G, "verb1", "/foo/bar", True),
    ("16b", RULE_G, "verb1", "/foo/baz/one", True),
    ("17", RULE_G, "verb1", "/notfoo/bar", False),
    ("18", RULE_H, "get", "/foo", True),
    ("18b", RULE_H, "delete", "/foo/bar/one", True),
    ("19", RULE_H, "get", "/foo/bar", False),
    ("19b", RULE_H, "get", "/foo/baz/one", False),
]


@pytest.mark.parametrize(("case", "rule", "verb", "path", "expected"), URL_VECTORS)
def test_non_resource_vectors(case: str, rule: PolicyRule, verb: str, path: str, expected: bool) -> None:
    assert rule_allows(rule, Attributes(verb=verb, path=path)) is expected, case


def test_url_rules_never_match_resource_requests() -> None:
    assert not rule_allows(url_rule("*", "*"), req("get", "", "pods"))
    assert not rule_allows(res_rule("*", "*", "*"), Attributes(verb="get", path="/healthz"))


def _binding(subjects: list[Subject], namespace: str = "") -> Binding:
    kind = BindingKind.ROLE_BINDING if namespace else BindingKind.CLUSTER_ROLE_BINDING
    return Binding(
        kind=kind,
        name="b",
        namespace=namespace,
        role_ref=RoleRef(kind="ClusterRole", name="r"),
        subjects=tuple(subjects),
    )


SUBJECT_VECTORS = [
    ("32", Subject(kind="User", name="foobar"), "foobar", (), "", True),
    ("33", Subject(kind="User", name="*"), "foobar", (), "", False),
    ("34", Subject(kind="Group", name="foobar"), "zimzam", ("foobar",), "ns", True),
    (
        "35",
        Subject(kind="ServiceAccount", name="default", namespace="kube-system"),
        "system:serviceaccount:kube-system:default",
        (),
        "default",
        True,
    ),
    (
        "36a",
        Subject(kind="Group", name="system:authenticated"),
        "foobar",
        ("system:authenticated",),
        "",
        True,
    ),
    (
        "36b",
        Subject(kind="Group", name="system:unauthenticated"),
        "system:anonymous",
        ("system:unauthenticated",),
        "",
        True,
    ),
    (
        "sa-defaults-to-rb-namespace",
        Subject(kind="ServiceAccount", name="app"),
        "system:serviceaccount:dev:app",
        (),
        "dev",
        True,
    ),
    (
        "sa-without-namespace-in-crb",
        Subject(kind="ServiceAccount", name="app"),
        "system:serviceaccount::app",
        (),
        "",
        False,
    ),
    (
        "sa-other-namespace",
        Subject(kind="ServiceAccount", name="app", namespace="prod"),
        "system:serviceaccount:dev:app",
        (),
        "dev",
        False,
    ),
    ("group-star-literal", Subject(kind="Group", name="*"), "u", ("devs",), "", False),
    ("unknown-kind", Subject(kind="Robot", name="u"), "u", (), "", False),
    ("user-case", Subject(kind="User", name="Alice"), "alice", (), "", False),
]


@pytest.mark.parametrize(("case", "subject", "user", "groups", "ns", "expected"), SUBJECT_VECTORS)
def test_subject_vectors(
    case: str, subject: Subject, user: str, groups: tuple[str, ...], ns: str, expected: bool
) -> None:
    assert subject_applies(subject, user, groups, ns) is expected, case


def test_vector_34_any_subject_suffices() -> None:
    binding = _binding([Subject(kind="User", name="barfoo"), Subject(kind="Group", name="foobar")], "ns1")
    assert any(subject_applies(s, "zimzam", ["foobar"], binding.namespace) for s in binding.subjects)


# ---------------------------------------------------------------------------------------- Covers


COVER_VECTORS = [
    ("40", [res_rule("get", "v1", "*/scale")], [res_rule("get", "v1", "foo/scale")], True),
    ("41", [res_rule("get", "dummy-group", "roles")], [res_rule("get", "*", "roles")], False),
    (
        "42",
        [res_rule("get,list,watch,create,update,delete,exec", "v1", "pods")],
        [res_rule("*", "v1", "pods")],
        False,
    ),
    ("43", [res_rule("get", "v1", "pods")], [res_rule("get", "v1", "pods", "foo,bar")], True),
    ("43-reverse", [res_rule("get", "v1", "pods", "foo,bar")], [res_rule("get", "v1", "pods")], False),
    ("star-owner", [res_rule("*", "*", "*")], [res_rule("get,delete", "apps", "deployments/scale")], True),
]


@pytest.mark.parametrize(("case", "owner", "servant", "expected"), COVER_VECTORS)
def test_covers_vectors(
    case: str, owner: list[PolicyRule], servant: list[PolicyRule], expected: bool
) -> None:
    covered, missing = covers(owner, servant)
    assert covered is expected, case
    assert bool(missing) is not expected


@pytest.mark.parametrize(
    ("owner", "path"), [("*", ""), ("*", "/"), ("/*", "/"), ("/*", "/foo"), ("/api/*", "/api/v1")]
)
def test_vector_44_url_covers(owner: str, path: str) -> None:
    assert url_matches(owner, path)
    assert covers([url_rule("get", owner)], [url_rule("get", path)])[0]


@pytest.mark.parametrize(
    ("owner", "path"),
    [
        ("/*", ""),
        ("/apis", "/api"),
        ("/api/v1", "/api"),
        ("/api/*", "/api"),
        ("/api/*/*", "/api/v1"),
        ("/*/v1/*", "/api/v1"),
    ],
)
def test_vector_45_url_not_covered(owner: str, path: str) -> None:
    assert not url_matches(owner, path)
    assert not covers([url_rule("get", owner)], [url_rule("get", path)])[0]


# --------------------------------------------------------------------------------------- parsing


def test_parse_flattens_lists_and_ignores_other_kinds() -> None:
    objects = parse_rbac_objects(
        [
            {
                "kind": "List",
                "items": [
                    {
                        "kind": "Role",
                        "metadata": {"name": "r", "namespace": "dev"},
                        "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}],
                    },
                    {"kind": "ConfigMap", "metadata": {"name": "x"}},
                ],
            },
            {
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "crb"},
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "devs"}],
            },
            {"kind": "Namespace", "metadata": {"name": "dev"}},
        ]
    )
    assert [r.name for r in objects.roles] == ["r"]
    assert objects.roles[0].rules[0] == res_rule("get", "core", "pods")
    assert objects.bindings[0].subjects == (Subject(kind="Group", name="devs"),)
    assert objects.namespaces == ("dev",)


def test_rules_null_parses_to_no_rules_and_aggregation_rule_is_kept() -> None:
    objects = parse_rbac_objects(
        [
            {
                "kind": "ClusterRole",
                "metadata": {"name": "agg"},
                "rules": None,
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "true"}}]},
            }
        ]
    )
    role = objects.roles[0]
    assert role.rules == ()
    assert role.aggregation is not None and role.aggregation[0].match_labels == (("a", "true"),)


def test_reason_words() -> None:
    binding = _binding([Subject(kind="ServiceAccount", name="app")], "dev")
    assert binding.describe() == 'RoleBinding "b/dev"'
    assert binding.subjects[0].describe("dev") == 'ServiceAccount "app/dev"'
    assert res_rule("get", "core,apps", "pods", "x").describe() == '{get; "",apps; pods; names x}'
