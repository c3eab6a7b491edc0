"""IAM and STS principal ARNs: parse once, canonicalize exactly as aws-iam-authenticator does.

The one place that reads ARN text: any other module asks this one for an ARN's partition, region or
account (:func:`split_arn`), for the one "same principal" key (:func:`principal_key`) and for the ARN
aws-auth compares (:attr:`Principal.mapping_arn`, the role-path rule). A region's partition is
:func:`eksaccess.domain.iam.partitions.region_partition`, kept import-free for the token fast path.

Facts (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/arn/arn.go):
- known partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc;
- ``arn:P:sts::A:assumed-role/NAME/SESSION`` canonicalizes to ``arn:P:iam::A:role/NAME``; every segment
  between ``assumed-role/`` and the last ``/`` is kept (STS never puts a role path there);
- users, roles and root are unchanged; federated users stay ``sts``;
- anything else is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from eksaccess.domain.iam.partitions import PARTITIONS
from eksaccess.errors import InputError

_ACCOUNT = re.compile(r"^\d{12}$")
# IAM names: letters, digits and +=,.@_- ; paths add '/'. Session names add nothing else.
_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
_PATH_SEGMENT = re.compile(r"^[\w+=,.@-]+$")
_SESSION = re.compile(r"^[\w+=,.@-]{2,64}$")


class InvalidArnError(InputError):
    """Text that is not a principal ARN eksaccess (or the authenticator) accepts."""


class PrincipalKind(StrEnum):
    USER = "user"
    ROLE = "role"
    ROOT = "root"
    ASSUMED_ROLE = "assumed-role"
    FEDERATED_USER = "federated-user"


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """A parsed principal ARN. ``arn`` is the text as given; the rest is derived from it."""

    arn: str
    partition: str
    account: str
    kind: PrincipalKind
    name: str
    path: str = "/"
    session_name: str | None = None

    @property
    def service(self) -> str:
        return "sts" if self.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER) else "iam"

    @property
    def is_assumed_role(self) -> bool:
        return self.kind is PrincipalKind.ASSUMED_ROLE

    @property
    def has_path(self) -> bool:
        """True for a role or user ARN carrying a path other than ``/``."""
        return self.path != "/"

    @property
    def canonical_arn(self) -> str:
        """The ARN the authenticator maps: assumed roles become their role ARN, without any path."""
        if self.kind is PrincipalKind.ASSUMED_ROLE:
            return f"arn:{self.partition}:iam::{self.account}:role/{self.name}"
        return self.arn

    @property
    def pathless_arn(self) -> str:
        """The ARN with its path removed: the only form a role can match in aws-auth."""
        if self.kind in (PrincipalKind.ROLE, PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE):
            kind = "user" if self.kind is PrincipalKind.USER else "role"
            return f"arn:{self.partition}:iam::{self.account}:{kind}/{self.name}"
        return self.arn

    @property
    def mapping_arn(self) -> str:
        """The ARN the authenticator compares for this principal (the role-path rule): roles and assumed
        roles as the path-less role ARN, since STS never shows a role's path; other principals as written."""
        if self.kind in (PrincipalKind.ROLE, PrincipalKind.ASSUMED_ROLE):
            return self.pathless_arn
        return self.arn

    @property
    def path_never_matches(self) -> bool:
        """A role ARN with a path: aws-auth compares the path-less ARN, so such a ``rolearn`` never matches."""
        return self.kind is PrincipalKind.ROLE and self.has_path

    @property
    def key(self) -> str:
        """The one "same principal" key: the IAM entity, path ignored (IAM names are unique in an account
        whatever the path, case-insensitively), assumed roles as their role."""
        return self.pathless_arn.lower()

    @property
    def role_name(self) -> str | None:
        """The role's name for roles and assumed roles (for the latter, as STS wrote it)."""
        if self.kind in (PrincipalKind.ROLE, PrincipalKind.ASSUMED_ROLE):
            return self.name
        return None

    def __str__(self) -> str:
        return self.arn


def parse_principal(text: str) -> Principal:
    """Parse an IAM user/role/root ARN or an STS assumed-role/federated-user ARN."""
    if not isinstance(text, str):
        raise InvalidArnError(f"ARN must be a string, got {type(text).__name__}")
    raw = text.strip()
    parts = raw.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise InvalidArnError(f"{text!r} is not an ARN (expected arn:PARTITION:iam::ACCOUNT:...)")
    _, partition, service, region, account, resource = parts
    if partition not in PARTITIONS:
        raise InvalidArnError(f"ARN {raw!r} does not have a recognized partition ({partition!r})")
    if region:
        raise InvalidArnError(f"ARN {raw!r} has a region; IAM and STS principal ARNs have none")
    if not _ACCOUNT.match(account):
        raise InvalidArnError(f"ARN {raw!r} has no 12-digit account ID")
    if service == "iam":
        return _parse_iam(raw, partition, account, resource)
    if service == "sts":
        return _parse_sts(raw, partition, account, resource)
    raise InvalidArnError(f"ARN {raw!r} is not an IAM or STS principal (service {service!r})")


