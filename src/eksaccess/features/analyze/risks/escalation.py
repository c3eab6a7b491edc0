"""ESCALATION_OUTSIDE_ADMINS: a principal below admin that may escalate or bind roles, or impersonate users
or groups. Roles holding such rules are found first; the principals bound to them are then confirmed with
authorizer probes (cluster-wide, and in the namespaces of their RoleBindings)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.authorize import Attributes
from eksaccess.domain.rbac import RBAC_GROUP, PolicyRule
from eksaccess.domain.risk import Risk, RiskCode
from eksaccess.features.analyze.levels import AccessLevel, Prober
from eksaccess.features.analyze.risks.context import AuditContext, PrincipalReport

VERBS = frozenset({"escalate", "bind", "impersonate", "*"})


def _risky(rule: PolicyRule) -> bool:
    return bool(VERBS.intersection(rule.verbs)) and bool(rule.resources)


def probes(namespace: str) -> list[Attributes]:
    if namespace:
        return [
            Attributes(verb=v, resource="roles", api_group=RBAC_GROUP, namespace=namespace)
            for v in ("escalate", "bind")
        ]
    out = [Attributes(verb=v, resource="clusterroles", api_group=RBAC_GROUP) for v in ("escalate", "bind")]
    return out + [Attributes(verb="impersonate", resource=r) for r in ("users", "groups")]


def _holds(ctx: AuditContext, p: PrincipalReport) -> list[Attributes]:
    assert p.identity is not None
    index = ctx.authorizer.index
    candidates = [b for b in p.bindings if (role := index.resolve(b)) and any(_risky(r) for r in role.rules)]
    if not candidates and not p.policies:
        return []
    prober = Prober(
        authorizer=ctx.authorizer,
        username=p.identity.username,
        groups=p.identity.groups,
        policies=p.entry.policies if p.entry else (),
        principal_arn=p.entry.principal_arn if p.entry else "",
    )
    namespaces = sorted({""} | {b.namespace for b in candidates})
    return [attrs for ns in namespaces for attrs in probes(ns) if prober.allowed(attrs)]


def check(ctx: AuditContext) -> Iterator[Risk]:
    for p in ctx.principals:
        if p.identity is None or p.level.rank >= AccessLevel.ADMIN.rank:
            continue
        held = _holds(ctx, p)
        if held:
            what = ", ".join(a.describe() for a in held[:3]) + (
                f" (+{len(held) - 3})" if len(held) > 3 else ""
            )
            yield Risk(
                code=RiskCode.ESCALATION_OUTSIDE_ADMINS,
                subject=p.arn,
                message=f"{p.arn} ({p.level}) may {what}",
            )
