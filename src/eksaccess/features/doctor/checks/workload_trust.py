"""doctor --service-account / --pod, link 3 (IRSA): the role's trust policy against the claims the pod's token
would carry.

The token's ``sub`` is ``system:serviceaccount:NS:NAME`` and its ``aud`` the service account's audience
(default sts.amazonaws.com); STS sets ``ISSUER:sub`` and ``ISSUER:aud`` and evaluates the trust with IAM's
semantics (``domain/workload/web_identity.decide``): under StringEquals a ``*`` is literal. A trust without
an ``aud`` condition works but lets any audience's token of the issuer in (the User Guide's policy has both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksaccess.domain.findings import (
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam.conditions import StringOperator
from eksaccess.domain.workload.findings import TRUST_NO_AUDIENCE
from eksaccess.domain.workload.oidc import aud_key, sub_key
from eksaccess.domain.workload.web_identity import (
    ACTION,
    StatementMiss,
    WebIdentityDecision,
    decide,
    request_context,
)
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.workload.fixes import statements, update_trust_step, with_statements
from eksaccess.features.doctor.workload.model import WorkloadFacts

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.TRUST_SUB_MISMATCH,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The role's trust policy names another service account in its sub condition",
        why="STS compares the token's sub (system:serviceaccount:NAMESPACE:NAME) with the trust's ISSUER:sub "
        "condition; another namespace or name gives `AccessDenied: Not authorized to perform "
        "sts:AssumeRoleWithWebIdentity`.",
        fix="rewrite the trust statement for this service account (`aws iam update-assume-role-policy` with "
        "the whole fixed policy, other statements kept)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.TRUST_STRINGEQUALS_WILDCARD,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The role's trust policy uses a wildcard under StringEquals, where it is literal",
        why="Under StringEquals `*` and `?` are ordinary characters, so `system:serviceaccount:NS:*` matches "
        "no token: AccessDenied. StringLike gives wildcards their meaning.",
        fix="name the service account exactly under StringEquals (`aws iam update-assume-role-policy`), or "
        "use StringLike if every service account of the namespace is meant",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.TRUST_CONDITION_FAILS,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The role's trust policy does not allow this service account's token",
        why="No Allow statement names the cluster's OIDC provider for sts:AssumeRoleWithWebIdentity with "
        "conditions the token meets (another cluster's provider, an `https://` in a condition key, a "
        "condition on another key), or a Deny matches: AccessDenied.",
        fix="add or rewrite the statement for this provider and service account (`aws iam "
        "update-assume-role-policy`, other statements kept)",
        reporters=DOCTOR,
    ),
    TRUST_NO_AUDIENCE,
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def irsa_statement(*, provider_arn: str, issuer: str, sub: str, audience: str) -> dict[str, Any]:
    """The EKS User Guide's IRSA trust statement."""
    return {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": ACTION,
        "Condition": {"StringEquals": {sub_key(issuer): sub, aud_key(issuer): audience}},
    }


def _code(miss: StatementMiss, issuer: str) -> FindingCode:
    assert miss.failure is not None
    condition = miss.failure.condition
    if condition.base in (StringOperator.EQUALS, StringOperator.EQUALS_IGNORE_CASE) and any(
        "*" in v or "?" in v for v in condition.values
    ):
        return FindingCode.TRUST_STRINGEQUALS_WILDCARD
    if condition.key.lower() == sub_key(issuer).lower():
        return FindingCode.TRUST_SUB_MISMATCH
    return FindingCode.TRUST_CONDITION_FAILS


def trust_findings(
    facts: WorkloadFacts, writer: Writer, *, role_arn: str, trust: Mapping[str, Any], provider_arn: str
) -> list[Finding]:
    issuer = facts.issuer
    if not issuer:
        return []
    sub, audience = facts.subject, facts.audience
    decision = decide(
        trust, provider_arn=provider_arn, context=request_context(issuer=issuer, sub=sub, audience=audience)
    )
    claims = {"sub": sub, "aud": audience, "providerArn": provider_arn}
    if decision.allowed:
        return _aud_warning(facts, writer, role_arn, trust, decision, claims)
    wanted = irsa_statement(provider_arn=provider_arn, issuer=issuer, sub=sub, audience=audience)
    items = statements(trust)
    failures = decision.condition_failures()
    steps: tuple[FixStep, ...]
    if decision.denied_by is not None:
        code, failing, steps = (
            FindingCode.TRUST_CONDITION_FAILS,
            f"statement {decision.denied_by + 1} (Deny) matches",
            (),
        )
    else:
        if failures:
            code = _code(failures[0], issuer)
            failing = "; ".join(m.describe() for m in failures)
            items[failures[0].index] = {**items[failures[0].index], "Condition": wanted["Condition"]}
        else:
            code = FindingCode.TRUST_CONDITION_FAILS
            failing = "; ".join(m.describe() for m in decision.misses) or "the trust policy has no statement"
            items.append(wanted)
        steps = (
            update_trust_step(
                writer,
                role_arn,
                with_statements(trust, items),
                f"let {sub} (aud {audience}) assume the role: the statement for the provider with "
                "StringEquals on ISSUER:sub and ISSUER:aud, the other statements kept.",
            ),
        )
    return [
        finding(
            code,
            detail=f"A token of {facts.namespace}/{facts.name} carries sub {sub!r} and aud {audience!r}; "
            f"{role_arn}'s trust refuses it: {failing}. STS would answer AccessDenied \"Not authorized to "
            f'perform {ACTION}".',
            subject=role_arn,
            fix=steps,
            evidence={**claims, "failing": failing},
        )
    ]


def _aud_warning(
    facts: WorkloadFacts,
    writer: Writer,
    role_arn: str,
    trust: Mapping[str, Any],
    decision: WebIdentityDecision,
    claims: Mapping[str, str],
) -> list[Finding]:
    issuer = str(facts.issuer)
    items = statements(trust)
    index = decision.allowed_by
    if index is None or index >= len(items):
        return []
    statement = items[index]
    condition = statement.get("Condition")
    keys = (
        {str(k).lower() for block in condition.values() if isinstance(block, Mapping) for k in block}
        if isinstance(condition, Mapping)
        else set()
    )
    if aud_key(issuer).lower() in keys:
        return []
    fixed_condition = dict(condition) if isinstance(condition, Mapping) else {}
    equals = dict(fixed_condition.get("StringEquals") or {})
    equals[aud_key(issuer)] = facts.audience
    fixed_condition["StringEquals"] = equals
    items[index] = {**statement, "Condition": fixed_condition}
    return [
        finding(
            FindingCode.TRUST_NO_AUDIENCE,
            detail=f"Statement {index + 1} of {role_arn}'s trust allows {claims['sub']} with no "
            f"{aud_key(issuer)} condition.",
            subject=role_arn,
            evidence=dict(claims),
            fix=(
                update_trust_step(
                    writer,
                    role_arn,
                    with_statements(trust, items),
                    f"add {aud_key(issuer)}: {facts.audience} under StringEquals, the other statements kept.",
                ),
            ),
        )
    ]
