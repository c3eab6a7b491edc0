"""USER_KEYS_CLUSTER_ADMIN: an IAM user with active long-term access keys that is, or can assume its way
to, a principal holding cluster-admin."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.levels import AccessLevel
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    if ctx.graph is None:
        return
    unknown: set[str] = set()
    for p in ctx.principals:
        if p.level is not AccessLevel.CLUSTER_ADMIN:
            continue
        for user in dict.fromkeys(p.users()):
            found = ctx.iam_principal(user)
            if found is None or found.active_keys is None:
                unknown.add(user)
                continue
            if found.active_keys:
                how = "directly" if user == p.principal_arn else f"through {p.arn}"
                yield risk(
                    FindingCode.USER_KEYS_CLUSTER_ADMIN,
                    subject=user,
                    detail=f"{user} has {found.active_keys} active access key"
                    f"{'s' if found.active_keys > 1 else ''} and is cluster-admin {how}",
                )
    if unknown:
        ctx.notes.append(
            f"access keys unknown for {len(unknown)} user(s) that reach cluster-admin: "
            + ", ".join(sorted(unknown)[:5])
        )
