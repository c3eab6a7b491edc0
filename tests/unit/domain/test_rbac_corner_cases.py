"""Two corners of Kubernetes RBAC, table-driven, with the upstream tests and source they come from.

* ``resourceNames: [""]`` is a name, not "no names": BreakdownRule makes one atom per name, CompactRules keeps
  it apart from the name-less rule, and CompactString prints ``ResourceNames:[""]``
  (pkg/registry/rbac/validation/policy_compact_test.go, TestCompactRules "simple").
* a non-resource URL pattern strips every trailing ``*`` before the prefix match
  (``strings.TrimRight(url, "*")`` in pkg/apis/rbac/v1/evaluation_helpers.go NonResourceURLMatches and in
  pkg/registry/rbac/validation/policy_comparator.go nonResourceURLCovers).
"""

from __future__ import annotations

import pytest

from eksaccess.domain.authz.escalation import compact_rules, compact_string
from eksaccess.domain.authz.policy_rules import covers, rule_allows, url_matches
from eksaccess.domain.authz.rbac import Attributes, PolicyRule

EXT = ("extensions",)
DS = ("daemonsets",)


def test_compact_rules_simple_keeps_the_empty_name_apart() -> None:
    """policy_compact_test.go TestCompactRules "simple" (the daemonsets rows)."""
    rules = [
        PolicyRule(verbs=("create",), api_groups=EXT, resources=DS),
        PolicyRule(verbs=("delete",), api_groups=EXT, resources=DS),
        PolicyRule(verbs=("patch",), api_groups=EXT, resources=DS, resource_names=("",)),
        PolicyRule(verbs=("get",), api_groups=EXT, resources=DS, resource_names=("foo",)),
    ]
    _, atoms = covers((), rules)
    got = sorted(compact_string(r) for r in compact_rules(atoms))
    assert got == [
        '{APIGroups:["extensions"], Resources:["daemonsets"], ResourceNames:[""], Verbs:["patch"]}',
        '{APIGroups:["extensions"], Resources:["daemonsets"], ResourceNames:["foo"], Verbs:["get"]}',
        '{APIGroups:["extensions"], Resources:["daemonsets"], Verbs:["create" "delete"]}',
    ]


@pytest.mark.parametrize(
    ("owner", "servant", "covered"),
    [
        # holding exactly the rule with the empty name lets one grant it (it was refused before)
        (("",), ("",), True),
        # the empty name does not cover every name, nor the name-less rule
        (("",), (), False),
        (("",), ("foo",), False),
        # no names covers the empty name, as it covers any name
        ((), ("",), True),
    ],
)
def test_an_empty_resource_name_is_a_name_when_covering(
    owner: tuple[str, ...], servant: tuple[str, ...], covered: bool
) -> None:
    rule = PolicyRule(verbs=("patch",), api_groups=EXT, resources=DS)
    held = PolicyRule(verbs=rule.verbs, api_groups=EXT, resources=DS, resource_names=owner)
    asked = PolicyRule(verbs=rule.verbs, api_groups=EXT, resources=DS, resource_names=servant)
    assert covers((held,), (asked,))[0] is covered


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/metrics**", "/metrics/cadvisor", True),
        ("/metrics**", "/metrics", True),
        ("/metrics*", "/metrics/cadvisor", True),
        ("/api/**", "/api/v1", True),
        ("/api/**", "/apis", False),
        ("/metrics", "/metrics/cadvisor", False),
        ("*", "/anything", True),
        ("/healthz", "/healthz", True),
    ],
)
def test_every_trailing_star_is_stripped(pattern: str, path: str, matches: bool) -> None:
    assert url_matches(pattern, path) is matches
    rule = PolicyRule(verbs=("get",), non_resource_urls=(pattern,))
    assert rule_allows(rule, Attributes(verb="get", path=path)) is matches
    asked = PolicyRule(verbs=("get",), non_resource_urls=(path,))
    assert covers((rule,), (asked,))[0] is matches
