"""How aws-iam-authenticator reads YAML, emulated on ruamel.yaml nodes (pure: text in, values out).

The authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go) converts mapRoles/mapUsers with
``k8s.io/apimachinery`` ``util/yaml.ToJSON`` (sigs.k8s.io/yaml over go-yaml v2, non-strict) and decodes the
JSON with Go's ``encoding/json``; mapAccounts goes straight through go-yaml v2 into ``[]string``. This module
reproduces the parts that decide what survives:

- go-yaml v2 resolves plain scalars with YAML 1.1 rules (``yes``/``on``/``y`` are booleans, ``0x1F`` and
  ``017`` are integers); a non-string where Go wants a string leaves that field empty;
- duplicate mapping keys are allowed, the later one wins (sigs.k8s.io/yaml's own test:
  "expected YAMLtoJSON to pass on duplicate field names"); a null or non-scalar mapping key cannot be turned
  into JSON and fails the whole key;
- only the first YAML document counts (``Unmarshal`` reads one document).

Judgement calls, documented: YAML syntax errors are decided by ruamel.yaml's parser (a libyaml cousin, as
go-yaml v2 is) and worded as go-yaml words them (yaml_errors.py); explicit tags (``!!str 1``) are ignored; ``<<`` merge keys are applied in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tokens import (
    AnchorToken,
    BlockEndToken,
    BlockEntryToken,
    BlockMappingStartToken,
    BlockSequenceStartToken,
    DirectiveToken,
    DocumentStartToken,
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
    StreamStartToken,
    TagToken,
)

from eksaccess.domain.awsauth.yaml_errors import go_yaml_syntax_error

ScalarKind = Literal["null", "bool", "number", "str"]
LINE_BREAKS = "\n\r\x85\u2028\u2029"
MAX_NODES = 100_000  # go-yaml refuses "excessive aliasing"; so do we

# go-yaml v2 resolve.go: values looked up before any number parsing.
V2_TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
_V2_MAP: dict[str, ScalarKind] = {
    **dict.fromkeys(V2_TRUE, "bool"),
    **dict.fromkeys(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"], "bool"),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], "null"),
    **dict.fromkeys([".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"], "number"),
    **dict.fromkeys(["+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"], "number"),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


class GoYamlError(Exception):
    """The YAML could not become JSON the way the authenticator converts it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class GoNumber:
    """A JSON number (its text), as sigs.k8s.io/yaml would emit it."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """The first YAML document of a text: its root node, or the reason it failed."""

    node: Node | None
    error: str | None = None
    line: int | None = None


def v2_scalar_kind(text: str) -> ScalarKind:
    """What go-yaml v2 makes of a *plain* scalar when decoding into ``interface{}``."""
    if text in _V2_MAP:
        return _V2_MAP[text]
    first = text[0]
    if first == ".":
        return "number" if _DOT_FLOAT.fullmatch(text) and _finite(text) else "str"
    if first not in "+-0123456789":
        return "str"  # timestamps also stay strings when decoded into interface{}
    plain = text.replace("_", "")
    if _go_int(plain, signed=True) or _go_int(plain, signed=False):
        return "number"
    if _YAML_STYLE_FLOAT.fullmatch(plain) and _finite(plain):
        return "number"
    if plain.startswith("0b") and _digits_ok(plain[2:], 2):
        return "number"
    if plain.startswith("-0b") and _digits_ok(plain[3:], 2):
        return "number"
    return "str"


def _finite(text: str) -> bool:
    # Go's ParseFloat reports overflow (1e400) as an error, so go-yaml keeps the text as a string.
    return abs(float(text)) != float("inf")


def _digits_ok(text: str, base: int) -> bool:
    return bool(text) and all(ch in _DIGITS[base] for ch in text)


def _go_int(text: str, *, signed: bool) -> bool:
    """strconv.ParseInt / ParseUint with base 0, including their 64-bit range."""
    negative = False
    if text[:1] in ("+", "-"):
        if not signed:
            return False
        negative, text = text[0] == "-", text[1:]
    base = 10
    if len(text) > 1 and text[0] == "0":
        prefix = text[1].lower()
        base, text = {"x": (16, text[2:]), "o": (8, text[2:]), "b": (2, text[2:])}.get(prefix, (8, text[1:]))
    if not _digits_ok(text, base):
        return False
    value = int(text, base)
    if not signed:
        return value < 2**64
    return value <= 2**63 if negative else value < 2**63


def scalar_kind(node: ScalarNode) -> ScalarKind:
    """Quoted and block scalars are strings; plain ones resolve with go-yaml v2's rules."""
    if node.style in (None, ""):
        return v2_scalar_kind(node.value)
    return "str"


