"""who-can: which IAM principals (and which Kubernetes subjects no principal maps to) can do VERB on
RESOURCE, each with its path: access entry + policy, aws-auth row -> group -> binding, or cluster creator.

The principals are the ones the state knows: access entries, aws-auth mapRoles and mapUsers, the cluster
creator, and IAM ARNs named as User subjects of bindings that grant the request. Roles are resolved with
a representative session name. mapAccounts is reported once per account, as "any principal of account X".

``who_can`` evaluates the request once for the cluster (the bindings that allow it, indexed by subject;
each access policy and scope once), resolves each principal once per ``Directory`` and looks only at the
principals a grant can reach; ``who_can_per_principal`` walks the whole chain for every principal and is
the reference it is tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field, replace

from eksaccess.domain.access import AccessEntry
from eksaccess.domain.authz.authorize import Authorizer, Reason, masters_reason, rbac_reason
from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.authz.index import RbacGrant, RequestGrants
from eksaccess.domain.authz.rbac import Authority, SubjectKind, service_account_username
from eksaccess.domain.awsauth.reader import AwsAuth, RoleMapping, UserMapping, parse_aws_auth
from eksaccess.domain.iam.identity import Caller, MappingKind, Resolution, resolve_as_analysis
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal, principal_key
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.can_i import Request, authorizer_for, evaluate, policies_of

REPRESENTATIVE_SESSION = "eksaccess-who-can"
ANY_PRINCIPAL_ROLE = "eksaccess-any-principal"


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalAccess:
    arn: str  # the IAM principal (for mapAccounts: arn:P:iam::ACCOUNT:*)
    via: str  # one line: how the principal gets there
    username: str
    groups: tuple[str, ...]
    source: MappingKind
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class SubjectAccess:
    """A Kubernetes subject that is allowed but that no IAM principal of the state maps to."""

    kind: str
    name: str
    namespace: str = ""
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class WhoCanResult:
    request: Request
    principals: tuple[PrincipalAccess, ...]
    subjects: tuple[SubjectAccess, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


class Directory:
    """The state's identity sources, bucketed per principal so resolving one principal does not scan
    every access entry and aws-auth row (resolution within a bucket is H2's ``resolve``, unchanged).
    Each principal ARN is resolved once (``resolve_arn`` is memoized): the state does not change."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.entries = state.access_entries()
        self.aws_auth = parse_aws_auth(state.aws_auth)
        self._entries: dict[str, list[AccessEntry]] = defaultdict(list)
        self._roles: dict[str, list[RoleMapping]] = defaultdict(list)
        self._users: dict[str, list[UserMapping]] = defaultdict(list)
        self._resolved: dict[str, Resolution | None] = {}
        self._known: KnownPrincipals | None = None
        for entry in self.entries:
            self._entries[principal_key(entry.principal_arn)].append(entry)
        for role in self.aws_auth.roles:
            self._roles[principal_key(role.rolearn)].append(role)
        for user in self.aws_auth.users:
            self._users[principal_key(user.userarn)].append(user)
        arns = [entry.principal_arn for entry in self.entries]
        arns += [m.rolearn for m in self.aws_auth.roles] + [m.userarn for m in self.aws_auth.users]
        if state.cluster.creator_arn:
            arns.append(state.cluster.creator_arn)
        self.known_arns: tuple[str, ...] = tuple(dict.fromkeys(arns))

    def resolve(self, caller: Caller) -> Resolution:
        key = principal_key(caller.arn)
        aws_auth: AwsAuth = replace(
            self.aws_auth, roles=tuple(self._roles.get(key, ())), users=tuple(self._users.get(key, ()))
        )
        return resolve_as_analysis(
            mode=self.state.authentication_mode,
            access_entries=tuple(self._entries.get(key, ())),
            aws_auth=aws_auth,
            caller=caller,
            creator_arn=self.state.cluster.creator_arn,
        )

    def resolve_arn(self, arn: str) -> Resolution | None:
        """The principal resolved as who-can asks it (roles with a representative session); None for a
        string that is not a principal ARN. Memoized."""
        if arn not in self._resolved:
            caller = _caller(arn)
            self._resolved[arn] = self.resolve(caller) if caller is not None else None
        return self._resolved[arn]

    def warm(self) -> None:
        """Resolve every principal the state names now rather than on the first who-can."""
        self.known()
        for _, representative in _account_candidates(self):
            self.resolve_arn(representative)

    def known(self) -> KnownPrincipals:
        """The state's principals resolved, with their usernames and groups indexed (built once)."""
        if self._known is None:
            self._known = KnownPrincipals(self.known_arns, self.resolve_arn)
        return self._known


class KnownPrincipals:
    """The principals the state names, each resolved once, the first of each IAM principal kept (in the
    state's order), indexed by username and group; ``always`` lists the ones who-can must look at
    whatever the request: system:masters members and access entries with access policies."""

    def __init__(self, arns: Sequence[str], resolve_arn: Callable[[str], Resolution | None]) -> None:
        self.arns = frozenset(arns)
        self.principals: list[Resolution] = []
        self.seen: set[str] = set()
        self.by_username: dict[str, list[int]] = defaultdict(list)
        self.by_group: dict[str, list[int]] = defaultdict(list)
        self.always: list[int] = []
        identities: list[tuple[str, tuple[str, ...]]] = []
        for arn in arns:
            resolution = resolve_arn(arn)
            if not _first_sighting(resolution, self.seen, identities):
                continue
            assert resolution is not None
            position = len(self.principals)
            self.principals.append(resolution)
            username, groups = identities[-1]
            self.by_username[username].append(position)
            for group in groups:
                self.by_group[group].append(position)
            if SYSTEM_MASTERS in groups or policies_of(resolution):
                self.always.append(position)
        self.usernames = set(self.by_username)
        self.groups = set(self.by_group)


def _candidates(directory: Directory, grants: Iterable[RbacGrant]) -> list[str]:
    """Every principal ARN the state names, in a stable order, without duplicates; also User subjects of
    the grants, which may not be ARNs (``resolve_arn`` gives None for those)."""
    arns = list(directory.known_arns)
    arns += [g.subject.name for g in grants if g.subject.kind == SubjectKind.USER]
    return list(dict.fromkeys(arns))


def _caller(arn: str) -> Caller | None:
    try:
        principal = parse_principal(arn)
    except InvalidArnError:
        return None  # an aws-auth row with a malformed ARN never authenticates anyone
    session = REPRESENTATIVE_SESSION if principal.kind is PrincipalKind.ROLE else None
    return Caller(arn=arn, session_name=session, account=principal.account)


def _reason_path(reason: Reason) -> str:
    if reason.authority is Authority.ACCESS_POLICY:
        return f"access policy {reason.policy_arn.rsplit('/', 1)[-1]} ({reason.scope})"
    if reason.authority is Authority.PRIVILEGED_GROUP:
        return f'Group "{SYSTEM_MASTERS}" (allowed before any authorizer)'
    return f"{reason.subject} -> {reason.binding} -> {reason.role}"


def via_text(resolution: Resolution, reason: Reason) -> str:
    source = resolution.source
    if source.kind is MappingKind.ACCESS_ENTRY:
        head = "access entry"
    elif source.kind is MappingKind.CLUSTER_CREATOR:
        head = "cluster creator"
    elif source.kind is MappingKind.MAP_ACCOUNTS:
        head = "aws-auth mapAccounts"
    else:
        head = f"aws-auth {source.kind}[{source.index}]"
    return f"{head} -> {_reason_path(reason)}"


def _account_candidates(directory: Directory) -> list[tuple[str, str]]:
    """(reported ARN, representative caller ARN) per mapAccounts account."""
    partition = directory.state.partition
    return [
        (f"arn:{partition}:iam::{account}:*", f"arn:{partition}:iam::{account}:role/{ANY_PRINCIPAL_ROLE}")
        for account in directory.aws_auth.accounts
    ]


def who_can(
    state: ClusterState,
    request: Request,
    *,
    authorizer: Authorizer | None = None,
    directory: Directory | None = None,
) -> WhoCanResult:
    """Evaluate every principal the state knows; ``authorizer`` and ``directory`` may be reused across calls
    on the same state. Warm (both reused), the request is evaluated once for the cluster and only the
    principals whose username, a group, system:masters or an access policy can matter are looked at.
    Answers exactly as ``who_can_per_principal``."""
    authz = authorizer or authorizer_for(state)
    directory = directory or Directory(state)
    prepared = authz.prepare(request.attrs)

    def decide(resolution: Resolution) -> tuple[Reason, ...]:
        identity = resolution.identity
        entry = resolution.access_entry
        if identity is None:
            return ()
        return prepared.reasons(
            username=identity.username,
            groups=identity.groups,
            policies=policies_of(resolution),
            principal_arn=entry.principal_arn if entry is not None else "",
        )

    known = directory.known()
    table = prepared.grants
    principals: list[PrincipalAccess] = []
    for position in _looked_at(known, table):
        resolution = known.principals[position]
        if reasons := decide(resolution):
            principals.append(_access(resolution.principal_arn, resolution, reasons))
    extra = [
        (name, name)
        for name in dict.fromkeys(
            g.subject.name for g in table.subject_grants if g.subject.kind == SubjectKind.USER
        )
        if name not in known.arns
    ]
    seen = set(known.seen)
    identities: list[tuple[str, tuple[str, ...]]] = []
    for reported, arn in extra + _account_candidates(directory):
        found = directory.resolve_arn(arn)
        if not _first_sighting(found, seen, identities):
            continue
        assert found is not None
        if reported != arn and found.source.kind is not MappingKind.MAP_ACCOUNTS:
            continue  # the representative principal is mapped some other way: not about the account
        if reasons := decide(found):
            principals.append(_access(reported if reported != arn else found.principal_arn, found, reasons))
    usernames = known.usernames | {username for username, _ in identities}
    groups = known.groups | {group for _, these in identities for group in these}
    subjects = _unmapped_subjects(table.subject_grants, usernames, groups)
    return WhoCanResult(request=request, principals=tuple(principals), subjects=subjects, notes=request.notes)


def _looked_at(known: KnownPrincipals, table: RequestGrants) -> list[int]:
    """Positions of the known principals the request may allow: a username or group some allowing binding
    names, system:masters members, access entries with access policies. Every other one is denied."""
    hits = set(known.always)
    for names, index in ((table.usernames, known.by_username), (table.groups, known.by_group)):
        small, large = (names, index) if len(names) < len(index) else (index, names)
        for name in small:
            if name in large:
                hits.update(index[name])
    return sorted(hits)


def who_can_per_principal(
    state: ClusterState,
    request: Request,
    *,
    authorizer: Authorizer | None = None,
    directory: Directory | None = None,
) -> WhoCanResult:
    """The straightforward who-can: every principal in turn, the whole authorizer chain (``evaluate``) for
    each. Kept as the reference ``who_can`` is checked and measured against."""
    authz = authorizer or authorizer_for(state)
    directory = directory or Directory(state)
    attrs = request.attrs
    grants = authz.who_can(attrs)
    principals: list[PrincipalAccess] = []
    identities: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for reported, arn in [(a, a) for a in _candidates(directory, grants)] + _account_candidates(directory):
        resolution = directory.resolve_arn(arn)
        if not _first_sighting(resolution, seen, identities):
            continue
        assert resolution is not None
        if reported != arn and resolution.source.kind is not MappingKind.MAP_ACCOUNTS:
            continue  # the representative principal is mapped some other way: not about the account
        if not evaluate(authz, resolution, request, explain=False).allowed:
            continue
        decision = evaluate(authz, resolution, request).decision  # every reason, for the path and report
        if decision is not None:
            principals.append(
                _access(
                    reported if reported != arn else resolution.principal_arn, resolution, decision.reasons
                )
            )
    usernames = {username for username, _ in identities}
    groups = {group for _, these in identities for group in these}
    subjects = _unmapped_subjects(grants, usernames, groups)
    return WhoCanResult(request=request, principals=tuple(principals), subjects=subjects, notes=request.notes)


def _first_sighting(
    resolution: Resolution | None, seen: set[str], identities: list[tuple[str, tuple[str, ...]]]
) -> bool:
    """Whether the resolution authenticates a principal not seen yet (then it is recorded as seen)."""
    if resolution is None or resolution.identity is None or resolution.principal_arn in seen:
        return False
    seen.add(resolution.principal_arn)
    identities.append((resolution.identity.username, resolution.identity.groups))
    return True


def _access(arn: str, resolution: Resolution, reasons: tuple[Reason, ...]) -> PrincipalAccess:
    identity = resolution.identity
    assert identity is not None
    return PrincipalAccess(
        arn=arn,
        via=via_text(resolution, reasons[0]),
        username=identity.username,
        groups=identity.groups,
        source=resolution.source.kind,
        reasons=reasons,
    )


def _unmapped_subjects(
    grants: Iterable[RbacGrant], usernames: Set[str], groups: Set[str]
) -> tuple[SubjectAccess, ...]:
    """Subjects allowed that no principal's username or groups (``usernames``, ``groups``) map to."""
    found: dict[tuple[str, str, str], list[Reason]] = {}
    for grant in grants:
        subject = grant.subject
        if subject.kind == SubjectKind.GROUP:
            mapped = subject.name in groups
        elif subject.kind == SubjectKind.USER:
            mapped = subject.name in usernames
        else:
            mapped = service_account_username(subject, grant.binding.namespace) in usernames
        if mapped:
            continue
        namespace = subject.namespace or (
            grant.binding.namespace if subject.kind == SubjectKind.SERVICE_ACCOUNT else ""
        )
        found.setdefault((subject.kind, subject.name, namespace), []).append(rbac_reason(grant))
    masters = (str(SubjectKind.GROUP), SYSTEM_MASTERS, "")
    if masters not in found and SYSTEM_MASTERS not in groups:
        found[masters] = [masters_reason()]
    return tuple(
        SubjectAccess(kind=kind, name=name, namespace=namespace, reasons=tuple(dict.fromkeys(reasons)))
        for (kind, name, namespace), reasons in found.items()
    )
