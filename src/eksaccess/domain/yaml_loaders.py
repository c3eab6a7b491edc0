"""Two fast YAML loaders (PyYAML's C parser, libyaml; the pure-Python one when libyaml is absent), each
resolving plain scalars by one published rule set, for the readers that need values and no round trip:

- ``CoreLoader``: the YAML 1.2 core schema as ruamel.yaml's safe loader applies it, the rules eksaccess's
  own files were read by (snapshots, desired-state files, scenarios: ruamel writes them as YAML 1.2). ``on``,
  ``no``, ``y`` stay strings; ``true``/``false`` (three spellings) are booleans; integers are decimal even
  with leading zeros (``012345678901`` is 12345678901), ``0o``/``0x``/``0b`` prefixed otherwise; ``1e5`` and
  ``.5`` are floats; no sexagesimal numbers. Source: https://yaml.org/spec/1.2.2/#1032-tag-resolution and
  ruamel.yaml's resolver (https://sourceforge.net/p/ruamel-yaml/code/ci/default/tree/resolver.py).
- ``KubectlLoader``: go-yaml v2's ``resolve`` (what kubectl reads a kubeconfig with: sigs.k8s.io/yaml's
  ``YAMLToJSON``, no target type): ``y``/``yes``/``on`` and ``n``/``no``/``off`` (three spellings) are
  booleans, integers follow Go's ``strconv.ParseInt(s, 0, 64)`` after dropping ``_`` (a leading ``0`` is
  octal), timestamps stay strings, and a duplicate key is no error: the last one wins.
  Sources: https://github.com/kubernetes-sigs/yaml/blob/master/goyaml.v2/resolve.go and
  https://github.com/kubernetes-sigs/yaml/blob/master/yaml.go (``YAMLToJSON``).

Both refuse nothing the parser accepts except what the rule set refuses: ``CoreLoader`` reports a duplicate
key (as ruamel.yaml's safe loader does), at the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _FastSafeLoader
except ImportError:  # PyYAML built without libyaml: the same rules, parsed in Python
    from yaml import SafeLoader as _FastSafeLoader  # type: ignore[assignment]

WITH_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null"))
MERGE, TIMESTAMP, SEQ, MAP = (f"{_TAG}{name}" for name in ("merge", "timestamp", "seq", "map"))

# --- YAML 1.2 core schema, as ruamel.yaml resolves it -----------------------------------------------------

_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]*[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.X,
)
# At least one digit (floats too: "._"): ruamel's own pattern also takes "+_" or "_0o" and then fails to build the number.
_CORE_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]*[0-1][0-1_]*
        |[-+]?0o?[0-7_]*[0-7][0-7_]*
        |[-+]?[0-9_]*[0-9][0-9_]*
        |[-+]?0x[0-9a-fA-F_]*[0-9a-fA-F][0-9a-fA-F_]*)$""",
    re.X,
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TIMESTAMP = re.compile(
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    re.X,
)
# By first character, in ruamel's order (bool, float, int, merge, null, timestamp).
_CORE_BY_FIRST: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
for _tag, _pattern, _first in (
    (BOOL, _CORE_BOOL, "tTfF"),
    (FLOAT, _CORE_FLOAT, "-+0123456789."),
    (INT, _CORE_INT, "-+0123456789"),
    (MERGE, re.compile(r"^<<$"), "<"),
    (NULL, _NULL, "~nN"),
    (TIMESTAMP, _TIMESTAMP, "0123456789"),
):
    for _char in _first:
        _CORE_BY_FIRST[_char] = (*_CORE_BY_FIRST.get(_char, ()), (_tag, _pattern))


@lru_cache(maxsize=4096)  # keys and values repeat: "name", "kind", "get", "apiGroups"...
def core_tag(value: str) -> str:
    """The tag YAML 1.2's core schema (ruamel.yaml's reading) gives a plain scalar."""
    if not value:
        return NULL
    for tag, pattern in _CORE_BY_FIRST.get(value[0], ()):
        if pattern.match(value):
            return tag
    return STR


def core_int(text: str) -> int:
    """An integer as ruamel.yaml builds a 1.2 ``!!int``: ``_`` dropped, decimal unless prefixed."""
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    prefix = digits[:2]
    if prefix in ("0b", "0x", "0o"):
        return sign * int(digits[2:], {"0b": 2, "0x": 16, "0o": 8}[prefix])
    return sign * int(digits)


# --- go-yaml v2, as kubectl reads a kubeconfig -------------------------------------------------------------

_GO_WORDS: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), (BOOL, True)),
    **dict.fromkeys(
        ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), (BOOL, False)
    ),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, float("nan"))),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, float("inf"))),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, float("-inf"))),
    "<<": (MERGE, "<<"),
}
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")  # yamlStyleFloat
_GO_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")  # what strconv.ParseFloat takes after a "."
_GO_DIGITS = {2: re.compile(r"^[01]+$"), 8: re.compile(r"^[0-7]+$"), 10: re.compile(r"^[0-9]+$")}
_GO_DIGITS[16] = re.compile(r"^[0-9a-fA-F]+$")


