"""Audit risk checks, one module per check: each is ``check(ctx) -> Iterable[Finding]`` over one cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from eksaccess.domain.findings import Finding
from eksaccess.features.analyze.risks import (
    escalation,
    mapped_by_both,
    missing_principals,
    no_admin,
    node_roles,
    role_trust,
    scope_namespaces,
    shadowed_rows,
    system_masters,
    trust_any_service_account,
    trust_no_audience,
    trust_provider_gone,
    unmapped_groups,
    user_keys,
    wildcard_rules,
    workload_wide_reach,
)
from eksaccess.features.analyze.risks.context import AuditContext

Check = Callable[[AuditContext], Iterable[Finding]]

CHECKS: tuple[Check, ...] = (
    system_masters.check,
    wildcard_rules.check,
    missing_principals.check,
    mapped_by_both.check,
    shadowed_rows.check,
    scope_namespaces.check,
    user_keys.check,
    role_trust.check,
    unmapped_groups.check,
    escalation.check,
    no_admin.check,
    node_roles.check,
    workload_wide_reach.check,
    trust_any_service_account.check,
    trust_no_audience.check,
    trust_provider_gone.check,
)


def run_checks(ctx: AuditContext) -> list[Finding]:
    return [risk for check in CHECKS for risk in check(ctx)]
