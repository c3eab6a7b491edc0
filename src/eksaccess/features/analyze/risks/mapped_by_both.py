"""MAPPED_BY_BOTH: a principal with an access entry and an aws-auth row (mapRoles or mapUsers)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.features.analyze.risks.context import AuditContext


def _key(arn: str) -> tuple[str, str, str] | None:
    try:
        p = parse_principal(arn)
    except InvalidArnError:
        return None
    return (p.account, str(p.kind), p.name.lower())


def rows_with_entries(ctx: AuditContext) -> Iterator[tuple[str, int, str, str]]:
    """(key, index, row ARN, entry ARN) for every aws-auth row whose principal also has an access entry."""
    entries = {_key(e.principal_arn): e.principal_arn for e in ctx.state.access_entries()}
    entries.pop(None, None)
    for row in ctx.aws_auth.roles:
        key = _key(row.rolearn)
        if key in entries:
            yield "mapRoles", row.index, row.rolearn, entries[key]
    for user in ctx.aws_auth.users:
        key = _key(user.userarn)
        if key in entries:
            yield "mapUsers", user.index, user.userarn, entries[key]


def check(ctx: AuditContext) -> Iterator[Risk]:
    for key, index, arn, entry in rows_with_entries(ctx):
        yield Risk(
            code=RiskCode.MAPPED_BY_BOTH,
            subject=entry,
            message=f"{arn} has an access entry and the aws-auth row {key}[{index}] "
            f"(authentication mode {ctx.state.authenticationMode})",
        )
