"""A fast reader for the aws-auth YAML people actually write; it declines (None) on anything else.

ruamel.yaml composes a 5,000-entry mapRoles in seconds. This reader handles, line by line, the subset of YAML
found in real maps and returns exactly what the ruamel path of awsauth.py derives from the same text (the
JSON value sigs.k8s.io/yaml would produce, item and field lines, item spans), or None: the caller then takes
the careful ruamel path. The subset:

- a block sequence whose ``-`` all sit at one column; each item a block mapping (``- rolearn: x`` or ``-``
  followed by the mapping on the next lines) or a one-line scalar;
- mapping keys: plain words that go-yaml v2 reads as strings, each once per mapping;
- values: one-line plain, single-quoted or double-quoted (without ``\\``) scalars, one-line flow lists of
  such scalars, or a block list of such scalars (indented or at the key's column);
- comments, blank lines, LF or CRLF line ends.

Declined (the careful path decides): tabs, control and non-BMP characters, lone CR, NEL/LS/PS, anchors,
aliases, tags, block scalars, multi-line scalars, flow mappings, nested lists, empty values, duplicate keys,
``?`` keys, merge keys, directives, document markers, escapes, and documents over awsauth_yaml.MAX_NODES
nodes. Plain scalars resolve with go-yaml v2's YAML 1.1 rules (awsauth_yaml.v2_scalar_kind).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.awsauth.go_yaml import MAX_NODES, V2_TRUE, GoNumber, ItemSpan, go_fold, v2_scalar_kind

# Printable BMP characters ruamel.yaml reads without complaint, minus NEL/LS/PS/BOM and tab.
_BAD_CHAR = re.compile("[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
# a plain word, or a quoted key (Terraform's yamlencode quotes every key): then always a string
_KEY = re.compile(r"""([A-Za-z_][A-Za-z0-9_.-]*|"[^"\\]*"|'(?:[^']|'')*'):(?: +(.*))?$""")
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?: +#.*| *)$")
_DOUBLE = re.compile(r'"([^"\\]*)"(?: +#.*| *)$')
_FLOW_EMPTY = re.compile(r"\[ *\](?: +#.*| *)$")
_FLOW_ITEM = re.compile(
    r""" *(?:'((?:[^']|'')*)'|"([^"\\]*)"|([^\s,\[\]{}#&*!|>'"%@`?:-][^,\[\]{}#]*?)) *([,\]])"""
)
_FLOW_REST = re.compile(r"(?: +#.*| *)$")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


class _DeclinedError(Exception):
    """The text is outside the subset; the careful path decides."""


@dataclass(frozen=True, slots=True)
class FastItem:
    """One top-level item: its JSON value and where it sits."""

    line: int  # line of the item's node (first key of a mapping, or the scalar)
    value: Any  # dict for a mapping; None, bool, GoNumber or str for a scalar
    scalar: str | None  # a scalar item's text as written (unquoted), None for a mapping
    field_lines: dict[str, int]  # folded key -> line of its value
    span: ItemSpan  # as awsauth_yaml.sequence_layout gives it


@dataclass(frozen=True, slots=True)
class FastList:
    items: tuple[FastItem, ...]


def readable(text: str) -> bool:
    """Only characters the subset allows: printable BMP text, LF or CRLF line ends, no tab."""
    if text.count("\r") != text.count("\r\n"):
        return False
    if text.isascii():
        return text.replace("\n", "").replace("\r", "").isprintable()
    return _BAD_CHAR.search(text) is None


def parse_list(text: str) -> FastList | None:
    """The block list in ``text`` if it lies in the subset above, else None. Never raises."""
    if not readable(text):
        return None
    try:
        return _Reader(text).read()
    except _DeclinedError:
        return None


@functools.cache
def _key_ok(key: str) -> str:
    """The folded field name of a plain key go-yaml reads as a string; declines any other key."""
    if v2_scalar_kind(key) != "str" or key == "<<":
        raise _DeclinedError
    return go_fold(key)


def _plain(text: str) -> Any:
    kind = v2_scalar_kind(text)
    if kind == "str":
        return text
    if kind == "null":
        return None
    return text in V2_TRUE if kind == "bool" else GoNumber(text)


