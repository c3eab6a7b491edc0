"""SCOPE_NAMESPACE_MISSING: an access policy association scoped to a namespace the cluster does not have
(a ``prefix-*`` pattern: no namespace starts with the prefix)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.access import ScopeType
from eksaccess.domain.authz.policy_rules import policy_name_from_arn
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext


def _exists(pattern: str, namespaces: frozenset[str]) -> bool:
    if pattern.endswith("*"):
        return any(ns.startswith(pattern[:-1]) for ns in namespaces)
    return pattern in namespaces


def check(ctx: AuditContext) -> Iterator[Finding]:
    namespaces = ctx.namespaces
    if namespaces is None:
        ctx.notes.append("the state lists no Namespace objects: access policy scopes were not checked")
        return
    for entry in ctx.state.access_entries():
        for assoc in entry.policies:
            if assoc.scope.type is not ScopeType.NAMESPACE:
                continue
            missing = [ns for ns in assoc.scope.namespaces if not _exists(ns, namespaces)]
            if missing:
                yield risk(
                    FindingCode.SCOPE_NAMESPACE_MISSING,
                    subject=entry.principal_arn,
                    detail=f"{policy_name_from_arn(assoc.policy_arn)} for {entry.principal_arn} is scoped to "
                    f"{', '.join(missing)}, which the cluster does not have",
                )
