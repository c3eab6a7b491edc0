"""ROLE_ASSUMABLE_BY_ANYONE / ROLE_ASSUMABLE_CROSS_ACCOUNT: a role with access to the cluster that any
AWS principal, or principals of other accounts, can reach through trust policies."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.iam.trust import SourceKind
from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.features.analyze.levels import AccessLevel
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Risk]:
    for p in ctx.principals:
        if p.kind != "role" or p.level is AccessLevel.NONE:
            continue
        anyone = [c for c in p.reachable_by if c.kind is SourceKind.ANYONE]
        if anyone:
            chain = " -> ".join(anyone[0].arns)
            yield Risk(
                code=RiskCode.ROLE_ASSUMABLE_BY_ANYONE,
                subject=p.arn,
                message=f"{p.arn} ({p.level}) can be assumed by any AWS principal: {chain}"
                + (" (under conditions)" if anyone[0].conditional else ""),
            )
        others = sorted(
            {
                c.source.split(":")[4]
                for c in p.reachable_by
                if c.kind in (SourceKind.USER, SourceKind.ROLE, SourceKind.ACCOUNT, SourceKind.EXTERNAL)
                and c.source.split(":")[4] != p.account
            }
        )
        if others:
            yield Risk(
                code=RiskCode.ROLE_ASSUMABLE_CROSS_ACCOUNT,
                subject=p.arn,
                message=f"{p.arn} ({p.level}) can be reached from account{'s' if len(others) > 1 else ''} "
                + ", ".join(others),
            )
