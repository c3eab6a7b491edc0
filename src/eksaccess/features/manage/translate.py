"""From "this principal should have these policies" to what each mechanism can hold.

Access entries hold access policies directly. aws-auth rows hold only a username and groups, so a policy
becomes a group (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html): ``cluster-admin`` at cluster scope is ``system:masters``;
``admin``, ``edit`` and ``view`` become a group bound to the upstream ClusterRole of that name, by a
ClusterRoleBinding (cluster scope) or a RoleBinding per namespace, each named ``eksaccess:<group>``; that
role grants somewhat more than AWS's table for the policy (the notice says so). Policies with no
Kubernetes equivalent, and wildcard namespaces, cannot be expressed in aws-auth and are refused.

ARNs are corrected to the form the mechanism matches: an STS assumed-role ARN becomes its role ARN, a
role path is removed for aws-auth; for an access entry the role's real (pathed) ARN is looked up when a
lookup is available, and an ARN whose path cannot be known is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.access import (
    NODE_ROWS,
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    EntryType,
    ScopeType,
    default_username,
)
from eksaccess.domain.authz.access_policies import CLUSTER_ADMIN, known_policy, policy_name
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.domain.names import validate_namespace
from eksaccess.errors import InputError
from eksaccess.features.manage.via import Via

MASTERS = "system:masters"
GROUP_PREFIX = "eksaccess:"
RBAC_API = "rbac.authorization.k8s.io"
MANAGED_BY = {"app.kubernetes.io/managed-by": "eksaccess"}

RoleLookup = Callable[[str], str | None]  # role name -> its IAM ARN (with path), None when unknown


@dataclass(frozen=True, kw_only=True, slots=True)
class GroupGrant:
    """One policy expressed in aws-auth: a group, and the binding that gives it the role (None for masters)."""

    group: str
    binding: dict[str, Any] | None
    notice: str


# AWS's tables for the Admin, Edit and View policies leave out some rules of today's upstream ClusterRoles
# (e.g. Edit: pods/eviction, serviceaccounts/token, leases; View: resource.k8s.io): the group gets more.
_MORE = " (that ClusterRole grants somewhat more than the access policy: AWS's table leaves out some of its rules)"


def policy_group(assoc: AccessPolicyAssociation) -> list[GroupGrant]:
    """The aws-auth groups (and RBAC bindings) equivalent to one access policy association."""
    name = policy_name(assoc.policy_arn)
    managed = known_policy(assoc.policy_arn)
    role = managed.kubernetes_role if managed else None
    if role is None:
        raise InputError(
            f"access policy {name} has no Kubernetes equivalent and cannot be expressed in aws-auth; "
            "grant it through an access entry (--via access-entry)"
        )
    if assoc.scope.type is ScopeType.CLUSTER:
        if name == CLUSTER_ADMIN:
            notice = f"{name} -> group {MASTERS} (cluster-admin through the group, outside any access policy)"
            return [GroupGrant(group=MASTERS, binding=None, notice=notice)]
        group = f"{GROUP_PREFIX}{role}"
        binding = cluster_role_binding(group, role)
        notice = f"{name} -> group {group}, bound to ClusterRole {role} by ClusterRoleBinding {group}{_MORE}"
        return [GroupGrant(group=group, binding=binding, notice=notice)]
    grants = []
    for namespace in assoc.scope.namespaces:
        if "*" in namespace:
            raise InputError(
                f"namespace {namespace!r}: aws-auth groups are bound per namespace by RoleBindings, which "
                "cannot match a wildcard; list the namespaces, or use an access entry"
            )
        group = f"{GROUP_PREFIX}{role}:{namespace}"
        binding = role_binding(group, role, namespace)
        notice = f"{name} in {namespace} -> group {group}, bound to ClusterRole {role} by RoleBinding {group}{_MORE}"
        grants.append(GroupGrant(group=group, binding=binding, notice=notice))
    return grants


def groups_for_policy(policy_arn: str) -> tuple[str, ...]:
    """Every aws-auth group eksaccess uses for this policy, whatever the scope (for revoke)."""
    name = policy_name(policy_arn)
    managed = known_policy(policy_arn)
    if managed is None or managed.kubernetes_role is None:
        return ()
    prefix = f"{GROUP_PREFIX}{managed.kubernetes_role}"
    return (MASTERS, prefix) if name == CLUSTER_ADMIN else (prefix,)


def group_matches_policy(group: str, policy_arn: str) -> bool:
    for base in groups_for_policy(policy_arn):
        if group == base or (base != MASTERS and group.startswith(base + ":")):
            return True
    return False


def cluster_role_binding(group: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_API}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": group, "labels": dict(MANAGED_BY)},
        "roleRef": {"apiGroup": RBAC_API, "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": RBAC_API, "kind": "Group", "name": group}],
    }


def role_binding(group: str, role: str, namespace: str) -> dict[str, Any]:
    binding = cluster_role_binding(group, role)
    binding["kind"] = "RoleBinding"
    binding["metadata"]["namespace"] = namespace
    return binding


def node_row(entry_type: EntryType) -> tuple[str, tuple[str, ...]]:
    """The aws-auth row (username, groups) of a node-type principal."""
    found = NODE_ROWS.get(entry_type)
    if found is None:
        raise InputError(f"an entry of type {entry_type} has no aws-auth equivalent; use an access entry")
    return found


def default_aws_auth_username(arn: str) -> str:
    """The username a new aws-auth row gets when none is given: the one EKS gives an access entry."""
    return default_username(AccessEntry(principal_arn=parse_principal(arn).pathless_arn))


@dataclass(frozen=True, kw_only=True, slots=True)
class Corrected:
    arn: str
    notice: str | None


def correct_arn(arn: str, via: Via, lookup: RoleLookup | None = None) -> Corrected:
    """The ARN the mechanism can match, with a notice when it differs from what was given."""
    principal = parse_principal(arn)
    kind = principal.kind
    if kind not in (PrincipalKind.ROLE, PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE):
        raise InputError(f"{arn} is an IAM {kind}; access is granted to IAM roles and users")
    if via is Via.AWS_AUTH:
        fixed = principal.mapping_arn
        if fixed == principal.arn:
            return Corrected(arn=fixed, notice=None)
        why = (
            "an STS assumed-role ARN never matches"
            if principal.is_assumed_role
            else "aws-auth compares path-less role ARNs"
        )
        return Corrected(arn=fixed, notice=f"using {fixed} instead of {arn}: {why}")
    if kind is not PrincipalKind.ASSUMED_ROLE:
        return Corrected(arn=principal.arn, notice=None)
    real = lookup(principal.name) if lookup else None
    if real is None:
        raise InputError(
            f"{arn} is an STS session, not a principal; an access entry needs the role's IAM ARN with its "
            f"path (arn:{principal.partition}:iam::{principal.account}:role/PATH/{principal.name}), which "
            "could not be looked up: pass the role ARN"
        )
    return Corrected(arn=real, notice=f"using the role ARN {real} instead of the session ARN {arn}")


def scope_of(namespaces: tuple[str, ...] | list[str]) -> AccessScope:
    """Cluster scope, or these namespaces (DNS-1123 names; an access scope may end one with ``*``)."""
    for namespace in namespaces:
        validate_namespace(namespace, wildcard=True)
    if namespaces:
        return AccessScope(type=ScopeType.NAMESPACE, namespaces=tuple(dict.fromkeys(namespaces)))
    return AccessScope(type=ScopeType.CLUSTER)