def scalar(rest: str) -> tuple[Any, str]:
    """A one-line block scalar (``rest`` starts at its first character): its JSON value and its text."""
    first = rest[0]
    if first == "'":
        match = _SINGLE.match(rest)
        if match is None:
            raise _DeclinedError
        text = match.group(1).replace("''", "'")
        return text, text
    if first == '"':
        match = _DOUBLE.match(rest)
        if match is None:
            raise _DeclinedError
        return match.group(1), match.group(1)
    cut = rest.find(" #")
    text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if first in _INDICATORS or ": " in text or text.endswith(":"):
        raise _DeclinedError
    return _plain(text), text


def _flow(rest: str) -> list[Any]:
    """A one-line flow list of scalars."""
    if _FLOW_EMPTY.match(rest):
        return []
    items: list[Any] = []
    pos = 1
    while True:
        match = _FLOW_ITEM.match(rest, pos)
        if match is None:
            raise _DeclinedError
        single, double, plain = match.group(1, 2, 3)
        if plain is not None:
            plain = plain.rstrip(" ")
            if ": " in plain or plain.endswith(":"):
                raise _DeclinedError
            items.append(_plain(plain))
        else:
            items.append(single.replace("''", "'") if single is not None else double)
        pos = match.end()
        if match.group(4) == "]":
            break
    if not _FLOW_REST.match(rest, pos):
        raise _DeclinedError
    return items


def _value(rest: str) -> tuple[Any, int]:
    """A value on its key's line: JSON value and node count."""
    if rest[0] == "[":
        items = _flow(rest)
        return items, 1 + len(items)
    return scalar(rest)[0], 1


def _is_dash(body: str) -> bool:
    return body[0] == "-" and (len(body) == 1 or body[1] == " ")


