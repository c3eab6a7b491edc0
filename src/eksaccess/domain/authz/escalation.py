"""What the API server checks beyond "may I do this": impersonation headers and RBAC escalation
prevention on role and binding writes (https://github.com/kubernetes/kubernetes/blob/master/pkg/registry/rbac/escalation_check.go,
staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go), decided through the whole authorizer chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.authz.authorize import Authorizer, Decision
from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.authz.policy_rules import PolicyAssociationLike, covers
from eksaccess.domain.authz.rbac import RBAC_GROUP, Attributes, PolicyRule
from eksaccess.domain.go_text import go_list, go_quote

AUTHENTICATION_GROUP = "authentication.k8s.io"
ALL_AUTHENTICATED = "system:authenticated"
ALL_UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"


def impersonation_attributes(
    *,
    user: str | None = None,
    groups: Sequence[str] = (),
    uid: str | None = None,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> list[Attributes]:
    """The checks the impersonation filter makes, in its order (apiserver's endpoints/filters/impersonation.go)."""
    checks: list[Attributes] = []
    if user is not None:
        namespace, name = _split_service_account(user)
        if name:
            checks.append(
                Attributes(verb="impersonate", resource="serviceaccounts", namespace=namespace, name=name)
            )
        else:
            checks.append(Attributes(verb="impersonate", resource="users", name=user))
    checks += [Attributes(verb="impersonate", resource="groups", name=g) for g in groups]
    for key, values in (extra or {}).items():
        checks += [
            Attributes(
                verb="impersonate",
                resource="userextras",
                subresource=key,
                api_group=AUTHENTICATION_GROUP,
                name=v,
            )
            for v in values
        ]
    if uid is not None:
        checks.append(
            Attributes(verb="impersonate", resource="uids", api_group=AUTHENTICATION_GROUP, name=uid)
        )
    return checks


def _split_service_account(username: str) -> tuple[str, str]:
    prefix = "system:serviceaccount:"
    if not username.startswith(prefix):
        return "", ""
    namespace, sep, name = username[len(prefix) :].partition(":")
    return (namespace, name) if sep and namespace and name and ":" not in name else ("", "")


def impersonated_groups(user: str, groups: Sequence[str]) -> tuple[str, ...]:
    """The groups of the impersonated identity: ServiceAccount groups when none are given, then
    system:authenticated (or system:unauthenticated for system:anonymous) unless already implied."""
    result = list(groups)
    namespace, name = _split_service_account(user)
    if name and not groups:
        result += ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    if user == ANONYMOUS:
        if ALL_UNAUTHENTICATED not in result:
            result.append(ALL_UNAUTHENTICATED)
    elif ALL_AUTHENTICATED not in result and ALL_UNAUTHENTICATED not in result:
        result.append(ALL_AUTHENTICATED)
    return tuple(result)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImpersonationCheck:
    allowed: bool
    denied: Attributes | None = None  # the first check that failed
    decision: Decision | None = None  # its decision (or the last allowing one)


def can_impersonate(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    policies: Sequence[PolicyAssociationLike] = (),
    principal_arn: str = "",
    target_user: str | None = None,
    target_groups: Sequence[str] = (),
    target_uid: str | None = None,
    target_extra: Mapping[str, Sequence[str]] | None = None,
) -> ImpersonationCheck:
    """Whether the caller may send these Impersonate-* headers: verb ``impersonate`` on users / groups /
    serviceaccounts (group "") or uids / userextras (authentication.k8s.io), through the whole chain."""
    decision: Decision | None = None
    checks = impersonation_attributes(
        user=target_user, groups=target_groups, uid=target_uid, extra=target_extra
    )
    for attrs in checks:
        decision = authorizer.authorize(
            attrs, username=username, groups=groups, policies=policies, principal_arn=principal_arn
        )
        if not decision.allowed:
            return ImpersonationCheck(allowed=False, denied=attrs, decision=decision)
    return ImpersonationCheck(allowed=True, decision=decision)


class RoleNotFoundError(LookupError):
    """A binding names a role that does not exist (the API server answers the role's 404)."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name!r} not found")
        self.kind = kind
        self.name = name


def role_write_refusal(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    role_kind: str,
    name: str,
    namespace: str,
    rules: Sequence[PolicyRule],
    policies: Sequence[PolicyAssociationLike] = (),
) -> str | None:
    """Escalation prevention on Role/ClusterRole writes: None when allowed (system:masters, verb
    ``escalate`` on the role, or the caller already holds every rule through RBAC, as the API server's
    rule resolver sees it), else the API server's reason naming the rules not held."""
    if _privileged(authorizer, "escalate", role_kind, name, namespace, username, groups, policies):
        return None
    return _not_held(authorizer, username, groups, namespace, rules)


def binding_refusal(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    role_kind: str,
    role_name: str,
    namespace: str,
    policies: Sequence[PolicyAssociationLike] = (),
) -> str | None:
    """Escalation prevention on (Cluster)RoleBinding writes: None when allowed (system:masters, verb
    ``bind`` on the referenced role by name in the binding's namespace, "" for ClusterRoleBindings, or the
    caller covers the role), else the reason. RoleNotFoundError when the check needs a role that is not
    there."""
    if _privileged(authorizer, "bind", role_kind, role_name, namespace, username, groups, policies):
        return None
    if role_kind == "Role":
        role = authorizer.index.objects_role(namespace, role_name)
    else:
        role = authorizer.index.cluster_roles.get(role_name)
    if role is None:
        raise RoleNotFoundError(role_kind, role_name)
    return _not_held(authorizer, username, groups, namespace, role.rules)


def _privileged(
    authorizer: Authorizer,
    verb: str,
    role_kind: str,
    name: str,
    namespace: str,
    username: str,
    groups: Sequence[str],
    policies: Sequence[PolicyAssociationLike],
) -> bool:
    """system:masters, or ``verb`` (escalate, bind) on the role by name, through the whole chain."""
    if SYSTEM_MASTERS in groups:
        return True
    resource = "roles" if role_kind == "Role" else "clusterroles"
    attrs = Attributes(verb=verb, resource=resource, api_group=RBAC_GROUP, name=name, namespace=namespace)
    return authorizer.authorize(
        attrs, username=username, groups=groups, policies=policies, explain=False
    ).allowed


def may_write_role(authorizer: Authorizer, **request: Any) -> bool:
    return role_write_refusal(authorizer, **request) is None


def may_bind(authorizer: Authorizer, **request: Any) -> bool:
    try:
        return binding_refusal(authorizer, **request) is None
    except RoleNotFoundError:
        return False


def _not_held(
    authorizer: Authorizer, username: str, groups: Sequence[str], namespace: str, rules: Sequence[PolicyRule]
) -> str | None:
    owned, _ = authorizer.index.rules_for(username, groups, namespace)
    held, missing = covers(owned, rules)
    if held:
        return None
    lines = sorted({compact_string(rule) for rule in compact_rules(missing)})
    return (
        f"user {go_quote(username)} (groups={go_list(groups)}) is attempting to grant RBAC permissions not "
        "currently held:\n" + "\n".join(lines)
    )


def compact_rules(atoms: Sequence[PolicyRule]) -> list[PolicyRule]:
    """``CompactRules``: atomic rules of one group, one resource and at most one name are merged, their
    verbs in the order met; anything else is kept as it is."""
    merged: dict[tuple[str, str, str | None], list[str]] = {}
    kept: list[PolicyRule] = []
    for rule in atoms:
        simple = (
            len(rule.api_groups) == 1
            and len(rule.resources) == 1
            and len(rule.resource_names) <= 1
            and not rule.non_resource_urls
        )
        if not simple:
            kept.append(rule)
            continue
        key = (rule.api_groups[0], rule.resources[0], rule.resource_names[0] if rule.resource_names else None)
        merged.setdefault(key, []).extend(rule.verbs)
    kept += [
        PolicyRule(
            verbs=tuple(verbs),
            api_groups=(group,),
            resources=(resource,),
            resource_names=(name,) if name is not None else (),  # "" is a name (policy_compact_test "simple")
        )
        for (group, resource, name), verbs in merged.items()
    ]
    return kept


def compact_string(rule: PolicyRule) -> str:
    """``CompactString``: ``{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}``."""
    parts = [
        f"{label}:{go_list(values)}"
        for label, values in (
            ("APIGroups", rule.api_groups),
            ("Resources", rule.resources),
            ("NonResourceURLs", rule.non_resource_urls),
            ("ResourceNames", rule.resource_names),
            ("Verbs", rule.verbs),
        )
        if values
    ]
    return "{" + ", ".join(parts) + "}"
