"""What every risk check reads: one cluster's state, its authorizer, its principals with their effective
access, and (when known) the IAM side: the trust graph over the accounts whose details were read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eksaccess.domain.access import AccessEntry
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.policy_rules import association_text
from eksaccess.domain.authz.rbac import Binding
from eksaccess.domain.awsauth.reader import AwsAuth
from eksaccess.domain.iam.identity import Caller, KubeIdentity, MappingKind, Resolution
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, arn_account, parse_principal
from eksaccess.domain.iam.trust import Chain, IamPrincipal, TrustGraph
from eksaccess.domain.iam.trust import TrustSourceKind as IamKind
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.levels import NO_ACCESS, Access, AccessLevel, LevelIndex
from eksaccess.features.analyze.who_can import Directory

REPRESENTATIVE_SESSION = "eksaccess-audit"
ANY_PRINCIPAL_ROLE = "eksaccess-any-principal"
IMPLICIT_GROUP = "system:authenticated"  # its default bindings (discovery, basic-user) are left out of JSON
DEFAULT_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalReport:
    arn: str  # as the cluster names it (an access entry's ARN keeps its path); mapAccounts: ...:iam::A:*
    principal_arn: str  # canonical (what mapping compares)
    kind: str  # user, role, account
    source: MappingKind
    via: str  # "access entry", "aws-auth mapRoles[2]", "cluster creator", "not mapped (...)"
    identity: KubeIdentity | None
    access: Access
    policies: tuple[str, ...] = ()  # "AmazonEKSEditPolicy (namespaces dev)"
    bindings: tuple[Binding, ...] = ()  # every binding that applies to the identity
    user_bindings: tuple[Binding, ...] = ()  # those naming its username (User or ServiceAccount subject)
    entry: AccessEntry | None = None
    reachable_by: tuple[Chain, ...] = ()

    @property
    def level(self) -> AccessLevel:
        return self.access.level

    @property
    def account(self) -> str:
        return arn_account(self.arn)

    def users(self) -> list[str]:
        """IAM users that are this principal or can reach it."""
        own = [self.principal_arn] if self.kind == "user" else []
        return own + [c.source for c in self.reachable_by if c.kind is IamKind.USER]

    def to_json(self) -> dict[str, Any]:
        """Bindings by name only: the username's own here, the groups' in the cluster's ``groupBindings``,
        and each binding's role in the cluster's ``bindings`` (a group shared by thousands of principals
        is written once, not once per principal)."""
        identity = self.identity
        return {
            "arn": self.arn,
            "principalArn": self.principal_arn,
            "kind": self.kind,
            "source": str(self.source),
            "via": self.via,
            "username": identity.username if identity else None,
            "groups": list(identity.groups) if identity else [],
            **self.access.to_json(),
            "accessPolicies": list(self.policies),
            "userBindings": [b.describe() for b in self.user_bindings],
            "reachableBy": [c.to_json() for c in self.reachable_by],
        }


def binding_tables(principals: Sequence[PrincipalReport]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(binding name -> its role, group -> the bindings naming it) over the bindings the principals hold,
    for every group some principal has (``system:authenticated`` left out, as every identity has it)."""
    held = {g for p in principals if p.identity is not None for g in p.identity.groups} - {IMPLICIT_GROUP}
    found: dict[int, Binding] = {}
    for p in principals:
        for binding in p.bindings:
            found.setdefault(binding.order, binding)
        for binding in p.user_bindings:
            found.setdefault(binding.order, binding)
    users = {b.order for p in principals for b in p.user_bindings}
    roles: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for order in sorted(found):
        binding = found[order]
        name = binding.describe()
        named = [s.name for s in binding.subjects if s.kind == "Group" and s.name in held]
        for group in dict.fromkeys(named):
            groups.setdefault(group, []).append(name)
        if named or order in users:
            roles[name] = f'{binding.role_ref.kind} "{binding.role_ref.name}"'
    return roles, {g: groups[g] for g in sorted(groups)}


@dataclass(kw_only=True)
class AuditContext:
    state: ClusterState
    authorizer: Authorizer
    principals: list[PrincipalReport]
    aws_auth: AwsAuth
    graph: TrustGraph | None = None  # None: IAM not read
    iam_accounts: frozenset[str] = frozenset()  # accounts whose IAM details the graph holds
    notes: list[str] = field(default_factory=list)

    @property
    def namespaces(self) -> frozenset[str] | None:
        """Namespaces of the cluster, or None when the state lists none (not captured)."""
        names = {
            str((m.get("metadata") or {}).get("name"))
            for m in self.state.kubernetes
            if m.get("kind") == "Namespace" and m.get("apiVersion") == "v1"
        }
        return frozenset(names | DEFAULT_NAMESPACES) if names else None

    def iam_principal(self, arn: str) -> IamPrincipal | None:
        return self.graph.principal(arn) if self.graph is not None else None

    def knows_account(self, account: str) -> bool:
        return self.graph is not None and account in self.iam_accounts


