"""IAM Identity Center permission-set roles and the ``{{SessionName}}`` near miss, vectors from
shared/facts/doctor-breadth.md §5 (botocore's sso-admin PermissionSetName: ``[\\w+=,.@-]+``, 1-32; the role
``AWSReservedSSO_<set>_<16 hex>`` under ``/aws-reserved/sso.amazonaws.com/`` with an optional region
segment) and aws-iam-authenticator's ``renderTemplate`` (``@`` -> ``-`` in ``{{SessionName}}`` only)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.iam import sso
from eksaccess.domain.iam.templates import at_sign_near_miss, render, session_name_value
from eksaccess.errors import InputError

A = "111122223333"
P = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (f"{P}AWSReservedSSO_Dev_0123456789abcdef", ("Dev", "0123456789abcdef")),
        # the path-less form aws-auth and STS use
        (f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_0123456789abcdef", ("Dev", "0123456789abcdef")),
        # a region segment after the reserved path
        (
            f"{P}eu-west-1/AWSReservedSSO_AdministratorAccess_fedcba9876543210",
            ("AdministratorAccess", "fedcba9876543210"),
        ),
        # a set name with '_' (and the other characters sso-admin allows): parsed from the right
        (f"{P}AWSReservedSSO_Read_Only.v2@x_0123456789abcdef", ("Read_Only.v2@x", "0123456789abcdef")),
        # the session of the role
        (
            f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/alice@example.com",
            ("Dev", "0123456789abcdef"),
        ),
        (f"arn:aws-cn:iam::{A}:role/AWSReservedSSO_Dev_0123456789abcdef", ("Dev", "0123456789abcdef")),
        # look-alikes
        (f"arn:aws:iam::{A}:role/teams/AWSReservedSSO_Dev_0123456789abcdef", None),  # another path
        (f"{P}not-a-region/AWSReservedSSO_Dev_0123456789abcdef", None),
        (f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_0123456789ABCDEF", None),  # IAM writes lower-case hex
        (f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_0123456789abcde", None),  # 15 hex
        (f"arn:aws:iam::{A}:role/AWSReservedSSO__0123456789abcdef", None),  # no set name
        (f"arn:aws:iam::{A}:role/AWSReservedSSO_{'x' * 33}_0123456789abcdef", None),  # set name > 32
        (f"arn:aws:iam::{A}:role/developer", None),
        (f"arn:aws:iam::{A}:user/AWSReservedSSO_Dev_0123456789abcdef", None),  # a user
        ("not an arn", None),
    ],
)
def test_a_permission_set_role_is_recognised(arn: str, expected: tuple[str, str] | None) -> None:
    found = sso.permission_set_role(arn)
    assert ((found.permission_set, found.suffix) if found else None) == expected
    assert bool(sso.describe(arn)) is (expected is not None)


@pytest.mark.parametrize(
    ("path", "reserved"),
    [
        ("/aws-reserved/sso.amazonaws.com/", True),
        ("/aws-reserved/sso.amazonaws.com/eu-central-1/", True),
        ("/aws-reserved/sso.amazonaws.com/us-gov-west-1/", True),
        ("/aws-reserved/sso.amazonaws.com/a/b/", False),
        ("/aws-reserved/", False),
        ("/", False),
    ],
)
def test_the_reserved_path(path: str, reserved: bool) -> None:
    assert sso.is_reserved_path(path) is reserved


def test_the_same_set_with_another_suffix_is_stale() -> None:
    current = f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_fedcba9876543210"  # the caller, path-less
    mapped = [
        f"{P}AWSReservedSSO_Dev_0123456789abcdef",  # the old role: stale
        f"{P}AWSReservedSSO_Dev_fedcba9876543210",  # the current one: not stale
        f"{P}AWSReservedSSO_Dev2_0123456789abcdef",  # another set
        "arn:aws:iam::444455556666:role/AWSReservedSSO_Dev_0123456789abcdef",  # another account
        f"arn:aws:iam::{A}:role/AWSReservedSSO_dev_0123456789abcdef",  # set names are case-sensitive
        f"arn:aws:iam::{A}:role/developer",
    ]
    stale = sso.stale_of(current, mapped)
    assert [arn for arn, _ in stale] == [mapped[0]]
    assert stale[0][1].permission_set == "Dev" and stale[0][1].suffix == "0123456789abcdef"
    assert sso.stale_of(f"arn:aws:iam::{A}:role/developer", mapped) == []


def test_roles_of_a_set_in_an_account() -> None:
    listed = [
        f"{P}AWSReservedSSO_Dev_0123456789abcdef",
        f"{P}AWSReservedSSO_DevOps_0123456789abcdef",  # a prefix of the name is another set
        f"{P}eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
    ]
    assert sso.roles_of_set("Dev", A, listed) == [listed[0]]
    assert sso.roles_of_set("Admin", A, listed) == [listed[2]]
    assert sso.roles_of_set("Dev", "444455556666", listed) == []
    assert sso.roles_of_set("dev", A, listed) == []


@pytest.mark.parametrize("name", ["Dev", "a", "x" * 32, "Read_Only.v2@x+=,-"])
def test_permission_set_names_sso_admin_accepts(name: str) -> None:
    assert sso.validate_permission_set_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 33, "has space", "a/b", "a*"])
def test_permission_set_names_sso_admin_refuses(name: str) -> None:
    with pytest.raises(InputError, match="permission set name"):
        sso.validate_permission_set_name(name)


# --- {{SessionName}}: '@' becomes '-' ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "rendered", "near"),
    [
        ("alice@example.com", "alice-example.com", True),
        ("sso:alice@example.com", "sso:alice-example.com", True),
        (
            f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/alice@example.com",
            f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/alice-example.com",
            True,
        ),
        ("alice-example.com", "alice-example.com", False),  # the binding is right
        ("bob@example.com", "alice-example.com", False),  # someone else
        ("Alice@example.com", "alice-example.com", False),  # a case miss is RBAC_SUBJECT_CASE's
        ("alice.example.com", "alice-example.com", False),  # no '@': not this near miss
    ],
)
def test_the_email_address_near_miss(written: str, rendered: str, near: bool) -> None:
    assert at_sign_near_miss(written, rendered) is near


@given(st.from_regex(r"[\w+=,.@-]{2,64}", fullmatch=True))
def test_session_name_renders_without_at_and_raw_keeps_it(session: str) -> None:
    done = render(
        "u:{{SessionName}}|{{SessionNameRaw}}", account_id=A, session_name=session, access_key_id="ASIAX"
    )
    assert done == f"u:{session.replace('@', '-')}|{session}"
    assert "@" not in session_name_value(session)
    if "@" in session:
        assert at_sign_near_miss(f"u:{session}", f"u:{session_name_value(session)}")
