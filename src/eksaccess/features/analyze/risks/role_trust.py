"""ROLE_ASSUMABLE_BY_ANYONE / ROLE_ASSUMABLE_CROSS_ACCOUNT: a role with access to the cluster that any
AWS principal, or principals of other accounts, can reach through trust policies."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.iam.principal import arn_account
from eksaccess.domain.iam.trust import TrustSourceKind
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.levels import AccessLevel
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    for p in ctx.principals:
        if p.kind != "role" or p.level is AccessLevel.NONE:
            continue
        anyone = [c for c in p.reachable_by if c.kind is TrustSourceKind.ANYONE]
        if anyone:
            chain = " -> ".join(anyone[0].arns)
            yield risk(
                FindingCode.ROLE_ASSUMABLE_BY_ANYONE,
                subject=p.arn,
                detail=f"{p.arn} ({p.level}) can be assumed by any AWS principal: {chain}"
                + (" (under conditions)" if anyone[0].conditional else ""),
            )
        others = sorted(
            {
                arn_account(c.source)
                for c in p.reachable_by
                if c.kind
                in (
                    TrustSourceKind.USER,
                    TrustSourceKind.ROLE,
                    TrustSourceKind.ACCOUNT,
                    TrustSourceKind.EXTERNAL,
                )
                and arn_account(c.source) != p.account
            }
        )
        if others:
            yield risk(
                FindingCode.ROLE_ASSUMABLE_CROSS_ACCOUNT,
                subject=p.arn,
                detail=f"{p.arn} ({p.level}) can be reached from account{'s' if len(others) > 1 else ''} "
                + ", ".join(others),
            )
