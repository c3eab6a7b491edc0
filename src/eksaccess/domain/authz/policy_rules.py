"""PolicyRule matching exactly as the RBAC authorizer does, the escalation ``Covers`` check, and the
EKS access policies expressed as rules (AWS's own tables, domain/data/access_policy_rules.yaml, from
https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html), matched as
https://github.com/kubernetes/kubernetes/blob/master/pkg/apis/rbac/v1/evaluation_helpers.go matches.

Matching (``RuleAllows``): verb, API group, resource (``*``, exact ``res`` or ``res/sub``, or ``*/sub``
when a subresource is present; there is no ``pods/*``) and resourceNames (empty = any name, else exact,
so named rules never match list/create which carry no name). Non-resource URLs: ``*``, exact, or an
entry ending in ``*`` whose stem is a prefix of the path. Everything is case-sensitive.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eksaccess.domain.authz.bootstrap import load_data
from eksaccess.domain.authz.rbac import Attributes, MissKind, NearMiss, PolicyRule, parse_rules

WILDCARD = "*"


def verb_matches(rule: PolicyRule, verb: str) -> bool:
    return WILDCARD in rule.verbs or verb in rule.verbs


def api_group_matches(rule: PolicyRule, group: str) -> bool:
    return WILDCARD in rule.api_groups or group in rule.api_groups


def resource_matches(rule: PolicyRule, combined: str, subresource: str) -> bool:
    for entry in rule.resources:
        if entry in (WILDCARD, combined):
            return True
        if subresource and entry == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: PolicyRule, name: str) -> bool:
    return not rule.resource_names or name in rule.resource_names


def url_matches(pattern: str, path: str) -> bool:
    """NonResourceURLMatches / nonResourceURLCovers: ``*``, the path itself, or a prefix once every
    trailing ``*`` is stripped (``strings.TrimRight(url, "*")``: ``/metrics**`` covers ``/metrics/cadvisor``)."""
    if pattern in (WILDCARD, path):
        return True
    return pattern.endswith(WILDCARD) and path.startswith(pattern.rstrip(WILDCARD))


def non_resource_url_matches(rule: PolicyRule, path: str) -> bool:
    return any(url_matches(pattern, path) for pattern in rule.non_resource_urls)


def rule_allows(rule: PolicyRule, attrs: Attributes) -> bool:
    if attrs.is_resource_request:
        return (
            verb_matches(rule, attrs.verb)
            and api_group_matches(rule, attrs.api_group)
            and resource_matches(rule, attrs.combined_resource, attrs.subresource)
            and resource_name_matches(rule, attrs.name)
        )
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


def first_allowing_rule(rules: Iterable[PolicyRule], attrs: Attributes) -> PolicyRule | None:
    for rule in rules:
        if rule_allows(rule, attrs):
            return rule
    return None


def rule_covers_target(rule: PolicyRule, attrs: Attributes) -> bool:
    """The rule is about the request's object (group, resource, URL) whatever the verb and name."""
    if attrs.is_resource_request:
        return api_group_matches(rule, attrs.api_group) and resource_matches(
            rule, attrs.combined_resource, attrs.subresource
        )
    return non_resource_url_matches(rule, attrs.path)


# --------------------------------------------------------------------------------- escalation: Covers


def _owner_covers_atom(owner: PolicyRule, atom: PolicyRule) -> bool:
    """One owner rule covers one atomic servant rule (a single verb/group/resource/name or URL)."""
    if not verb_matches(owner, atom.verbs[0]):
        return False
    if atom.non_resource_urls:
        return any(url_matches(pattern, atom.non_resource_urls[0]) for pattern in owner.non_resource_urls)
    if not api_group_matches(owner, atom.api_groups[0]):
        return False
    resource = atom.resources[0]
    _, _, subresource = resource.partition("/")
    if not resource_matches(owner, resource, subresource):
        return False
    if not owner.resource_names:
        return True
    return bool(atom.resource_names) and atom.resource_names[0] in owner.resource_names


def _atoms(rule: PolicyRule) -> Iterable[PolicyRule]:
    for verb in rule.verbs:
        for url in rule.non_resource_urls:
            yield PolicyRule(verbs=(verb,), non_resource_urls=(url,))
        for group in rule.api_groups:
            for resource in rule.resources:
                # BreakdownRule: one atom per name, or one without names. An empty name ("") is a name.
                names: Sequence[tuple[str, ...]] = [(n,) for n in rule.resource_names] or [()]
                for named in names:
                    yield PolicyRule(
                        verbs=(verb,), api_groups=(group,), resources=(resource,), resource_names=named
                    )


def covers(
    owner_rules: Sequence[PolicyRule], servant_rules: Sequence[PolicyRule]
) -> tuple[bool, tuple[PolicyRule, ...]]:
    """``Covers``: every atomic servant rule is covered by one owner rule; servant wildcards are literal.

    Returns (covered, the atomic rules not covered).
    """
    missing = tuple(
        atom
        for rule in servant_rules
        for atom in _atoms(rule)
        if not any(_owner_covers_atom(owner, atom) for owner in owner_rules)
    )
    return not missing, missing


# ------------------------------------------------------------------------------ EKS access policies


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPolicyRules:
    """What one EKS access policy allows: the rules of AWS's table for it. ``opaque``: AWS publishes no
    table (``published``: ``prose`` when the page describes it in words, ``none`` when it has no section,
    ``unknown`` for a name eksaccess does not know); eksaccess then sees no rule and says so."""

    name: str
    rules: tuple[PolicyRule, ...] = ()
    opaque: bool = False
    published: str = "table"
    note: str = ""


