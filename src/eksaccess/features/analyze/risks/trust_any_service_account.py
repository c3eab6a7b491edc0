"""TRUST_ANY_SERVICE_ACCOUNT: a role whose web-identity trust admits every service account of a cluster (no
condition on ISSUER:sub, or StringLike ``*`` / ``system:serviceaccount:*``; ``domain.workload.trust_review``)."""

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
            why = statement.any_service_account()
            if why is None:
                continue
            yield risk(
                FindingCode.TRUST_ANY_SERVICE_ACCOUNT,
                subject=role_arn,
                detail=f"{role_arn}: trust statement {statement.number} ({statement.host_path}) has {why}: "
                "any service account of the cluster can assume it",
            )
