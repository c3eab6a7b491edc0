"""IAM condition blocks: parsing and evaluation of the string operators, as IAM evaluates them.

Facts (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Condition element";
shared/facts/workload-identity.md §3):

* ``StringEquals`` / ``StringNotEquals``: exact, case-sensitive; ``*`` and ``?`` are literal characters.
* ``StringEqualsIgnoreCase`` / ``StringNotEqualsIgnoreCase``: the same, ignoring case.
* ``StringLike`` / ``StringNotLike``: case-sensitive; ``*`` matches any run of characters (also none), ``?``
  exactly one, anywhere in the value; no character classes (``[`` is literal).
* Condition keys are case-insensitive; values are not (but for the IgnoreCase operators).
* Several values for one key: OR. Several keys under one operator: AND. Several operators: AND.
* A key absent from the request: a positive operator is false, a negated one (``StringNot...``) true;
  ``...IfExists`` makes an absent key true.
* ``ForAnyValue:`` true when one request value matches one condition value (false when the key is absent);
  ``ForAllValues:`` true when every request value matches one condition value (true when absent).
* A single-valued operator on a key with several request values: true when any value matches (negated:
  when no value matches) (inferred; IAM asks for a set operator there).

Operators other than the string ones (``Null``, ``Bool``, numeric, date, ARN, IP) are parsed and reported as
not evaluated: a statement carrying one does not match (an analysis errs towards denying here, and says so).
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any


class StringOperator(StrEnum):
    EQUALS = "StringEquals"
    NOT_EQUALS = "StringNotEquals"
    EQUALS_IGNORE_CASE = "StringEqualsIgnoreCase"
    NOT_EQUALS_IGNORE_CASE = "StringNotEqualsIgnoreCase"
    LIKE = "StringLike"
    NOT_LIKE = "StringNotLike"

    @property
    def negated(self) -> bool:
        return "Not" in self.value


class SetQualifier(StrEnum):
    NONE = ""
    ANY = "ForAnyValue"
    ALL = "ForAllValues"


class ConditionSyntaxError(ValueError):
    """A Condition element that is not a map of operator -> {key: value(s)}."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """One key under one operator of a Condition block: ``"StringEquals": {"KEY": ["v1", "v2"]}``."""

    operator: str  # as written: "ForAnyValue:StringLike", "StringEqualsIfExists", "Null", ...
    key: str  # as written (keys compare case-insensitively)
    values: tuple[str, ...]
    base: StringOperator | None  # None: an operator the sandbox does not evaluate
    qualifier: SetQualifier = SetQualifier.NONE
    if_exists: bool = False

    @property
    def evaluated(self) -> bool:
        return self.base is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionFailure:
    """Why a Condition block is false: the first condition that failed and what the request had."""

    condition: Condition
    actual: tuple[str, ...] | None  # None: the key is absent from the request

    def describe(self) -> str:
        wanted = ", ".join(repr(v) for v in self.condition.values)
        if not self.condition.evaluated:
            return f"{self.condition.operator} on {self.condition.key} is not evaluated"
        if self.actual is None:
            return f"{self.condition.operator} {self.condition.key} [{wanted}]: the request has no {self.condition.key}"
        got = ", ".join(repr(v) for v in self.actual)
        return f"{self.condition.operator} {self.condition.key} [{wanted}] does not match {got}"


def _split(operator: str) -> tuple[StringOperator | None, SetQualifier, bool]:
    qualifier = SetQualifier.NONE
    name = operator
    head, sep, tail = operator.partition(":")
    if sep:
        try:
            qualifier = SetQualifier(head)
        except ValueError:
            return None, SetQualifier.NONE, False
        name = tail
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    try:
        return StringOperator(name), qualifier, if_exists
    except ValueError:
        return None, qualifier, if_exists


def _values(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, list):
        return tuple(_scalar(v) for v in raw)
    return (_scalar(raw),)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ConditionSyntaxError(f"a condition value must be a string, number or boolean, not {value!r}")


def parse_conditions(raw: Any) -> tuple[Condition, ...]:
    """A statement's ``Condition`` element (absent or empty: no conditions)."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ConditionSyntaxError("Condition must be a map of operators")
    out: list[Condition] = []
    for operator, block in raw.items():
        if not isinstance(block, Mapping):
            raise ConditionSyntaxError(f"Condition operator {operator} must map keys to values")
        base, qualifier, if_exists = _split(str(operator))
        for key, value in block.items():
            out.append(
                Condition(
                    operator=str(operator),
                    key=str(key),
                    values=_values(value),
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                )
            )
    return tuple(out)


@cache
def _like(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"{body}\\Z", re.DOTALL)


def string_like(pattern: str, value: str) -> bool:
    """IAM's StringLike: ``*`` any run of characters, ``?`` one character, everything else literal."""
    return _like(pattern).match(value) is not None


def _one(base: StringOperator, wanted: str, value: str) -> bool:
    """Whether one request value matches one condition value (for the positive form of ``base``)."""
    if base in (StringOperator.EQUALS, StringOperator.NOT_EQUALS):
        return wanted == value
    if base in (StringOperator.EQUALS_IGNORE_CASE, StringOperator.NOT_EQUALS_IGNORE_CASE):
        return wanted.casefold() == value.casefold()
    return string_like(wanted, value)


def _matches_any(condition: Condition, value: str) -> bool:
    assert condition.base is not None
    return any(_one(condition.base, wanted, value) for wanted in condition.values)


def holds(condition: Condition, actual: Sequence[str] | None) -> bool:
    """Whether one condition is true for the request's values of its key (None: the key is absent)."""
    base = condition.base
    if base is None:
        return False
    if not actual:
        if condition.qualifier is SetQualifier.ALL:
            return True
        if condition.qualifier is SetQualifier.ANY:
            return False
        return condition.if_exists or base.negated
    if condition.qualifier is SetQualifier.ALL:
        found = all(_matches_any(condition, v) for v in actual)
        return (not found) if base.negated else found
    found = any(_matches_any(condition, v) for v in actual)
    return (not found) if base.negated else found


def context_lookup(context: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Request context keyed case-insensitively (IAM's condition keys are)."""
    return {key.lower(): tuple(values) for key, values in context.items()}


def first_failure(
    conditions: Sequence[Condition], context: Mapping[str, Sequence[str]]
) -> ConditionFailure | None:
    """None when every condition holds (an empty block holds), else the first that does not."""
    lookup = context_lookup(context)
    for condition in conditions:
        actual = lookup.get(condition.key.lower())
        if not holds(condition, actual):
            return ConditionFailure(condition=condition, actual=actual)
    return None
