"""PATCH semantics: JSON merge (RFC 7386), JSON patch (RFC 6902), strategic merge with kube's strategies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.sandbox.kube.patch import PatchError, json_merge_patch, json_patch, strategic_merge_patch

ROLE: dict[str, Any] = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "r", "namespace": "dev", "labels": {"a": "1", "b": "2"}, "finalizers": ["x"]},
    "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}],
}
BINDING: dict[str, Any] = {
    "kind": "RoleBinding",
    "metadata": {"name": "rb"},
    "subjects": [{"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"}],
    "roleRef": {"kind": "ClusterRole", "name": "view"},
}
DEPLOY: dict[str, Any] = {
    "kind": "Deployment",
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]},
                    {"name": "side", "image": "busybox"},
                ]
            }
        }
    },
}


# RFC 7386 appendix A examples
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_json_merge_patch_rfc7386(target: Any, patch: Any, result: Any) -> None:
    assert json_merge_patch(target, patch) == result


def test_json_patch_operations() -> None:
    doc = {"a": {"b": [1, 2]}, "c": "d"}
    ops = [
        {"op": "add", "path": "/a/b/1", "value": 9},
        {"op": "add", "path": "/a/b/-", "value": 3},
        {"op": "replace", "path": "/c", "value": "e"},
        {"op": "remove", "path": "/a/b/0"},
        {"op": "copy", "from": "/c", "path": "/f"},
        {"op": "move", "from": "/f", "path": "/g~1h"},
        {"op": "test", "path": "/g~1h", "value": "e"},
    ]
    assert json_patch(doc, ops) == {"a": {"b": [9, 2, 3]}, "c": "e", "g/h": "e"}
    assert doc == {"a": {"b": [1, 2]}, "c": "d"}


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "test", "path": "/c", "value": "x"}],
        [{"op": "nope", "path": "/c"}],
        [{"path": "/c"}],
        {"op": "add"},
    ],
)
def test_json_patch_errors(ops: Any) -> None:
    with pytest.raises(PatchError):
        json_patch({"c": "d"}, ops)


def test_strategic_rules_and_subjects_are_replaced_atomically() -> None:
    out = strategic_merge_patch(
        ROLE, {"rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]}]}, kind="Role"
    )
    assert out["rules"] == [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]}]
    out = strategic_merge_patch(
        BINDING, {"subjects": [{"kind": "Group", "name": "devs"}]}, kind="RoleBinding"
    )
    assert out["subjects"] == [{"kind": "Group", "name": "devs"}]
    assert out["roleRef"] == BINDING["roleRef"]


def test_strategic_maps_merge_and_null_deletes() -> None:
    out = strategic_merge_patch(ROLE, {"metadata": {"labels": {"a": None, "c": "3"}}}, kind="Role")
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert out["rules"] == ROLE["rules"]


def test_strategic_merge_list_by_name_and_nested_env() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}],
                    "containers": [
                        {"name": "web", "image": "nginx:2", "env": [{"name": "B", "value": "2"}]},
                        {"name": "side", "$patch": "delete"},
                        {"name": "new", "image": "alpine"},
                    ],
                }
            }
        }
    }
    out = strategic_merge_patch(DEPLOY, patch, kind="Deployment")
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "new"]
    assert containers[0]["image"] == "nginx:2"
    assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert "$setElementOrder/containers" not in out["spec"]["template"]["spec"]


def test_strategic_directives() -> None:
    out = strategic_merge_patch(ROLE, {"metadata": {"labels": {"$patch": "replace", "z": "9"}}}, kind="Role")
    assert out["metadata"]["labels"] == {"z": "9"}
    out = strategic_merge_patch(ROLE, {"metadata": {"finalizers": ["y"]}}, kind="Role")
    assert out["metadata"]["finalizers"] == ["x", "y"]
    out = strategic_merge_patch(
        ROLE, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}, kind="Role"
    )
    assert out["metadata"]["finalizers"] == []
    out = strategic_merge_patch(ROLE, {"metadata": {"labels": {"$patch": "delete"}}}, kind="Role")
    assert "labels" not in out["metadata"]
    out = strategic_merge_patch(
        {"spec": {"a": 1, "b": 2}}, {"spec": {"$retainKeys": ["b"], "b": 3}}, kind="Pod"
    )
    assert out == {"spec": {"b": 3}}
    with pytest.raises(PatchError):
        strategic_merge_patch(ROLE, ["not", "a", "map"], kind="Role")


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    out = strategic_merge_patch(svc, {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}, kind="Service")
    assert out["spec"]["ports"] == [
        {"port": 80, "name": "http", "targetPort": 8080},
        {"port": 443, "name": "https"},
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="abc", max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(alphabet="abc", max_size=3), json_values, max_size=4))
def test_merge_patch_with_itself_minus_nulls_is_identity(doc: dict[str, Any]) -> None:
    cleaned = json_merge_patch({}, doc)
    assert json_merge_patch(cleaned, cleaned) == cleaned
    assert strategic_merge_patch(cleaned, cleaned, kind="ConfigMap") == cleaned
