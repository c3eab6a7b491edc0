"""NO_CLUSTER_ADMIN: in an access-entry mode, no principal holds cluster-admin (CONFIG_MAP clusters always
have their creator's hidden admin, so the check does not apply there)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.analyze.levels import AccessLevel
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    if ctx.state.authentication_mode is AuthenticationMode.CONFIG_MAP:
        return
    if any(p.level is AccessLevel.CLUSTER_ADMIN for p in ctx.principals):
        return
    name = ctx.state.cluster.name
    yield risk(
        FindingCode.NO_CLUSTER_ADMIN,
        subject=name,
        detail=f"no IAM principal mapped on {name} holds cluster-admin",
    )
