"""The sandbox's CloudWatch Logs filter patterns (the term subset it serves, documented in logs.py)."""

from __future__ import annotations

import pytest

from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.logs import parse_pattern

DENIED = (
    'time="2026-01-01T00:00:00Z" level=warning msg="access denied" arn="arn:aws:iam::111122223333:role/dev" '
    'client="127.0.0.1:1" error="identity is not mapped" method=POST path=/authenticate'
)
GRANTED = DENIED.replace("access denied", "access granted").replace(' error="identity is not mapped"', "")


@pytest.mark.parametrize(
    ("pattern", "denied", "granted"),
    [
        ("", True, True),
        ('"access denied"', True, False),
        ("access denied", True, False),  # two terms, each anywhere
        ("path=/authenticate access", True, True),
        ('"access denied" "arn:aws:iam::111122223333:role/dev"', True, False),
        ('"arn:aws:iam::111122223333:role/dev"', True, True),
        ('"arn:aws:iam::111122223333:role/other"', False, False),
        ("?granted ?mapped", True, True),
        ("?granted ?nothing", False, True),
        ('-"access denied"', False, True),
        ("%not (mapped|known)%", True, False),
        ("ACCESS", False, False),  # case-sensitive
    ],
)
def test_term_patterns(pattern: str, denied: bool, granted: bool) -> None:
    parsed = parse_pattern(pattern)
    assert (parsed.matches(DENIED), parsed.matches(GRANTED)) == (denied, granted)


@pytest.mark.parametrize("pattern", ['{ $.level = "warning" }', "[time, level]", '"unbalanced', "%(%"])
def test_unsupported_or_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(AwsError) as err:
        parse_pattern(pattern)
    assert err.value.code == "InvalidParameterException"
