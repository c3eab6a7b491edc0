"""What audit says about a role's web-identity trust (pure): which statements admit any service account of
an issuer, which admit any audience, and which name an IAM OIDC provider that no longer exists.

A statement is about web identity when it allows ``sts:AssumeRoleWithWebIdentity`` to a ``Federated``
``oidc-provider/...`` principal. Facts (shared/facts/workload-identity.md §3, §8): without a condition on
``ISSUER:sub``, or with ``StringLike`` on ``*`` / ``system:serviceaccount:*``, every service account of every
namespace of that cluster may assume the role; without ``ISSUER:aud`` any audience the provider lists is
accepted; a provider ARN that IAM does not hold makes STS answer InvalidIdentityToken for every token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.iam.conditions import Condition, ConditionSyntaxError, StringOperator, parse_conditions
from eksaccess.domain.iam.trust import action_matches, load_document
from eksaccess.domain.workload.oidc import SERVICE_ACCOUNT_PREFIX, parse_provider_arn
from eksaccess.domain.workload.web_identity import ACTION


@dataclass(frozen=True, kw_only=True, slots=True)
class WebIdentityStatement:
    index: int  # 0-based position in Statement
    provider_arn: str
    host_path: str  # the provider's URL without https://
    account: str
    sub: tuple[Condition, ...]  # the conditions on HOST_PATH:sub
    aud: tuple[Condition, ...]  # the conditions on HOST_PATH:aud

    @property
    def number(self) -> int:
        return self.index + 1

    def any_service_account(self) -> str | None:
        """Why every service account is admitted (None when the sub conditions narrow it)."""
        if not self.sub:
            return "no condition on sub"
        for condition in self.sub:
            if condition.base is not StringOperator.LIKE or condition.qualifier.value:
                continue
            for value in condition.values:
                if _matches_every_namespace(value):
                    return f'StringLike "{value}" on sub'
        return None


def _matches_every_namespace(pattern: str) -> bool:
    """``*``, ``system:*``, ``system:serviceaccount:*``, ``system:serviceaccount:*:*``...: the namespace part
    is a wildcard, so any namespace (and any service account in it) matches."""
    if pattern.startswith("*"):
        return True
    if SERVICE_ACCOUNT_PREFIX.startswith(pattern.rstrip("*")) and pattern.endswith("*"):
        return True
    rest = pattern.removeprefix(SERVICE_ACCOUNT_PREFIX)
    return rest != pattern and rest.startswith("*")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def web_identity_statements(trust: Mapping[str, Any] | str) -> tuple[WebIdentityStatement, ...]:
    """The Allow statements of a trust policy that admit web identity from an IAM OIDC provider."""
    document = load_document(trust)
    found: list[WebIdentityStatement] = []
    for index, raw in enumerate(_as_list(document.get("Statement") or [])):
        if not isinstance(raw, Mapping) or raw.get("Effect") != "Allow" or "NotAction" in raw:
            continue
        actions = [str(a) for a in _as_list(raw.get("Action") or [])]
        if not action_matches(actions, ACTION):
            continue
        principal = raw.get("Principal")
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        try:
            conditions = parse_conditions(raw.get("Condition"))
        except ConditionSyntaxError:
            continue
        for arn in _as_list(federated or []):
            parsed = parse_provider_arn(str(arn))
            if parsed is None:
                continue
            _, account, host_path = parsed
            found.append(
                WebIdentityStatement(
                    index=index,
                    provider_arn=str(arn),
                    host_path=host_path,
                    account=account,
                    sub=_on_key(conditions, f"{host_path}:sub"),
                    aud=_on_key(conditions, f"{host_path}:aud"),
                )
            )
    return tuple(found)


def _on_key(conditions: Sequence[Condition], key: str) -> tuple[Condition, ...]:
    wanted = key.lower()
    return tuple(c for c in conditions if c.key.lower() == wanted)


def provider_gone(statement: WebIdentityStatement, *, account: str, providers: Sequence[str] | None) -> bool:
    """The statement names a provider of ``account`` that is not among its providers (known)."""
    if providers is None or statement.account != account:
        return False
    return statement.host_path.rstrip("/") not in {p.rstrip("/") for p in providers}
