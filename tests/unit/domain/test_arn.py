"""ARN parsing and canonicalization, vectors after
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/arn/arn_test.go."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.iam.partitions import PARTITIONS
from eksaccess.domain.iam.principal import (
    InvalidArnError,
    PrincipalKind,
    canonicalize,
    parse_principal,
)

CANONICAL = [
    ("arn:aws:iam::111122223333:user/Alice", "arn:aws:iam::111122223333:user/Alice"),
    ("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"),
    ("arn:aws:iam::111122223333:role/X", "arn:aws:iam::111122223333:role/X"),
    ("arn:aws:sts::111122223333:assumed-role/Admin/Session", "arn:aws:iam::111122223333:role/Admin"),
    (
        "arn:aws:sts::111122223333:assumed-role/Org/Team/Admin/Session",
        "arn:aws:iam::111122223333:role/Org/Team/Admin",
    ),
    ("arn:aws:sts::111122223333:federated-user/Bob", "arn:aws:sts::111122223333:federated-user/Bob"),
    ("arn:aws-cn:sts::111122223333:assumed-role/Dev/s1", "arn:aws-cn:iam::111122223333:role/Dev"),
    ("arn:aws-us-gov:sts::111122223333:assumed-role/Dev/s1", "arn:aws-us-gov:iam::111122223333:role/Dev"),
    (
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com",
        "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef",
    ),
]


@pytest.mark.parametrize(("arn", "expected"), CANONICAL)
def test_canonicalize_matches_the_authenticator(arn: str, expected: str) -> None:
    assert canonicalize(arn) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-an-arn",
        "arn:aws:iam::1111:user/Alice",
        "arn:aws:s3:::bucket",
        "arn:aws-moon:iam::111122223333:role/X",
        "arn:aws:iam:us-east-1:111122223333:role/X",
        "arn:aws:iam::111122223333:group/Devs",
        "arn:aws:sts::111122223333:assumed-role/Admin",
        "arn:aws:iam::111122223333:role/",
    ],
)
def test_invalid_arns_are_refused(bad: str) -> None:
    with pytest.raises(InvalidArnError):
        parse_principal(bad)


def test_role_path_helpers() -> None:
    p = parse_principal(
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Admin_0a1b"
    )
    assert p.kind is PrincipalKind.ROLE
    assert p.has_path
    assert p.path == "/aws-reserved/sso.amazonaws.com/us-east-1/"
    assert p.pathless_arn == "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b"
    assert p.account == "111122223333"


def test_assumed_role_helpers() -> None:
    p = parse_principal("arn:aws:sts::111122223333:assumed-role/Dev/i-0123456789abcdef0")
    assert p.is_assumed_role
    assert p.session_name == "i-0123456789abcdef0"
    assert p.role_name == "Dev"
    assert not p.has_path


def test_user_with_path_is_kept() -> None:
    p = parse_principal("arn:aws:iam::111122223333:user/engineering/alice")
    assert p.canonical_arn == "arn:aws:iam::111122223333:user/engineering/alice"
    assert p.has_path


_names = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True)


@given(st.sampled_from(PARTITIONS), st.from_regex(r"\d{12}", fullmatch=True), _names, _names)
def test_assumed_role_always_canonicalizes_to_the_role(part: str, acct: str, role: str, session: str) -> None:
    session = (session + "xx")[:64]
    arn = f"arn:{part}:sts::{acct}:assumed-role/{role}/{session}"
    assert canonicalize(arn) == f"arn:{part}:iam::{acct}:role/{role}"
    assert canonicalize(canonicalize(arn)) == canonicalize(arn)
