"""IAM Identity Center (SSO) permission sets as IAM sees them: the reserved role of a permission set.

Facts (shared/facts/doctor-breadth.md §5; botocore's sso-admin and iam models):
- Identity Center provisions a permission set into an account as the IAM role
  ``AWSReservedSSO_<PermissionSetName>_<16 hex>`` under the path ``/aws-reserved/sso.amazonaws.com/``
  (some accounts show a region segment after it: ``/aws-reserved/sso.amazonaws.com/eu-west-1/``);
- a permission set's name is ``[\\w+=,.@-]{1,32}`` and may hold ``_``, so the suffix is read from the right;
- removing and provisioning the set again recreates the role with another suffix: mappings of the old ARN
  (access entries, aws-auth rows) then name a role that no longer exists;
- sso-admin gives no role ARN: ``iam:ListRoles`` with ``PathPrefix=/aws-reserved/sso.amazonaws.com/`` (which
  covers the region sub-paths) finds the set's role in one account.

The role-path rule (aws-auth compares the path-less ARN) stays in ``principal.py``; this module only says
whether a principal is a permission set's role, which set, which suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from eksaccess.domain.iam.principal import InvalidArnError, Principal, PrincipalKind, parse_principal
from eksaccess.errors import InputError

SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
ROLE_PREFIX = "AWSReservedSSO_"
_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")
_ROLE_NAME = re.compile(r"^AWSReservedSSO_(?P<set>[\w+=,.@-]{1,32})_(?P<suffix>[0-9a-f]{16})$")
_REGION_SEGMENT = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")


@dataclass(frozen=True, kw_only=True, slots=True)
class PermissionSetRole:
    """A permission set's reserved role in one account."""

    principal: Principal  # the role (or assumed role) as parsed
    permission_set: str
    suffix: str

    @property
    def account(self) -> str:
        return self.principal.account

    @property
    def role_name(self) -> str:
        return self.principal.name

    def same_set(self, other: PermissionSetRole) -> bool:
        """Same permission set in the same account and partition (suffix aside)."""
        return (
            self.permission_set == other.permission_set
            and self.account == other.account
            and self.principal.partition == other.principal.partition
        )

    def other_suffix(self, other: PermissionSetRole) -> bool:
        """The same set re-provisioned: same set and account, another role suffix."""
        return self.same_set(other) and self.suffix != other.suffix

    def describe(self) -> str:
        return f"the IAM Identity Center permission set {self.permission_set} (account {self.account})"


def validate_permission_set_name(name: str) -> str:
    """A permission set name as sso-admin accepts it (1-32 of letters, digits and ``+=,.@_-``)."""
    if not _SET_NAME.match(name):
        raise InputError(
            f"{name!r} is not a permission set name (1-32 letters, digits and +=,.@_- as IAM Identity Center "
            "allows)"
        )
    return name


def is_reserved_path(path: str) -> bool:
    """``/aws-reserved/sso.amazonaws.com/``, optionally followed by one region segment."""
    if not path.startswith(SSO_PATH):
        return False
    rest = path.removeprefix(SSO_PATH).strip("/")
    return rest == "" or bool(_REGION_SEGMENT.match(rest))


def permission_set_role(arn: str | Principal) -> PermissionSetRole | None:
    """The permission set behind a role ARN (with the reserved path, or path-less as aws-auth and STS write
    it) or an assumed-role ARN; None for anything else (a look-alike name under another path included)."""
    try:
        principal = arn if isinstance(arn, Principal) else parse_principal(arn)
    except InvalidArnError:
        return None
    if principal.kind not in (PrincipalKind.ROLE, PrincipalKind.ASSUMED_ROLE):
        return None
    if principal.kind is PrincipalKind.ROLE and principal.has_path and not is_reserved_path(principal.path):
        return None
    found = _ROLE_NAME.match(principal.name)
    if found is None:
        return None
    return PermissionSetRole(principal=principal, permission_set=found["set"], suffix=found["suffix"])


def describe(arn: str | Principal) -> str:
    """`` (the IAM Identity Center permission set X, account A)`` for a permission set's role, else ``""``:
    what a finding about the principal adds to name the set."""
    found = permission_set_role(arn)
    if found is None:
        return ""
    return f" (the IAM Identity Center permission set {found.permission_set}, account {found.account})"


def roles_of_set(permission_set: str, account: str, role_arns: Iterable[str]) -> list[str]:
    """The ARNs among ``role_arns`` that are ``permission_set``'s role in ``account`` (ListRoles' answer
    under the reserved path, filtered by name; the set name is compared exactly, as IAM spells it)."""
    out: list[str] = []
    for arn in role_arns:
        found = permission_set_role(arn)
        if found and found.permission_set == permission_set and found.account == account:
            out.append(arn)
    return out


def stale_of(current: str | Principal, mapped: Iterable[str]) -> list[tuple[str, PermissionSetRole]]:
    """The mapped ARNs (access entries' principals, aws-auth rolearns) that name the same permission set as
    ``current`` with another suffix: the set was provisioned again and these name the old role."""
    me = permission_set_role(current)
    if me is None:
        return []
    out: list[tuple[str, PermissionSetRole]] = []
    for arn in mapped:
        theirs = permission_set_role(arn)
        if theirs is not None and me.other_suffix(theirs):
            out.append((arn, theirs))
    return out
