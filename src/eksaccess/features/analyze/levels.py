"""Effective access level of one Kubernetes identity, and where it holds, by probing the authorizer.

The rule (docs/audit.md):

* ``cluster-admin``: allowed verb ``*`` on resource ``*`` in API group ``*``, cluster-wide
  (``kubectl auth can-i '*' '*'`` with all namespaces).
* ``admin`` in a namespace: every ``edit`` probe, plus create ``roles`` and ``rolebindings``
  (rbac.authorization.k8s.io).
* ``edit`` in a namespace: every ``view`` probe, plus create ``deployments.apps``, delete ``pods``,
  update ``configmaps``, get ``secrets``, create ``pods/exec``.
* ``view`` in a namespace: get ``pods``, list ``deployments.apps``, get ``configmaps``, list ``services``.
* ``custom``: none of the above anywhere, but some grant: an access policy association, or a binding
  to the username or to a group other than the implicit ``system:authenticated``.
* ``none``: nothing beyond what every authenticated identity has (or not authenticated at all).

An access policy whose rules AWS does not publish (opaque, domain/data/access_policy_rules.yaml) allows
no probe here; ``Access.opaque`` names such policies, and the level is shown as ``unknown (opaque policy
NAME)`` (or ``LEVEL or more (...)``), never as a plain ``custom``.

Probes run through the whole chain (system:masters, EKS access policies with their scopes, RBAC). A level
held in a namespace no RoleBinding or policy scope names (probed as ``~any~``) holds in every namespace,
reported as reach ``*``. Only namespaces that matter for the identity are probed: those of its
RoleBindings and of its access policy scopes (patterns such as ``dev-*`` are probed as written).

Two evaluators give the same answer: ``effective_access`` sends every probe through
``Authorizer.authorize`` (the reference); ``LevelIndex`` asks the authorizer's own rule matcher once per
role and per access policy which probes it allows, then combines those answers over the identity's
bindings and policy scopes (no authorizer denies, so an identity is allowed a probe exactly when one of
its roles or policies allows it). The audit uses ``LevelIndex``; tests hold it equal to the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from eksaccess.domain.access import AccessPolicyAssociation, ScopeType
from eksaccess.domain.authz.authorize import Attributes, Authorizer
from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.authz.policy_rules import access_policy_rules, first_allowing_rule, scope_covers
from eksaccess.domain.authz.rbac import RBAC_GROUP, Binding, PolicyRule, first_applying_subject

ALL = "*"
ANY_NAMESPACE = "~any~"  # a name no namespace, RoleBinding or trailing-* scope pattern can match
IMPLICIT_GROUPS = frozenset({"system:authenticated"})


class AccessLevel(StrEnum):
    CLUSTER_ADMIN = "cluster-admin"
    ADMIN = "admin"
    EDIT = "edit"
    VIEW = "view"
    CUSTOM = "custom"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    AccessLevel.NONE: 0,
    AccessLevel.CUSTOM: 1,
    AccessLevel.VIEW: 2,
    AccessLevel.EDIT: 3,
    AccessLevel.ADMIN: 4,
    AccessLevel.CLUSTER_ADMIN: 5,
}

CLUSTER_ADMIN_PROBE = Attributes(verb="*", resource="*", api_group="*")
# (verb, resource, subresource, api group); each level adds to the one below it
Probe = tuple[str, str, str, str]
_VIEW: tuple[Probe, ...] = (
    ("get", "pods", "", ""),
    ("list", "deployments", "", "apps"),
    ("get", "configmaps", "", ""),
    ("list", "services", "", ""),
)
_EDIT: tuple[Probe, ...] = (
    ("create", "deployments", "", "apps"),
    ("delete", "pods", "", ""),
    ("update", "configmaps", "", ""),
    ("get", "secrets", "", ""),
    ("create", "pods", "exec", ""),
)
_ADMIN: tuple[Probe, ...] = (("create", "roles", "", RBAC_GROUP), ("create", "rolebindings", "", RBAC_GROUP))
NAMESPACE_PROBES: tuple[tuple[AccessLevel, tuple[Probe, ...]], ...] = (
    (AccessLevel.VIEW, _VIEW),
    (AccessLevel.EDIT, _EDIT),
    (AccessLevel.ADMIN, _ADMIN),
)


def probe_rule() -> list[dict[str, Any]]:
    """The probes as data (for the report)."""
    rows: list[dict[str, Any]] = [
        {"level": str(AccessLevel.CLUSTER_ADMIN), "adds": ["* *.* (cluster-wide)"]},
    ]
    for level, probes in NAMESPACE_PROBES:
        adds = [f"{v} {r}{'/' + s if s else ''}{'.' + g if g else ''}" for v, r, s, g in probes]
        rows.append({"level": str(level), "adds": adds})
    return rows


@dataclass(frozen=True, kw_only=True, slots=True)
class Access:
    level: AccessLevel
    reach: tuple[str, ...]  # ("*",) for every namespace; () for custom/none
    namespaces: Mapping[str, AccessLevel]  # every probed namespace with a standard level ("*" = any)
    # associated access policies whose rules AWS does not publish: the level may be higher than shown
    opaque: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The level as shown: ``unknown (opaque policy NAME)`` when only an opaque policy could grant
        more than custom, ``edit or more (opaque policy NAME)`` above that."""
        if not self.opaque:
            return str(self.level)
        which = f"opaque {'policy' if len(self.opaque) == 1 else 'policies'} {', '.join(self.opaque)}"
        if self.level.rank <= AccessLevel.CUSTOM.rank:
            return f"unknown ({which})"
        return f"{self.level} or more ({which})"

    def to_json(self) -> dict[str, Any]:
        return {
            "level": str(self.level),
            "reach": list(self.reach),
            "namespaces": {ns: str(level) for ns, level in self.namespaces.items()},
            "opaquePolicies": list(self.opaque),
        }


