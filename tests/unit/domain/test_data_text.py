"""The fast loader of data text (domain/data_text.py, domain/yaml_loaders.py) reads what ruamel.yaml's safe
loader read before it (YAML 1.2 core schema): differential properties over snapshot-like data rendered as
JSON and as the YAML ruamel writes, plain scalars one by one, and its errors, one line with the place."""

from __future__ import annotations

import json
import math
import re
from io import StringIO
from typing import Any, Literal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from eksaccess.adapters.files import MAX_NESTING, check_nesting, nesting_depth
from eksaccess.domain.data_text import DataTextError, json_depth, load_data_text
from eksaccess.domain.state import parse_cluster_state
from eksaccess.errors import InputError


def ruamel_safe(text: str) -> Any:
    """What every reader used before: ruamel's pure-Python safe loader (YAML 1.2)."""
    return YAML(typ="safe", pure=True).load(text)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (True is not 1 here), NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# Scalars whose reading differs between YAML 1.1 (PyYAML's default, go-yaml v2) and 1.2 (ruamel): names
# (namespaces, usernames, groups) and account ids that must read as they always did.
TRICKY = [
    "on", "off", "yes", "no", "y", "n", "Y", "N", "On", "NO", "true", "False", "TRUE", "tRue",
    "null", "Null", "~", "", "012345678901", "111122223333", "0755", "08", "0o17", "+0o7", "0x1F", "0b101",
    "1_000", "1_", "_1", "1e5", "1E+5", "12e03", ".5", "-.5", "+.5e-3", "1.", "0.", ".inf", "-.Inf", ".nan",
    "NaN", "1:30", "190:20:30", "2024-01-01", "2024-01-01T10:00:00Z", "2001-12-14 21:59:43.10 -5",
    "system:masters", "arn:aws:iam::111122223333:role/a", "{{SessionName}}", "-0", "+1", "0b", "0x", "1e",
]  # fmt: skip

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
text = st.text(st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00"), max_size=12)
scalars = st.one_of(
    st.sampled_from(TRICKY),
    text,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
keys = st.sampled_from(TRICKY).filter(bool) | text.filter(bool)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


def ruamel_dump(data: Any, typ: str) -> str:
    """YAML as eksaccess writes it: ruamel's round-trip dumper with dump_cluster_state's layout, or its
    safe dumper (dump_cluster_access)."""
    yaml = YAML(typ=typ, pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    if typ == "rt":
        yaml.indent(mapping=2, sequence=4, offset=2)
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# Characters YAML treats otherwise than JSON inside a string: DEL and C1 controls (refused), NEL, LS, PS
# (line breaks that fold to a space), BOM. In JSON they are text, as the json module reads them.
YAML_SPECIAL = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


@settings(max_examples=300)
@given(documents)
def test_json_reads_as_json_and_as_ruamel_read_it(data: Any) -> None:
    rendered = json.dumps(data, ensure_ascii=False)  # escaped astral characters: see the next test
    if not rendered.startswith(("{", "[")):  # a lone scalar is YAML's to read
        assume(not YAML_SPECIAL.search(rendered))
    value = load_data_text(rendered, "f")
    if rendered.startswith(("{", "[")):
        assert same(value, json.loads(rendered))
    if not YAML_SPECIAL.search(rendered):
        assert same(value, ruamel_safe(rendered))


def test_escaped_astral_characters_read_as_json_defines_them() -> None:
    """``json.dumps`` and jq write U+1F600 as the surrogate pair ``\\ud83d\\ude00`` (RFC 8259, section 7).
    ruamel read two lone surrogates, and the snapshot was refused as "not text"; now it is the character."""
    assert load_data_text(json.dumps({"user": "\U0001f600"}), "f") == {"user": "\U0001f600"}
    assert ruamel_safe(json.dumps({"user": "\U0001f600"})) == {"user": "\ud83d\ude00"}


@settings(max_examples=200)
@given(st.dictionaries(keys, documents, max_size=5), st.sampled_from(["rt", "safe"]))
def test_yaml_eksaccess_writes_reads_as_ruamel_read_it(data: dict[str, Any], typ: str) -> None:
    rendered = ruamel_dump(data, typ)
    assert same(load_data_text(rendered, "f"), ruamel_safe(rendered))


plain_tokens = st.sampled_from(TRICKY).filter(bool) | st.from_regex(r"\A[-+]?[0-9_.][0-9_.eEoxbB]{0,9}\Z")


@settings(max_examples=400)
@given(plain_tokens)
@example("+_")  # ruamel's own int pattern takes it, then fails to build the number (ValueError)
@example("0o_")
@example("._")  # ruamel takes it as a float and fails to build it; the fast loader keeps the text
def test_plain_scalars_resolve_as_ruamel_resolves_them(token: str) -> None:
    for rendered in (f"k: {token}\n", f"- {token}\n", f"[{token}]\n", f"{{k: {token}}}\n"):
        try:
            expected = ruamel_safe(rendered)
        except YAMLError:  # not YAML at all (":", "- -"): refused by both
            with pytest.raises(DataTextError):
                load_data_text(rendered, "f")
            continue
        except ValueError:  # not a YAMLError: ruamel stops with a traceback; the fast loader keeps the text
            assert load_data_text(rendered, "f") in ({"k": token}, [token])
            continue
        assert same(load_data_text(rendered, "f"), expected), rendered


# What matters in eksaccess's own formats, each read as before (YAML 1.2 core schema).
VALUES = [
    ("namespaces: [on, no, y, off]", {"namespaces": ["on", "no", "y", "off"]}),
    ("username: yes", {"username": "yes"}),
    ('accountId: "012345678901"', {"accountId": "012345678901"}),
    ("accountId: 012345678901", {"accountId": 12345678901}),  # refused by the model: "quote it in YAML"
    ("accountId: 111122223333", {"accountId": 111122223333}),
    ("version: 1.30", {"version": 1.3}),
    ('version: "1.30"', {"version": "1.30"}),
    ("mode: 0755", {"mode": 755}),
    ("n: 0o17", {"n": 15}),
    ("n: 1_000", {"n": 1000}),
    ("n: 1e5", {"n": 100000.0}),
    ("enabled: true", {"enabled": True}),
    ("k:", {"k": None}),
    ('{"a": NaN}', {"a": "NaN"}),  # not JSON: YAML reads it, and NaN is no 1.2 float
    ("{a: 1, b: [x, y]}", {"a": 1, "b": ["x", "y"]}),  # flow YAML that starts like JSON
    ('\ufeff{"a": 1}', {"a": 1}),
    ("base: &b {x: 1, y: 2}\nk: {<<: *b, y: 3}", {"base": {"x": 1, "y": 2}, "k": {"x": 1, "y": 3}}),
    ("", None),
]


@pytest.mark.parametrize(("document", "expected"), VALUES)
def test_values_that_matter_read_as_before(document: str, expected: Any) -> None:
    assert same(load_data_text(document, "f"), expected)
    assert same(ruamel_safe(document), expected)


def test_an_unquoted_account_id_is_refused_as_before() -> None:
    snapshot = (
        "apiVersion: eksaccess/v1\nkind: ClusterState\n"
        "cluster: {name: demo, region: us-west-2, accountId: 012345678901}\nauthenticationMode: API\n"
    )
    with pytest.raises(InputError, match="cluster.accountId: must be a string of 12 digits"):
        parse_cluster_state(snapshot, source="s.yaml")


ERRORS = [
    ("apiVersion: [\n", "f: not valid YAML or JSON at line 2, column 1: "),
    ("a: 1\na: 2\n", 'f: not valid YAML or JSON at line 2, column 1: found duplicate key "a"'),
    ('{"a": 1,\n "a": 2}', 'f: not valid YAML or JSON at line 2, column 2: found duplicate key "a"'),
    ('{"a": [1, 2}', "f: not valid YAML or JSON at line 1, column 12: "),
    ("a: b: c\n", "f: not valid YAML or JSON at line 1, column 5: mapping values are not allowed"),
    ("k: !python/object:os.system x\n", "f: not valid YAML or JSON at line 1, column 4: could not determine"),
    ("a: *nowhere\n", "f: not valid YAML or JSON at line 1, column 4: found undefined alias"),
    ("--- a\n--- b\n", "f: not valid YAML or JSON at line 2, column 1: but found another document"),
    # a value its tag does not fit: ruamel stopped with a ValueError (a traceback), now one line
    ("k: 2024-13-45\n", "f: not valid YAML or JSON at line 1, column 4: cannot read '2024-13-45' as"),
    ("k: !!int foo\n", "f: not valid YAML or JSON at line 1, column 4: cannot read 'foo' as"),
    ("k: !!bool maybe\n", "f: not valid YAML or JSON at line 1, column 4: cannot read 'maybe' as"),
    ("k: !!float\n", "f: not valid YAML or JSON at line 1, column 4: cannot read '' as"),
    # ruamel read a list key as a tuple; no file of eksaccess has one, and a dict cannot hold a list
    ("? [a]\n: b\n", "f: not valid YAML or JSON at line 1, column 3: found unhashable key"),
]


@pytest.mark.parametrize(("document", "start"), ERRORS)
def test_errors_are_one_line_with_the_place(document: str, start: str) -> None:
    with pytest.raises(DataTextError) as caught:
        load_data_text(document, "f")
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(start) or start in message, message
    assert caught.value.line is not None and f"at line {caught.value.line}, column " in message
    if "unhashable" not in start:
        with pytest.raises((YAMLError, ValueError, LookupError)):  # ruamel refused each of them too
            ruamel_safe(document)


def test_a_lone_surrogate_in_text_built_in_memory_is_one_error() -> None:
    with pytest.raises(DataTextError, match="^f: holds a lone surrogate, which is not text$"):
        load_data_text("k: \ud800\n", "f")


def test_kind_names_the_format() -> None:
    with pytest.raises(DataTextError, match=r"^access\.yaml: not valid YAML at line 2, column 1: "):
        load_data_text("a: [", "access.yaml", kind="YAML")


# --- the nesting limit on JSON, measured exactly and fast ---------------------------------------------------

json_values = st.recursive(
    st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=40,
)


def true_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((true_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((true_depth(v) for v in value), default=0)
    return 0


@settings(max_examples=300)
@given(st.lists(json_values, max_size=3) | st.dictionaries(text, json_values, max_size=3), st.booleans())
def test_json_depth_is_the_true_depth(value: Any, indent: bool) -> None:
    rendered = json.dumps(value, indent=2 if indent else None, ensure_ascii=False)
    depth = json_depth(rendered)
    assert depth == true_depth(value)
    assert depth <= nesting_depth(rendered)  # the YAML estimate errs high, never low


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        ('{"a": "[[[[{{{{", "b": ["\\"]]]"]}', 2),  # brackets and escaped quotes inside strings
        ("[" * 64 + "]" * 64, 64),
        ("[" * 5000 + "]" * 5000, None),  # deeper than json can go: counted as at least that deep
        ("{a: [1]}", None),  # flow YAML: not JSON, the YAML estimate applies
        ("a: 1", None),
    ],
)
def test_json_depth_cases(document: str, depth: int | None) -> None:
    measured = json_depth(document)
    if document.startswith("[" * 5000):
        assert measured is not None and measured > MAX_NESTING
    else:
        assert measured == depth


def test_the_limit_holds_for_json() -> None:
    check_nesting("[" * MAX_NESTING + "]" * MAX_NESTING, "f")
    with pytest.raises(InputError, match="nested more than 64 levels deep"):
        check_nesting("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "f")
    with pytest.raises(DataTextError, match="nested too deep"):  # the loader alone never overflows either
        load_data_text("[" * 100_000 + "]" * 100_000, "f")
