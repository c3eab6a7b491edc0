"""The smallest access that allows a denied request: the candidates from least to most privilege (view, edit,
admin, cluster-admin; a namespace scope before the cluster scope), each run through the same authorizer the
analysis uses, the first that allows the request wins.

An access entry gets an EKS access policy (its existing scope of that policy widened, never replaced); an
identity mapped by aws-auth gets the ClusterRole that ``grant --via aws-auth`` binds for that policy (view,
edit, admin by a RoleBinding or ClusterRoleBinding, cluster-admin as system:masters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eksaccess.domain.access import CLUSTER_SCOPE, AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.access_policies import CLUSTER_ADMIN, known_policy, policy_arn, policy_name
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.policy_rules import first_allowing_rule
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.iam.identity import KubeIdentity

LADDER = ("AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy")


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyGrant:
    policy: str  # the access policy's name (AmazonEKSEditPolicy)
    short: str  # its short name (edit), as ``eksaccess grant --policy`` takes it
    namespaces: tuple[str, ...] = ()  # () = cluster-wide

    @property
    def cluster_admin(self) -> bool:
        return self.policy == CLUSTER_ADMIN

    def describe(self) -> str:
        where = f"in {', '.join(self.namespaces)}" if self.namespaces else "cluster-wide"
        return f"{self.short} {where}"


def candidates(namespace: str) -> list[PolicyGrant]:
    """From least to most privilege; a namespace scope only for a namespaced request."""
    out: list[PolicyGrant] = []
    for name in LADDER:
        short = _short(name)
        if namespace:
            out.append(PolicyGrant(policy=name, short=short, namespaces=(namespace,)))
        out.append(PolicyGrant(policy=name, short=short))
    out.append(PolicyGrant(policy=CLUSTER_ADMIN, short=_short(CLUSTER_ADMIN)))
    return out


def _short(name: str) -> str:
    managed = known_policy(name)
    return (managed.short_name if managed else None) or name


def for_access_entry(
    request: Attributes,
    identity: KubeIdentity,
    policies: Sequence[AccessPolicyAssociation],
    authorizer: Authorizer | None,
    principal_arn: str,
    partition: str,
) -> PolicyGrant:
    """The smallest access policy association that, added to the entry's, allows the request."""
    judge = authorizer or Authorizer.from_manifests([])
    for candidate in candidates(request.namespace):
        merged = _merged(candidate, policies, partition)
        if merged is None:
            continue
        access, association = merged
        others = [p for p in policies if policy_name(p.policy_arn) != candidate.policy]
        decision = judge.authorize(
            request,
            username=identity.username,
            groups=identity.groups,
            policies=[*others, association],
            principal_arn=principal_arn,
            explain=False,
        )
        if decision.allowed:
            return access
    return PolicyGrant(policy=CLUSTER_ADMIN, short=_short(CLUSTER_ADMIN))


def _merged(
    candidate: PolicyGrant, policies: Sequence[AccessPolicyAssociation], partition: str
) -> tuple[PolicyGrant, AccessPolicyAssociation] | None:
    """The candidate as it would be associated: EKS replaces a policy's scope on a new association, so the
    namespaces it already covers are kept. None: the entry has the policy cluster-wide already."""
    same = [p for p in policies if policy_name(p.policy_arn) == candidate.policy]
    namespaces = candidate.namespaces
    if same and same[0].scope.type is ScopeType.CLUSTER:
        return None
    if namespaces and same:
        namespaces = tuple(sorted({*same[0].scope.namespaces, *namespaces}))
    scope = AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces) if namespaces else CLUSTER_SCOPE
    access = PolicyGrant(policy=candidate.policy, short=candidate.short, namespaces=namespaces)
    return access, AccessPolicyAssociation(policy_arn=policy_arn(candidate.policy, partition), scope=scope)


def for_aws_auth(request: Attributes, authorizer: Authorizer | None) -> PolicyGrant:
    """The smallest ClusterRole that, bound to a group of the identity, allows the request."""
    roles = (authorizer or Authorizer.from_manifests([])).index.cluster_roles
    for candidate in candidates(request.namespace):
        if candidate.cluster_admin:
            break
        managed = known_policy(candidate.policy)
        role = roles.get(managed.kubernetes_role or "") if managed else None
        if role is None or first_allowing_rule(role.rules, request) is None:
            continue
        if not candidate.namespaces or request.namespace in candidate.namespaces:
            return candidate
    return PolicyGrant(policy=CLUSTER_ADMIN, short=_short(CLUSTER_ADMIN))