POLICY_ARN_MARKER = ":cluster-access-policy/"


def policy_name_from_arn(policy_arn: str) -> str:
    """``arn:aws:eks::aws:cluster-access-policy/NAME`` -> ``NAME`` (a bare name is returned unchanged)."""
    _, marker, name = policy_arn.partition(POLICY_ARN_MARKER)
    return name if marker else policy_arn


@functools.cache
def _policy_table() -> Mapping[str, AccessPolicyRules]:
    data = load_data("access_policy_rules")
    return {name: _policy_entry(name, spec) for name, spec in data["policies"].items()}


def _policy_entry(name: str, spec: Mapping[str, Any]) -> AccessPolicyRules:
    """One policy of the data file: a table (``rules``) or ``opaque`` with a note, never both."""
    opaque = bool(spec.get("opaque", False))
    rules = parse_rules(spec.get("rules"))
    if opaque == bool(rules):
        raise ValueError(f"access_policy_rules.yaml: {name} needs either rules or opaque: true")
    return AccessPolicyRules(
        name=name,
        rules=rules,
        opaque=opaque,
        published=str(spec.get("published", "table")),
        note=str(spec.get("note", "")),
    )


def policy_source() -> Mapping[str, str]:
    """Where the tables come from: page, repository, file, commit, the date read and the page's last update."""
    return {str(k): str(v) for k, v in load_data("access_policy_rules")["source"].items()}


def access_policy_rules(policy_arn: str) -> AccessPolicyRules:
    """The rules of a managed access policy; unknown policies are opaque (they grant nothing we can see)."""
    name = policy_name_from_arn(policy_arn)
    known = _policy_table().get(name)
    if known is not None:
        return known
    return AccessPolicyRules(
        name=name,
        opaque=True,
        published="unknown",
        note="unknown access policy: its permissions are not known",
    )


# ------------------------------------------------------------------ access policy associations (scopes)


class ScopeLike(Protocol):
    """What the engine needs of an access scope (eksaccess.domain.access.AccessScope fits)."""

    @property
    def type(self) -> str: ...

    @property
    def namespaces(self) -> tuple[str, ...]: ...


class PolicyAssociationLike(Protocol):
    """What the engine needs of an association (eksaccess.domain.access.AccessPolicyAssociation fits)."""

    @property
    def policy_arn(self) -> str: ...

    @property
    def scope(self) -> ScopeLike: ...


def namespace_pattern_matches(pattern: str, namespace: str) -> bool:
    """An access scope namespace: exact, or a trailing ``*`` as a prefix (``dev-*``)."""
    if pattern.endswith(WILDCARD):
        return namespace.startswith(pattern[:-1])
    return pattern == namespace


def scope_covers(scope: ScopeLike, namespace: str) -> bool:
    """Cluster scope covers everything; namespace scope only requests inside a listed namespace, never
    cluster-scoped or all-namespaces requests (namespace "")."""
    if str(scope.type) == "cluster":
        return True
    return bool(namespace) and any(namespace_pattern_matches(p, namespace) for p in scope.namespaces)


def scope_text(scope: ScopeLike) -> str:
    if str(scope.type) == "cluster":
        return "cluster"
    return "namespaces " + ", ".join(scope.namespaces)


def association_text(assoc: PolicyAssociationLike) -> str:
    """``NAME (scope)``; an opaque policy says so: ``NAME (scope; opaque: rules not published)``."""
    policy = access_policy_rules(assoc.policy_arn)
    scope = scope_text(assoc.scope)
    return (
        f"{policy.name} ({scope}; opaque: rules not published)"
        if policy.opaque
        else f"{policy.name} ({scope})"
    )


def _policy_miss(attrs: Attributes, assoc: PolicyAssociationLike) -> NearMiss | None:
    policy = access_policy_rules(assoc.policy_arn)
    where = f"access policy {policy.name} ({scope_text(assoc.scope)})"
    if policy.opaque:
        detail = f"opaque: AWS publishes no rules for it, so it may allow this ({policy.note})"
        return NearMiss(kind=MissKind.POLICY_OPAQUE, where=where, detail=detail)
    if first_allowing_rule(policy.rules, attrs) is not None:
        if attrs.namespace:
            detail = f'grants this, but is not scoped to namespace "{attrs.namespace}"'
        else:
            detail = (
                "grants this inside its namespaces only; a namespace scope never grants cluster-wide requests"
            )
        return NearMiss(kind=MissKind.POLICY_SCOPE, where=where, detail=detail)
    verbs = sorted({v for rule in policy.rules if rule_covers_target(rule, attrs) for v in rule.verbs})
    if verbs:
        detail = f"covers {_target(attrs)} but only for verbs {', '.join(verbs)}, not {attrs.verb}"
        if attrs.verb in verbs or WILDCARD in verbs:
            detail = f"covers {_target(attrs)} but only for other resource names"
        return NearMiss(kind=MissKind.POLICY_VERB, where=where, detail=detail)
    return None


def policy_near_misses(attrs: Attributes, policies: Sequence[PolicyAssociationLike]) -> list[NearMiss]:
    """Associations that almost allow the request: scoped elsewhere, another verb, or unknown content."""
    return [miss for assoc in policies if (miss := _policy_miss(attrs, assoc)) is not None]


def _target(attrs: Attributes) -> str:
    if not attrs.is_resource_request:
        return f'path "{attrs.path}"'
    group = f".{attrs.api_group}" if attrs.api_group else ""
    return f"{attrs.combined_resource}{group}"
