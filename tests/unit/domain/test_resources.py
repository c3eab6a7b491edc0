"""The resource argument as kubectl reads it (domain/authz/resources.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.authz.resources import RESOURCES, resolve_resource
from eksaccess.errors import InputError


@pytest.mark.parametrize(
    ("text", "resource", "sub", "group", "namespaced"),
    [
        ("pods", "pods", "", "", True),
        ("po", "pods", "", "", True),
        ("pod", "pods", "", "", True),
        ("Pods", "pods", "", "", True),
        ("pods/log", "pods", "log", "", True),
        ("deploy", "deployments", "", "apps", True),
        ("deployments.apps", "deployments", "", "apps", True),
        ("deployments.v1.apps", "deployments", "", "apps", True),
        ("deployments.apps/scale", "deployments", "scale", "apps", True),
        ("cm", "configmaps", "", "", True),
        ("svc", "services", "", "", True),
        ("sa", "serviceaccounts", "", "", True),
        ("ns", "namespaces", "", "", False),
        ("no", "nodes", "", "", False),
        ("rolebindings.rbac.authorization.k8s.io", "rolebindings", "", "rbac.authorization.k8s.io", True),
        ("clusterroles", "clusterroles", "", "rbac.authorization.k8s.io", False),
        ("crd", "customresourcedefinitions", "", "apiextensions.k8s.io", False),
        ("users", "users", "", "", False),
        ("*", "*", "", "", True),
    ],
)
def test_known_forms(text: str, resource: str, sub: str, group: str, namespaced: bool) -> None:
    got = resolve_resource(text)
    assert (got.resource, got.subresource, got.group, got.namespaced, got.known) == (
        resource,
        sub,
        group,
        namespaced,
        True,
    )
    assert not got.note


def test_unknown_forms_are_taken_literally_with_a_note() -> None:
    widget = resolve_resource("widgets.example.com")
    assert (widget.resource, widget.group, widget.namespaced, widget.known) == (
        "widgets",
        "example.com",
        True,
        False,
    )
    assert "example.com" in widget.note
    bare = resolve_resource("widgets")
    assert (bare.resource, bare.group, bare.known) == ("widgets", "", False)
    assert "core" in bare.note
    assert resolve_resource("deployments.apps/scale").display == "deployments.apps/scale"


@pytest.mark.parametrize("text", ["", "pods/log/x", "pods/", "Pods!", "/pods", "a b"])
def test_malformed(text: str) -> None:
    with pytest.raises(InputError):
        resolve_resource(text)


def test_table_names_are_unique_per_group() -> None:
    keys = [(info.plural, info.group) for info in RESOURCES]
    assert len(keys) == len(set(keys))


@given(st.sampled_from(RESOURCES), st.sampled_from(["plural", "singular", "short"]), st.booleans())
def test_every_table_entry_resolves_by_each_name(info: object, form: str, with_group: bool) -> None:
    from eksaccess.domain.authz.resources import ResourceInfo

    assert isinstance(info, ResourceInfo)
    names = {"plural": [info.plural], "singular": [info.singular], "short": list(info.short_names)}[form]
    for name in names:
        text = f"{name}.{info.group}" if with_group and info.group else name
        got = resolve_resource(text)
        if with_group or not info.group or got.group == info.group:
            assert (got.resource, got.group) == (info.plural, info.group)