def go_int(plain: str) -> int | None:
    """``strconv.ParseInt(plain, 0, 64)`` (and the wider ``ParseUint``/``big.Int`` go-yaml falls back to):
    a sign, then ``0x``/``0o``/``0b`` or a leading ``0`` (octal), or decimal; None when it is no integer."""
    sign = -1 if plain[:1] == "-" else 1
    body = plain[1:] if plain[:1] in "+-" else plain
    base = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}.get(body[:2], 0)
    if base:
        body = body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, body = 8, body[1:]
    else:
        base = 10
    if not _GO_DIGITS[base].match(body):
        return None
    return sign * int(body, base)


def go_value(value: str) -> tuple[str, Any]:
    """The tag and value go-yaml v2 resolves a plain scalar to (a timestamp stays a string)."""
    known = _GO_WORDS.get(value)
    if known is not None:
        return known
    first = value[:1]
    if first == ".":
        if _GO_DOT_FLOAT.match(value):
            return FLOAT, float(value)
    elif first in "+-0123456789":
        plain = value.replace("_", "")
        number = go_int(plain)
        if number is not None:
            return INT, number
        if _GO_FLOAT.match(plain):
            return FLOAT, float(plain)
    return STR, value


# --- the loaders -------------------------------------------------------------------------------------------


def _kind_tag(kind: type[Node]) -> str:
    return SEQ if kind is SequenceNode else MAP


class CoreLoader(_FastSafeLoader):
    """YAML 1.2 core schema (ruamel.yaml's safe reading); duplicate keys refused."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return core_tag(value) if implicit[0] else STR
        return _kind_tag(kind)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        return _mapping(self, node, deep=deep, unique=True)

    def construct_core_int(self, node: ScalarNode) -> int:
        return core_int(str(self.construct_scalar(node)))


class KubectlLoader(_FastSafeLoader):
    """go-yaml v2's resolution (kubectl's reading of a kubeconfig); the last of duplicate keys wins."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return go_value(value or "")[0] if implicit[0] else STR
        return _kind_tag(kind)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        return _mapping(self, node, deep=deep, unique=False)

    def construct_go_scalar(self, node: ScalarNode) -> Any:
        text = str(self.construct_scalar(node))
        tag, value = go_value(text)
        if tag != node.tag and not (node.tag == FLOAT and tag == INT):
            raise ConstructorError(None, None, f"cannot decode {text!r} as {node.tag}", node.start_mark)
        return float(value) if node.tag == FLOAT else value

    def construct_timestamp_text(self, node: ScalarNode) -> str:
        return str(self.construct_scalar(node))  # go-yaml keeps it a string when the target is untyped


def _checked(construct: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A constructor whose text does not fit its tag (``!!int foo``, the date ``2024-13-45``) raises a
    ConstructorError at the value, not a ValueError from deep inside."""

    def checked(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, TypeError, LookupError, AttributeError, OverflowError):
            text = str(node.value)[:40]
            raise ConstructorError(
                None, None, f"cannot read {text!r} as {node.tag}", node.start_mark
            ) from None

    return checked


CoreLoader.add_constructor(INT, _checked(CoreLoader.construct_core_int))
CoreLoader.add_constructor(FLOAT, _checked(CoreLoader.construct_yaml_float))
CoreLoader.add_constructor(BOOL, _checked(CoreLoader.construct_yaml_bool))
CoreLoader.add_constructor(TIMESTAMP, _checked(CoreLoader.construct_yaml_timestamp))
for _tag in (INT, FLOAT, BOOL):
    KubectlLoader.add_constructor(_tag, KubectlLoader.construct_go_scalar)
KubectlLoader.add_constructor(TIMESTAMP, KubectlLoader.construct_timestamp_text)


def _mapping(loader: Any, node: MappingNode, *, deep: bool, unique: bool) -> dict[Hashable, Any]:
    """A mapping's entries: what ``<<`` merges first (of a list of mappings, the first to name a key wins),
    then the mapping's own keys over them; with ``unique``, a key the mapping itself writes twice is an
    error at the second. The node is left as it is (an anchored node may be read again)."""
    if not isinstance(node, MappingNode):
        raise ConstructorError(None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
    mapping: dict[Hashable, Any] = {}
    own: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE:
            for source in reversed(_merge_sources(node, value_node)):
                mapping.update(loader.construct_object(source, deep=True))
        else:
            own.append((key_node, value_node))
    mine: set[Hashable] = set()
    for key_node, value_node in own:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
            )
        if unique and key in mine:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {_shown(key)}",
                key_node.start_mark,
            )
        mine.add(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _merge_sources(node: MappingNode, value: Node) -> list[MappingNode]:
    if isinstance(value, MappingNode):
        return [value]
    if isinstance(value, SequenceNode) and all(isinstance(item, MappingNode) for item in value.value):
        return list(value.value)
    raise ConstructorError(
        "while constructing a mapping",
        node.start_mark,
        "expected a mapping or list of mappings for merging",
        value.start_mark,
    )


def _shown(key: Hashable) -> str:
    text = key if isinstance(key, str) else repr(key)
    return f'"{text[:60]}"' if len(text) <= 60 else f'"{text[:57]}..."'
