"""What every risk check reads: one cluster's state, its authorizer, its principals with their effective
access, and (when known) the IAM side: the trust graph over the accounts whose details were read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksaccess.domain.access import AccessEntry
from eksaccess.domain.arn import InvalidArnError, PrincipalKind, parse_principal
from eksaccess.domain.authorize import Authorizer
from eksaccess.domain.awsauth import AwsAuth
from eksaccess.domain.identity import Caller, KubeIdentity, Resolution, SourceKind
from eksaccess.domain.policy_rules import policy_name_from_arn, scope_text
from eksaccess.domain.rbac import Binding, first_applying_subject
from eksaccess.domain.state import ClusterState
from eksaccess.domain.trust import Chain, IamPrincipal, TrustGraph
from eksaccess.domain.trust import SourceKind as IamKind
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
    source: SourceKind
    via: str  # "access entry", "aws-auth mapRoles[2]", "cluster creator", "not mapped (...)"
    identity: KubeIdentity | None
    access: Access
    policies: tuple[str, ...] = ()  # "AmazonEKSEditPolicy (namespaces dev)"
    bindings: tuple[Binding, ...] = ()
    entry: AccessEntry | None = None
    reachable_by: tuple[Chain, ...] = ()
    labels: Mapping[int, tuple[str, str]] = field(default_factory=dict)  # binding order -> its names, shared

    @property
    def level(self) -> AccessLevel:
        return self.access.level

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    def users(self) -> list[str]:
        """IAM users that are this principal or can reach it."""
        own = [self.principal_arn] if self.kind == "user" else []
        return own + [c.source for c in self.reachable_by if c.kind is IamKind.USER]

    def _bindings_json(self) -> list[dict[str, str]]:
        identity = self.identity
        if identity is None:
            return []
        groups = frozenset(identity.groups) - {IMPLICIT_GROUP}
        out = []
        for binding in self.bindings:
            subject = next(
                (
                    s
                    for s in binding.subjects
                    if (s.kind == "Group" and s.name in groups)
                    or (s.kind == "User" and s.name == identity.username)
                ),
                None,
            ) or first_applying_subject(binding, identity.username, tuple(groups))
            if subject is None:
                continue  # bound only through system:authenticated, like every identity
            label = self.labels.get(binding.order)
            if label is None:
                label = (binding.describe(), f'{binding.role_ref.kind} "{binding.role_ref.name}"')
            out.append(
                {"binding": label[0], "role": label[1], "subjectKind": subject.kind, "subject": subject.name}
            )
        return out

    def to_json(self) -> dict[str, Any]:
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
            "bindings": self._bindings_json(),
            "reachableBy": [c.to_json() for c in self.reachable_by],
        }


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
    if state.cluster.creatorArn:
        arns.append(state.cluster.creatorArn)
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
    if resolution.source.kind is SourceKind.ACCESS_ENTRY:
        return "access entry"
    return str(resolution.source)


def build_report(
    levels: LevelIndex,
    resolution: Resolution,
    arn: str,
    kind: str,
    graph: TrustGraph | None,
    labels: Mapping[int, tuple[str, str]] | None = None,
) -> PrincipalReport:
    identity = resolution.identity
    entry = resolution.access_entry
    policies = entry.policies if entry is not None else ()
    access = NO_ACCESS
    bindings: tuple[Binding, ...] = ()
    if identity is not None:
        index = levels.authorizer.index
        crbs = index.bindings_for(identity.username, identity.groups, "")
        rbs = index.role_bindings_elsewhere(identity.username, identity.groups, "")
        access = levels.access(
            username=identity.username, groups=identity.groups, policies=policies, bindings=(crbs, rbs)
        )
        bindings = (*crbs, *rbs)
    reach: tuple[Chain, ...] = ()
    if graph is not None and kind == "role":
        reach = tuple(graph.reachers(arn))
    elif graph is not None and kind == "account":
        account = arn.split(":")[4]
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
        policies=tuple(f"{policy_name_from_arn(p.policy_arn)} ({scope_text(p.scope)})" for p in policies),
        bindings=bindings,
        entry=entry,
        reachable_by=reach,
        labels=labels or {},
    )


def gather(directory: Directory, authorizer: Authorizer, graph: TrustGraph | None) -> list[PrincipalReport]:
    """Every principal the state names, resolved as EKS would (``directory``: per principal, only its own
    bucket of mappings is looked at), with its effective access."""
    state = directory.state
    levels = LevelIndex(authorizer)
    labels = {
        b.order: (b.describe(), f'{b.role_ref.kind} "{b.role_ref.name}"')
        for b in authorizer.index.objects.bindings
    }
    out: list[PrincipalReport] = []
    seen: set[str] = set()
    for reported, arn in candidates(state, directory.aws_auth):
        caller = _caller(arn)
        if caller is None:
            continue
        resolution = directory.resolve(caller)
        account_row = reported != arn
        if account_row and resolution.source.kind is not SourceKind.MAP_ACCOUNTS:
            continue
        key = reported if account_row else resolution.principal_arn.lower()
        if key in seen:
            continue
        seen.add(key)
        kind = "account" if account_row else str(parse_principal(arn).kind)
        out.append(build_report(levels, resolution, reported, kind, graph, labels))
    return out


def cluster_admin_users(principals: Sequence[PrincipalReport]) -> list[str]:
    return sorted({u for p in principals if p.level is AccessLevel.CLUSTER_ADMIN for u in p.users()})
