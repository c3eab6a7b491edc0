"""IAM trust chains: policy statements (wildcards, Deny, NotAction, conditions), account roots and
identity policies, cross-account hops, transitive reach and cycles."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.iam.trust import (
    AccountIam,
    TrustGraph,
    TrustSourceKind,
    action_matches,
    parse_authorization_details,
    parse_policy,
    resource_matches,
)

A = "111122223333"
B = "444455556666"
EXT = "777788889999"


def user(account: str, name: str, *policies: dict[str, Any], keys: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserName": name,
        "UserId": f"AIDA{name.upper()}",
        "Arn": f"arn:aws:iam::{account}:user/{name}",
        "UserPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": p} for i, p in enumerate(policies)],
    }
    if keys is not None:
        out["AccessKeyMetadata"] = [{"AccessKeyId": f"AKIA{i}", "Status": "Active"} for i in range(keys)]
    return out


def role(account: str, name: str, trust: list[dict[str, Any]], *policies: dict[str, Any]) -> dict[str, Any]:
    return {
        "RoleName": name,
        "RoleId": f"AROA{name.upper()}",
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "AssumeRolePolicyDocument": quote(json.dumps({"Version": "2012-10-17", "Statement": trust})),
        "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": p} for i, p in enumerate(policies)],
    }


def trusts(*principals: str, effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    value: Any = list(principals) if len(principals) > 1 else principals[0]
    return {"Effect": effect, "Principal": {"AWS": value}, "Action": "sts:AssumeRole", **extra}


def allow(
    resource: str = "*", action: Any = "sts:AssumeRole", effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    return {"Statement": [{"Effect": effect, "Action": action, "Resource": resource, **extra}]}


def account(acct: str, users: list[dict[str, Any]], roles: list[dict[str, Any]]) -> AccountIam:
    return parse_authorization_details({"UserDetailList": users, "RoleDetailList": roles})


def reach(graph: TrustGraph, role_name: str, acct: str = A) -> dict[str, tuple[str, ...]]:
    return {c.source: c.arns for c in graph.reachers(f"arn:aws:iam::{acct}:role/{role_name}")}


def arn(acct: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{acct}:{kind}/{name}"


def test_actions_match_case_insensitively_with_wildcards() -> None:
    for pattern in ("sts:AssumeRole", "STS:assumerole", "sts:*", "*", "sts:Assume*", "sts:AssumeRol?"):
        assert action_matches([pattern]), pattern
    for pattern in ("sts:AssumeRoleWithSAML", "iam:*", "sts:Get*"):
        assert not action_matches([pattern]), pattern


def test_resources_match_with_wildcards_case_sensitively() -> None:
    role_arn = arn(A, "role", "Admin")
    assert resource_matches(["*"], role_arn)
    assert resource_matches([f"arn:aws:iam::{A}:role/*"], role_arn)
    assert resource_matches(["arn:aws:iam::*:role/Adm?n"], role_arn)
    assert not resource_matches([f"arn:aws:iam::{A}:role/admin"], role_arn)
    assert not resource_matches([f"arn:aws:iam::{B}:role/*"], role_arn)


def test_policy_documents_parse_from_dict_json_and_url_encoding() -> None:
    doc = {"Statement": {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}}
    for raw in (doc, json.dumps(doc), quote(json.dumps(doc))):
        statements = parse_policy(raw).statements
        assert len(statements) == 1 and statements[0].allow and statements[0].actions == ("sts:AssumeRole",)


def test_direct_trust_in_the_same_account_needs_no_identity_policy() -> None:
    graph = TrustGraph.build(
        [account(A, [user(A, "alice")], [role(A, "dev", [trusts(arn(A, "user", "alice"))])])]
    )
    assert reach(graph, "dev") == {arn(A, "user", "alice"): (arn(A, "user", "alice"), arn(A, "role", "dev"))}


def test_account_root_trust_needs_an_identity_policy_allowing_the_role() -> None:
    users = [
        user(A, "allowed", allow(f"arn:aws:iam::{A}:role/ad*")),
        user(A, "other-resource", allow(f"arn:aws:iam::{A}:role/dev")),
        user(A, "nothing"),
        user(A, "star", allow("*", action="*")),
    ]
    graph = TrustGraph.build([account(A, users, [role(A, "admin", [trusts(f"arn:aws:iam::{A}:root")])])])
    assert set(reach(graph, "admin")) == {arn(A, "user", "allowed"), arn(A, "user", "star")}
    bare_account = TrustGraph.build([account(A, users, [role(A, "admin", [trusts(A)])])])
    assert set(reach(bare_account, "admin")) == {arn(A, "user", "allowed"), arn(A, "user", "star")}


def test_deny_statements_subtract_on_either_side() -> None:
    roles = [
        role(A, "admin", [trusts(f"arn:aws:iam::{A}:root"), trusts(arn(A, "user", "bob"), effect="Deny")]),
    ]
    users = [
        user(A, "alice", allow(), allow(arn(A, "role", "admin"), effect="Deny")),
        user(A, "bob", allow()),
        user(A, "carol", allow()),
    ]
    graph = TrustGraph.build([account(A, users, roles)])
    assert set(reach(graph, "admin")) == {arn(A, "user", "carol")}


def test_not_action_is_ignored_with_a_note_and_conditions_are_marked() -> None:
    users = [
        user(A, "notaction", {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
        user(A, "conditional", allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        user(
            A,
            "denied-if",
            allow(),
            allow(effect="Deny", Condition={"IpAddress": {"aws:SourceIp": "1.2.3.4"}}),
        ),
    ]
    graph = TrustGraph.build([account(A, users, [role(A, "admin", [trusts(A)])])])
    found = {c.source: c for c in graph.reachers(arn(A, "role", "admin"))}
    assert set(found) == {arn(A, "user", "conditional"), arn(A, "user", "denied-if")}
    assert found[arn(A, "user", "conditional")].conditional
    assert not found[arn(A, "user", "denied-if")].conditional
    assert any("NotAction is ignored" in n for n in graph.notes)
    assert any("conditional Deny is not evaluated" in n for n in graph.notes)


def test_cross_account_hops_need_both_sides() -> None:
    a = account(A, [], [role(A, "admin", [trusts(f"arn:aws:iam::{B}:root")])])
    b = account(
        B,
        [user(B, "ops", allow(f"arn:aws:iam::{A}:role/admin")), user(B, "lazy")],
        [],
    )
    graph = TrustGraph.build([a, b])
    assert set(reach(graph, "admin")) == {arn(B, "user", "ops")}
    named = account(A, [], [role(A, "admin", [trusts(arn(B, "user", "lazy"))])])
    assert reach(TrustGraph.build([named, b]), "admin") == {}  # named, but its own policies do not allow


def test_unknown_accounts_anyone_services_and_federation_are_external_sources() -> None:
    trust = [
        trusts(f"arn:aws:iam::{EXT}:root"),
        trusts(arn(EXT, "role", "ci")),
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{A}:saml-provider/sso"},
            "Action": "sts:*",
        },
    ]
    graph = TrustGraph.build([account(A, [user(A, "anyone-ok", allow())], [role(A, "open", trust)])])
    kinds = {c.source: c.kind for c in graph.reachers(arn(A, "role", "open"))}
    assert kinds == {
        f"arn:aws:iam::{EXT}:root": TrustSourceKind.ACCOUNT,
        arn(EXT, "role", "ci"): TrustSourceKind.EXTERNAL,
        "*": TrustSourceKind.ANYONE,
        "service:ec2.amazonaws.com": TrustSourceKind.SERVICE,
        f"federated:arn:aws:iam::{A}:saml-provider/sso": TrustSourceKind.FEDERATED,
        arn(
            A, "user", "anyone-ok"
        ): TrustSourceKind.USER,  # "*" covers known principals whose policies allow it
    }


def test_transitive_chains_are_shortest_and_cross_accounts() -> None:
    a = account(
        A,
        [],
        [
            role(A, "cluster-admin", [trusts(arn(A, "role", "hop"))]),
            role(A, "hop", [trusts(f"arn:aws:iam::{B}:root")]),
        ],
    )
    b = account(
        B,
        [user(B, "dev", allow(arn(B, "role", "jump"))), user(B, "ops", allow(arn(A, "role", "hop")))],
        [role(B, "jump", [trusts(arn(B, "user", "dev"))], allow(arn(A, "role", "*")))],
    )
    graph = TrustGraph.build([a, b])
    chains = reach(graph, "cluster-admin")
    assert chains[arn(B, "user", "ops")] == (
        arn(B, "user", "ops"),
        arn(A, "role", "hop"),
        arn(A, "role", "cluster-admin"),
    )
    assert chains[arn(B, "user", "dev")] == (
        arn(B, "user", "dev"),
        arn(B, "role", "jump"),
        arn(A, "role", "hop"),
        arn(A, "role", "cluster-admin"),
    )


def test_cycles_end() -> None:
    roles = [
        role(A, "r1", [trusts(arn(A, "role", "r2"))]),
        role(A, "r2", [trusts(arn(A, "role", "r1")), trusts(arn(A, "user", "u"))]),
    ]
    graph = TrustGraph.build([account(A, [user(A, "u")], roles)])
    assert reach(graph, "r1") == {
        arn(A, "role", "r2"): (arn(A, "role", "r2"), arn(A, "role", "r1")),
        arn(A, "user", "u"): (arn(A, "user", "u"), arn(A, "role", "r2"), arn(A, "role", "r1")),
    }
    assert set(reach(graph, "r2")) == {arn(A, "role", "r1"), arn(A, "user", "u")}


def test_assumed_role_session_principal_names_its_role_and_paths_do_not_matter() -> None:
    roles = [
        role(A, "target", [trusts(f"arn:aws:sts::{A}:assumed-role/source/some-session")]),
        {**role(A, "source", [trusts(arn(A, "user", "u"))]), "Arn": f"arn:aws:iam::{A}:role/team/source"},
    ]
    graph = TrustGraph.build([account(A, [user(A, "u")], roles)])
    assert set(reach(graph, "target")) == {f"arn:aws:iam::{A}:role/team/source", arn(A, "user", "u")}


def test_managed_and_group_policies_count() -> None:
    policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    data = {
        "UserDetailList": [
            {**user(A, "managed"), "AttachedManagedPolicies": [{"PolicyArn": policy_arn}]},
            {**user(A, "grouped"), "GroupList": ["admins"]},
            user(A, "plain", keys=2),
        ],
        "GroupDetailList": [
            {"GroupName": "admins", "GroupPolicyList": [{"PolicyName": "x", "PolicyDocument": allow()}]}
        ],
        "RoleDetailList": [role(A, "admin", [trusts(A)])],
        "Policies": [
            {
                "Arn": policy_arn,
                "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {"VersionId": "v1", "IsDefaultVersion": False, "Document": allow(action="iam:*")},
                    {
                        "VersionId": "v2",
                        "IsDefaultVersion": True,
                        "Document": quote(json.dumps(allow(action="*"))),
                    },
                ],
            }
        ],
    }
    iam = parse_authorization_details(data)
    assert iam.account == A
    graph = TrustGraph.build([iam])
    assert set(reach(graph, "admin")) == {arn(A, "user", "managed"), arn(A, "user", "grouped")}
    keys = {p.name: p.active_keys for p in iam.principals}
    assert keys["plain"] == 2 and keys["managed"] is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=14), st.integers(0, 5))
def test_reach_equals_the_transitive_closure(edges: list[tuple[int, int]], target: int) -> None:
    """Roles r0..r5 trusting each other by ARN: reachers = every node with a path to the target."""
    trusted: dict[int, set[int]] = {i: set() for i in range(6)}
    for source, dest in edges:
        trusted[dest].add(source)
    roles = [
        role(
            A, f"r{i}", [trusts(*(arn(A, "role", f"r{s}") for s in sorted(trusted[i])))] if trusted[i] else []
        )
        for i in range(6)
    ]
    graph = TrustGraph.build([account(A, [], roles)])
    expected: set[int] = set()
    frontier = [target]
    while frontier:
        node = frontier.pop()
        for source in trusted[node]:
            if source not in expected and source != target:
                expected.add(source)
                frontier.append(source)
    found = graph.reachers(arn(A, "role", f"r{target}"))
    assert {c.source for c in found} == {arn(A, "role", f"r{i}") for i in expected}
    for chain in found:  # every chain is a real path of trust hops ending at the target
        assert chain.arns[-1] == arn(A, "role", f"r{target}")
        for a, b in zip(chain.arns, chain.arns[1:], strict=False):
            assert int(a.rsplit("r", 1)[1]) in trusted[int(b.rsplit("r", 1)[1])]
