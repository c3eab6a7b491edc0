"""who-can-assume: every route from a Kubernetes subject (and the IAM principal behind it) to a role; and a
brute-force check on generated clusters: for every subject and every service account, the RBAC asked
directly (create pods or a workload in its namespace, create serviceaccounts/token, impersonate) against
who-can-assume's answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from eksaccess.domain.authz.rbac import SERVICE_ACCOUNT_PREFIX
from eksaccess.features.analyze.can_i import authorizer_for, build_request
from eksaccess.features.analyze.who_can_assume import POD_CREATORS, Asker, Route, who_can_assume
from support.workload_state import (
    binding,
    irsa_trust,
    role,
    role_arn,
    rule,
    workload_state,
)

WEB = role_arn("web")
ANNOTATED = {"eks.amazonaws.com/role-arn": WEB}
TRUST = {WEB: irsa_trust("system:serviceaccount:apps:web")}
DEV = role_arn("dev")


def routes(kubernetes: list[dict[str, Any]], **kw: Any) -> set[tuple[str, str, Route]]:
    state = workload_state(
        service_accounts=[("apps", "web", ANNOTATED), ("apps", "db", {})],
        trust=TRUST,
        kubernetes=kubernetes,
        **kw,
    )
    result = who_can_assume(state, WEB)
    return {
        (p.principal_arn, p.subject, p.route) for p in result.paths if p.subject != 'Group "system:masters"'
    }


DIRECT = ("", 'ServiceAccount "apps/web"', Route.SERVICE_ACCOUNT)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([], set(), id="nothing"),
        pytest.param([rule(["create"], ["pods"])], {("", 'User "bob"', Route.CREATE_WORKLOAD)}, id="pods"),
        pytest.param(
            [rule(["create"], ["cronjobs"], ["batch"])],
            {("", 'User "bob"', Route.CREATE_WORKLOAD)},
            id="cronjobs",
        ),
        pytest.param([rule(["get", "list"], ["pods"])], set(), id="read-only"),
        pytest.param(
            [rule(["create"], ["serviceaccounts/token"], names=["web"])],
            {("", 'User "bob"', Route.CREATE_TOKEN)},
            id="token-named",
        ),
        pytest.param([rule(["create"], ["serviceaccounts/token"], names=["db"])], set(), id="token-other-sa"),
        pytest.param(
            [rule(["impersonate"], ["serviceaccounts"])],
            {("", 'User "bob"', Route.IMPERSONATE)},
            id="impersonate",
        ),
        pytest.param(
            [rule(["*"], ["*"], ["*"])],
            {("", 'User "bob"', r) for r in Route if r is not Route.SERVICE_ACCOUNT},
            id="admin",
        ),
    ],
)
def test_each_route(rules: list[dict[str, Any]], expected: set[tuple[str, str, Route]]) -> None:
    objects = (
        [role("r", "apps", rules), binding("b", "apps", "r", [{"kind": "User", "name": "bob"}])]
        if rules
        else []
    )
    assert routes(objects) == {DIRECT} | expected


def test_a_grant_in_another_namespace_does_not_reach() -> None:
    objects = [
        role("r", "ops", [rule(["create"], ["pods"])]),
        binding("b", "ops", "r", [{"kind": "User", "name": "bob"}]),
    ]
    assert routes(objects) == {DIRECT}


def test_iam_principals_behind_the_subjects_through_access_entries_and_aws_auth() -> None:
    objects = [
        role("r", "apps", [rule(["create"], ["deployments"], ["apps"])]),
        binding("b", "apps", "r", [{"kind": "Group", "name": "devs"}]),
    ]
    ops = role_arn("ops")
    found = routes(
        objects,
        access_entries=[{"principalArn": DEV, "kubernetesGroups": ["devs"]}],
        aws_auth={"mapRoles": f"- rolearn: {ops}\n  username: ops\n  groups: [devs]\n"},
    )
    assert found == {
        DIRECT,
        (DEV, 'Group "devs"', Route.CREATE_WORKLOAD),
        (ops, 'Group "devs"', Route.CREATE_WORKLOAD),
    }


def test_an_access_policy_is_a_route_too() -> None:
    entry = {
        "principalArn": DEV,
        "accessPolicies": [
            {
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                "accessScope": {"type": "namespace", "namespaces": ["apps"]},
            }
        ],
    }
    state = workload_state(service_accounts=[("apps", "web", ANNOTATED)], trust=TRUST, access_entries=[entry])
    paths = [p for p in who_can_assume(state, WEB).paths if p.principal_arn == DEV]
    assert {p.route for p in paths} >= {Route.CREATE_WORKLOAD, Route.IMPERSONATE}
    assert all(p.grant.startswith("access policy AmazonEKSEditPolicy") for p in paths)


def test_an_association_for_a_missing_service_account_is_noted() -> None:
    association = {"namespace": "apps", "serviceAccount": "later", "roleArn": WEB}
    state = workload_state(service_accounts=[("apps", "web", {})], associations=[association])
    result = who_can_assume(state, WEB)
    assert [str(h.service_account) for h in result.holders] == ["apps/later"]
    assert any("apps/later does not exist" in note for note in result.notes)


def test_a_role_nobody_holds_has_no_paths() -> None:
    state = workload_state(
        service_accounts=[("apps", "web", {})], trust={WEB: irsa_trust("system:serviceaccount:x:y")}
    )
    result = who_can_assume(state, WEB)
    assert result.holders == () and result.paths == ()


# ---------------------------------------------------------------------------------------------- brute force

NAMESPACES = ("a", "b")
SERVICE_ACCOUNTS = tuple((ns, name) for ns in NAMESPACES for name in ("s1", "s2"))
USERS = ("u1", "u2")
GROUPS = ("g1", "g2")
RESOURCES = (
    ("", "pods"),
    ("apps", "deployments"),
    ("batch", "jobs"),
    ("", "replicationcontrollers"),
    ("", "serviceaccounts/token"),
    ("", "serviceaccounts"),
    ("", "secrets"),
)
VERBS = ("create", "impersonate", "get", "*")

subjects_st = st.sampled_from(
    [{"kind": "User", "name": u} for u in USERS]
    + [{"kind": "Group", "name": g} for g in GROUPS]
    + [{"kind": "ServiceAccount", "name": n, "namespace": ns} for ns, n in SERVICE_ACCOUNTS]
)
rule_st = st.builds(
    lambda resource, verbs, names: rule(list(verbs), [resource[1]], [resource[0]], list(names)),
    st.sampled_from(RESOURCES),
    st.sets(st.sampled_from(VERBS), min_size=1, max_size=2),
    st.sets(st.sampled_from(("s1", "s2")), max_size=1),
)
grant_st = st.tuples(
    st.sampled_from((*NAMESPACES, "")),  # "" : a ClusterRole bound cluster-wide
    st.lists(rule_st, min_size=1, max_size=3),
    st.lists(subjects_st, min_size=1, max_size=3),
)


def _objects(grants: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for index, (namespace, rules, subjects) in enumerate(grants):
        if namespace:
            objects += [
                role(f"r{index}", namespace, rules),
                binding(f"b{index}", namespace, f"r{index}", subjects),
            ]
            continue
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"c{index}"},
                "rules": rules,
            }
        )
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"cb{index}"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": f"c{index}",
                },
                "subjects": subjects,
            }
        )
    return objects


def _identity(subject: str) -> tuple[str, tuple[str, ...]]:
    kind, _, name = subject.partition(" ")
    name = name.strip('"')
    if kind == "Group":
        return "", (name,)
    if kind == "ServiceAccount":
        ns, _, sa = name.partition("/")
        return f"{SERVICE_ACCOUNT_PREFIX}{ns}:{sa}", ()
    return name, ()


@settings(max_examples=60, deadline=None)
@given(
    grants=st.lists(grant_st, max_size=5),
    holders=st.sets(st.sampled_from(SERVICE_ACCOUNTS), min_size=1),
)
def test_who_can_assume_equals_the_rbac_asked_directly(
    grants: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]], holders: set[tuple[str, str]]
) -> None:
    trust = irsa_trust(sorted(f"system:serviceaccount:{ns}:{name}" for ns, name in holders))
    state = workload_state(
        service_accounts=[(ns, name, {}) for ns, name in SERVICE_ACCOUNTS],
        trust={WEB: trust},
        kubernetes=_objects(grants),
    )
    result = who_can_assume(state, WEB, asker=Asker(state))
    assert {(h.service_account.namespace, h.service_account.name) for h in result.holders} == holders
    got = {(p.subject, str(p.service_account)) for p in result.paths}

    authz = authorizer_for(state)
    universe = {'Group "system:masters"'}
    universe |= {f'User "{u}"' for u in USERS} | {f'Group "{g}"' for g in GROUPS}
    universe |= {f'ServiceAccount "{ns}/{n}"' for ns, n in SERVICE_ACCOUNTS}
    expected: set[tuple[str, str]] = set()
    for subject in universe:
        username, groups = _identity(subject)
        if subject == 'Group "system:masters"':
            username, groups = "", ("system:masters",)
        for ns, name in holders:
            asks = [build_request("create", r, namespace=ns) for r in POD_CREATORS]
            asks += [
                build_request("create", "serviceaccounts/token", namespace=ns, name=name),
                build_request("impersonate", "serviceaccounts", namespace=ns, name=name),
            ]
            direct = subject == f'ServiceAccount "{ns}/{name}"'
            if direct or any(
                authz.authorize(a.attrs, username=username, groups=groups, explain=False).allowed
                for a in asks
            ):
                expected.add((subject, f"{ns}/{name}"))
    event(
        f"escalations: {min(len(expected - {(s, h) for s, h in expected if s.startswith('ServiceAccount')}), 3)}"
    )
    assert got == expected
