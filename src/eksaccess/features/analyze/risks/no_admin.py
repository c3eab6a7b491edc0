"""NO_CLUSTER_ADMIN: in an access-entry mode, no principal holds cluster-admin (CONFIG_MAP clusters always
have their creator's hidden admin, so the check does not apply there)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.analyze.levels import AccessLevel
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Risk]:
    if ctx.state.authenticationMode is AuthenticationMode.CONFIG_MAP:
        return
    if any(p.level is AccessLevel.CLUSTER_ADMIN for p in ctx.principals):
        return
    name = ctx.state.cluster.name
    yield Risk(
        code=RiskCode.NO_CLUSTER_ADMIN,
        subject=name,
        message=f"no IAM principal mapped on {name} holds cluster-admin",
    )
