"""SYSTEM_MASTERS_OUTSIDE_CREATOR: a mapping (aws-auth row, mapAccounts) that yields system:masters."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.iam.identity import MappingKind
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    for p in ctx.principals:
        if p.identity is None or SYSTEM_MASTERS not in p.identity.groups:
            continue
        if p.source is MappingKind.CLUSTER_CREATOR:
            continue
        yield risk(
            FindingCode.SYSTEM_MASTERS_OUTSIDE_CREATOR,
            subject=p.arn,
            detail=f"{p.arn} is in group {SYSTEM_MASTERS} through {p.via}",
        )
