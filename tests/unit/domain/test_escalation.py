"""The escalation refusal in kube-apiserver's words: CompactRules, CompactString and the message."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.escalation import (
    RoleNotFoundError,
    binding_refusal,
    compact_rules,
    compact_string,
    role_write_refusal,
)
from eksaccess.domain.authz.policy_rules import covers
from eksaccess.domain.authz.rbac import PolicyRule
from eksaccess.domain.go_text import go_list


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            PolicyRule(verbs=("get",), api_groups=("",), resources=("pods",)),
            '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}',
        ),
        (PolicyRule(verbs=("*",), non_resource_urls=("*",)), '{NonResourceURLs:["*"], Verbs:["*"]}'),
        (
            PolicyRule(
                verbs=("get", "update"),
                api_groups=("apps",),
                resources=("deployments",),
                resource_names=("web",),
            ),
            '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["get" "update"]}',
        ),
        (PolicyRule(verbs=('say "hi"',)), '{Verbs:["say \\"hi\\""]}'),
    ],
)
def test_compact_string(rule: PolicyRule, text: str) -> None:
    assert compact_string(rule) == text


def test_compact_rules_merges_verbs_per_group_resource_and_name_in_order_met() -> None:
    servant = [
        PolicyRule(verbs=("list", "get"), api_groups=("", "apps"), resources=("pods",)),
        PolicyRule(verbs=("delete",), api_groups=("",), resources=("pods",), resource_names=("a", "b")),
        PolicyRule(verbs=("get",), non_resource_urls=("/healthz", "/livez")),
    ]
    _, missing = covers((), servant)
    texts = sorted(compact_string(r) for r in compact_rules(missing))
    assert texts == [
        '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["delete"]}',
        '{APIGroups:[""], Resources:["pods"], ResourceNames:["b"], Verbs:["delete"]}',
        '{APIGroups:[""], Resources:["pods"], Verbs:["list" "get"]}',
        '{APIGroups:["apps"], Resources:["pods"], Verbs:["list" "get"]}',
        '{NonResourceURLs:["/healthz"], Verbs:["get"]}',
        '{NonResourceURLs:["/livez"], Verbs:["get"]}',
    ]


def _authorizer() -> Authorizer:
    return Authorizer.from_manifests(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "alice-edit", "namespace": "dev"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
            }
        ]
    )


def test_the_refusal_names_only_what_is_not_held_sorted() -> None:
    rules = [
        PolicyRule(verbs=("get", "list"), api_groups=("",), resources=("pods", "nodes")),
        PolicyRule(verbs=("create",), api_groups=("rbac.authorization.k8s.io",), resources=("roles",)),
    ]
    refusal = role_write_refusal(
        _authorizer(), username="alice", groups=("dev-team", "system:authenticated"), role_kind="Role",
        name="r", namespace="dev", rules=rules,
    )  # fmt: skip
    assert refusal == (
        'user "alice" (groups=["dev-team" "system:authenticated"]) is attempting to grant RBAC permissions not '
        "currently held:\n"
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}\n'
        '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["create"]}'
    )
    assert role_write_refusal(
        _authorizer(), username="root", groups=("system:masters",), role_kind="Role", name="r",
        namespace="dev", rules=rules,
    ) is None  # fmt: skip


def test_binding_refusals() -> None:
    auth = _authorizer()
    who: dict[str, Any] = {"username": "alice", "groups": ("system:authenticated",), "namespace": "dev"}
    assert binding_refusal(auth, role_kind="ClusterRole", role_name="view", **who) is None  # edit covers view
    refusal = binding_refusal(auth, role_kind="ClusterRole", role_name="admin", **who)
    assert refusal is not None and "rolebindings" in refusal  # admin has RBAC writes, edit does not
    with pytest.raises(RoleNotFoundError):
        binding_refusal(auth, role_kind="ClusterRole", role_name="nope", **who)


def test_go_list() -> None:
    assert go_list(["a", 'b"c']) == '["a" "b\\"c"]'
    assert go_list([]) == "[]"
