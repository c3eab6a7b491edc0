"""who-can: which IAM principals (and which Kubernetes subjects no principal maps to) can do VERB on
RESOURCE, each with its path: access entry + policy, aws-auth row -> group -> binding, or cluster creator.

The principals are the ones the state knows: access entries, aws-auth mapRoles and mapUsers, the cluster
creator, and IAM ARNs named as User subjects of bindings that grant the request. Roles are resolved with
a representative session name. mapAccounts is reported once per account, as "any principal of account X".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from eksaccess.domain.access import AccessEntry
from eksaccess.domain.arn import InvalidArnError, PrincipalKind, is_principal_arn, parse_principal
from eksaccess.domain.authorize import Authorizer, Reason, masters_reason, rbac_reason
from eksaccess.domain.awsauth import AwsAuth, RoleMapping, UserMapping, parse_aws_auth
from eksaccess.domain.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.identity import Caller, Resolution, SourceKind, resolve_as_analysis
from eksaccess.domain.rbac import Authority, SubjectKind, service_account_username
from eksaccess.domain.rbac_index import RbacGrant
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.can_i import Request, authorizer_for, evaluate

REPRESENTATIVE_SESSION = "eksaccess-who-can"
ANY_PRINCIPAL_ROLE = "eksaccess-any-principal"


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalAccess:
    arn: str  # the IAM principal (for mapAccounts: arn:P:iam::ACCOUNT:*)
    via: str  # one line: how the principal gets there
    username: str
    groups: tuple[str, ...]
    source: SourceKind
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


def _key(arn: str) -> tuple[str, str] | None:
    """A bucket for a principal: account and lower-cased name (path and kind ignored, so a superset)."""
    try:
        principal = parse_principal(arn)
    except InvalidArnError:
        return None
    return (principal.account, principal.name.lower())


class Directory:
    """The state's identity sources, bucketed per principal so resolving one principal does not scan
    every access entry and aws-auth row (resolution within a bucket is H2's ``resolve``, unchanged)."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.entries = state.access_entries()
        self.aws_auth = parse_aws_auth(state.awsAuth)
        self._entries: dict[tuple[str, str] | None, list[AccessEntry]] = defaultdict(list)
        self._roles: dict[tuple[str, str] | None, list[RoleMapping]] = defaultdict(list)
        self._users: dict[tuple[str, str] | None, list[UserMapping]] = defaultdict(list)
        for entry in self.entries:
            self._entries[_key(entry.principal_arn)].append(entry)
        for role in self.aws_auth.roles:
            self._roles[_key(role.rolearn)].append(role)
        for user in self.aws_auth.users:
            self._users[_key(user.userarn)].append(user)

    def resolve(self, caller: Caller) -> Resolution:
        key = _key(caller.arn)
        aws_auth: AwsAuth = replace(
            self.aws_auth, roles=tuple(self._roles.get(key, ())), users=tuple(self._users.get(key, ()))
        )
        return resolve_as_analysis(
            mode=self.state.authenticationMode,
            access_entries=tuple(self._entries.get(key, ())),
            aws_auth=aws_auth,
            caller=caller,
            creator_arn=self.state.cluster.creatorArn,
        )


def _candidates(directory: Directory, grants: Iterable[RbacGrant]) -> list[str]:
    """Every principal ARN the state names, in a stable order, without duplicates."""
    state = directory.state
    arns: list[str] = [entry.principal_arn for entry in directory.entries]
    arns += [m.rolearn for m in directory.aws_auth.roles] + [m.userarn for m in directory.aws_auth.users]
    if state.cluster.creatorArn:
        arns.append(state.cluster.creatorArn)
    arns += [
        g.subject.name
        for g in grants
        if g.subject.kind == SubjectKind.USER and is_principal_arn(g.subject.name)
    ]
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
    if source.kind is SourceKind.ACCESS_ENTRY:
        head = "access entry"
    elif source.kind is SourceKind.CLUSTER_CREATOR:
        head = "cluster creator"
    elif source.kind is SourceKind.MAP_ACCOUNTS:
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
    on the same state."""
    authz = authorizer or authorizer_for(state)
    directory = directory or Directory(state)
    attrs = request.attrs
    grants = authz.who_can(attrs)
    principals: list[PrincipalAccess] = []
    identities: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for reported, arn in [(a, a) for a in _candidates(directory, grants)] + _account_candidates(directory):
        caller = _caller(arn)
        if caller is None:
            continue
        resolution = directory.resolve(caller)
        if resolution.identity is None or resolution.principal_arn in seen:
            continue
        seen.add(resolution.principal_arn)
        identities.append((resolution.identity.username, resolution.identity.groups))
        if reported != arn and resolution.source.kind is not SourceKind.MAP_ACCOUNTS:
            continue  # the representative principal is mapped some other way: not about the account
        if not evaluate(authz, resolution, request, explain=False).allowed:
            continue
        result = evaluate(authz, resolution, request)  # every reason, for the path and the report
        if result.decision is None:
            continue
        reasons = result.decision.reasons
        principals.append(
            PrincipalAccess(
                arn=reported if reported != arn else resolution.principal_arn,
                via=via_text(resolution, reasons[0]),
                username=resolution.identity.username,
                groups=resolution.identity.groups,
                source=resolution.source.kind,
                reasons=reasons,
            )
        )
    subjects = _unmapped_subjects(grants, identities)
    return WhoCanResult(request=request, principals=tuple(principals), subjects=subjects, notes=request.notes)


def _unmapped_subjects(
    grants: Iterable[RbacGrant], identities: list[tuple[str, tuple[str, ...]]]
) -> tuple[SubjectAccess, ...]:
    usernames = {username for username, _ in identities}
    groups = {group for _, these in identities for group in these}
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
