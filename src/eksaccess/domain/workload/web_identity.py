"""The web-identity trust decision: may a token of this OIDC provider (its ``sub`` and ``aud``) call
``sts:AssumeRoleWithWebIdentity`` on a role with this trust policy? And if not, which statement and which
condition failed, quoting what the policy expects and what the token has.

Facts (shared/facts/workload-identity.md §3, §8; EKS User Guide "associate-service-account-role"; IAM User
Guide "Available keys for AWS web identity federation" and "Condition operators"):

* a statement applies when its ``Principal.Federated`` names the provider's ARN (or ``Principal`` is ``*``)
  and its ``Action`` covers ``sts:AssumeRoleWithWebIdentity`` (only ``sts:AssumeRole``: it does not);
* the request context holds ``<issuer host/path>:sub`` (the token's ``sub``) and ``<issuer host/path>:aud``
  (the audience STS accepted: one of the token's ``aud`` that is a client id of the provider; inferred from
  the answer's single ``Audience``);
* an Allow whose conditions all hold allows; a Deny whose conditions all hold wins over any Allow;
* ``Not*`` statements are skipped (reported): the decision may then deny what IAM would allow.

Statement parsing is ``domain.iam.trust``'s; conditions are ``domain.iam.conditions``'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from eksaccess.domain.iam.conditions import (
    ConditionFailure,
    ConditionSyntaxError,
    first_failure,
    parse_conditions,
)
from eksaccess.domain.iam.trust import ANYONE, action_matches, load_document, parse_policy
from eksaccess.domain.workload.oidc import aud_key, sub_key

ACTION = "sts:AssumeRoleWithWebIdentity"


class MissReason(StrEnum):
    NEGATED = "negated"  # NotPrincipal / NotAction / NotResource: not evaluated
    ACTION = "action"  # the statement's actions do not cover sts:AssumeRoleWithWebIdentity
    PRINCIPAL = "principal"  # the statement does not name the provider
    CONDITION = "condition"  # a condition is false for this token
    SYNTAX = "syntax"  # a Condition element that is not a map of operators


@dataclass(frozen=True, kw_only=True, slots=True)
class StatementMiss:
    """One trust statement that did not allow (or deny) the token, and why."""

    index: int  # 0-based position in Statement
    sid: str
    allow: bool
    reason: MissReason
    failure: ConditionFailure | None = None
    federated: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    def describe(self) -> str:
        name = f"statement {self.index + 1}" + (f" ({self.sid})" if self.sid else "")
        if self.reason is MissReason.ACTION:
            return f"{name} does not allow {ACTION} (actions: {', '.join(self.actions) or 'none'})"
        if self.reason is MissReason.PRINCIPAL:
            named = ", ".join(self.federated) or "no federated principal"
            return f"{name} names {named}, not this provider"
        if self.reason is MissReason.NEGATED:
            return f"{name} uses NotPrincipal/NotAction/NotResource and is not evaluated"
        if self.reason is MissReason.SYNTAX:
            return f"{name} has a Condition that is not a map of operators"
        assert self.failure is not None
        return f"{name}: {self.failure.describe()}"


@dataclass(frozen=True, kw_only=True, slots=True)
class WebIdentityDecision:
    allowed: bool
    allowed_by: int | None = None  # index of the Allow statement that allowed
    denied_by: int | None = None  # index of a Deny statement that matched
    misses: tuple[StatementMiss, ...] = ()

    def condition_failures(self) -> tuple[StatementMiss, ...]:
        """The Allow statements for this provider that a condition refused: what doctor prints."""
        return tuple(m for m in self.misses if m.allow and m.reason is MissReason.CONDITION)


def request_context(*, issuer: str, sub: str, audience: str | None) -> dict[str, tuple[str, ...]]:
    """The condition keys STS sets for a token of ``issuer``."""
    context: dict[str, tuple[str, ...]] = {sub_key(issuer): (sub,)}
    if audience is not None:
        context[aud_key(issuer)] = (audience,)
    return context


def _statements(policy: Mapping[str, Any] | str) -> list[Mapping[str, Any]]:
    document = load_document(policy)
    raw = document.get("Statement") or []
    items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    return [s for s in items if isinstance(s, Mapping)]


def decide(
    policy: Mapping[str, Any] | str,
    *,
    provider_arn: str,
    context: Mapping[str, Sequence[str]],
) -> WebIdentityDecision:
    """IAM's decision on ``sts:AssumeRoleWithWebIdentity`` by a token of ``provider_arn`` whose claims
    gave ``context`` (see ``request_context``)."""
    misses: list[StatementMiss] = []
    allowed_by: int | None = None
    for index, raw in enumerate(_statements(policy)):
        parsed = parse_policy({"Statement": [raw]}).statements[0]
        miss = StatementMiss(
            index=index,
            sid=str(raw.get("Sid", "")),
            allow=parsed.allow,
            reason=MissReason.NEGATED,
            federated=parsed.federated,
            actions=parsed.actions,
        )
        if parsed.negated:
            misses.append(miss)
            continue
        if not action_matches(parsed.actions, ACTION):
            misses.append(replace(miss, reason=MissReason.ACTION))
            continue
        if provider_arn not in parsed.federated and ANYONE not in parsed.aws:
            misses.append(replace(miss, reason=MissReason.PRINCIPAL))
            continue
        try:
            conditions = parse_conditions(raw.get("Condition"))
        except ConditionSyntaxError:
            misses.append(replace(miss, reason=MissReason.SYNTAX))
            continue
        failure = first_failure(conditions, context)
        if failure is not None:
            misses.append(replace(miss, reason=MissReason.CONDITION, failure=failure))
            continue
        if not parsed.allow:
            return WebIdentityDecision(allowed=False, denied_by=index, misses=tuple(misses))
        if allowed_by is None:
            allowed_by = index
    return WebIdentityDecision(allowed=allowed_by is not None, allowed_by=allowed_by, misses=tuple(misses))