class _Reader:
    """One pass over the lines; an item is finished when the next ``-`` at its column (or the end) comes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.column = -1
        self.items: list[FastItem] = []
        self.nodes = 1
        # the item being read
        self.open = False
        self.item_start = 0
        self.item_lead = 0
        self.item_line = 0
        self.key_column = -1  # column of the item's keys; -1: a scalar item; -2: "-" waiting for its mapping
        self.mapping: dict[str, Any] | None = None
        self.scalar_item: tuple[Any, str] | None = None
        self.lines: dict[str, int] = {}
        self.item_nodes = 0
        self.content_end = 0
        # a key whose block list is being read
        self.list_key: str | None = None
        self.list_folded = ""
        self.list_column = -1
        self.list_items: list[Any] = []

    def read(self) -> FastList | None:
        offset = 0
        comments_from = -1  # start of the run of comment lines just above, -1 if none
        for number, line in enumerate(self.text.split("\n"), start=1):
            end = offset + len(line) + 1
            raw = line[:-1] if line.endswith("\r") else line
            body = raw.lstrip(" ")
            if not body:
                comments_from = -1
            elif body[0] == "#":
                if comments_from < 0:
                    comments_from = offset
            else:
                self._content(number, len(raw) - len(body), body, offset, comments_from)
                self.content_end = min(end, len(self.text))
                comments_from = -1
            offset = end
        if self.column < 0:
            return None
        self._finish_item()
        if self.nodes > MAX_NODES:
            return None
        return FastList(items=tuple(self.items))

    def _content(self, number: int, indent: int, body: str, offset: int, comments_from: int) -> None:
        if self.list_key is not None and self._list_line(number, indent, body):
            return
        if self.column < 0:
            if not _is_dash(body):
                raise _DeclinedError
            self.column = indent
        if indent == self.column:
            if not _is_dash(body):
                raise _DeclinedError
            if self.open:
                self._finish_item()
            self._start_item(number, indent, body, offset, comments_from)
        elif self.key_column == -2 and indent > self.column:
            self.key_column = indent
            self._key_line(number, body)
        elif indent == self.key_column:
            self._key_line(number, body)
        else:
            raise _DeclinedError

    def _start_item(self, number: int, indent: int, body: str, offset: int, comments_from: int) -> None:
        self.open = True
        self.item_start = offset
        self.item_lead = comments_from if comments_from >= 0 else offset
        self.item_line = number
        self.mapping, self.scalar_item, self.lines, self.item_nodes = None, None, {}, 1
        rest = body[1:].lstrip(" ")
        if not rest or rest[0] == "#":
            self.key_column = -2
            return
        self.key_column = indent + len(body) - len(rest)
        if _KEY.match(rest):
            self._key_line(number, rest)
            return
        if rest[0] == "[" or _is_dash(rest):
            raise _DeclinedError
        self.key_column = -1
        self.scalar_item = scalar(rest)

    def _key_line(self, number: int, body: str) -> None:
        match = _KEY.match(body)
        if match is None:
            raise _DeclinedError
        key, rest = match.group(1, 2)
        if key[0] == '"':
            key = key[1:-1]
            folded = go_fold(key)
        elif key[0] == "'":
            key = key[1:-1].replace("''", "'")
            folded = go_fold(key)
        else:
            folded = _key_ok(key)
        if self.mapping is None:
            self.mapping = {}
            self.item_line = number
        if key in self.mapping:
            raise _DeclinedError
        if not rest or rest[0] == "#":
            self.list_key, self.list_folded, self.list_column, self.list_items = key, folded, -1, []
            self.mapping[key] = None  # placeholder, keeps the key's place
            self.lines[folded] = -1
            return
        value, nodes = _value(rest)
        self.mapping[key] = value
        self.lines[folded] = number
        self.item_nodes += nodes

    def _list_line(self, number: int, indent: int, body: str) -> bool:
        """A line of the block list under ``list_key``; False when the list has ended at this line."""
        if self.list_column < 0:
            if indent < self.key_column or not _is_dash(body):
                raise _DeclinedError  # an empty value, or a nested mapping: the careful path
            self.list_column = indent
            self.lines[self.list_folded] = number
        elif indent != self.list_column or not _is_dash(body):
            if indent > self.list_column or indent > self.key_column:
                raise _DeclinedError
            self._end_list()
            return False
        rest = body[1:].lstrip(" ")
        if not rest or rest[0] in "#[" or _is_dash(rest) or _KEY.match(rest):
            raise _DeclinedError
        self.list_items.append(scalar(rest)[0])
        return True

    def _end_list(self) -> None:
        assert self.mapping is not None and self.list_key is not None
        if self.list_column < 0:
            raise _DeclinedError
        self.mapping[self.list_key] = self.list_items
        self.item_nodes += 1 + len(self.list_items)
        self.list_key = None

    def _finish_item(self) -> None:
        if self.list_key is not None:
            self._end_list()
        if self.mapping is None and self.scalar_item is None:
            raise _DeclinedError  # "-" with nothing under it: a null item
        span = ItemSpan(start=self.item_start, end=self.content_end, lead=self.item_lead, column=self.column)
        value, text = self.scalar_item if self.scalar_item is not None else (self.mapping, None)
        item = FastItem(
            line=self.item_line,
            value=value,
            scalar=text,
            field_lines=self.lines,
            span=span,
        )
        self.items.append(item)
        self.nodes += self.item_nodes
        self.mapping, self.scalar_item = None, None


# ---------------------------------------------------------------------------------------------------------
# One-line JSON lists (Terraform's jsonencode, and the like): JSON is YAML, and read as JSON it is the same.


def _no_numbers(text: str) -> Any:
    raise _DeclinedError  # a number's Go text (GoNumber) is not kept by json: the careful path decides


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DeclinedError  # a duplicate key
    return found


def parse_json_list(text: str) -> list[tuple[dict[str, Any], dict[str, int]]] | None:
    """The mappings of a one-line JSON list of objects, each with its fields' lines (all 1), or None.

    In the subset: one line (a final line break allowed), no escapes, no tab, no number, no duplicate key,
    every item an object. There a YAML reader sees only double-quoted scalars, true, false and null in
    flow collections, which give exactly what json gives.
    """
    body = text.rstrip("\n")
    if not body.startswith("[") or "\n" in body or "\\" in body or not readable(body):
        return None
    upper = (
        1
        + body.count('"') // 2
        + body.count("{")
        + body.count("[")
        + len(re.findall("true|false|null", body))
    )
    if upper > MAX_NODES:
        return None
    try:
        value = json.loads(body, object_pairs_hook=_unique, parse_int=_no_numbers, parse_float=_no_numbers)
    except (ValueError, RecursionError, _DeclinedError):
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    return [(item, {go_fold(k): 1 for k in item}) for item in value]
