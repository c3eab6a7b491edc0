"""AWS_AUTH_SHADOWED: an aws-auth row that does not give its principal what it says: an access entry wins
with another username or other groups, or the authentication mode API ignores aws-auth altogether."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.access import effective_username, implicit_groups
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.analyze.risks.context import AuditContext
from eksaccess.features.analyze.risks.mapped_by_both import rows_with_entries


def check(ctx: AuditContext) -> Iterator[Finding]:
    aws_auth = ctx.aws_auth
    if ctx.state.authentication_mode is AuthenticationMode.API:
        rows = [("mapRoles", r.index, r.rolearn) for r in aws_auth.roles]
        rows += [("mapUsers", u.index, u.userarn) for u in aws_auth.users]
        for key, index, arn in rows:
            yield risk(
                FindingCode.AWS_AUTH_SHADOWED,
                subject=arn,
                detail=f"aws-auth {key}[{index}] for {arn} is ignored: authentication mode is API",
            )
        return
    entries = {e.principal_arn: e for e in ctx.state.access_entries()}
    for key, index, arn, entry_arn in rows_with_entries(ctx):
        entry = entries[entry_arn]
        row = aws_auth.roles[_pos(aws_auth.roles, index)] if key == "mapRoles" else None
        user = aws_auth.users[_pos(aws_auth.users, index)] if key == "mapUsers" else None
        mapping = row or user
        assert mapping is not None
        entry_groups = set(implicit_groups(entry.type)) | set(entry.kubernetes_groups)
        lost = sorted(set(mapping.groups) - entry_groups)
        renamed = mapping.username is not None and mapping.username != effective_username(entry)
        if not lost and not renamed:
            continue
        what = f"groups {', '.join(lost)}" if lost else f'username "{mapping.username}"'
        yield risk(
            FindingCode.AWS_AUTH_SHADOWED,
            subject=arn,
            detail=f"aws-auth {key}[{index}] gives {what}, but the access entry {entry_arn} wins over it",
        )


def _pos(rows: tuple[object, ...], index: int) -> int:
    return next(i for i, r in enumerate(rows) if getattr(r, "index", None) == index)
