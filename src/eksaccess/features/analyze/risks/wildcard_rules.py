"""WILDCARD_RULE: a Role or ClusterRole of the cluster (default roles excepted) with '*' verbs or resources."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from eksaccess.domain.authz.bootstrap import bootstrap_role_names
from eksaccess.domain.authz.rbac import PolicyRule, Role, RoleKind
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext

SYSTEM_PREFIXES = ("system:", "eks:")


def is_default(role: Role) -> bool:
    if role.kind is RoleKind.CLUSTER_ROLE and role.name in bootstrap_role_names():
        return True
    return role.name.startswith(SYSTEM_PREFIXES)


def wildcard(rule: PolicyRule) -> bool:
    return "*" in rule.verbs or "*" in rule.resources or "*" in rule.non_resource_urls


def check(ctx: AuditContext) -> Iterator[Finding]:
    index = ctx.authorizer.index
    bound: Counter[tuple[str, str, str]] = Counter()
    for binding in index.objects.bindings:
        ref = binding.role_ref
        bound[(ref.kind, binding.namespace if ref.kind == RoleKind.ROLE else "", ref.name)] += 1
    for role in index.objects.roles:
        if is_default(role):
            continue
        rules = [r for r in role.rules if wildcard(r)]
        if not rules:
            continue
        name = f'{role.kind} "{role.name}"' + (f' in namespace "{role.namespace}"' if role.namespace else "")
        count = bound[(str(role.kind), role.namespace, role.name)]
        yield risk(
            FindingCode.WILDCARD_RULE,
            subject=name,
            detail=f"{name} has {rules[0].describe()}"
            + (f" and {len(rules) - 1} more wildcard rules" if len(rules) > 1 else "")
            + f"; {count} binding{'s' if count != 1 else ''} reference it",
        )