def _caller(arn: str) -> Caller | None:
    try:
        principal = parse_principal(arn)
    except InvalidArnError:
        return None
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
        return None
    session = REPRESENTATIVE_SESSION if principal.kind is PrincipalKind.ROLE else None
    return Caller(arn=arn, session_name=session, account=principal.account)


def candidates(state: ClusterState, aws_auth: AwsAuth) -> list[tuple[str, str]]:
    """(reported ARN, caller ARN) for every principal the state names, in a stable order."""
    arns = [e.principal_arn for e in state.access_entries()]
    arns += [m.rolearn for m in aws_auth.roles] + [m.userarn for m in aws_auth.users]
    if state.cluster.creator_arn:
        arns.append(state.cluster.creator_arn)
    pairs = [(a, a) for a in dict.fromkeys(arns)]
    partition = state.partition
    pairs += [
        (f"arn:{partition}:iam::{acct}:*", f"arn:{partition}:iam::{acct}:role/{ANY_PRINCIPAL_ROLE}")
        for acct in aws_auth.accounts
    ]
    return pairs


def _via(resolution: Resolution) -> str:
    if resolution.identity is None:
        reason = resolution.near_misses[0].reason if resolution.near_misses else "no mapping applies"
        return f"not mapped ({reason})"
    if resolution.source.kind is MappingKind.ACCESS_ENTRY:
        return "access entry"
    return str(resolution.source)


def build_report(
    levels: LevelIndex,
    resolution: Resolution,
    arn: str,
    kind: str,
    graph: TrustGraph | None,
) -> PrincipalReport:
    identity = resolution.identity
    entry = resolution.access_entry
    policies = entry.policies if entry is not None else ()
    access = NO_ACCESS
    bindings: tuple[Binding, ...] = ()
    user_bindings: tuple[Binding, ...] = ()
    if identity is not None:
        index = levels.authorizer.index
        crbs = index.bindings_for(identity.username, identity.groups, "")
        rbs = index.role_bindings_elsewhere(identity.username, identity.groups, "")
        access = levels.access(
            username=identity.username, groups=identity.groups, policies=policies, bindings=(crbs, rbs)
        )
        bindings = (*crbs, *rbs)
        user_bindings = (
            *index.bindings_for(identity.username, (), ""),
            *index.role_bindings_elsewhere(identity.username, (), ""),
        )
    reach: tuple[Chain, ...] = ()
    if graph is not None and kind == "role":
        reach = tuple(graph.reachers(arn))
    elif graph is not None and kind == "account":
        account = arn_account(arn)
        reach = tuple(
            Chain(arns=(p.arn,), kind=p.kind) for p in graph.principals.values() if p.account == account
        )
    return PrincipalReport(
        arn=arn,
        principal_arn=resolution.principal_arn if kind != "account" else arn,
        kind=kind,
        source=resolution.source.kind,
        via=_via(resolution),
        identity=identity,
        access=access,
        policies=tuple(association_text(p) for p in policies),
        bindings=bindings,
        user_bindings=user_bindings,
        entry=entry,
        reachable_by=reach,
    )


def gather(directory: Directory, authorizer: Authorizer, graph: TrustGraph | None) -> list[PrincipalReport]:
    """Every principal the state names, resolved as EKS would (``directory``: per principal, only its own
    bucket of mappings is looked at), with its effective access."""
    state = directory.state
    levels = LevelIndex(authorizer)
    out: list[PrincipalReport] = []
    seen: set[str] = set()
    for reported, arn in candidates(state, directory.aws_auth):
        caller = _caller(arn)
        if caller is None:
            continue
        resolution = directory.resolve(caller)
        account_row = reported != arn
        if account_row and resolution.source.kind is not MappingKind.MAP_ACCOUNTS:
            continue
        key = reported if account_row else resolution.principal_arn.lower()
        if key in seen:
            continue
        seen.add(key)
        kind = "account" if account_row else str(parse_principal(arn).kind)
        out.append(build_report(levels, resolution, reported, kind, graph))
    return out


def cluster_admin_users(principals: Sequence[PrincipalReport]) -> list[str]:
    return sorted({u for p in principals if p.level is AccessLevel.CLUSTER_ADMIN for u in p.users()})
