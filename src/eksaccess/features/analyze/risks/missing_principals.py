"""PRINCIPAL_NOT_IN_IAM: a mapped principal that its account's IAM no longer holds (or holds recreated)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.iam.identity import SourceKind
from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Risk]:
    for p in ctx.principals:
        if p.kind not in ("user", "role") or not ctx.knows_account(p.account):
            continue
        found = ctx.iam_principal(p.arn)
        what = "access entry" if p.entry is not None else p.via
        if found is None:
            yield Risk(
                code=RiskCode.PRINCIPAL_NOT_IN_IAM,
                subject=p.arn,
                message=f"{p.arn} ({what}) does not exist in IAM of account {p.account}",
            )
        elif (
            p.entry is not None
            and p.source is SourceKind.ACCESS_ENTRY
            and p.entry.principal_id
            and found.unique_id
            and p.entry.principal_id != found.unique_id
        ):
            yield Risk(
                code=RiskCode.PRINCIPAL_NOT_IN_IAM,
                subject=p.arn,
                message=f"the access entry for {p.arn} is bound to {p.entry.principal_id}, a principal that "
                f"was deleted; the current one ({found.unique_id}) does not match it",
            )
