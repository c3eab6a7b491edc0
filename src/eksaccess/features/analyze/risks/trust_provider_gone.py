"""TRUST_PROVIDER_GONE: a role trusted by an IAM OIDC provider of the cluster's account that IAM no longer
has (skipped when the snapshot did not read the account's providers)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.domain.workload.trust_review import provider_gone, web_identity_statements
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    section = ctx.state.workload_identity
    if section is None or section.oidc_providers is None:
        return
    account = ctx.state.cluster.account_id
    for role_arn, trust in section.role_trust_policies.items():
        for statement in web_identity_statements(trust):
            if provider_gone(statement, account=account, providers=section.oidc_providers):
                yield risk(
                    FindingCode.TRUST_PROVIDER_GONE,
                    subject=role_arn,
                    detail=f"{role_arn}: trust statement {statement.number} names {statement.provider_arn}, "
                    f"which account {account} no longer has",
                )
