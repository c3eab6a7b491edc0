"""TRUST_NO_AUDIENCE: a role whose web-identity trust statement has no condition on ISSUER:aud."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.domain.workload.trust_review import web_identity_statements
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    section = ctx.state.workload_identity
    if section is None:
        return
    for role_arn, trust in section.role_trust_policies.items():
        for statement in web_identity_statements(trust):
            if statement.aud:
                continue
            yield risk(
                FindingCode.TRUST_NO_AUDIENCE,
                subject=role_arn,
                detail=f"{role_arn}: trust statement {statement.number} has no condition on "
                f"{statement.host_path}:aud",
            )
