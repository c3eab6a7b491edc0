"""RBAC evaluation over an index, plus the naive evaluator it is checked against.

``RbacIndex`` resolves roles once (aggregation already applied) and indexes bindings by subject
(username / ServiceAccount username, group; ClusterRoleBindings and RoleBindings per namespace) and by
role, so can-i looks only at the identity's bindings and who-can only at the roles that allow the request.
For who-can, ``RequestGrants`` holds one request's allowing bindings indexed by username and group
(memoized per request attributes): each identity is then a few lookups.
``NaiveRbac`` scans every binding like the upstream authorizer (linear in ClusterRoleBindings plus the
namespace's RoleBindings). Both visit ClusterRoleBindings first, then RoleBindings of the request's
namespace (none when the namespace is empty), each in manifest order, so they name the same first grant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from eksaccess.domain.authz.policy_rules import first_allowing_rule, rule_covers_target, verb_matches
from eksaccess.domain.authz.rbac import (
    Attributes,
    Binding,
    BindingKind,
    MissKind,
    NearMiss,
    PolicyRule,
    RbacObjects,
    Role,
    RoleKind,
    Subject,
    SubjectKind,
    first_applying_subject,
    service_account_username,
    subject_applies,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class RbacGrant:
    """One way RBAC allows a request: binding -> role -> rule, for one subject."""

    binding: Binding
    subject: Subject
    rule: PolicyRule

    @property
    def text(self) -> str:
        ref = self.binding.role_ref
        subject = self.subject.describe(self.binding.namespace)
        return f'RBAC: allowed by {self.binding.describe()} of {ref.kind} "{ref.name}" to {subject}'


def role_not_found(kind: str, name: str) -> str:
    """The lister's NotFound text, as RBAC puts it in a reason."""
    if kind == RoleKind.ROLE:
        return f'role.rbac.authorization.k8s.io "{name}" not found'
    if kind == RoleKind.CLUSTER_ROLE:
        return f'clusterrole.rbac.authorization.k8s.io "{name}" not found'
    return f'unsupported role reference kind: "{kind}"'


