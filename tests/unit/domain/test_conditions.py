"""IAM condition operators (IAM User Guide, "Condition operators"; shared/facts/workload-identity.md §3)."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.iam.conditions import (
    ConditionSyntaxError,
    first_failure,
    parse_conditions,
    string_like,
)

SUB = "oidc.eks.us-west-2.amazonaws.com/id/ABC:sub"
AUD = "oidc.eks.us-west-2.amazonaws.com/id/ABC:aud"


def _holds(block: object, context: dict[str, list[str]]) -> bool:
    return first_failure(parse_conditions(block), context) is None


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        # StringEquals: exact, case-sensitive, * and ? literal
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:*"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:*"}},
            {SUB: ["system:serviceaccount:apps:*"]},
            True,
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:we?"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        (
            {"StringEquals": {SUB: "System:serviceaccount:apps:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        # StringLike: * and ? wildcards
        (
            {"StringLike": {SUB: "system:serviceaccount:apps:*"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        (
            {"StringLike": {SUB: "system:serviceaccount:*:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        (
            {"StringLike": {SUB: "system:serviceaccount:apps:we?"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        (
            {"StringLike": {SUB: "system:serviceaccount:apps:w?"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        (
            {"StringLike": {SUB: "system:serviceaccount:other:*"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        # IgnoreCase
        (
            {"StringEqualsIgnoreCase": {SUB: "SYSTEM:serviceaccount:APPS:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        # keys are case-insensitive
        (
            {"StringEquals": {SUB.upper(): "system:serviceaccount:apps:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        # several values: OR
        (
            {"StringEquals": {SUB: ["system:serviceaccount:a:b", "system:serviceaccount:apps:web"]}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        # several keys: AND
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:web", AUD: "sts.amazonaws.com"}},
            {SUB: ["system:serviceaccount:apps:web"], AUD: ["sts.amazonaws.com"]},
            True,
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:apps:web", AUD: "sts.amazonaws.com"}},
            {SUB: ["system:serviceaccount:apps:web"], AUD: ["other"]},
            False,
        ),
        # several operators: AND
        (
            {"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "x*"}},
            {SUB: ["system:serviceaccount:apps:web"], AUD: ["sts.amazonaws.com"]},
            False,
        ),
        # absent key: positive false, negated true, IfExists true
        ({"StringEquals": {AUD: "sts.amazonaws.com"}}, {SUB: ["s"]}, False),
        ({"StringNotEquals": {AUD: "sts.amazonaws.com"}}, {SUB: ["s"]}, True),
        ({"StringEqualsIfExists": {AUD: "sts.amazonaws.com"}}, {SUB: ["s"]}, True),
        # negated
        (
            {"StringNotEquals": {SUB: "system:serviceaccount:apps:web"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            False,
        ),
        (
            {"StringNotLike": {SUB: "system:serviceaccount:kube-system:*"}},
            {SUB: ["system:serviceaccount:apps:web"]},
            True,
        ),
        # set qualifiers on a multi-valued key
        ({"ForAnyValue:StringEquals": {AUD: "sts.amazonaws.com"}}, {AUD: ["x", "sts.amazonaws.com"]}, True),
        ({"ForAllValues:StringEquals": {AUD: "sts.amazonaws.com"}}, {AUD: ["x", "sts.amazonaws.com"]}, False),
        ({"ForAllValues:StringEquals": {AUD: "sts.amazonaws.com"}}, {}, True),
        ({"ForAnyValue:StringEquals": {AUD: "sts.amazonaws.com"}}, {}, False),
        # operators not evaluated never hold
        ({"Null": {AUD: "false"}}, {AUD: ["x"]}, False),
        # no conditions hold
        (None, {}, True),
        ({}, {}, True),
    ],
)
def test_operators(block: object, context: dict[str, list[str]], expected: bool) -> None:
    assert _holds(block, context) is expected


def test_failure_quotes_expected_and_actual() -> None:
    failure = first_failure(
        parse_conditions({"StringEquals": {SUB: "system:serviceaccount:default:web"}}),
        {SUB: ["system:serviceaccount:apps:web"]},
    )
    assert failure is not None
    assert failure.condition.values == ("system:serviceaccount:default:web",)
    assert failure.actual == ("system:serviceaccount:apps:web",)
    assert "system:serviceaccount:default:web" in failure.describe()
    assert "system:serviceaccount:apps:web" in failure.describe()


@pytest.mark.parametrize(
    "block", ["StringEquals", ["x"], {"StringEquals": "x"}, {"StringEquals": {SUB: {"a": 1}}}]
)
def test_syntax_errors(block: object) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_conditions(block)


def _reference(pattern: str, value: str) -> bool:
    """fnmatch without character classes: escape [ so that it is literal, as IAM has it."""
    return re.fullmatch(fnmatch.translate(pattern.replace("[", "[[]")), value, re.DOTALL) is not None


ALPHABET = st.sampled_from(list("ab:*?[]-/."))


@given(st.text(ALPHABET, max_size=8), st.text(st.sampled_from(list("ab:[]-/.")), max_size=8))
def test_string_like_matches_reference(pattern: str, value: str) -> None:
    assert string_like(pattern, value) is _reference(pattern, value)


def test_string_like_has_no_character_classes() -> None:
    assert string_like("[ab]", "[ab]")
    assert not string_like("[ab]", "a")
