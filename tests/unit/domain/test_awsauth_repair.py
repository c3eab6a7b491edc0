"""aws-auth repairs: rows that never match rewritten, keys that do not parse re-read, keys renamed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.awsauth.repair import (
    corrected_role_arn,
    duplicate_rows,
    keep_one_row,
    rename_key,
    repair,
    reread,
)

A = "111122223333"


@pytest.mark.parametrize(
    ("written", "corrected"),
    [
        (f"arn:aws:iam::{A}:role/teams/deployer", f"arn:aws:iam::{A}:role/deployer"),
        (
            f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b",
            f"arn:aws:iam::{A}:role/AWSReservedSSO_Admin_0a1b",
        ),
        (f"arn:aws:sts::{A}:assumed-role/developer/alice", f"arn:aws:iam::{A}:role/developer"),
        (f"arn:aws-cn:sts::{A}:assumed-role/dev/ss", f"arn:aws-cn:iam::{A}:role/dev"),
        (f"arn:aws:iam::{A}:role/deployer", None),
        (f"arn:aws:iam::{A}:user/alice", None),
        ("not an arn", None),
    ],
)
def test_the_arn_aws_auth_must_hold(written: str, corrected: str | None) -> None:
    assert corrected_role_arn(written) == corrected


def test_a_pathed_and_an_assumed_role_row_are_rewritten_and_nothing_else_moves() -> None:
    text = (
        "# platform\n"
        f"- rolearn: arn:aws:iam::{A}:role/teams/deployer\n  username: deployer\n  groups:\n    - system:masters\n"
        f"- rolearn: arn:aws:iam::{A}:role/ops  # keep me\n  username: ops\n  groups: [ops]\n"
        f"- rolearn: arn:aws:sts::{A}:assumed-role/developer/alice\n  username: dev:{{{{SessionName}}}}\n"
        "  groups:\n    - dev-team\n"
    )
    found = repair({"mapRoles": text, "mapUsers": "[]"})
    assert [(r.index, r.corrected) for r in found.rows] == [
        (0, f"arn:aws:iam::{A}:role/deployer"),
        (2, f"arn:aws:iam::{A}:role/developer"),
    ]
    out = found.data["mapRoles"]
    assert (
        "# platform\n" in out and f"- rolearn: arn:aws:iam::{A}:role/ops  # keep me\n  username: ops\n" in out
    )
    assert found.data["mapUsers"] == "[]"
    auth = parse_aws_auth(found.data)
    deployer = auth.match_role(f"arn:aws:iam::{A}:role/deployer")
    developer = auth.match_role(f"arn:aws:iam::{A}:role/developer")
    assert deployer is not None and (deployer.username, deployer.groups) == ("deployer", ("system:masters",))
    assert developer is not None and (developer.username, developer.groups) == (
        "dev:{{SessionName}}",
        ("dev-team",),
    )


def test_a_row_whose_right_twin_exists_is_left_alone() -> None:
    text = (
        f"- rolearn: arn:aws:iam::{A}:role/teams/deployer\n  groups: [a]\n"
        f"- rolearn: arn:aws:iam::{A}:role/deployer\n  groups: [b]\n"
    )
    found = repair({"mapRoles": text})
    assert not found.changed and found.data == {"mapRoles": text}


@pytest.mark.parametrize(
    "text",
    [
        # the stray space of the built-in aws-auth-malformed scenario
        f"- rolearn: arn:aws:iam::{A}:role/eks-admin\n  username: eks-admin\n  groups:\n    - system:masters\n"
        f" - rolearn: arn:aws:iam::{A}:role/developer\n  username: developer\n  groups:\n    - dev-team\n",
        # tabs, which YAML forbids for indentation
        f"- rolearn: arn:aws:iam::{A}:role/eks-admin\n\tusername: eks-admin\n\tgroups:\n\t\t- system:masters\n"
        f"- rolearn: arn:aws:iam::{A}:role/developer\n\tusername: developer\n\tgroups: [dev-team]\n",
    ],
)
def test_a_key_that_does_not_parse_is_read_as_meant(text: str) -> None:
    assert parse_aws_auth({"mapRoles": text}).dropped
    found = repair({"mapRoles": text})
    assert [k.key for k in found.keys] == ["mapRoles"] and not found.unrepaired
    auth = parse_aws_auth(found.data)
    assert not auth.dropped
    assert [(r.rolearn, r.username, r.groups) for r in auth.roles] == [
        (f"arn:aws:iam::{A}:role/eks-admin", "eks-admin", ("system:masters",)),
        (f"arn:aws:iam::{A}:role/developer", "developer", ("dev-team",)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "- {rolearn: [broken\n",
        f"- rolearn: arn:aws:iam::{A}:role/a\n  usernme: typo\n   : x\n",
        "just: text: here\n",
        f"- rolearn: arn:aws:iam::{A}:role/a\n  groups:\n  - 'unclosed\n",
    ],
)
def test_what_cannot_be_read_with_certainty_is_left_as_it_is(text: str) -> None:
    found = repair({"mapRoles": text})
    if parse_aws_auth({"mapRoles": text}).dropped:
        assert found.unrepaired == ("mapRoles",) and found.data == {"mapRoles": text}


def test_a_key_in_another_case_moves_to_its_name() -> None:
    rows = f"- rolearn: arn:aws:iam::{A}:role/a\n  groups: [g]\n"
    found = repair({"maproles": rows, "mapUsers": "[]"})
    assert [(r.written, r.name) for r in found.renames] == [("maproles", "mapRoles")]
    assert found.data == {"mapRoles": rows, "mapUsers": "[]"}
    assert rename_key({"maproles": rows, "mapRoles": rows}, "maproles", "mapRoles") == {
        "maproles": rows,
        "mapRoles": rows,
    }  # both present: which one was meant is not certain


_names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_entries = st.lists(
    st.tuples(_names, st.one_of(st.none(), _names), st.lists(_names, max_size=3)), min_size=1, max_size=6
)


@settings(max_examples=200, deadline=None)
@given(entries=_entries, shifts=st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=40, max_size=40))
def test_reread_gives_back_what_was_meant_whatever_the_indentation(
    entries: list[tuple[str, str | None, list[str]]], shifts: list[str]
) -> None:
    lines: list[str] = []
    for name, username, groups in entries:
        lines.append(f"- rolearn: arn:aws:iam::{A}:role/{name}")
        if username is not None:
            lines.append(f"  username: {username}")
        lines.append("  groups:" if groups else "  groups: []")
        lines += [f"    - {g}" for g in groups]
    text = "\n".join(shifts[i % len(shifts)] + line for i, line in enumerate(lines)) + "\n"
    out = reread("mapRoles", text)
    assert out is not None
    report = parse_aws_auth({"mapRoles": out})
    assert not report.dropped
    got = [(r.rolearn, r.username, list(r.groups)) for r in report.roles]
    want = [(f"arn:aws:iam::{A}:role/{n}", u, g) for n, u, g in entries]
    assert got == want


# --- duplicate rows ---------------------------------------------------------------------------------------

DEV = f"arn:aws:iam::{A}:role/dev"
OPS = f"- rolearn: arn:aws:iam::{A}:role/ops   # keep me\n  username: ops\n  groups: [system:masters]\n"


def _dev(group: str, comment: str = "", arn: str = DEV) -> str:
    return f"{comment}- rolearn: {arn}\n  username: dev\n  groups:\n    - {group}\n"


def _granted(username: str | None, groups: tuple[str, ...]) -> bool:
    return "editors" in groups


@pytest.mark.parametrize(
    ("text", "grants", "keep", "after"),
    [
        # no RBAC known: the row the authenticator uses stays
        (_dev("a") + OPS + _dev("b"), None, 2, OPS + _dev("b")),
        (_dev("editors") + OPS + _dev("b", "# later\n"), _granted, 0, _dev("editors") + OPS),
        (_dev("a") + _dev("editors") + OPS + _dev("b"), _granted, 1, _dev("editors") + OPS),
        (_dev("editors") + _dev("editors"), _granted, 1, _dev("editors")),
        # one role to the authenticator, whatever the case of its ARN
        (
            _dev("editors", arn=DEV.replace("dev", "DEV")) + _dev("b"),
            _granted,
            0,
            _dev("editors", arn=DEV.replace("dev", "DEV")),
        ),
    ],
)
def test_duplicate_rows_keep_one_row_byte_for_byte(text: str, grants: Any, keep: int, after: str) -> None:
    (found,) = duplicate_rows({"mapRoles": text}, grants)
    assert found.keep == keep
    edited = keep_one_row({"mapRoles": text, "mapUsers": "x"}, found.arn, found.username, found.groups)
    assert edited == {"mapRoles": after, "mapUsers": "x"}
    assert parse_aws_auth(edited).match_role(DEV) is not None


def test_duplicate_rows_in_mapusers_are_found_too() -> None:
    user = f"arn:aws:iam::{A}:user/alice"
    text = f"- userarn: {user}\n  username: alice\n- userarn: {user}\n  username: alice2\n"
    (found,) = duplicate_rows({"mapUsers": text})
    assert (found.key, found.indexes, found.keep, found.username) == ("mapUsers", (0, 1), 1, "alice2")
    assert keep_one_row({"mapUsers": text}, user, "alice2", ()) == {
        "mapUsers": f"- userarn: {user}\n  username: alice2\n"
    }


@pytest.mark.parametrize(
    "data",
    [
        {"mapRoles": _dev("a") + OPS},  # one row each
        {"mapRoles": f"[{{rolearn: {DEV}}}, {{rolearn: {DEV}}}]"},  # a flow list: left to a person
        {"mapRoles": _dev("a") + " broken: [\n"},  # does not parse
    ],
)
def test_nothing_to_dedupe(data: dict[str, str]) -> None:
    assert duplicate_rows(data) == ()
    assert keep_one_row(data, DEV, "dev", ("a",)) == data


def test_a_row_changed_by_another_writer_since_is_left_alone() -> None:
    data = {"mapRoles": _dev("a") + _dev("b")}
    assert keep_one_row(data, DEV, "dev", ("gone",)) == data