def aggregate_errors(errors: Sequence[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message as is, several as ``[a, b]`` (deduplicated)."""
    unique = list(dict.fromkeys(errors))
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]"


def subject_key(subject: Subject, binding: Binding) -> str | None:
    """The index key of a subject: ``u:<username>`` (User, ServiceAccount) or ``g:<group>``; None when the
    subject can never apply (another kind, or a ServiceAccount without a namespace)."""
    if subject.kind == SubjectKind.USER:
        return f"u:{subject.name}"
    if subject.kind == SubjectKind.GROUP:
        return f"g:{subject.name}"
    if subject.kind == SubjectKind.SERVICE_ACCOUNT:
        username = service_account_username(subject, binding.namespace)
        return f"u:{username}" if username else None
    return None


class RbacEvaluator(Protocol):
    def grants(
        self, attrs: Attributes, username: str, groups: Sequence[str], *, first_only: bool
    ) -> list[RbacGrant]: ...

    def errors_for(self, attrs: Attributes, username: str, groups: Sequence[str]) -> list[str]: ...


class _Roles:
    """Role lookup shared by both evaluators: Roles by (namespace, name), ClusterRoles by name."""

    def __init__(self, roles: Iterable[Role]) -> None:
        self.cluster_roles: dict[str, Role] = {}
        self.roles: dict[tuple[str, str], Role] = {}
        for role in roles:
            if role.kind == RoleKind.CLUSTER_ROLE:
                self.cluster_roles[role.name] = role
            else:
                self.roles[(role.namespace, role.name)] = role

    def resolve(self, binding: Binding) -> Role | None:
        ref = binding.role_ref
        if ref.kind == RoleKind.CLUSTER_ROLE:
            return self.cluster_roles.get(ref.name)
        if ref.kind == RoleKind.ROLE:
            return self.roles.get((binding.namespace, ref.name))
        return None


class NaiveRbac:
    """Scan every ClusterRoleBinding, then every RoleBinding of the namespace: the reference semantics."""

    def __init__(self, objects: RbacObjects) -> None:
        self._roles = _Roles(objects.roles)
        self._bindings = objects.bindings

    def _in_scope(self, namespace: str) -> Iterable[Binding]:
        for binding in self._bindings:
            if binding.kind == BindingKind.CLUSTER_ROLE_BINDING:
                yield binding
        if namespace:
            for binding in self._bindings:
                if binding.kind == BindingKind.ROLE_BINDING and binding.namespace == namespace:
                    yield binding

    def grants(
        self, attrs: Attributes, username: str, groups: Sequence[str], *, first_only: bool
    ) -> list[RbacGrant]:
        found: list[RbacGrant] = []
        for binding in self._in_scope(attrs.namespace):
            subject = first_applying_subject(binding, username, groups)
            role = self._roles.resolve(binding) if subject else None
            rule = first_allowing_rule(role.rules, attrs) if role else None
            if subject and rule:
                found.append(RbacGrant(binding=binding, subject=subject, rule=rule))
                if first_only:
                    break
        return found

    def errors_for(self, attrs: Attributes, username: str, groups: Sequence[str]) -> list[str]:
        return [
            role_not_found(b.role_ref.kind, b.role_ref.name)
            for b in self._in_scope(attrs.namespace)
            if first_applying_subject(b, username, groups) and self._roles.resolve(b) is None
        ]


_GRANTS_CACHE_SIZE = 256


class RbacIndex:
    """Subject -> bindings and role -> bindings indexes over one cluster's RBAC objects."""

    def __init__(self, objects: RbacObjects) -> None:
        self.objects = objects
        self._roles = _Roles(objects.roles)
        # (namespace or "" for ClusterRoleBindings, key) -> bindings; key = "u:<username>" or "g:<group>"
        self._by_subject: dict[tuple[str, str], list[Binding]] = defaultdict(list)
        # key -> every RoleBinding naming it, whatever the namespace (for near misses)
        self._rb_any_namespace: dict[str, list[Binding]] = defaultdict(list)
        self._by_role: dict[tuple[str, str, str], list[Binding]] = defaultdict(list)
        self._grants_cache: dict[Attributes, RequestGrants] = {}
        self.namespaces = sorted(
            {b.namespace for b in objects.bindings if b.namespace} | set(objects.namespaces)
        )
        for binding in objects.bindings:
            self._add(binding)

    def _add(self, binding: Binding) -> None:
        for key in {subject_key(s, binding) for s in binding.subjects}:
            if key is None:
                continue
            self._by_subject[(binding.namespace, key)].append(binding)
            if binding.kind == BindingKind.ROLE_BINDING:
                self._rb_any_namespace[key].append(binding)
        self._by_role[self._role_key(binding)].append(binding)

    @staticmethod
    def _role_key(binding: Binding) -> tuple[str, str, str]:
        ref = binding.role_ref
        namespace = binding.namespace if ref.kind == RoleKind.ROLE else ""
        return (ref.kind, namespace, ref.name)

    def resolve(self, binding: Binding) -> Role | None:
        return self._roles.resolve(binding)

    @property
    def cluster_roles(self) -> dict[str, Role]:
        return self._roles.cluster_roles

    def objects_role(self, namespace: str, name: str) -> Role | None:
        return self._roles.roles.get((namespace, name))

    def resources_named_by_rules(self) -> frozenset[str]:
        """The resources (``pods``, ``serviceaccounts/token``, ``*``) some role's rule limits to resourceNames:
        for any other resource, a request with a name is allowed exactly when the same request without one
        is (a rule without resourceNames allows every name)."""
        roles = [*self._roles.cluster_roles.values(), *self._roles.roles.values()]
        return frozenset(
            r for role in roles for rule in role.rules if rule.resource_names for r in rule.resources
        )

    def _keys(self, username: str, groups: Iterable[str]) -> list[str]:
        return [f"u:{username}", *(f"g:{g}" for g in groups)]

    def bindings_for(self, username: str, groups: Sequence[str], namespace: str) -> list[Binding]:
        """The identity's ClusterRoleBindings, then its RoleBindings in ``namespace``, in manifest order."""
        keys = self._keys(username, groups)
        scopes = ("", namespace) if namespace else ("",)
        found: list[Binding] = []
        for scope in scopes:
            seen: dict[int, Binding] = {}
            for key in keys:
                for binding in self._by_subject.get((scope, key), ()):
                    if scope or binding.kind == BindingKind.CLUSTER_ROLE_BINDING:
                        seen.setdefault(binding.order, binding)
            found.extend(seen[order] for order in sorted(seen))
        return found

    def role_bindings_elsewhere(self, username: str, groups: Sequence[str], namespace: str) -> list[Binding]:
        """The identity's RoleBindings in namespaces other than ``namespace``."""
        seen: dict[int, Binding] = {}
        for key in self._keys(username, groups):
            for binding in self._rb_any_namespace.get(key, ()):
                if binding.namespace != namespace:
                    seen.setdefault(binding.order, binding)
        return [seen[order] for order in sorted(seen)]

    def is_bound(self, kind: str, name: str) -> bool:
        """Whether any binding anywhere names this subject (``kind`` User or Group)."""
        key = f"{'g' if kind == SubjectKind.GROUP else 'u'}:{name}"
        return bool(self._rb_any_namespace.get(key)) or bool(self._by_subject.get(("", key)))

    def grants(
        self, attrs: Attributes, username: str, groups: Sequence[str], *, first_only: bool
    ) -> list[RbacGrant]:
        found: list[RbacGrant] = []
        for binding in self.bindings_for(username, groups, attrs.namespace):
            role = self.resolve(binding)
            rule = first_allowing_rule(role.rules, attrs) if role else None
            subject = first_applying_subject(binding, username, groups) if rule else None
            if rule and subject:
                found.append(RbacGrant(binding=binding, subject=subject, rule=rule))
                if first_only:
                    break
        return found

    def errors_for(self, attrs: Attributes, username: str, groups: Sequence[str]) -> list[str]:
        return [
            role_not_found(b.role_ref.kind, b.role_ref.name)
            for b in self.bindings_for(username, groups, attrs.namespace)
            if self.resolve(b) is None
        ]

    def rules_for(
        self, username: str, groups: Sequence[str], namespace: str
    ) -> tuple[list[PolicyRule], list[str]]:
        """``RulesFor``: every rule of every binding that applies, plus resolution errors."""
        rules: list[PolicyRule] = []
        errors: list[str] = []
        for binding in self.bindings_for(username, groups, namespace):
            role = self.resolve(binding)
            if role is None:
                errors.append(role_not_found(binding.role_ref.kind, binding.role_ref.name))
            else:
                rules.extend(role.rules)
        return rules, errors

    def subject_grants(self, attrs: Attributes) -> list[RbacGrant]:
        """who-can: every subject of every binding in scope whose role allows the request (memoized)."""
        return list(self.request_grants(attrs).subject_grants)

    def request_grants(self, attrs: Attributes) -> RequestGrants:
        """The bindings that allow the request, indexed by subject; memoized per request attributes."""
        cached = self._grants_cache.get(attrs)
        if cached is None:
            if len(self._grants_cache) >= _GRANTS_CACHE_SIZE:
                self._grants_cache.clear()
            cached = self._grants_cache[attrs] = RequestGrants(self._allowing_bindings(attrs))
        return cached

    def _allowing_bindings(self, attrs: Attributes) -> list[tuple[Binding, PolicyRule]]:
        """Bindings in scope whose role allows the request, with the role's first allowing rule, in
        evaluation order (ClusterRoleBindings, then the namespace's RoleBindings, each in manifest order)."""
        allowing: dict[tuple[str, str, str], PolicyRule] = {}
        for name, role in self._roles.cluster_roles.items():
            rule = first_allowing_rule(role.rules, attrs)
            if rule:
                allowing[(RoleKind.CLUSTER_ROLE, "", name)] = rule
        if attrs.namespace:
            for (namespace, name), role in self._roles.roles.items():
                rule = first_allowing_rule(role.rules, attrs) if namespace == attrs.namespace else None
                if rule:
                    allowing[(RoleKind.ROLE, namespace, name)] = rule
        bindings: list[tuple[Binding, PolicyRule]] = []
        for key, rule in allowing.items():
            for binding in self._by_role.get(key, ()):
                in_scope = binding.kind == BindingKind.CLUSTER_ROLE_BINDING or (
                    attrs.namespace and binding.namespace == attrs.namespace
                )
                if in_scope:
                    bindings.append((binding, rule))
        bindings.sort(key=lambda pair: (pair[0].kind != BindingKind.CLUSTER_ROLE_BINDING, pair[0].order))
        return bindings


class RequestGrants:
    """One request's allowing bindings, indexed by the usernames and groups their subjects name, so that
    evaluating an identity for who-can is a few dictionary lookups. ``grants_for`` equals
    ``RbacIndex.grants(first_only=False)`` for every identity."""

    def __init__(self, bindings: list[tuple[Binding, PolicyRule]]) -> None:
        self.bindings = bindings
        self._by_user: dict[str, list[int]] = defaultdict(list)
        self._by_group: dict[str, list[int]] = defaultdict(list)
        self._memo: dict[tuple[int, int], RbacGrant] = {}
        self.subject_grants: tuple[RbacGrant, ...] = tuple(
            RbacGrant(binding=b, subject=s, rule=rule)
            for b, rule in bindings
            for s in b.subjects
            if subject_key(s, b) is not None
        )
        for position, (binding, _) in enumerate(bindings):
            for key in {subject_key(s, binding) for s in binding.subjects}:
                if key is not None:
                    kind, _, name = key.partition(":")
                    (self._by_group if kind == "g" else self._by_user)[name].append(position)

    @property
    def usernames(self) -> Mapping[str, list[int]]:
        """Usernames (User and ServiceAccount subjects) of the allowing bindings -> their positions."""
        return self._by_user

    @property
    def groups(self) -> Mapping[str, list[int]]:
        """Groups of the allowing bindings -> their positions."""
        return self._by_group

    def positions(self, username: str, groups: Iterable[str]) -> list[int]:
        """Positions (in evaluation order) of the bindings with a subject the identity is."""
        lists = [found] if (found := self._by_user.get(username)) else []
        lists += [found for group in groups if (found := self._by_group.get(group))]
        if not lists:
            return []
        if len(lists) == 1:
            return lists[0]
        return sorted({position for found in lists for position in found})

    def grants_for(self, username: str, groups: Sequence[str]) -> list[RbacGrant]:
        """Every RBAC grant of the identity, each naming the binding's first subject the identity is."""
        found = []
        for position in self.positions(username, groups):
            binding, rule = self.bindings[position]
            if len(binding.subjects) == 1:  # the identity is a subject of the binding: this one
                grant = self._memo.get((position, 0))
                if grant is None:
                    grant = self._memo[(position, 0)] = RbacGrant(
                        binding=binding, subject=binding.subjects[0], rule=rule
                    )
                found.append(grant)
                continue
            for index, subject in enumerate(binding.subjects):
                if subject_applies(subject, username, groups, binding.namespace):
                    grant = self._memo.get((position, index))
                    if grant is None:
                        grant = RbacGrant(binding=binding, subject=subject, rule=rule)
                        self._memo[(position, index)] = grant
                    found.append(grant)
                    break
        return found


# ------------------------------------------------------------------------------------- near misses

IMPLICIT_GROUPS = frozenset({"system:authenticated", "system:unauthenticated", "system:serviceaccounts"})
_SCAN_LIMIT = 500  # bindings looked at per kind of near miss: explanations stay cheap on huge clusters


def _role_misses(index: RbacIndex, attrs: Attributes, binding: Binding) -> NearMiss | None:
    role = index.resolve(binding)
    ref = binding.role_ref
    where = f'{binding.describe()} -> {ref.kind} "{ref.name}"'
    if role is None:
        return NearMiss(kind=MissKind.MISSING_ROLE, where=where, detail=role_not_found(ref.kind, ref.name))
    covering = [rule for rule in role.rules if rule_covers_target(rule, attrs)]
    if not covering:
        return None
    if any(verb_matches(rule, attrs.verb) for rule in covering):
        names = sorted(
            {n for rule in covering if verb_matches(rule, attrs.verb) for n in rule.resource_names}
        )
        detail = f"allows {attrs.verb} only on resource names {', '.join(names)}"
        if not attrs.name:
            detail += " (a request without a name, such as list or create, never matches named rules)"
        return NearMiss(kind=MissKind.NAME_NOT_GRANTED, where=where, detail=detail)
    verbs = sorted({v for rule in covering for v in rule.verbs})
    return NearMiss(
        kind=MissKind.VERB_NOT_GRANTED,
        where=where,
        detail=f"covers the resource for {', '.join(verbs)}, not {attrs.verb}",
    )


def _elsewhere_misses(
    index: RbacIndex, attrs: Attributes, username: str, groups: Sequence[str]
) -> list[NearMiss]:
    misses = []
    for binding in index.role_bindings_elsewhere(username, groups, attrs.namespace)[:_SCAN_LIMIT]:
        role = index.resolve(binding)
        if role is None or first_allowing_rule(role.rules, attrs) is None:
            continue
        subject = first_applying_subject(binding, username, groups)
        to = subject.describe(binding.namespace) if subject else "you"
        if attrs.namespace:
            kind, detail = (
                MissKind.OTHER_NAMESPACE,
                f'grants this to {to} in namespace "{binding.namespace}" only',
            )
        else:
            kind = MissKind.CLUSTER_SCOPE
            detail = (
                f'grants this to {to} in namespace "{binding.namespace}" only; RoleBindings never grant '
                "cluster-scoped or all-namespaces requests"
            )
        misses.append(NearMiss(kind=kind, where=binding.describe(), detail=detail))
    return misses


def _other_subject_misses(index: RbacIndex, attrs: Attributes, limit: int = 3) -> list[NearMiss]:
    misses: list[NearMiss] = []
    seen: set[int] = set()
    for grant in index.request_grants(attrs).subject_grants:
        if grant.subject.name == "system:masters" or grant.binding.order in seen:
            continue
        seen.add(grant.binding.order)
        subject = grant.subject.describe(grant.binding.namespace)
        misses.append(
            NearMiss(
                kind=MissKind.OTHER_SUBJECT,
                where=grant.binding.describe(),
                detail=f"grants this to {subject}",
            )
        )
        if len(misses) >= limit:
            break
    return misses


def rbac_near_misses(
    index: RbacIndex, attrs: Attributes, username: str, groups: Sequence[str]
) -> list[NearMiss]:
    """Why RBAC did not allow: roles covering the resource but not the verb or name, missing roles,
    RoleBindings in other namespaces, bindings to subjects the identity is not, groups nobody binds."""
    misses = [
        miss
        for binding in index.bindings_for(username, groups, attrs.namespace)[:_SCAN_LIMIT]
        if (miss := _role_misses(index, attrs, binding)) is not None
    ]
    misses += _elsewhere_misses(index, attrs, username, groups)
    for group in groups:
        implicit = group in IMPLICIT_GROUPS or group.startswith("system:serviceaccounts:")
        if not implicit and not index.is_bound("Group", group):
            detail = "no RoleBinding or ClusterRoleBinding names this group"
            misses.append(NearMiss(kind=MissKind.UNBOUND_GROUP, where=f'Group "{group}"', detail=detail))
    misses += _other_subject_misses(index, attrs)
    return misses