def opaque_policies(policies: Sequence[AccessPolicyAssociation]) -> tuple[str, ...]:
    """The names of the associated policies whose rules AWS does not publish (unknown ones included)."""
    found = (access_policy_rules(a.policy_arn) for a in policies)
    return tuple(dict.fromkeys(rules.name for rules in found if rules.opaque))


NO_ACCESS = Access(level=AccessLevel.NONE, reach=(), namespaces={})


@dataclass(frozen=True, kw_only=True, slots=True)
class Prober:
    authorizer: Authorizer
    username: str
    groups: tuple[str, ...]
    policies: tuple[AccessPolicyAssociation, ...]
    principal_arn: str = ""

    def allowed(self, attrs: Attributes) -> bool:
        return self.authorizer.authorize(
            attrs,
            username=self.username,
            groups=self.groups,
            policies=self.policies,
            principal_arn=self.principal_arn,
            explain=False,
        ).allowed

    def level_in(self, namespace: str) -> AccessLevel | None:
        found: AccessLevel | None = None
        for level, probes in NAMESPACE_PROBES:
            for verb, resource, sub, group in probes:
                attrs = Attributes(
                    verb=verb, resource=resource, subresource=sub, api_group=group, namespace=namespace
                )
                if not self.allowed(attrs):
                    return found
            found = level
        return found

    def namespaces(self) -> list[str]:
        """The namespaces where this identity's grants differ from anywhere else."""
        index = self.authorizer.index
        names = {b.namespace for b in index.role_bindings_elsewhere(self.username, self.groups, "")}
        for assoc in self.policies:
            if assoc.scope.type is ScopeType.NAMESPACE:
                names.update(assoc.scope.namespaces)
        return sorted(names)

    def has_grants(self) -> bool:
        if self.policies:
            return True
        index = self.authorizer.index
        groups = [g for g in self.groups if g not in IMPLICIT_GROUPS]
        own = index.bindings_for(self.username, groups, "")
        return bool(own) or bool(index.role_bindings_elsewhere(self.username, groups, ""))


def effective_access(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    policies: Sequence[AccessPolicyAssociation] = (),
    principal_arn: str = "",
) -> Access:
    prober = Prober(
        authorizer=authorizer,
        username=username,
        groups=tuple(groups),
        policies=tuple(policies),
        principal_arn=principal_arn,
    )
    if prober.allowed(CLUSTER_ADMIN_PROBE):
        return Access(
            level=AccessLevel.CLUSTER_ADMIN, reach=(ALL,), namespaces={ALL: AccessLevel.CLUSTER_ADMIN}
        )
    found: dict[str, AccessLevel] = {}
    anywhere = prober.level_in(ANY_NAMESPACE)
    if anywhere is not None:
        found[ALL] = anywhere
    for namespace in prober.namespaces():
        level = prober.level_in(namespace)
        if level is not None and (anywhere is None or level.rank > anywhere.rank):
            found[namespace] = level
    if not found:
        level = AccessLevel.CUSTOM if prober.has_grants() else AccessLevel.NONE
        return Access(level=level, reach=(), namespaces={}, opaque=opaque_policies(policies))
    return _summarize(found, opaque_policies(policies))


# ----------------------------------------------------------------------------- the indexed evaluator

# bit 0: the cluster-admin probe; then the namespace probes of each level, in NAMESPACE_PROBES order
PROBE_ATTRIBUTES: tuple[Attributes, ...] = (CLUSTER_ADMIN_PROBE,) + tuple(
    Attributes(verb=v, resource=r, subresource=sub, api_group=g, namespace=ANY_NAMESPACE)
    for _, probes in NAMESPACE_PROBES
    for v, r, sub, g in probes
)
_LEVEL_MASKS: list[tuple[AccessLevel, int]] = []
_bits, _next = 0, 1
for _level, _probes in NAMESPACE_PROBES:
    for _ in _probes:
        _bits |= 1 << _next
        _next += 1
    _LEVEL_MASKS.append((_level, _bits))
CLUSTER_ADMIN_BIT = 1


