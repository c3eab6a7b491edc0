"""PRINCIPAL_NOT_IN_IAM: a mapped principal that its account's IAM no longer holds (or holds recreated)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.iam.identity import MappingKind
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    for p in ctx.principals:
        if p.kind not in ("user", "role") or not ctx.knows_account(p.account):
            continue
        found = ctx.iam_principal(p.arn)
        what = "access entry" if p.entry is not None else p.via
        if found is None:
            yield risk(
                FindingCode.PRINCIPAL_NOT_IN_IAM,
                subject=p.arn,
                detail=f"{p.arn} ({what}) does not exist in IAM of account {p.account}",
            )
        elif (
            p.entry is not None
            and p.source is MappingKind.ACCESS_ENTRY
            and p.entry.principal_id
            and found.unique_id
            and p.entry.principal_id != found.unique_id
        ):
            yield risk(
                FindingCode.PRINCIPAL_NOT_IN_IAM,
                subject=p.arn,
                detail=f"the access entry for {p.arn} is bound to {p.entry.principal_id}, a principal that "
                f"was deleted; the current one ({found.unique_id}) does not match it",
            )
