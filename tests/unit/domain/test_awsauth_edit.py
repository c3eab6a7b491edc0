"""Byte-preserving aws-auth edits: untouched entries keep their bytes, results always parse cleanly."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.awsauth.edit import (
    add_account,
    quote,
    remove_account,
    remove_role,
    remove_user,
    upsert_role,
    upsert_user,
)
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.errors import InputError

ACCT = "111122223333"
NODE = f"arn:aws:iam::{ACCT}:role/eks-nodes-NodeInstanceRole-1A2B"
ADMIN = f"arn:aws:iam::{ACCT}:role/Admin"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"

ROLES = f"""# managed by platform team
- rolearn: {NODE}  # node role, do not touch
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
  - system:bootstrappers
  - system:nodes

# admins
- rolearn: {ADMIN}
  username: 'admin'
  groups: [system:masters]
# trailing comment
"""


def roles(data: dict[str, str]) -> list[tuple[str, str | None, tuple[str, ...]]]:
    auth = parse_aws_auth(data)
    assert auth.dropped == () and auth.skipped == ()
    return [(r.rolearn, r.username, r.groups) for r in auth.roles]


def test_upsert_existing_role_replaces_it_in_place_keeping_everything_else() -> None:
    result = upsert_role({"mapRoles": ROLES}, ADMIN.replace("Admin", "ADMIN"), username="ops", groups=["ops"])
    text = result["mapRoles"]
    assert text.startswith(ROLES.split("- rolearn: " + ADMIN)[0])  # header, node entry, "# admins" kept
    assert text.endswith("# trailing comment\n")
    assert roles(result)[1] == (ADMIN.replace("Admin", "ADMIN"), "ops", ("ops",))
    assert len(roles(result)) == 2


def test_upsert_new_role_appends_after_the_last_entry() -> None:
    new = f"arn:aws:iam::{ACCT}:role/Viewer"
    result = upsert_role({"mapRoles": ROLES}, new, username="{{SessionName}}", groups=[])
    assert result["mapRoles"] == ROLES.replace(
        "# trailing comment\n",
        f'- rolearn: {new}\n  username: "{{{{SessionName}}}}"\n  groups: []\n# trailing comment\n',
    )
    assert roles(result)[-1] == (new, "{{SessionName}}", ())


def test_upsert_collapses_later_duplicates_into_the_first_position() -> None:
    text = f"- rolearn: {ADMIN}\n  username: a\n- rolearn: {NODE}\n  username: nodes\n# dup\n- rolearn: {ADMIN.lower()}\n  username: b\n"
    result = upsert_role({"mapRoles": text}, ADMIN, username="c", groups=["g"])
    assert roles(result) == [(ADMIN, "c", ("g",)), (NODE, "nodes", ())]
    assert "# dup" not in result["mapRoles"]


def test_remove_role_removes_every_spelling_and_its_comment() -> None:
    result = remove_role({"mapRoles": ROLES, "mapUsers": "keep: me"}, ADMIN.lower())
    assert result["mapRoles"] == ROLES.replace(
        f"# admins\n- rolearn: {ADMIN}\n  username: 'admin'\n  groups: [system:masters]\n", ""
    )
    assert result["mapUsers"] == "keep: me"
    assert remove_role({"mapRoles": ROLES}, f"arn:aws:iam::{ACCT}:role/Nobody") == {"mapRoles": ROLES}


def test_missing_or_empty_keys_are_created_as_block_strings() -> None:
    assert upsert_user({}, ALICE, username="alice", groups=["devs", "yes"]) == {
        "mapUsers": f'- userarn: {ALICE}\n  username: alice\n  groups:\n    - devs\n    - "yes"\n'
    }
    assert (
        upsert_user({"mapUsers": '""'}, ALICE, username=None, groups=[])["mapUsers"]
        == f"- userarn: {ALICE}\n  groups: []\n"
    )
    assert upsert_user({"mapUsers": "# none yet"}, ALICE, username=None, groups=[])["mapUsers"] == (
        f"# none yet\n- userarn: {ALICE}\n  groups: []\n"
    )


def test_flow_lists_are_rewritten_in_block_style() -> None:
    flow = f"[{{userarn: {ALICE}, username: alice, groups: [a]}}]"
    bob = f"arn:aws:iam::{ACCT}:user/bob"
    result = upsert_user({"mapUsers": flow}, bob, username="bob", groups=[])
    assert [(u.userarn, u.username, u.groups) for u in parse_aws_auth(result).users] == [
        (ALICE, "alice", ("a",)),
        (bob, "bob", ()),
    ]
    assert remove_user(result, bob) == {
        "mapUsers": f"- userarn: {ALICE}\n  username: alice\n  groups:\n    - a\n"
    }


def test_indented_items_and_crlf_line_ends_are_kept() -> None:
    text = f"  - rolearn: {NODE}\r\n    username: n1\r\n"
    result = upsert_role({"mapRoles": text}, ADMIN, username="a", groups=["g"])
    assert (
        result["mapRoles"]
        == text + f"  - rolearn: {ADMIN}\r\n    username: a\r\n    groups:\r\n      - g\r\n"
    )


def test_accounts() -> None:
    data = {"mapAccounts": "- 444455556666  # partner\n- '777788889999'"}
    added = add_account(data, ACCT)
    assert added["mapAccounts"] == "- 444455556666  # partner\n- '777788889999'\n" + f'- "{ACCT}"\n'
    assert add_account(added, ACCT) == added
    assert remove_account(added, "777788889999")["mapAccounts"] == f'- 444455556666  # partner\n- "{ACCT}"\n'
    assert parse_aws_auth(remove_account(added, "444455556666")).accounts == ("777788889999", ACCT)


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (f"arn:aws:sts::{ACCT}:assumed-role/Admin/jane", f"map the role ARN arn:aws:iam::{ACCT}:role/Admin"),
        (
            f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_1",
            "role/AWSReservedSSO_A_1 instead",
        ),
        (ALICE, "not an IAM role ARN"),
        ("arn:aws:iam::1:role/x", "12-digit"),
    ],
)
def test_upsert_role_refuses_arns_that_never_match(arn: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        upsert_role({}, arn, username=None, groups=[])


def test_refuses_to_edit_a_dropped_key() -> None:
    with pytest.raises(InputError, match="does not parse"):
        upsert_role({"mapRoles": "- rolearn: [\n"}, ADMIN, username=None, groups=[])
    with pytest.raises(InputError, match="does not parse"):
        remove_role({"mapRoles": "rolearn: x"}, ADMIN)


@pytest.mark.parametrize(
    ("username", "groups"), [("", []), ("a\nb", []), (None, [""]), (None, ["tab\there"]), (None, ["x\x00"])]
)
def test_refuses_names_that_cannot_be_written_safely(username: str | None, groups: list[str]) -> None:
    with pytest.raises(InputError):
        upsert_role({}, ADMIN, username=username, groups=groups)


@pytest.mark.parametrize(
    "value",
    [
        "{{SessionName}}",
        "yes",
        "No",
        "~",
        "123",
        "0x1F",
        "1e3",
        "-x",
        "a: b",
        "a #b",
        "x:",
        "'q",
        "@me",
        "<<",
        "é:ü",
    ],
)
def test_quote_round_trips(value: str) -> None:
    data = upsert_role({}, ADMIN, username=value, groups=[value])
    assert roles(data) == [(ADMIN, value, (value,))]
    assert quote("system:node:{{EC2PrivateDNSName}}") == "system:node:{{EC2PrivateDNSName}}"


# ---------------------------------------------------------------------------------------------------------
# Properties: generated maps with comments, blank lines, varied quoting and list styles.

NAMES = ["Admin", "admin", "Dev", "Node-1", "ops.team", "ADMIN"]
USERNAMES = [
    "alice",
    "{{SessionName}}",
    "admin:{{SessionName}}",
    "system:node:{{EC2PrivateDNSName}}",
    "yes",
    "a b",
]
GROUPS = ["system:masters", "devs", "view-only", "system:nodes", "on"]


@dataclass(frozen=True)
class Generated:
    text: str
    chunks: list[str]  # each entry's own text (without the comment lines above it)
    model: list[tuple[str, str | None, tuple[str, ...]]]


def _scalar(value: str, style: int) -> str:
    if style == 0 and quote(value) == value:
        return value
    if style == 1:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value)


@st.composite
def role_maps(draw: st.DrawFn) -> Generated:
    pad = draw(st.sampled_from(["", "  "]))
    text = draw(st.sampled_from(["", "# header\n", "\n"]))
    chunks, model = [], []
    for _ in range(draw(st.integers(0, 6))):
        arn = f"arn:aws:iam::{ACCT}:role/{draw(st.sampled_from(NAMES))}"
        username = draw(st.none() | st.sampled_from(USERNAMES))
        groups = tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=3)))
        lines = [
            f"- rolearn: {_scalar(arn, draw(st.integers(0, 2)))}" + draw(st.sampled_from(["", "  # note"]))
        ]
        if username is not None:
            lines.append(f"  username: {_scalar(username, draw(st.integers(0, 2)))}")
        style = draw(st.integers(0, 2))
        quoted = [_scalar(g, draw(st.integers(0, 2))) for g in groups]
        if style == 0 or not groups:
            lines.append(f"  groups: [{', '.join(quoted)}]")
        else:
            lines.append("  groups:")
            lines.extend(("    - " if style == 1 else "  - ") + g for g in quoted)
        chunk = "".join(pad + line + "\n" for line in lines)
        text += draw(st.sampled_from(["", "\n", f"{pad}# about {arn}\n"])) + chunk
        chunks.append(chunk)
        model.append((arn, username, groups))
    text += draw(st.sampled_from(["", "# end\n", "\n\n"]))
    return Generated(text=text, chunks=chunks, model=model)


def _in_order(text: str, chunks: list[str]) -> bool:
    position = 0
    for chunk in chunks:
        found = text.find(chunk, position)
        if found < 0:
            return False
        position = found + len(chunk)
    return True


@settings(max_examples=250, deadline=None)
@given(
    role_maps(),
    st.sampled_from(NAMES + ["New"]),
    st.booleans(),
    st.none() | st.sampled_from(USERNAMES),
    st.lists(st.sampled_from(GROUPS), max_size=3),
)
def test_edits_keep_untouched_bytes_and_yield_exactly_the_expected_mappings(
    generated: Generated, name: str, upsert: bool, username: str | None, groups: list[str]
) -> None:
    assert roles({"mapRoles": generated.text}) == generated.model  # the generator writes valid maps
    arn = f"arn:aws:iam::{ACCT}:role/{name}"
    hit = [i for i, (a, _, _) in enumerate(generated.model) if a.lower() == arn.lower()]
    data = {"mapRoles": generated.text, "mapUsers": "untouched: [\n"}
    expected = [m for i, m in enumerate(generated.model) if i not in hit]
    if upsert:
        result = upsert_role(data, arn, username=username, groups=groups)
        expected.insert(hit[0] if hit else len(expected), (arn, username, tuple(groups)))
    else:
        result = remove_role(data, arn)
    untouched = [c for i, c in enumerate(generated.chunks) if i not in hit]
    assert _in_order(result["mapRoles"], untouched)  # (a) every untouched entry byte for byte
    assert (
        roles({"mapRoles": result["mapRoles"]}) == expected
    )  # (b) nothing dropped or skipped, exact mappings
    assert result["mapUsers"] == data["mapUsers"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["444455556666", "777788889999", ACCT]), st.integers(0, 2)), max_size=5
    ),
    st.sampled_from(["444455556666", ACCT]),
    st.booleans(),
)
def test_account_edits_keep_untouched_items(items: list[tuple[str, int]], account: str, add: bool) -> None:
    chunks = [f"- {_scalar(a, style) if style else a}\n" for a, style in items]
    data = {"mapAccounts": "# accounts\n" + "".join(chunks)}
    result = add_account(data, account) if add else remove_account(data, account)
    ids = [a for a, _ in items]
    if add:
        expected = ids if account in ids else [*ids, account]
        assert _in_order(result["mapAccounts"], chunks)
    else:
        expected = [a for a in ids if a != account]
        assert _in_order(
            result["mapAccounts"], [c for (a, _), c in zip(items, chunks, strict=True) if a != account]
        )
    auth = parse_aws_auth(result)
    assert list(auth.accounts) == expected and auth.skipped == () and auth.dropped == ()
