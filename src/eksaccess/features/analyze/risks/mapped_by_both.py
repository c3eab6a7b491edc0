"""MAPPED_BY_BOTH: a principal with an access entry and an aws-auth row (mapRoles or mapUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext


def rows_with_entries(ctx: AuditContext) -> Iterator[tuple[str, int, str, str]]:
    """(key, index, row ARN, entry ARN) for every aws-auth row whose principal also has an access entry."""
    entries = {principal_key(e.principal_arn): e.principal_arn for e in ctx.state.access_entries()}
    for row in ctx.aws_auth.roles:
        key = principal_key(row.rolearn)
        if key in entries:
            yield "mapRoles", row.index, row.rolearn, entries[key]
    for user in ctx.aws_auth.users:
        key = principal_key(user.userarn)
        if key in entries:
            yield "mapUsers", user.index, user.userarn, entries[key]


def check(ctx: AuditContext) -> Iterator[Finding]:
    for key, index, arn, entry in rows_with_entries(ctx):
        yield risk(
            FindingCode.MAPPED_BY_BOTH,
            subject=entry,
            detail=f"{arn} has an access entry and the aws-auth row {key}[{index}] "
            f"(authentication mode {ctx.state.authentication_mode})",
        )