def _loader() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.max_depth = 200
    yaml.composer.warn_double_anchors = False  # YAML allows re-defining an anchor; go-yaml does too
    return yaml


def first_document(text: str) -> Document:
    """Compose the first YAML document; never raises (errors come back with their 1-based line)."""
    try:
        node = next(iter(_loader().compose_all(text)), None)
    except YAMLError as err:
        syntax = go_yaml_syntax_error(err)  # go-yaml's words and line count, the authenticator's log
        return Document(node=None, error=syntax.message, line=syntax.line)
    except Exception as err:  # defensive: the authenticator's view of any text is "dropped", never a crash
        return Document(node=None, error=f"yaml: {type(err).__name__}: {err}", line=None)
    return Document(node=node)


def all_documents(text: str) -> tuple[tuple[Node, ...], Document | None]:
    """Every YAML document of a multi-document text (``---``), as ``kubectl apply -f`` reads them, and the
    first syntax error (as first_document reports it) if the text has one; never raises."""
    nodes: list[Node] = []
    try:
        for node in _loader().compose_all(text):
            nodes.append(node)
    except YAMLError as err:
        syntax = go_yaml_syntax_error(err)
        return tuple(nodes), Document(node=None, error=syntax.message, line=syntax.line)
    except Exception as err:  # defensive, as first_document
        return tuple(nodes), Document(node=None, error=f"yaml: {type(err).__name__}: {err}", line=None)
    return tuple(nodes), None


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def to_json(node: Node) -> Any:
    """The JSON value sigs.k8s.io/yaml.YAMLToJSON produces (GoNumber for numbers); GoYamlError if none."""
    budget = [MAX_NODES]
    return _to_json(node, budget)


