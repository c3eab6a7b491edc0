"""The cluster's authorizer chain: system:masters, then EKS access policies, then RBAC
(https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html).

No authorizer denies: each allows or has no opinion, and a request is allowed when any allows. The order
only decides which reason is reported first, in the API server's words. A denied request carries its
nearest misses (see ``explain``). Impersonation and escalation
checks are in ``escalation``; kube-apiserver's 403 text in ``forbidden``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.authz.aggregation import aggregate_cluster_roles
from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS, with_bootstrap
from eksaccess.domain.authz.index import (
    NaiveRbac,
    RbacEvaluator,
    RbacGrant,
    RbacIndex,
    RequestGrants,
    aggregate_errors,
    rbac_near_misses,
)
from eksaccess.domain.authz.policy_rules import (
    PolicyAssociationLike,
    ScopeLike,
    access_policy_rules,
    first_allowing_rule,
    namespace_pattern_matches,
    policy_near_misses,
    scope_covers,
    scope_text,
)
from eksaccess.domain.authz.rbac import (
    Attributes,
    Authority,
    MissKind,
    NearMiss,
    PolicyRule,
    RbacObjects,
    Reason,
    parse_rbac_objects,
)

__all__ = [
    "Attributes",
    "Authority",
    "Authorizer",
    "Decision",
    "MissKind",
    "NearMiss",
    "PolicyAssociationLike",
    "PreparedRequest",
    "Reason",
    "RulesReview",
    "ScopeLike",
]

MAX_NEAR_MISSES = 12


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """allowed, the reason the API server would record, every allowing reason, and on deny the near misses."""

    allowed: bool
    reason: str
    reasons: tuple[Reason, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "reasons": [r.to_json() for r in self.reasons],
            "nearMisses": [m.to_json() for m in self.near_misses],
            "errors": list(self.errors),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class RulesReview:
    """SelfSubjectRulesReview status, from RBAC only (EKS does not list access-policy rules)."""

    resource_rules: tuple[PolicyRule, ...]
    non_resource_rules: tuple[PolicyRule, ...]
    incomplete: bool = False
    evaluation_error: str = ""

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "resourceRules": [
                {k: v for k, v in r.to_json().items() if k != "nonResourceURLs"} for r in self.resource_rules
            ],
            "nonResourceRules": [
                {"verbs": list(r.verbs), "nonResourceURLs": list(r.non_resource_urls)}
                for r in self.non_resource_rules
            ],
            "incomplete": self.incomplete,
        }
        if self.evaluation_error:
            status["evaluationError"] = self.evaluation_error
        return status


def masters_reason() -> Reason:
    return Reason(
        authority=Authority.PRIVILEGED_GROUP,
        text=f'allowed: member of group "{SYSTEM_MASTERS}" (authorized before EKS access policies and RBAC)',
        subject=f'Group "{SYSTEM_MASTERS}"',
    )


def rbac_reason(grant: RbacGrant) -> Reason:
    ref = grant.binding.role_ref
    return Reason(
        authority=Authority.RBAC,
        text=grant.text,
        binding=grant.binding.describe(),
        role=f'{ref.kind} "{ref.name}"',
        subject=grant.subject.describe(grant.binding.namespace),
        rule=grant.rule,
    )


def policy_reason(
    assoc: PolicyAssociationLike, rule: PolicyRule, attrs: Attributes, username: str, principal_arn: str
) -> Reason:
    """``EKS Access Policy: allowed by ClusterRoleBinding "<principal>+<policy>" ...`` (namespace scope:
    a RoleBinding ``"<principal>+<policy>/<namespace>"``, by analogy with RBAC's naming; inferred)."""
    name = f"{principal_arn}+{assoc.policy_arn}"
    if str(assoc.scope.type) == "cluster":
        binding = f'ClusterRoleBinding "{name}"'
    else:
        binding = f'RoleBinding "{name}/{attrs.namespace}"'
    role = f'ClusterRole "{assoc.policy_arn}"'
    subject = f'User "{username}"'
    return Reason(
        authority=Authority.ACCESS_POLICY,
        text=f"EKS Access Policy: allowed by {binding} of {role} to {subject}",
        binding=binding,
        role=role,
        subject=subject,
        rule=rule,
        policy_arn=assoc.policy_arn,
        scope=scope_text(assoc.scope),
    )


def policy_grants(
    attrs: Attributes, policies: Sequence[PolicyAssociationLike], *, username: str, principal_arn: str
) -> list[Reason]:
    found = []
    for assoc in policies:
        if not scope_covers(assoc.scope, attrs.namespace):
            continue
        rule = first_allowing_rule(access_policy_rules(assoc.policy_arn).rules, attrs)
        if rule is not None:
            found.append(policy_reason(assoc, rule, attrs, username, principal_arn))
    return found


class Authorizer:
    """One cluster's authorizer chain over its RBAC objects (default roles included, aggregated)."""

    def __init__(self, index: RbacIndex, *, rbac: RbacEvaluator | None = None) -> None:
        self.index = index
        self.rbac: RbacEvaluator = rbac if rbac is not None else index

    @classmethod
    def from_manifests(
        cls, manifests: Sequence[Mapping[str, Any]], *, include_bootstrap: bool = True, naive: bool = False
    ) -> Authorizer:
        """RBAC objects of the manifests (other kinds ignored) plus the default roles, aggregated."""
        objects = parse_rbac_objects(with_bootstrap(manifests) if include_bootstrap else manifests)
        return cls.from_objects(objects, naive=naive)

    @classmethod
    def from_objects(cls, objects: RbacObjects, *, naive: bool = False) -> Authorizer:
        aggregated = RbacObjects(
            roles=aggregate_cluster_roles(objects.roles),
            bindings=objects.bindings,
            namespaces=objects.namespaces,
        )
        index = RbacIndex(aggregated)
        return cls(index, rbac=NaiveRbac(aggregated) if naive else None)

    def authorize(
        self,
        attrs: Attributes,
        *,
        username: str,
        groups: Sequence[str],
        policies: Sequence[PolicyAssociationLike] = (),
        principal_arn: str = "",
        explain: bool = True,
    ) -> Decision:
        """system:masters -> EKS access policies -> RBAC. ``explain`` collects every grant, or near misses."""
        reasons: list[Reason] = []
        if SYSTEM_MASTERS in groups:
            reasons.append(masters_reason())
        if explain or not reasons:
            reasons.extend(policy_grants(attrs, policies, username=username, principal_arn=principal_arn))
        if explain or not reasons:
            grants = self.rbac.grants(attrs, username, groups, first_only=not explain)
            reasons.extend(rbac_reason(g) for g in grants)
        if reasons:
            return Decision(allowed=True, reason=reasons[0].text, reasons=tuple(reasons))
        errors = tuple(self.rbac.errors_for(attrs, username, groups))
        reason = f"RBAC: {aggregate_errors(errors)}" if errors else ""
        misses: tuple[NearMiss, ...] = ()
        if explain:
            found = policy_near_misses(attrs, policies) + rbac_near_misses(
                self.index, attrs, username, groups
            )
            misses = tuple(found[:MAX_NEAR_MISSES])
        return Decision(allowed=False, reason=reason, near_misses=misses, errors=errors)

    def rules_for(self, *, username: str, groups: Sequence[str], namespace: str) -> RulesReview:
        """SelfSubjectRulesReview: RBAC rules of the identity's bindings (cluster-wide + the namespace's)."""
        rules, errors = self.index.rules_for(username, groups, namespace)
        return RulesReview(
            resource_rules=tuple(r for r in rules if r.resources),
            non_resource_rules=tuple(r for r in rules if r.non_resource_urls),
            incomplete=False,
            evaluation_error=aggregate_errors(errors) if errors else "",
        )

    def who_can(self, attrs: Attributes) -> list[RbacGrant]:
        """Every Kubernetes subject RBAC allows the request to, with its binding and rule."""
        return self.index.subject_grants(attrs)

    def prepare(self, attrs: Attributes) -> PreparedRequest:
        """One request made ready to be asked of many identities (who-can); see ``PreparedRequest``."""
        return PreparedRequest(attrs, self.index.request_grants(attrs))


_MASTERS_REASON = masters_reason()


class PreparedRequest:
    """A request evaluated once for the whole cluster: the RBAC bindings that allow it, indexed by subject
    (memoized in the index per request attributes); each access policy and each access scope evaluated
    once. ``reasons`` of an identity then costs a few lookups and equals
    ``Authorizer.authorize(..., explain=True).reasons`` (empty when the request is denied)."""

    def __init__(self, attrs: Attributes, grants: RequestGrants) -> None:
        self.attrs = attrs
        self.grants = grants
        self._policy_rules: dict[str, PolicyRule | None] = {}  # policy ARN -> first allowing rule
        self._scopes: dict[tuple[str, tuple[str, ...]], bool] = {}  # (type, namespaces) -> covers
        self._rbac: dict[int, Reason] = {}  # id(grant) -> its reason
        self._patterns: dict[str, bool] = {}  # scope namespace pattern -> matches the request's namespace

    def _policy_rule(self, assoc: PolicyAssociationLike) -> PolicyRule | None:
        scope = assoc.scope
        scope_key = (str(scope.type), tuple(scope.namespaces))
        covered = self._scopes.get(scope_key)
        if covered is None:
            covered = self._scopes[scope_key] = self._scope_covers(scope)
        if not covered:
            return None
        arn = assoc.policy_arn
        if arn not in self._policy_rules:
            self._policy_rules[arn] = first_allowing_rule(access_policy_rules(arn).rules, self.attrs)
        return self._policy_rules[arn]

    def _scope_covers(self, scope: ScopeLike) -> bool:
        """``scope_covers``, each namespace pattern matched once (scopes repeat patterns)."""
        if str(scope.type) == "cluster" or not self.attrs.namespace:
            return scope_covers(scope, self.attrs.namespace)
        patterns = self._patterns
        for pattern in scope.namespaces:
            matches = patterns.get(pattern)
            if matches is None:
                matches = patterns[pattern] = namespace_pattern_matches(pattern, self.attrs.namespace)
            if matches:
                return True
        return False

    def reasons(
        self,
        *,
        username: str,
        groups: Sequence[str],
        policies: Sequence[PolicyAssociationLike] = (),
        principal_arn: str = "",
    ) -> tuple[Reason, ...]:
        """Every allowing reason, in the chain's order: system:masters, access policies, RBAC."""
        found: list[Reason] = [_MASTERS_REASON] if SYSTEM_MASTERS in groups else []
        for assoc in policies:
            rule = self._policy_rule(assoc)
            if rule is not None:
                found.append(policy_reason(assoc, rule, self.attrs, username, principal_arn))
        memo = self._rbac
        for grant in self.grants.grants_for(username, groups):
            reason = memo.get(id(grant))  # the table memoizes its grants, so their ids are stable
            if reason is None:
                reason = memo[id(grant)] = rbac_reason(grant)
            found.append(reason)
        return tuple(found)

    def decide(
        self,
        *,
        username: str,
        groups: Sequence[str],
        policies: Sequence[PolicyAssociationLike] = (),
        principal_arn: str = "",
    ) -> Decision | None:
        """The allowing Decision ``authorize(explain=True)`` returns, or None when the request is denied
        (a deny's near misses are not computed here)."""
        reasons = self.reasons(
            username=username, groups=groups, policies=policies, principal_arn=principal_arn
        )
        if not reasons:
            return None
        return Decision(allowed=True, reason=reasons[0].text, reasons=reasons)
