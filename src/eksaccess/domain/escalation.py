"""What the API server checks beyond "may I do this": impersonation headers and RBAC escalation
prevention on role and binding writes (facts/rbac.md 1.5-1.6), decided through the whole authorizer chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eksaccess.domain.authorize import Authorizer, Decision
from eksaccess.domain.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.policy_rules import PolicyAssociationLike, covers
from eksaccess.domain.rbac import RBAC_GROUP, Attributes, PolicyRule

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
    """The checks the impersonation filter makes, in its order (facts/rbac.md 1.6)."""
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


def may_write_role(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    role_kind: str,
    name: str,
    namespace: str,
    rules: Sequence[PolicyRule],
    policies: Sequence[PolicyAssociationLike] = (),
) -> bool:
    """Escalation prevention on Role/ClusterRole writes: system:masters, verb ``escalate`` on the role,
    or the caller already holds every rule (RBAC rules only, as the API server's rule resolver)."""
    if SYSTEM_MASTERS in groups:
        return True
    resource = "roles" if role_kind == "Role" else "clusterroles"
    attrs = Attributes(
        verb="escalate", resource=resource, api_group=RBAC_GROUP, name=name, namespace=namespace
    )
    if authorizer.authorize(
        attrs, username=username, groups=groups, policies=policies, explain=False
    ).allowed:
        return True
    owned, _ = authorizer.index.rules_for(username, groups, namespace)
    return covers(owned, rules)[0]


def may_bind(
    authorizer: Authorizer,
    *,
    username: str,
    groups: Sequence[str],
    role_kind: str,
    role_name: str,
    namespace: str,
    policies: Sequence[PolicyAssociationLike] = (),
) -> bool:
    """Escalation prevention on (Cluster)RoleBinding writes: system:masters, verb ``bind`` on the referenced
    role by name in the binding's namespace ("" for ClusterRoleBindings), or the caller covers the role."""
    if SYSTEM_MASTERS in groups:
        return True
    resource = "roles" if role_kind == "Role" else "clusterroles"
    attrs = Attributes(
        verb="bind", resource=resource, api_group=RBAC_GROUP, name=role_name, namespace=namespace
    )
    if authorizer.authorize(
        attrs, username=username, groups=groups, policies=policies, explain=False
    ).allowed:
        return True
    if role_kind == "Role":
        role = authorizer.index.objects_role(namespace, role_name)
    else:
        role = authorizer.index.cluster_roles.get(role_name)
    if role is None:
        return False
    owned, _ = authorizer.index.rules_for(username, groups, namespace)
    return covers(owned, role.rules)[0]