def _to_json(node: Node, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise GoYamlError("yaml: document contains excessive aliasing", line_of(node))
    if isinstance(node, ScalarNode):
        kind = scalar_kind(node)
        if kind == "null":
            return None
        if kind == "bool":
            return node.value in V2_TRUE
        return GoNumber(node.value) if kind == "number" else node.value
    if isinstance(node, SequenceNode):
        return [_to_json(child, budget) for child in node.value]
    assert isinstance(node, MappingNode)
    result: dict[str, Any] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "<<" and key.style in (None, ""):
            result.update(_merge(value, budget))
            continue
        result[_key_text(key)] = _to_json(value, budget)
    return result


def _merge(node: Node, budget: list[int]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    sources = list(reversed(node.value)) if isinstance(node, SequenceNode) else [node]
    for source in sources:
        value = _to_json(source, budget)
        if not isinstance(value, dict):
            raise GoYamlError(f"yaml: line {line_of(node)}: map merge requires map or sequence of maps", None)
        merged.update(value)
    return merged


def _key_text(key: Node) -> str:
    if not isinstance(key, ScalarNode):
        raise GoYamlError(f"yaml: line {line_of(key)}: invalid map key (not a scalar)", line_of(key))
    kind = scalar_kind(key)
    if kind == "null":
        raise GoYamlError(
            f"yaml: line {line_of(key)}: Unsupported map key of type: <nil> (a null key cannot become JSON)",
            line_of(key),
        )
    if kind == "bool":
        return "true" if key.value in V2_TRUE else "false"
    return str(key.value)


def json_type(value: Any) -> str:
    """Go's name for a JSON value's type in ``cannot unmarshal X into ...`` errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoNumber | int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def go_fold(text: str) -> str:
    """Go's simple case folding as encoding/json matches field names (K and long s fold to k and s)."""
    out = []
    for ch in text:
        if ch == "\u017f":
            out.append("s")
        elif ch == "\u212a":
            out.append("k")
        else:
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Where each item of a top-level block sequence sits in the text (for byte-preserving edits).


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemSpan:
    """Character offsets of one top-level sequence item.

    ``start`` is the start of the line holding its ``-``; ``end`` is just past the line break of its last
    content line; ``lead`` is where the contiguous comment lines directly above it begin (== start if none).
    """

    start: int
    end: int
    lead: int
    column: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SequenceLayout:
    style: Literal["block", "flow", "none"]  # none: empty document (comments only) or not a sequence
    items: tuple[ItemSpan, ...]


def line_start(text: str, index: int) -> int:
    while index > 0 and text[index - 1] not in LINE_BREAKS:
        index -= 1
    return index


def line_end(text: str, index: int) -> int:
    """Index just past the line break of the line containing ``index`` (or len(text))."""
    after_break = index > 0 and text[index - 1] in LINE_BREAKS
    if after_break and not (text[index - 1] == "\r" and text[index : index + 1] == "\n"):
        return index
    while index < len(text) and text[index] not in LINE_BREAKS:
        index += 1
    if text.startswith("\r\n", index):
        return index + 2
    return min(index + 1, len(text))


def _is_comment_line(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _tokens(text: str) -> Iterator[Any]:
    return iter(_loader().scan(text))


def sequence_layout(text: str) -> SequenceLayout:
    """Locate the items of the top-level sequence of the first document. The text must be valid YAML."""
    tokens = _tokens(text)
    for token in tokens:
        if isinstance(token, StreamStartToken | DirectiveToken | DocumentStartToken | AnchorToken | TagToken):
            continue
        if isinstance(token, FlowSequenceStartToken):
            return SequenceLayout(style="flow", items=())
        if isinstance(token, BlockSequenceStartToken):
            return SequenceLayout(style="block", items=tuple(_block_items(text, tokens)))
        return SequenceLayout(style="none", items=())
    return SequenceLayout(style="none", items=())


_OPEN = (BlockSequenceStartToken, BlockMappingStartToken, FlowSequenceStartToken, FlowMappingStartToken)
_CLOSE = (BlockEndToken, FlowSequenceEndToken, FlowMappingEndToken)


def _block_items(text: str, tokens: Iterator[Any]) -> Iterator[ItemSpan]:
    depth = 1
    starts: list[tuple[int, int]] = []  # (dash index, column)
    ends: list[int] = []
    for token in tokens:
        if isinstance(token, BlockEntryToken) and depth == 1:
            starts.append((token.start_mark.index, token.start_mark.column))
            ends.append(token.end_mark.index)
            continue
        if isinstance(token, _OPEN):
            depth += 1
        elif isinstance(token, _CLOSE):
            depth -= 1
            if depth == 0:
                break
            continue
        if starts:
            ends[-1] = max(ends[-1], token.end_mark.index)
    previous_end = 0
    for (dash, column), content_end in zip(starts, ends, strict=True):
        start = line_start(text, dash)
        lead = start
        while lead > previous_end:
            above = line_start(text, lead - 2 if text[lead - 2 : lead] == "\r\n" else lead - 1)
            if above < previous_end or not _is_comment_line(text[above:lead]):
                break
            lead = above
        end = line_end(text, content_end)
        yield ItemSpan(start=start, end=end, lead=lead, column=column)
        previous_end = end
