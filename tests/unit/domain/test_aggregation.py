"""ClusterRole aggregation on raw manifests, to a fixpoint, as the controller does
(https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go)."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.authz.aggregation import aggregate_cluster_roles, selector_matches
from eksaccess.domain.authz.bootstrap import bootstrap_cluster_role_rules
from eksaccess.domain.authz.rbac import LabelRequirement, LabelSelector, PolicyRule, parse_rbac_objects


def cr(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    agg: list[dict[str, Any]] | None = None,
    rules: list[str] | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {"kind": "ClusterRole", "metadata": {"name": name, "labels": labels or {}}}
    manifest["rules"] = (
        None if rules is None else [{"verbs": ["get"], "apiGroups": [""], "resources": [r]} for r in rules]
    )
    if agg is not None:
        manifest["aggregationRule"] = {"clusterRoleSelectors": agg}
    return manifest


def resolved(manifests: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    roles = aggregate_cluster_roles(parse_rbac_objects(manifests).roles)
    return {r.name: tuple(res for rule in r.rules for res in rule.resources) for r in roles}


def to(key: str) -> dict[str, Any]:
    return {"matchLabels": {key: "true"}}


def test_view_edit_admin_chain_with_rules_null() -> None:
    roles = resolved(
        [
            # declared in the "wrong" order on purpose: admin first, sources last
            cr("admin", agg=[to("agg-admin")]),
            cr("edit", labels={"agg-admin": "true"}, agg=[to("agg-edit")]),
            cr("view", labels={"agg-edit": "true"}, agg=[to("agg-view")]),
            cr("system:aggregate-to-admin", labels={"agg-admin": "true"}, rules=["roles"]),
            cr("system:aggregate-to-edit", labels={"agg-edit": "true"}, rules=["secrets"]),
            cr("system:aggregate-to-view", labels={"agg-view": "true"}, rules=["pods"]),
        ]
    )
    assert roles["view"] == ("pods",)
    assert set(roles["edit"]) == {"pods", "secrets"}
    assert set(roles["admin"]) == {"pods", "secrets", "roles"}


def test_own_rules_of_an_aggregating_role_are_overwritten() -> None:
    roles = resolved(
        [cr("agg", agg=[to("x")], rules=["mine"]), cr("src", labels={"x": "true"}, rules=["theirs"])]
    )
    assert roles["agg"] == ("theirs",)
    assert resolved([cr("agg", agg=[to("x")], rules=["mine"])])["agg"] == ()


def test_selectors_in_order_matches_by_name_exact_dedupe_and_self_skipped() -> None:
    roles = resolved(
        [
            cr("agg", labels={"a": "true"}, agg=[to("b"), to("a")]),
            cr("z-src", labels={"a": "true"}, rules=["za", "shared"]),
            cr("a-src", labels={"a": "true"}, rules=["aa"]),
            cr("b-src", labels={"b": "true"}, rules=["shared", "bb"]),
        ]
    )
    assert roles["agg"] == ("shared", "bb", "aa", "za")


def test_cycles_terminate() -> None:
    roles = resolved(
        [
            cr("a", labels={"to-b": "true"}, agg=[to("to-a")]),
            cr("b", labels={"to-a": "true"}, agg=[to("to-b")]),
            cr("src", labels={"to-a": "true"}, rules=["pods"]),
        ]
    )
    assert "pods" in roles["a"]


def test_roles_without_aggregation_are_untouched() -> None:
    roles = parse_rbac_objects([cr("plain", rules=["pods"])]).roles
    assert aggregate_cluster_roles(roles) == roles


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (LabelSelector(), {}, True),
        (LabelSelector(match_labels=(("a", "1"),)), {"a": "1", "b": "2"}, True),
        (LabelSelector(match_labels=(("a", "1"),)), {"a": "2"}, False),
        (
            LabelSelector(match_expressions=(LabelRequirement(key="a", operator="In", values=("1", "2")),)),
            {"a": "2"},
            True,
        ),
        (
            LabelSelector(match_expressions=(LabelRequirement(key="a", operator="NotIn", values=("1",)),)),
            {},
            True,
        ),
        (LabelSelector(match_expressions=(LabelRequirement(key="a", operator="Exists"),)), {"a": ""}, True),
        (
            LabelSelector(match_expressions=(LabelRequirement(key="a", operator="DoesNotExist"),)),
            {"a": ""},
            False,
        ),
        (LabelSelector(match_expressions=(LabelRequirement(key="a", operator="Bogus"),)), {"a": ""}, False),
    ],
)
def test_selector_matching(selector: LabelSelector, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


def test_bootstrap_aggregated_roles_are_nested() -> None:
    view, edit, admin = (set(bootstrap_cluster_role_rules(n)) for n in ("view", "edit", "admin"))
    assert view and view < edit < admin
    secrets = PolicyRule(verbs=("get", "list", "watch"), api_groups=("",), resources=("secrets",))
    assert not any("secrets" in r.resources for r in view)
    assert any(set(secrets.verbs) <= set(r.verbs) and "secrets" in r.resources for r in edit)
