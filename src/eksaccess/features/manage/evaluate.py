"""Who is who, and who may do what, on a ClusterState: the engine's answers the safety checks compare.

Every principal named anywhere in the state (access entries, mapRoles, mapUsers, the known creator, plus
any extra ARN asked for) is resolved with :func:`eksaccess.domain.iam.identity.resolve` and authorized with
:class:`eksaccess.domain.authz.authorize.Authorizer` over a fixed **probe set** of requests:

* the admin request: every verb on every resource of every API group, cluster-wide (``* * *``);
* ``get``, ``list``, ``watch``, ``create``, ``update``, ``patch``, ``delete`` on common namespaced
  resources (pods, pods/exec, pods/log, secrets, configmaps, services, serviceaccounts, PVCs, events,
  deployments, daemonsets, statefulsets, jobs, ingresses, roles, rolebindings) in every namespace of the
  state (its Namespace objects, ``default``, ``kube-system``, every namespace an access scope or a
  RoleBinding names; for a trailing-wildcard scope ``dev-*`` a sample namespace ``dev-eksaccess-probe``),
* the same verbs on cluster-scoped resources (namespaces, nodes, clusterroles, clusterrolebindings,
  persistentvolumes), and ``get`` on the non-resource URLs ``/healthz`` and ``/metrics``.

Roles are resolved as a session named like an EC2 instance id, so every username template renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from eksaccess.domain.access import AccessPolicyAssociation, ScopeType
from eksaccess.domain.authz.authorize import Attributes, Authorizer
from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.iam.identity import Caller, Resolution, resolve
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal, principal_key
from eksaccess.domain.state import ClusterState

PROBE_SESSION = "i-0123456789abcdef0"  # an instance id: renders {{EC2PrivateDNSName}} and {{SessionName}}
VERBS: tuple[str, ...] = ("get", "list", "watch", "create", "update", "patch", "delete")
NAMESPACED: tuple[tuple[str, str, str], ...] = (  # (api group, resource, subresource)
    ("", "pods", ""),
    ("", "pods", "exec"),
    ("", "pods", "log"),
    ("", "secrets", ""),
    ("", "configmaps", ""),
    ("", "services", ""),
    ("", "serviceaccounts", ""),
    ("", "persistentvolumeclaims", ""),
    ("", "events", ""),
    ("apps", "deployments", ""),
    ("apps", "daemonsets", ""),
    ("apps", "statefulsets", ""),
    ("batch", "jobs", ""),
    ("networking.k8s.io", "ingresses", ""),
    ("rbac.authorization.k8s.io", "roles", ""),
    ("rbac.authorization.k8s.io", "rolebindings", ""),
)
CLUSTER_SCOPED: tuple[tuple[str, str], ...] = (
    ("", "namespaces"),
    ("", "nodes"),
    ("", "persistentvolumes"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
)
ADMIN_REQUEST = Attributes(verb="*", resource="*", api_group="*")
AWS_AUTH_WRITE = Attributes(verb="update", resource="configmaps", namespace="kube-system", name="aws-auth")
NODE_GROUP = "system:nodes"


def probe_namespaces(state: ClusterState) -> tuple[str, ...]:
    names: dict[str, None] = {"default": None, "kube-system": None}
    for manifest in state.kubernetes:
        meta = manifest.get("metadata") or {}
        if manifest.get("kind") == "Namespace" and meta.get("name"):
            names[str(meta["name"])] = None
        elif meta.get("namespace"):
            names[str(meta["namespace"])] = None
    for entry in state.access_entries():
        for assoc in entry.policies:
            if assoc.scope.type is ScopeType.NAMESPACE:
                for pattern in assoc.scope.namespaces:
                    names[pattern[:-1] + "eksaccess-probe" if pattern.endswith("*") else pattern] = None
    return tuple(names)


def shared_probes(*states: ClusterState) -> tuple[Attributes, ...]:
    """One probe set for comparing states: over the namespaces of all of them."""
    names: dict[str, None] = {}
    for state in states:
        names.update(dict.fromkeys(probe_namespaces(state)))
    return probe_set(names)


def probe_set(namespaces: Iterable[str]) -> tuple[Attributes, ...]:
    probes: list[Attributes] = [ADMIN_REQUEST]
    for namespace in namespaces:
        for group, resource, sub in NAMESPACED:
            probes.extend(
                Attributes(verb=v, resource=resource, subresource=sub, api_group=group, namespace=namespace)
                for v in VERBS
            )
    for group, resource in CLUSTER_SCOPED:
        probes.extend(Attributes(verb=v, resource=resource, api_group=group) for v in VERBS)
    probes.extend(Attributes(verb="get", path=p) for p in ("/healthz", "/metrics"))
    return tuple(probes)


def describe_probe(attrs: Attributes) -> str:
    if attrs is ADMIN_REQUEST or attrs == ADMIN_REQUEST:
        return "cluster-admin (* on */* cluster-wide)"
    return attrs.describe()


@dataclass(frozen=True, kw_only=True, slots=True)
class Identity:
    """What the API server would see: username and groups (system:authenticated included)."""

    username: str
    groups: frozenset[str]


def caller_for(arn: str) -> Caller:
    principal = parse_principal(arn)
    session = PROBE_SESSION if principal.kind is PrincipalKind.ROLE else None
    return Caller(arn=arn, account=principal.account, session_name=session)


class Evaluator:
    """The engine over one ClusterState (RBAC index and aws-auth parsed once)."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.aws_auth: AwsAuth = parse_aws_auth(state.aws_auth)
        self.entries = state.access_entries()

    @cached_property
    def authorizer(self) -> Authorizer:
        return Authorizer.from_manifests(self.state.kubernetes)

    def principals(self) -> dict[str, str]:
        """key -> ARN of every principal the state names (creator included)."""
        found: dict[str, str] = {}
        arns = [e.principal_arn for e in self.entries]
        arns += [r.rolearn for r in self.aws_auth.roles] + [u.userarn for u in self.aws_auth.users]
        if self.state.cluster.creator_arn:
            arns.append(self.state.cluster.creator_arn)
        for arn in arns:
            try:
                principal = parse_principal(arn)
            except InvalidArnError:
                continue
            if principal.kind in (PrincipalKind.ROLE, PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE):
                found.setdefault(principal_key(arn), principal.canonical_arn)
        return found

    def resolve(self, arn: str, caller: Caller | None = None) -> Resolution:
        return resolve(
            mode=self.state.authentication_mode,
            access_entries=self.entries,
            aws_auth=self.aws_auth,
            caller=caller or caller_for(arn),
            creator_arn=self.state.cluster.creator_arn,
        )

    def identity(self, arn: str, caller: Caller | None = None) -> Identity | None:
        found = self.resolve(arn, caller).identity
        return None if found is None else Identity(username=found.username, groups=frozenset(found.groups))

    def allows(self, arn: str, attrs: Attributes, caller: Caller | None = None) -> bool:
        resolution = self.resolve(arn, caller)
        return self._allows(resolution, attrs)

    def permissions(
        self, arn: str, probes: Sequence[Attributes], caller: Caller | None = None
    ) -> frozenset[Attributes]:
        """The requests of ``probes`` the principal may make."""
        resolution = self.resolve(arn, caller)
        return frozenset(attrs for attrs in probes if self._allows(resolution, attrs))

    def _allows(self, resolution: Resolution, attrs: Attributes) -> bool:
        identity = resolution.identity
        if identity is None:
            return False
        policies: Sequence[AccessPolicyAssociation] = (
            resolution.access_entry.policies if resolution.access_entry else ()
        )
        decision = self.authorizer.authorize(
            attrs, username=identity.username, groups=identity.groups, policies=policies, explain=False
        )
        return decision.allowed

    def admins(self) -> set[str]:
        """Keys of the principals allowed the admin request."""
        return {key for key, arn in self.principals().items() if self.allows(arn, ADMIN_REQUEST)}

    def nodes(self) -> set[str]:
        """Keys of the principals whose identity carries system:nodes."""
        found = set()
        for key, arn in self.principals().items():
            identity = self.identity(arn)
            if identity is not None and NODE_GROUP in identity.groups:
                found.add(key)
        return found
