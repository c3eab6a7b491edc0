"""ESCALATION_OUTSIDE_ADMINS: a principal below admin that may escalate or bind roles, or impersonate users
or groups. Roles and access policies allowing one of these probes are found first (once per role); the
principals bound to them are then confirmed with authorizer probes (cluster-wide, in any namespace, and in
the namespaces of their RoleBindings and policy scopes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from eksaccess.domain.access import ScopeType
from eksaccess.domain.authz.authorize import Attributes
from eksaccess.domain.authz.rbac import RBAC_GROUP
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.levels import ANY_NAMESPACE, AccessLevel, LevelIndex, Prober
from eksaccess.features.analyze.risks.context import AuditContext, PrincipalReport

CLUSTER_PROBES = tuple(
    [Attributes(verb=v, resource="clusterroles", api_group=RBAC_GROUP) for v in ("escalate", "bind")]
    + [Attributes(verb="impersonate", resource=r) for r in ("users", "groups")]
)
NAMESPACE_PROBES = tuple(
    Attributes(verb=v, resource="roles", api_group=RBAC_GROUP, namespace=ANY_NAMESPACE)
    for v in ("escalate", "bind")
)


def _claims(masks: LevelIndex, p: PrincipalReport) -> list[Attributes]:
    """The probes the identity's roles and policies allow, one namespace each (from the role masks)."""
    policies = p.entry.policies if p.entry else ()
    everywhere = 0
    per_namespace: dict[str, int] = {}
    for b in p.bindings:
        if b.namespace:
            per_namespace[b.namespace] = per_namespace.get(b.namespace, 0) | masks.binding_mask(b)
        else:
            everywhere |= masks.binding_mask(b)
    for assoc in policies:
        if assoc.scope.type is ScopeType.CLUSTER:
            everywhere |= masks.policy_mask(assoc.policy_arn)
        elif assoc.scope.namespaces:
            first = assoc.scope.namespaces[0]
            per_namespace[first] = per_namespace.get(first, 0) | masks.policy_mask(assoc.policy_arn)
    claims = [a for i, a in enumerate(CLUSTER_PROBES) if everywhere & (1 << i)]
    for j, probe in enumerate(NAMESPACE_PROBES):
        bit = 1 << (len(CLUSTER_PROBES) + j)
        where = (
            ANY_NAMESPACE
            if everywhere & bit
            else next((ns for ns, m in sorted(per_namespace.items()) if m & bit), None)
        )
        if where is not None:
            claims.append(replace(probe, namespace=where))
    return claims


def _holds(ctx: AuditContext, masks: LevelIndex, p: PrincipalReport) -> list[Attributes]:
    """What the role masks claim, confirmed by the authorizer itself."""
    assert p.identity is not None
    claims = _claims(masks, p)
    if not claims:
        return []
    prober = Prober(
        authorizer=ctx.authorizer,
        username=p.identity.username,
        groups=p.identity.groups,
        policies=p.entry.policies if p.entry else (),
        principal_arn=p.entry.principal_arn if p.entry else "",
    )
    return [attrs for attrs in claims if prober.allowed(attrs)]


def check(ctx: AuditContext) -> Iterator[Finding]:
    masks = LevelIndex(ctx.authorizer, CLUSTER_PROBES + NAMESPACE_PROBES)
    for p in ctx.principals:
        if p.identity is None or p.level.rank >= AccessLevel.ADMIN.rank:
            continue
        held = _holds(ctx, masks, p)
        if held:
            what = ", ".join(a.describe() for a in held[:3]) + (
                f" (+{len(held) - 3})" if len(held) > 3 else ""
            )
            yield risk(
                FindingCode.ESCALATION_OUTSIDE_ADMINS,
                subject=p.arn,
                detail=f"{p.arn} ({p.level}) may {what}",
            )
