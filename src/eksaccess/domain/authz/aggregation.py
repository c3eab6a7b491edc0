"""ClusterRole aggregation computed like the clusterrole-aggregation controller
(https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go).

For each ClusterRole with an ``aggregationRule``, the controller walks its selectors in order, lists the
matching ClusterRoles sorted by name, skips the role itself, appends every rule not already present
(exact equality) and replaces the role's rules with that list: the aggregating role's own rules are
overwritten. Chains (view -> edit -> admin) converge over repeated passes; raw manifests and the
bootstrap data carry ``rules: null``, so an analyzer must run the passes to a fixpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from eksaccess.domain.authz.rbac import LabelRequirement, LabelSelector, PolicyRule, Role, RoleKind


def requirement_matches(req: LabelRequirement, labels: Mapping[str, str]) -> bool:
    operator = req.operator
    if operator == "In":
        return req.key in labels and labels[req.key] in req.values
    if operator == "NotIn":
        return req.key not in labels or labels[req.key] not in req.values
    if operator == "Exists":
        return req.key in labels
    if operator == "DoesNotExist":
        return req.key not in labels
    return False  # an invalid operator selects nothing


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """A label selector; an empty selector matches everything (as metav1.LabelSelectorAsSelector)."""
    if any(labels.get(key) != value for key, value in selector.match_labels):
        return False
    return all(requirement_matches(req, labels) for req in selector.match_expressions)


def _aggregate_one(role: Role, others: Sequence[Role]) -> tuple[PolicyRule, ...]:
    rules: list[PolicyRule] = []
    seen: set[PolicyRule] = set()
    for selector in role.aggregation or ():
        for candidate in others:
            if candidate.name == role.name or not selector_matches(selector, candidate.labels):
                continue
            for rule in candidate.rules:
                if rule not in seen:
                    seen.add(rule)
                    rules.append(rule)
    return tuple(rules)


def aggregate_cluster_roles(roles: Sequence[Role], *, max_passes: int | None = None) -> tuple[Role, ...]:
    """Every role, with aggregated ClusterRoles' rules filled in; order of ``roles`` is kept.

    Passes repeat until nothing changes (or ``max_passes``, by default the number of aggregating roles
    plus two, which is enough for any chain without cycles; cycles stop there, as a controller would
    keep flapping).
    """
    current = list(roles)
    aggregating = [
        i for i, r in enumerate(current) if r.kind == RoleKind.CLUSTER_ROLE and r.aggregation is not None
    ]
    if not aggregating:
        return tuple(current)
    limit = max_passes if max_passes is not None else len(aggregating) + 2
    by_name = sorted(
        (i for i, r in enumerate(current) if r.kind == RoleKind.CLUSTER_ROLE), key=lambda i: current[i].name
    )
    aggregating.sort(key=lambda i: current[i].name)
    for _ in range(limit):
        changed = False
        for index in aggregating:
            new_rules = _aggregate_one(current[index], [current[i] for i in by_name])
            if new_rules != current[index].rules:
                current[index] = replace(current[index], rules=new_rules)
                changed = True
        if not changed:
            break
    return tuple(current)