def _parse_iam(raw: str, partition: str, account: str, resource: str) -> Principal:
    if resource == "root":
        return Principal(arn=raw, partition=partition, account=account, kind=PrincipalKind.ROOT, name="root")
    kind_text, sep, rest = resource.partition("/")
    if not sep or kind_text not in ("user", "role"):
        raise InvalidArnError(f"ARN {raw!r} is not an IAM user, role or root")
    segments = rest.split("/")
    name = segments[-1]
    _check_name(raw, name)
    for segment in segments[:-1]:
        if not _PATH_SEGMENT.match(segment):
            raise InvalidArnError(f"ARN {raw!r} has an invalid path")
    path = "/" + "/".join(segments[:-1]) + "/" if len(segments) > 1 else "/"
    kind = PrincipalKind.USER if kind_text == "user" else PrincipalKind.ROLE
    return Principal(arn=raw, partition=partition, account=account, kind=kind, name=name, path=path)


def _parse_sts(raw: str, partition: str, account: str, resource: str) -> Principal:
    kind_text, sep, rest = resource.partition("/")
    if kind_text == "assumed-role" and sep:
        role, slash, session = rest.rpartition("/")
        if not slash or not role or not session:
            raise InvalidArnError(f"ARN {raw!r} is an assumed-role ARN without a session name")
        for segment in role.split("/"):
            _check_name(raw, segment)
        if not _SESSION.match(session):
            raise InvalidArnError(f"ARN {raw!r} has an invalid session name")
        return Principal(
            arn=raw,
            partition=partition,
            account=account,
            kind=PrincipalKind.ASSUMED_ROLE,
            name=role,
            session_name=session,
        )
    if kind_text == "federated-user" and sep:
        _check_name(raw, rest)
        return Principal(
            arn=raw, partition=partition, account=account, kind=PrincipalKind.FEDERATED_USER, name=rest
        )
    raise InvalidArnError(f"ARN {raw!r} is not an assumed-role or federated-user STS ARN")


def _check_name(raw: str, name: str) -> None:
    if not _NAME.match(name):
        raise InvalidArnError(f"ARN {raw!r} has an invalid name {name!r}")


def parse_principal_any_case(text: str) -> Principal:
    """``parse_principal``, except that the prefix, partition, service and kind may be in any case: the
    authenticator compares lower-cased ARNs, so ``ARN:AWS:IAM::1:ROLE/X`` still matches."""
    try:
        return parse_principal(text)
    except InvalidArnError:
        parts = text.split(":", 5)
        if len(parts) != 6:
            raise
        kind, slash, rest = parts[5].partition("/")
        lowered = ":".join(p.lower() for p in parts[:5]) + ":" + kind.lower() + slash + rest
        return parse_principal(lowered)


def principal_key(arn: str | Principal) -> str:
    """The one "same principal" key (:attr:`Principal.key`); text that is not a principal ARN keys as
    itself in lower case."""
    if isinstance(arn, Principal):
        return arn.key
    try:
        return parse_principal(arn).key
    except InvalidArnError:
        return arn.lower()


def same_principal(a: str | Principal, b: str | Principal) -> bool:
    """Whether two ARNs name the same IAM principal (:func:`principal_key`)."""
    return principal_key(a) == principal_key(b)


# --- any ARN ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ArnFields:
    """The six fields of any ARN (a cluster's, a policy's, a principal's)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def split_arn(text: str) -> ArnFields:
    """``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; InvalidArnError for anything else."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise InvalidArnError(f"{text!r} is not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:...)")
    _, partition, service, region, account, resource = parts
    return ArnFields(partition=partition, service=service, region=region, account=account, resource=resource)


def arn_partition(text: str, default: str = "aws") -> str:
    """The partition of text starting ``arn:PARTITION:``; ``default`` for anything else."""
    head, sep, rest = text.partition(":")
    return rest.partition(":")[0] if head == "arn" and sep else default


def arn_account(text: str, default: str = "") -> str:
    """The account field of an ARN; ``default`` for text that is not an ARN."""
    try:
        return split_arn(text).account
    except InvalidArnError:
        return default


def arn_region(text: str, default: str = "") -> str:
    """The region field of an ARN (a cluster's); ``default`` for text that is not an ARN."""
    try:
        return split_arn(text).region
    except InvalidArnError:
        return default


def canonicalize(arn: str) -> str:
    """The authenticator's ``arn.Canonicalize``: the ARN identity mapping compares against."""
    return parse_principal(arn).canonical_arn


def role_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    """Build a role ARN; ``path`` is ``/`` or ``/a/b/``."""
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def user_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    return f"arn:{partition}:iam::{account}:user{path}{name}"
