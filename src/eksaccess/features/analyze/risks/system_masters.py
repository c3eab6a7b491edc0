"""SYSTEM_MASTERS_OUTSIDE_CREATOR: a mapping (aws-auth row, mapAccounts) that yields system:masters."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.iam.identity import SourceKind
from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Risk]:
    for p in ctx.principals:
        if p.identity is None or SYSTEM_MASTERS not in p.identity.groups:
            continue
        if p.source is SourceKind.CLUSTER_CREATOR:
            continue
        yield Risk(
            code=RiskCode.SYSTEM_MASTERS_OUTSIDE_CREATOR,
            subject=p.arn,
            message=f"{p.arn} is in group {SYSTEM_MASTERS} through {p.via}",
        )
