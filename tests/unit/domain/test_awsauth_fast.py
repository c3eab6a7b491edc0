"""The fast aws-auth reader against the ruamel.yaml path: the same result, or it declines.

Differential: documents are generated from the pieces people write and the pieces that break readers
(anchors, tags, odd indentation, tabs, flow mappings, multi-line scalars, ...), then mutated character by
character; for each, inspect_aws_auth (fast where it can) must equal inspect_aws_auth_careful (ruamel only),
and every span the fast readers report must equal awsauth_yaml.sequence_layout's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksaccess.domain.awsauth import edit as awsauth_edit
from eksaccess.domain.awsauth.block_edit import edit_entries
from eksaccess.domain.awsauth.block_layout import layout
from eksaccess.domain.awsauth.block_reader import parse_json_list, parse_list
from eksaccess.domain.awsauth.go_yaml import sequence_layout
from eksaccess.domain.awsauth.reader import (
    ACCOUNTS_KEY,
    ROLES_KEY,
    USERS_KEY,
    inspect_aws_auth,
    inspect_aws_auth_careful,
)
from eksaccess.errors import InputError

KEYS = [
    "rolearn",
    "roleARN",
    "userarn",
    "username",
    "groups",
    "Groups",
    "sso",
    "extra",
    '"rolearn"',
    "'groups'",
]
ODD_KEYS = [
    "y",
    "null",
    "on",
    "<<",
    "a b",
    "'rolearn'",
    '"groups"',
    '"y"',
    "'<<'",
    '"a\\"b"',
    "'a''b'",
    "~",
    "? x",
    "[a]",
    "rolearn ",
    "-x",
]
SCALARS = [
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::111122223333:user/alice",
    "team-1:{{SessionName}}",
    "system:node:{{EC2PrivateDNSName}}",
    "system:masters",
    "'quoted'",
    "'it''s'",
    '"double"',
    "'arn:aws:iam::111122223333:role/Admin'",
    '"arn:aws:iam::111122223333:ROLE/admin"',
    "yes",
    "No",
    "~",
    "null",
    "0x1F",
    "017",
    "1e3",
    ".5",
    "123456789012",
    "'123456789012'",
    "a #comment",
    "a#b",
    "a :b",
    "x{{y}}",
    "a,b",
    "a b  ",
    "[a, b]",
    "[system:masters, 'view', \"edit\"]",
    "[]",
    "[ ]",
    "[a:b]",
]
WEIRD_SCALARS = [
    "a: b",
    "a:",
    "{a: b}",
    "{{SessionName}}",
    "&anchor x",
    "*anchor",
    "!!str 1",
    "|",
    ">-",
    "- x",
    "-",
    "'open",
    '"esc\\n"',
    "'x'#c",
    '"x" junk',
    "[a,]",
    "[a, [b]]",
    "[a: b]",
    "[a #c]",
    "@x",
    "%x",
    "`x",
    "?x",
    "[a:]",
    "",
    "# only comment",
]
GAPS = ["", "", "", "# comment\n", "\n", "  # indented comment\n", "#\n\n", "   \n"]


@st.composite
def field(draw: st.DrawFn, indent: str, weird: bool, key: str) -> str:
    form = draw(st.sampled_from(["inline", "inline", "block"] + (["weird"] if weird else [])))
    if form == "inline":
        return f"{key}: {draw(st.sampled_from(SCALARS))}\n"
    if form == "weird":
        return f"{key}: {draw(st.sampled_from(WEIRD_SCALARS))}\n"
    extra = draw(st.sampled_from(["", "  ", "    ", " "]))
    odd = ["- x", "a: b", "", "[x]"] if weird else []
    items = draw(st.lists(st.sampled_from(SCALARS[:12] + odd), min_size=0 if weird else 1, max_size=3))
    lines = "".join(f"{draw(st.sampled_from(GAPS))}{indent}{extra}- {item}\n" for item in items)
    return f"{key}:{draw(st.sampled_from(['', ' ', ' # c']))}\n{lines}"


@st.composite
def item(draw: st.DrawFn, column: int, weird: bool) -> str:
    dash = " " * column
    forms = ["dash-key", "dash-key", "dash-key", "dash-newline", "scalar", "wide"] + (
        ["null"] if weird else []
    )
    form = draw(st.sampled_from(forms))
    if form == "scalar":
        return f"{dash}- {draw(st.sampled_from(SCALARS + (WEIRD_SCALARS if weird else [])))}\n"
    if form == "null":
        return f"{dash}-\n"
    gap = "   " if form == "wide" else " "
    indent = dash + " " * (1 + len(gap))
    keys = draw(
        st.lists(
            st.sampled_from(KEYS + (ODD_KEYS if weird else [])), min_size=1, max_size=4, unique=not weird
        )
    )
    if form == "dash-newline":
        indent = dash + draw(st.sampled_from(["  ", "    ", " "]))
    fields = [draw(field(indent, weird, key)) for key in keys]
    if form == "dash-newline":
        head = f"{dash}-{draw(st.sampled_from(['', ' # note']))}\n"
        return head + "".join(indent + f for f in fields)
    body = "".join(draw(st.sampled_from(GAPS)) + indent + f for f in fields[1:])
    return f"{dash}-{gap}{fields[0]}{body}"


@st.composite
def document(draw: st.DrawFn, weird: bool = True) -> str:
    """A mapRoles-like text; ``weird`` adds what the fast reader must decline, and character mutations."""
    column = draw(st.sampled_from([0, 0, 2]))
    items = [draw(item(column, weird)) for _ in range(draw(st.integers(0 if weird else 1, 5)))]
    text = draw(st.sampled_from(GAPS)) + "".join(draw(st.sampled_from(GAPS)) + i for i in items)
    tails = ["", "# trailing\n"] + (["---\n- x\n", "...\n", "  - late\n", "x: y\n"] if weird else [])
    text += draw(st.sampled_from(tails))
    if draw(st.booleans()) and text.endswith("\n"):
        text = text[:-1]
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    for _ in range(draw(st.integers(0, 2 if weird else 0))):  # character mutations
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        text = (
            text[:at]
            + draw(st.sampled_from([" ", "\t", ":", "#", "-", "'", "\r", "\n", "", "é", "\x85"]))
            + text[at + 1 :]
        )
    return text


def assert_agrees(text: str) -> None:
    data = {ROLES_KEY: text, USERS_KEY: text, ACCOUNTS_KEY: text}
    assert inspect_aws_auth(data) == inspect_aws_auth_careful(data)
    fast = parse_list(text)
    if fast is not None:
        careful = sequence_layout(text)
        assert careful.style == "block"
        assert [i.span for i in fast.items] == list(careful.items)
    found = layout(text)
    if found is not None:
        report = inspect_aws_auth_careful({ROLES_KEY: text})
        assert report.auth.dropped == ()
        careful = sequence_layout(text)
        assert [found.span(i) for i in range(len(found.starts))] == list(careful.items)
        for entry, start, end in zip(report.entries, found.starts, found.ends, strict=True):
            if entry.arn and "'" not in entry.arn:
                assert entry.arn in text[start:end]  # the edit's prefilter relies on this


DIFFERENTIAL = settings(
    max_examples=int(os.environ.get("DIFF_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@DIFFERENTIAL
@given(document())
def test_fast_reader_agrees_with_ruamel_or_declines(text: str) -> None:
    assert_agrees(text)


@DIFFERENTIAL
@given(document(weird=False))
def test_fast_reader_agrees_with_ruamel_on_common_documents(text: str) -> None:
    assert_agrees(text)


COMMON = [
    '- "groups":\n  - "system:bootstrappers"\n  - "system:nodes"\n  "rolearn": "arn:aws:iam::111122223333:role/n"\n'
    '  "username": "system:node:{{EC2PrivateDNSName}}"\n',
    "- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n  groups:\n    - system:masters\n",
    "- rolearn: arn:aws:iam::111122223333:role/A  # legacy\n  username: 'a:{{SessionName}}'\n  groups: [a, b]\n",
    '# head\n\n- userarn: arn:aws:iam::111122223333:user/u\n  username: "u"\n  groups:\n  - dev\n  - view\n',
    "  - rolearn: arn:aws:iam::111122223333:role/A\n    groups: []\n  # between\n  - rolearn: x\n    groups: []\n",
    "- rolearn: x\r\n  groups:\r\n    - a\r\n",
    "-\n  rolearn: x\n  username: y\n",
    "- # the node role\n    rolearn: x\n    groups: [system:nodes]\n",
    "- '111122223333'\n- 444455556666 # ours\n- ~\n- rolearn: x\n",
    "- rolearn: x\n  RoleArn: y\n  username: yes\n  groups: [1, on, ~, 'z']\n",
]


@pytest.mark.parametrize("text", COMMON)
def test_the_common_forms_are_read_fast_and_identically(text: str) -> None:
    assert parse_list(text) is not None
    assert_agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "- rolearn: &a x\n- rolearn: *a\n",
        "- rolearn: !!str x\n",
        "- rolearn: x\n  username: |\n    y\n",
        "- rolearn: x\n  username: long\n    continued\n",
        "- rolearn: x\n  sso: {a: b}\n",
        "- rolearn: x\n\tusername: y\n",
        "- rolearn: x\n   username: y\n",
        "- rolearn: x\n  username:\n",
        "-\n- rolearn: x\n",
        "---\n- rolearn: x\n",
        "%YAML 1.1\n---\n- rolearn: x\n",
        "- rolearn: x\n---\n- rolearn: y\n",
        "- ? rolearn\n  : x\n",
        "- <<: {rolearn: x}\n",
        '- rolearn: "x\\u0041"\n',
        "[{rolearn: x}]\n",
        "- rolearn: x\r- rolearn: y\n",
        "- - rolearn: x\n",
        "rolearn: x\n",
    ],
)
def test_anything_else_is_declined_and_read_by_ruamel(text: str) -> None:
    assert parse_list(text) is None
    assert layout(text) is None
    assert_agrees(text)


def test_duplicate_keys_are_declined_by_the_reader_but_laid_out() -> None:
    text = "- rolearn: x\n  rolearn: y\n"  # valid (the later wins): layout needs no values
    assert parse_list(text) is None and layout(text) is not None
    assert_agrees(text)


def test_layout_reads_the_dash_key_form_and_declines_others() -> None:
    text = "# a\n- rolearn: x\n  groups:\n  - a\n\n# b\n# c\n- rolearn: y\n  groups: [b]\n"
    found = layout(text)
    assert found is not None and found.column == 0
    assert [found.span(i) for i in range(2)] == list(sequence_layout(text).items)
    assert found.item_at(text.index("rolearn: y")) == 1 and found.item_at(text.index("# b")) is None
    assert layout("-\n  rolearn: x\n") is None  # read by parse_list instead
    assert parse_list("-\n  rolearn: x\n") is not None


def test_a_map_over_the_node_budget_is_left_to_ruamel() -> None:
    text = "- groups: [" + ", ".join(["a"] * 100_001) + "]\n"
    assert parse_list(text) is None and layout(text) is None
    report = inspect_aws_auth({ROLES_KEY: text})
    assert report.auth.dropped and "excessive aliasing" in report.auth.dropped[0].error
    as_json = "[" + ",".join(['{"groups":["a"]}'] * 40_000) + "]"  # 160,001 nodes as go-yaml counts them
    assert parse_json_list(as_json) is None


# ---------------------------------------------------------------------------------------------------------
# Edits: the fast path (awsauth_edit_fast) gives the careful path's text, or declines.

ARNS = [
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::111122223333:ROLE/admin",
    "arn:aws:iam::111122223333:role/New",
    "arn:aws:iam::111122223333:role/AdminX",
]


def careful_or_refusal(edit: Callable[[], dict[str, str]]) -> dict[str, str] | str:
    try:
        return edit()
    except InputError as err:
        return f"refused: {err}"


@DIFFERENTIAL
@given(
    document(),
    st.sampled_from(ARNS),
    st.sampled_from([None, "admin", "a:{{SessionName}}", "yes", "it's", 'say "hi"']),
    st.lists(st.sampled_from(["system:masters", "view", "a b", "on", "[x]", "é"]), max_size=3),
    st.booleans(),
)
def test_fast_edits_equal_the_careful_ones_or_decline(
    text: str, arn: str, username: str | None, groups: list[str], remove: bool
) -> None:
    data = {ROLES_KEY: text}
    if remove:
        careful = careful_or_refusal(lambda: awsauth_edit._remove(data, ROLES_KEY, arn, careful=True))
        rendered = None
    else:
        careful = careful_or_refusal(
            lambda: awsauth_edit._upsert(data, ROLES_KEY, arn, username, groups, careful=True)
        )
        rendered = awsauth_edit.render_entry(ROLES_KEY, arn, username, groups)
    wanted = (arn.lower(), username or "", tuple(groups))
    fast = edit_entries(text, ROLES_KEY, arn, rendered, lambda e: awsauth_edit._wanted(e) == wanted)
    if fast is not None:
        assert careful == {ROLES_KEY: fast}
    if remove and isinstance(careful, dict) and layout(text) and layout(careful[ROLES_KEY]):
        # common form before and after: a removal never needs the careful path
        assert fast is not None


def test_a_fast_edit_touches_only_its_item_and_reads_back() -> None:
    text = "# head\n\n- rolearn: arn:aws:iam::111122223333:role/A\n  groups: [a]\n# b's\n- rolearn: x\n  groups:\n  - b\n"
    data = {ROLES_KEY: text}
    added = awsauth_edit.upsert_role(data, "arn:aws:iam::111122223333:role/B", username="b", groups=["g"])
    assert (
        added[ROLES_KEY]
        == text + "- rolearn: arn:aws:iam::111122223333:role/B\n  username: b\n  groups:\n    - g\n"
    )
    removed = awsauth_edit.remove_role(added, "ARN:AWS:IAM::111122223333:ROLE/A")
    assert removed[ROLES_KEY] == added[ROLES_KEY].replace(
        "- rolearn: arn:aws:iam::111122223333:role/A\n  groups: [a]\n", ""
    )
    assert edit_entries(text, ROLES_KEY, "arn:aws:iam::111122223333:role/Zed", None, lambda _: False) == text


# ---------------------------------------------------------------------------------------------------------
# One-line JSON lists (jsonencode): read by json, equal to the YAML reading, or declined.

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.sampled_from(SCALARS + WEIRD_SCALARS + ["a\\b", 'q"q', "tab\tx", "ünï", "x: y", "#c"])
    | st.integers(-5, 5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
    max_leaves=6,
)


@st.composite
def json_document(draw: st.DrawFn) -> str:
    items = draw(
        st.lists(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=4) | JSON_VALUES, max_size=4)
    )
    compact = draw(st.booleans())
    text = json.dumps(items, ensure_ascii=False, separators=(",", ":") if compact else None)
    text += draw(st.sampled_from(["", "\n", "\n\n", " "]))
    for _ in range(draw(st.integers(0, 1))):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(['"', ",", "{", "]", "\n", " ", ":"])) + text[at + 1 :]
    return text


@DIFFERENTIAL
@given(json_document())
def test_one_line_json_is_read_as_the_yaml_reader_reads_it(text: str) -> None:
    data = {ROLES_KEY: text, USERS_KEY: text}
    assert inspect_aws_auth(data) == inspect_aws_auth_careful(data)


def test_jsonencode_output_takes_the_json_reader() -> None:
    text = json.dumps(
        [{"rolearn": "arn:aws:iam::111122223333:role/A", "username": "a:{{SessionName}}", "groups": ["x"]}],
        separators=(",", ":"),
    )
    found = parse_json_list(text)
    assert found is not None and found[0][1] == {"rolearn": 1, "username": 1, "groups": 1}
    assert inspect_aws_auth({ROLES_KEY: text}) == inspect_aws_auth_careful({ROLES_KEY: text})
    for declined in ['[{"a": 1}]', '[{"a": "\\u0041"}]', '[{"a": "x", "a": "y"}]', '["x"]', '[{"a":\n"x"}]']:
        assert parse_json_list(declined) is None