def mask_of(rules: tuple[PolicyRule, ...], probes: tuple[Attributes, ...] = PROBE_ATTRIBUTES) -> int:
    """Which probes these rules allow (rule matching does not depend on the request's namespace)."""
    return sum(1 << i for i, attrs in enumerate(probes) if first_allowing_rule(rules, attrs) is not None)


@cache
def level_of(mask: int) -> AccessLevel | None:
    found = None
    for level, needed in _LEVEL_MASKS:
        if mask & needed != needed:
            break
        found = level
    return found


class LevelIndex:
    """Probe answers per role and per access policy, computed once per cluster."""

    def __init__(self, authorizer: Authorizer, probes: tuple[Attributes, ...] = PROBE_ATTRIBUTES) -> None:
        self.authorizer = authorizer
        self.probes = probes
        self._roles: dict[tuple[str, str, str], int] = {}
        self._bindings: dict[int, int] = {}  # binding order -> its role's mask
        self._policies: dict[str, int] = {}

    def binding_mask(self, binding: Binding) -> int:
        found = self._bindings.get(binding.order)
        if found is not None:
            return found
        ref = binding.role_ref
        key = (ref.kind, binding.namespace if ref.kind == "Role" else "", ref.name)
        found = self._roles.get(key)
        if found is None:
            role = self.authorizer.index.resolve(binding)
            found = self._roles[key] = mask_of(role.rules, self.probes) if role is not None else 0
        self._bindings[binding.order] = found
        return found

    def policy_mask(self, policy_arn: str) -> int:
        found = self._policies.get(policy_arn)
        if found is None:
            found = self._policies[policy_arn] = mask_of(access_policy_rules(policy_arn).rules, self.probes)
        return found

    def access(
        self,
        *,
        username: str,
        groups: Sequence[str],
        policies: Sequence[AccessPolicyAssociation] = (),
        bindings: tuple[Sequence[Binding], Sequence[Binding]] | None = None,
    ) -> Access:
        """Same answer as ``effective_access``; ``bindings`` = (ClusterRoleBindings, RoleBindings) of the
        identity when the caller already has them."""
        if SYSTEM_MASTERS in groups:
            return _CLUSTER_ADMIN
        index = self.authorizer.index
        crbs, rbs = bindings or (
            index.bindings_for(username, groups, ""),
            index.role_bindings_elsewhere(username, groups, ""),
        )
        everywhere = 0
        for b in crbs:
            everywhere |= self.binding_mask(b)
        per_namespace: dict[str, int] = {}
        for b in rbs:
            per_namespace[b.namespace] = per_namespace.get(b.namespace, 0) | self.binding_mask(b)
        cluster_policies = 0
        for assoc in policies:
            if assoc.scope.type is ScopeType.CLUSTER:
                cluster_policies |= self.policy_mask(assoc.policy_arn)
            else:
                for pattern in assoc.scope.namespaces:
                    per_namespace.setdefault(pattern, 0)
        if (everywhere | cluster_policies) & CLUSTER_ADMIN_BIT:
            return _CLUSTER_ADMIN
        found: dict[str, AccessLevel] = {}
        base = everywhere | cluster_policies
        scoped = [a for a in policies if a.scope.type is ScopeType.NAMESPACE]
        anywhere = level_of(self._in(ANY_NAMESPACE, base, scoped))
        if anywhere is not None:
            found[ALL] = anywhere
        for namespace in sorted(per_namespace):
            mask = base | per_namespace[namespace]
            level = level_of(self._in(namespace, mask, scoped) if scoped else mask)
            if level is not None and (anywhere is None or level.rank > anywhere.rank):
                found[namespace] = level
        opaque = opaque_policies(policies) if policies else ()
        if not found:
            has = bool(policies) or _own(crbs, rbs, username, groups)
            level = AccessLevel.CUSTOM if has else AccessLevel.NONE
            return Access(level=level, reach=(), namespaces={}, opaque=opaque)
        return _summarize(found, opaque)

    def _in(self, namespace: str, mask: int, scoped: Sequence[AccessPolicyAssociation]) -> int:
        for assoc in scoped:
            if scope_covers(assoc.scope, namespace):
                mask |= self.policy_mask(assoc.policy_arn)
        return mask


_CLUSTER_ADMIN = Access(
    level=AccessLevel.CLUSTER_ADMIN, reach=(ALL,), namespaces={ALL: AccessLevel.CLUSTER_ADMIN}
)


def _own(crbs: Sequence[Binding], rbs: Sequence[Binding], username: str, groups: Sequence[str]) -> bool:
    """Some binding names the identity other than through the implicit groups."""
    explicit = [g for g in groups if g not in IMPLICIT_GROUPS]
    return any(first_applying_subject(b, username, explicit) is not None for b in (*crbs, *rbs))


def _summarize(found: dict[str, AccessLevel], opaque: tuple[str, ...] = ()) -> Access:
    best = max(found.values(), key=lambda lv: lv.rank)
    reach = (ALL,) if found.get(ALL) is best else tuple(ns for ns, lv in found.items() if lv is best)
    return Access(level=best, reach=reach, namespaces=found, opaque=opaque)
