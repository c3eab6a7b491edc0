"""Data text (JSON or YAML) read into plain values, fast: the one loader of every reader that needs values
and no round trip (snapshots, IAM details, desired-state files, scenarios, kubeconfigs). Round-trip edits
(comments and layout kept) stay with ruamel.yaml.

- Text whose first character (after spaces) is ``{`` or ``[`` is tried as JSON with the ``json`` module:
  a 7 MB snapshot in 0.1 s, where ruamel's pure-Python parser took over 30 s. JSON that is not valid JSON
  (flow YAML such as ``{a: 1}``, or a key written twice under the core schema) goes on to the YAML loader,
  which reads it or says where it breaks.
- Everything else is YAML, through PyYAML's C parser (``domain/yaml_loaders.py``) with one of two rule sets
  for plain scalars (``Schema``): YAML 1.2's core schema, as the files eksaccess writes were always read,
  or go-yaml v2's, as kubectl reads a kubeconfig.

Every problem is one ``DataTextError`` (an ``InputError``, exit 2) naming the source and, where the parser
knows it, the line and column: ``FILE: not valid YAML or JSON at line L, column C: PROBLEM``.
The input limits (size, nesting) are the file reader's (``adapters/files.py``, docs/input-limits.md);
``json_depth`` is its quick measure of JSON text.
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from itertools import accumulate
from typing import Any

from eksaccess.errors import InputError


class Schema(StrEnum):
    CORE = "core"  # YAML 1.2 core schema as ruamel.yaml reads it: eksaccess's own formats
    KUBECTL = "kubectl"  # go-yaml v2, as kubectl reads a kubeconfig


class DataTextError(InputError):
    """Text that is not valid JSON or YAML: ``line`` and ``column`` (1-based) where the parser stopped."""

    def __init__(self, message: str, *, problem: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.problem = problem
        self.line = line
        self.column = column


def load_data_text(
    text: str, source: str, *, schema: Schema = Schema.CORE, kind: str = "YAML or JSON"
) -> Any:
    """The value of one JSON or YAML document (None for empty text). ``kind`` names the format in errors."""
    if _json_like(text):
        try:
            return _load_json(text, unique_keys=schema is Schema.CORE)
        except RecursionError:
            raise DataTextError(f"{source}: nested too deep to read", problem="nested too deep") from None
        except ValueError:
            pass  # not JSON: the YAML parser reads it (flow YAML) or says where it is broken
    return _load_yaml(text, source, schema, kind)


def json_depth(text: str) -> int | None:
    """How deep JSON text nests (brackets outside strings), or None when the text is not JSON."""
    if not _json_like(text):
        return None
    try:
        json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        return sys.getrecursionlimit()  # at least that deep
    except ValueError:
        return None
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(1 if char in "[{" else -1 for char in brackets), default=0)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _json_like(text: str) -> bool:
    return text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "[")


def _load_json(text: str, *, unique_keys: bool) -> Any:
    return json.loads(
        text.removeprefix("\ufeff"),
        object_pairs_hook=_unique_object if unique_keys else None,
        parse_constant=_not_json,
    )


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")  # the YAML loader then names it, with its line
    return obj


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: YAML reads them as the strings they are


def _load_yaml(text: str, source: str, schema: Schema, kind: str) -> Any:
    import yaml  # here, not above: the file reader's json_depth (on every command's path) needs only json

    from eksaccess.domain.yaml_loaders import CoreLoader, KubectlLoader

    try:  # the C parser takes UTF-8: text built in memory may hold a lone surrogate (a file's cannot)
        reader = (CoreLoader if schema is Schema.CORE else KubectlLoader)(text)
    except UnicodeEncodeError:
        raise DataTextError(
            f"{source}: holds a lone surrogate, which is not text", problem="not text"
        ) from None
    try:
        return reader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = " ".join(str(err.problem or err.context or "unreadable").split())
        if mark is None:
            raise DataTextError(f"{source}: not valid {kind}: {problem}", problem=problem) from None
        line, column = mark.line + 1, mark.column + 1
        raise DataTextError(
            f"{source}: not valid {kind} at line {line}, column {column}: {problem}",
            problem=problem,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as err:
        problem = " ".join(str(err).split())
        raise DataTextError(f"{source}: not valid {kind}: {problem}", problem=problem) from None
    except RecursionError:
        raise DataTextError(f"{source}: nested too deep to read", problem="nested too deep") from None
    finally:
        reader.dispose()
