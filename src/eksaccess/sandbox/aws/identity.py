"""Who is calling: access key -> IAM principal (or role session), SigV4 checks, and allow lists.

Order of the checks, as AWS answers them: unknown key (InvalidClientTokenId), session token missing or
wrong (InvalidClientTokenId), session expired (ExpiredToken), signature (SignatureDoesNotMatch), time
window (SignatureDoesNotMatch "Signature expired").
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from eksaccess.domain.iam.principal import arn_partition
from eksaccess.sandbox.aws.errors import (
    EXPIRED_TOKEN_TEXT,
    INVALID_TOKEN_TEXT,
    AwsError,
    ErrorKind,
    access_denied,
)
from eksaccess.sandbox.sigv4 import (
    HttpRequest,
    SignatureInfo,
    SigV4Error,
    SigV4Problem,
    verify_signature,
    verify_time,
)
from eksaccess.sandbox.store import AccessKeyRecord, PrincipalRecord, PrincipalType, SandboxStore

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix: str, seed: str) -> str:
    """A stable IAM-style id (``AIDA``/``AROA`` + 17 characters) derived from ``seed``."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return prefix + base64.b32encode(digest).decode("ascii")[:17]


def new_access_key_id(prefix: str) -> str:
    """``AKIA...`` (long-term) or ``ASIA...`` (temporary): 20 characters."""
    return prefix + "".join(secrets.choice(_B32) for _ in range(16))


def new_sandbox_id() -> str:
    """A random id of one sandbox (8 characters of a-z2-7): part of every access key id and role session
    name it hands out, so that no client cache carries credentials from one sandbox to another."""
    return "".join(secrets.choice(_B32.lower()) for _ in range(8))


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def new_session_token() -> str:
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(96)).decode("ascii")


@dataclass(frozen=True, kw_only=True, slots=True)
class AwsCaller:
    """The identity STS GetCallerIdentity reports for a set of credentials."""

    arn: str  # user ARN, or arn:aws:sts::ACCT:assumed-role/NAME/SESSION
    account: str
    user_id: str  # AIDA..., or AROA...:SESSION
    access_key_id: str
    principal: PrincipalRecord
    session_name: str | None = None
    chained: bool = False

    @property
    def is_role_session(self) -> bool:
        return self.session_name is not None

    @property
    def partition(self) -> str:
        return arn_partition(self.principal.arn)


def caller_for(principal: PrincipalRecord, key: AccessKeyRecord) -> AwsCaller:
    if principal.kind is PrincipalType.ROLE and key.session_name:
        arn = (
            f"arn:{arn_partition(principal.arn)}:sts::{principal.account_id}:assumed-role/{principal.name}/"
            + (key.session_name)
        )
        return AwsCaller(
            arn=arn,
            account=principal.account_id,
            user_id=f"{principal.unique_id}:{key.session_name}",
            access_key_id=key.access_key_id,
            principal=principal,
            session_name=key.session_name,
            chained=key.chained,
        )
    return AwsCaller(
        arn=principal.arn,
        account=principal.account_id,
        user_id=principal.unique_id,
        access_key_id=key.access_key_id,
        principal=principal,
    )


def _sigv4_error(err: SigV4Error) -> AwsError:
    kind = {
        SigV4Problem.MISSING: ErrorKind.MISSING_AUTH,
        SigV4Problem.INCOMPLETE: ErrorKind.INCOMPLETE_SIGNATURE,
    }.get(err.problem, ErrorKind.BAD_SIGNATURE)
    return AwsError.generic(kind, err.message)


def authenticate(
    store: SandboxStore,
    request: HttpRequest,
    info: SignatureInfo,
    *,
    now: datetime,
    presigned_lifetime: timedelta | None = None,
    declared_payload_hash: bool = True,
) -> AwsCaller:
    key = store.get_access_key(info.scope.access_key_id)
    if key is None:
        raise AwsError.generic(ErrorKind.UNKNOWN_KEY, INVALID_TOKEN_TEXT)
    if key.temporary:
        sent = info.security_token or ""
        if not hmac.compare_digest(sent.encode(), (key.session_token or "").encode()):
            raise AwsError.generic(ErrorKind.UNKNOWN_KEY, INVALID_TOKEN_TEXT)
        if key.expiration is not None and key.expiration <= now.timestamp():
            raise AwsError.generic(ErrorKind.EXPIRED_TOKEN, EXPIRED_TOKEN_TEXT)
    principal = store.get_principal(key.principal_arn)
    if principal is None:  # the user or role was deleted: its keys die with it
        raise AwsError.generic(ErrorKind.UNKNOWN_KEY, INVALID_TOKEN_TEXT)
    try:
        verify_signature(request, info, key.secret_access_key, declared_hash=declared_payload_hash)
        verify_time(info, now=now, presigned_lifetime=presigned_lifetime)
    except SigV4Error as err:
        raise _sigv4_error(err) from None
    return caller_for(principal, key)


def signature_error(err: SigV4Error) -> AwsError:
    return _sigv4_error(err)


def is_allowed(allow: tuple[str, ...] | None, action: str) -> bool:
    """``allow`` is a list of IAM action patterns (``eks:*``, ``eks:Describe*``); None allows all."""
    if allow is None:
        return True
    wanted = action.lower()
    return any(fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in allow)


def is_denied(deny: tuple[str, ...], action: str) -> bool:
    """An explicit Deny for ``action`` (patterns as in ``is_allowed``)."""
    wanted = action.lower()
    return any(fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in deny)


# The name of the inline identity policy IAM lists for a principal: its ``allow`` and ``deny`` lists.
SANDBOX_POLICY = "eksaccess-sandbox-allow"


class PolicyDecision(StrEnum):
    """IAM's decision on one action for a principal, spelt as SimulatePrincipalPolicy's EvalDecision."""

    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicitDeny"
    EXPLICIT_DENY = "explicitDeny"


def decide(principal: PrincipalRecord, action: str) -> PolicyDecision:
    """The one decision of the sandbox's IAM (calls and iam:SimulatePrincipalPolicy alike): an explicit Deny
    beats any Allow (IAM's evaluation order); no Allow is an implicit deny."""
    if is_denied(principal.deny, action):
        return PolicyDecision.EXPLICIT_DENY
    if not is_allowed(principal.allow, action):
        return PolicyDecision.IMPLICIT_DENY
    return PolicyDecision.ALLOWED


def ensure_allowed(caller: AwsCaller, action: str, resource: str) -> None:
    """Refuse a call ``decide`` does not allow, saying so as AWS does (naming an explicit deny)."""
    decision = decide(caller.principal, action)
    if decision is not PolicyDecision.ALLOWED:
        raise access_denied(caller.arn, action, resource, explicit=decision is PolicyDecision.EXPLICIT_DENY)
