"""Which Kubernetes identity an IAM principal gets, and why (or why not).

The order is the one EKS runs (https://docs.aws.amazon.com/eks/latest/userguide/migrating-access-entries.html,
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go):

* ``API``: access entries only.
* ``API_AND_CONFIG_MAP``: the access entry for the principal wins; otherwise aws-auth ``mapRoles``, then
  ``mapUsers``, then ``mapAccounts``.
* ``CONFIG_MAP``: the cluster creator's hidden ``system:masters`` mapping, then aws-auth as above.
  Access entries cannot exist in this mode; when a snapshot has some they are reported, never applied.

The caller ARN is canonicalized first (an assumed role becomes its path-less role ARN). Besides the
answer, ``resolve`` lists near misses: mappings that look meant for this principal but do not apply
(a role path in ``rolearn``, a key spelled ``maproles``, an aws-auth row shadowed by an access entry, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from eksaccess.domain.access import AccessEntry, AuthenticationMode, effective_username, implicit_groups
from eksaccess.domain.awsauth.reader import AwsAuth, RoleMapping, UserMapping, parse_aws_auth
from eksaccess.domain.iam import templates
from eksaccess.domain.iam.principal import (
    InvalidArnError,
    Principal,
    PrincipalKind,
    parse_principal,
    same_principal,
)

if TYPE_CHECKING:
    from eksaccess.domain.state import ClusterState

AUTHENTICATED = "system:authenticated"
# The creator of a CONFIG_MAP cluster: an invisible system:masters admin, not in aws-auth
# (https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html, the cluster creator). EKS names it kubernetes-admin.
CREATOR_USERNAME = "kubernetes-admin"
CREATOR_GROUPS: tuple[str, ...] = ("system:masters",)
UID_PREFIX = "aws-iam-authenticator"


class MappingKind(StrEnum):
    ACCESS_ENTRY = "accessEntry"
    MAP_ROLES = "mapRoles"
    MAP_USERS = "mapUsers"
    MAP_ACCOUNTS = "mapAccounts"
    CLUSTER_CREATOR = "clusterCreator"
    NONE = "none"


@dataclass(frozen=True, kw_only=True, slots=True)
class KubeIdentity:
    username: str
    uid: str
    groups: tuple[str, ...]  # as the API server sees them: system:authenticated included
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class MappingSource:
    kind: MappingKind
    index: int | None = None  # position in accessEntries / mapRoles / mapUsers

    def __str__(self) -> str:
        if self.kind is MappingKind.ACCESS_ENTRY:
            return f"access entry [{self.index}]"
        if self.kind in (MappingKind.MAP_ROLES, MappingKind.MAP_USERS):
            return f"aws-auth {self.kind}[{self.index}]"
        if self.kind is MappingKind.MAP_ACCOUNTS:
            return "aws-auth mapAccounts"
        return "cluster creator" if self.kind is MappingKind.CLUSTER_CREATOR else "nothing"


NO_SOURCE = MappingSource(kind=MappingKind.NONE)


class NearMissKind(StrEnum):
    """Why a mapping that looks meant for the caller does not apply (stable codes for doctor)."""

    ROLE_PATH = "rolePath"  # rolearn carries the role's path
    PATH_MISMATCH = "pathMismatch"  # a userarn (or ARN) differing from the caller's only by its path
    ASSUMED_ROLE_ARN = "assumedRoleArn"  # an STS assumed-role ARN in aws-auth
    OTHER_ACCOUNT = "otherAccount"  # same name, another account
    WRONG_PRINCIPAL_TYPE = "wrongPrincipalType"  # an entry for the user of that name, caller is the role
    KEY_CASE = "keyCase"  # "maproles": a key the authenticator ignores
    DROPPED_KEY = "droppedKey"  # the key's YAML failed, all its mappings are gone
    SKIPPED_ENTRY = "skippedEntry"  # one aws-auth entry skipped while parsing
    IGNORED_API_MODE = "ignoredApiMode"  # aws-auth in authentication mode API
    ACCESS_ENTRY_IGNORED = "accessEntryIgnored"  # an access entry in CONFIG_MAP mode
    STALE_PRINCIPAL = "stalePrincipal"  # entry bound to the unique id of a deleted principal
    SHADOWED = "shadowed"  # outranked by the mapping that won
    DUPLICATE = "duplicate"  # another aws-auth row for the same ARN wins
    CREATOR_WITHOUT_ENTRY = "creatorWithoutEntry"  # the creator in API modes has no access entry
    OTHER = "other"


@dataclass(frozen=True, kw_only=True, slots=True)
class MappingNearMiss:
    where: str  # "aws-auth mapRoles[2]", "access entry arn:...", "aws-auth key \"maproles\""
    reason: str  # one sentence
    kind: NearMissKind = NearMissKind.OTHER


@dataclass(frozen=True, kw_only=True, slots=True)
class Caller:
    """What STS GetCallerIdentity and the token tell about the caller."""

    arn: str
    account: str | None = None
    user_id: str | None = None  # AROA...:session for assumed roles, AIDA... for users
    access_key_id: str | None = None
    ec2_private_dns_name: str | None = None
    session_name: str | None = None  # only for an IAM role ARN given as the caller (it has no session)


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolution:
    arn: str  # the caller ARN as given
    principal_arn: str  # the canonical principal ARN that mapping compared
    authenticated: bool
    identity: KubeIdentity | None
    source: MappingSource
    access_entry: AccessEntry | None  # the entry that mapped it (its policies authorize)
    near_misses: tuple[MappingNearMiss, ...]
    error: str | None = None  # why a matched mapping still failed (a template that cannot render)
    session_name: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class CanonicalCaller:
    """The caller as the authenticator sees it after STS answered."""

    sts_arn: str  # what GetCallerIdentity returns
    principal: Principal  # the canonical principal
    account: str
    session_name: str
    principal_id: str | None
    access_key_id: str

    @property
    def canonical_arn(self) -> str:
        return self.principal.arn


def subject_of(caller: Caller) -> CanonicalCaller:
    """Canonicalize the caller; an IAM role ARN is taken as a session of that role (STS drops the path)."""
    given = parse_principal(caller.arn)
    sts_arn = given.arn
    session = ""
    if given.kind is PrincipalKind.ASSUMED_ROLE:
        session = given.session_name or ""
    elif given.kind is PrincipalKind.ROLE and caller.session_name:
        session = caller.session_name
        sts_arn = f"arn:{given.partition}:sts::{given.account}:assumed-role/{given.name}/{session}"
    canonical = _canonical(given)
    principal_id = caller.user_id
    if principal_id and canonical.kind is PrincipalKind.ROLE:
        principal_id = principal_id.split(":", 1)[0]  # AROA...:session -> AROA...
    return CanonicalCaller(
        sts_arn=sts_arn,
        principal=canonical,
        account=caller.account or given.account,
        session_name=session,
        principal_id=principal_id or None,
        access_key_id=caller.access_key_id or "",
    )


def _canonical(principal: Principal) -> Principal:
    """The principal mapping compares: assumed roles and roles become the path-less role."""
    return parse_principal(principal.mapping_arn)


@dataclass(frozen=True, kw_only=True, slots=True)
class MappingMatch:
    source: MappingSource
    username: str  # still a template
    groups: tuple[str, ...]
    entry: AccessEntry | None = None
    render: bool = True  # mapAccounts and the creator take no templates


def find_entry(entries: Sequence[AccessEntry], subject: CanonicalCaller) -> MappingMatch | None:
    """The access entry for this principal. Roles match by account and name (an entry may carry a path,
    an assumed role never does); users by ARN, case-insensitively (EKS really matches the IAM unique id,
    and IAM names are case-insensitively unique). An entry bound to another unique id does not match."""
    for index, entry in enumerate(entries):
        try:
            principal = parse_principal(entry.principal_arn)
        except InvalidArnError:
            continue
        if not same_principal(principal, subject.principal):
            continue
        if entry.principal_id and subject.principal_id and entry.principal_id != subject.principal_id:
            continue
        groups = tuple(dict.fromkeys((*implicit_groups(entry.type), *entry.kubernetes_groups)))
        return MappingMatch(
            source=MappingSource(kind=MappingKind.ACCESS_ENTRY, index=index),
            username=effective_username(entry),
            groups=groups,
            entry=entry,
        )
    return None


def is_creator(creator_arn: str | None, subject: CanonicalCaller) -> bool:
    if not creator_arn:
        return False
    try:
        creator = parse_principal(creator_arn)
    except InvalidArnError:
        return False
    return same_principal(_canonical(creator), subject.principal)


def find_aws_auth(aws_auth: AwsAuth, subject: CanonicalCaller) -> MappingMatch | None:
    """mapRoles, then mapUsers, then mapAccounts (the authenticator's pkg/mapper/configmap)."""
    role = aws_auth.match_role(subject.canonical_arn)
    if role is not None:
        source = MappingSource(kind=MappingKind.MAP_ROLES, index=role.index)
        # The authenticator keeps an absent username as the empty string.
        return MappingMatch(source=source, username=role.username or "", groups=role.groups)
    user = aws_auth.match_user(subject.canonical_arn)
    if user is not None:
        source = MappingSource(kind=MappingKind.MAP_USERS, index=user.index)
        return MappingMatch(source=source, username=user.username or "", groups=user.groups)
    if aws_auth.has_account(subject.account):
        # username = the canonical ARN in its original case, no groups
        source = MappingSource(kind=MappingKind.MAP_ACCOUNTS)
        return MappingMatch(source=source, username=subject.canonical_arn, groups=(), render=False)
    return None


def find_match(
    mode: AuthenticationMode,
    entries: Sequence[AccessEntry],
    aws_auth: AwsAuth,
    subject: CanonicalCaller,
    creator_arn: str | None,
) -> MappingMatch | None:
    if mode.uses_access_entries:
        found = find_entry(entries, subject)
        if found is not None:
            return found
    if mode is AuthenticationMode.CONFIG_MAP and is_creator(creator_arn, subject):
        source = MappingSource(kind=MappingKind.CLUSTER_CREATOR)
        return MappingMatch(source=source, username=CREATOR_USERNAME, groups=CREATOR_GROUPS, render=False)
    if mode.uses_aws_auth:
        return find_aws_auth(aws_auth, subject)
    return None


def build_identity(
    match: MappingMatch, subject: CanonicalCaller, ec2_private_dns_name: str | None
) -> KubeIdentity:
    """Render the templates; raises templates.TemplateError like the authenticator's renderTemplates."""
    username, groups = match.username, match.groups
    if match.render:

        def render(text: str) -> str:
            return templates.render(
                text,
                account_id=subject.account,
                session_name=subject.session_name,
                access_key_id=subject.access_key_id,
                ec2_private_dns_name=ec2_private_dns_name,
            )

        username, groups = render(username), tuple(render(g) for g in groups)
    # uid names the IAM unique id: the caller's, else the one the matched access entry is bound to; when
    # neither is known we put the canonical ARN in its place.
    principal_id = subject.principal_id or (match.entry.principal_id if match.entry else None)
    uid_id = principal_id or subject.canonical_arn
    extra: dict[str, tuple[str, ...]] = {
        "arn": (subject.sts_arn,),
        "canonicalArn": (subject.canonical_arn,),
        "sessionName": (subject.session_name,),
        "accessKeyId": (subject.access_key_id,),  # an identifier, not a secret (the authenticator logs it)
    }
    if principal_id:
        extra["principalId"] = (principal_id,)
        extra["sigs.k8s.io/aws-iam-authenticator/principalId"] = (principal_id,)
    all_groups = tuple(dict.fromkeys((*groups, AUTHENTICATED)))
    return KubeIdentity(
        username=username, uid=f"{UID_PREFIX}:{subject.account}:{uid_id}", groups=all_groups, extra=extra
    )


def resolve(
    *,
    mode: AuthenticationMode,
    access_entries: Sequence[AccessEntry],
    aws_auth: AwsAuth,
    caller: Caller,
    creator_arn: str | None = None,
    aws_auth_data: Mapping[str, str] | None = None,
) -> Resolution:
    """Map a caller to its Kubernetes identity as EKS would; InvalidArnError for a bad caller ARN."""
    subject = subject_of(caller)
    match = find_match(mode, access_entries, aws_auth, subject, creator_arn)
    source = match.source if match else NO_SOURCE
    scan = NearMissScan(
        mode=mode,
        subject=subject,
        winner=source,
        winner_entry=match.entry if match else None,
        creator=is_creator(creator_arn, subject),
        aws_auth_data=aws_auth_data,
    )
    misses = scan.run(access_entries, aws_auth)
    identity: KubeIdentity | None = None
    error: str | None = None
    if match is not None:
        try:
            identity = build_identity(match, subject, caller.ec2_private_dns_name)
        except templates.TemplateError as err:
            what = f"access entry {match.entry.principal_arn}" if match.entry else str(source)
            error = f"{what} matched, but its templates cannot be rendered: {err}"
    return Resolution(
        arn=caller.arn,
        principal_arn=subject.canonical_arn,
        authenticated=identity is not None,
        identity=identity,
        source=source,
        access_entry=match.entry if match else None,
        near_misses=misses,
        error=error,
        session_name=subject.session_name,
    )


# --- near misses ------------------------------------------------------------------------------------------


def _parse(arn: str) -> Principal | None:
    try:
        return parse_principal(arn)
    except InvalidArnError:
        return None


_NOT_READ = "the authenticator reads only the case-sensitive keys mapRoles, mapUsers and mapAccounts"

Reason = tuple[NearMissKind, str]


@dataclass(frozen=True, kw_only=True)
class NearMissScan:
    """Mappings that look meant for the caller but do not apply, each with a one-sentence reason."""

    mode: AuthenticationMode
    subject: CanonicalCaller
    winner: MappingSource
    winner_entry: AccessEntry | None = None
    creator: bool
    aws_auth_data: Mapping[str, str] | None = None

    def run(self, entries: Sequence[AccessEntry], aws_auth: AwsAuth) -> tuple[MappingNearMiss, ...]:
        found = [
            *self._creator(),
            *self._entries(entries),
            *self._rows(aws_auth, "mapRoles"),
            *self._rows(aws_auth, "mapUsers"),
            *self._accounts(aws_auth),
            *self._broken_keys(aws_auth),
        ]
        return tuple(dict.fromkeys(found))

    @property
    def _me(self) -> Principal:
        return self.subject.principal

    @property
    def _is_role(self) -> bool:
        return self._me.kind is PrincipalKind.ROLE

    def _shadow(self) -> Reason | None:
        """Why an aws-auth mapping for the caller does not count, or None if aws-auth is not outranked."""
        if self.mode is AuthenticationMode.API:
            return NearMissKind.IGNORED_API_MODE, "authentication mode API ignores the aws-auth ConfigMap"
        if self.winner_entry is not None:
            entry = self.winner_entry.principal_arn
            return NearMissKind.SHADOWED, f"shadowed: the access entry {entry} wins over aws-auth"
        if self.winner.kind is MappingKind.CLUSTER_CREATOR:
            return (
                NearMissKind.SHADOWED,
                "shadowed: the cluster creator's implicit system:masters mapping is checked first",
            )
        return None

    def _creator(self) -> list[MappingNearMiss]:
        if not self.creator or self.mode is AuthenticationMode.CONFIG_MAP:
            return []
        if self.winner.kind is MappingKind.ACCESS_ENTRY:
            return []
        reason = (
            "this principal created the cluster, but in API modes the creator has access only through its "
            "access entry, which is missing (deleted, or the cluster was created with "
            "bootstrapClusterCreatorAdminPermissions=false)"
        )
        return [
            MappingNearMiss(kind=NearMissKind.CREATOR_WITHOUT_ENTRY, where="cluster creator", reason=reason)
        ]

    def _entries(self, entries: Sequence[AccessEntry]) -> list[MappingNearMiss]:
        out: list[MappingNearMiss] = []
        for entry in entries:
            theirs = _parse(entry.principal_arn)
            found = self._entry_reason(entry, theirs) if theirs else None
            if found:
                out.append(
                    MappingNearMiss(
                        kind=found[0], where=f"access entry {entry.principal_arn}", reason=found[1]
                    )
                )
        return out

    def _entry_reason(self, entry: AccessEntry, theirs: Principal) -> Reason | None:
        me, mine = self._me, self.subject.principal_id
        if same_principal(theirs, me):
            if self.mode is AuthenticationMode.CONFIG_MAP:
                return (
                    NearMissKind.ACCESS_ENTRY_IGNORED,
                    "access entries do not apply: the cluster's authentication mode is CONFIG_MAP",
                )
            if entry.principal_id and mine and entry.principal_id != mine:
                return (
                    NearMissKind.STALE_PRINCIPAL,
                    "entry bound to a previous principal with the same name (recreated role/user): it holds "
                    f"{entry.principal_id}, the caller is {mine}; delete and recreate the access entry",
                )
            return None
        if theirs.name.lower() != me.name.lower():
            return None
        if theirs.account != me.account and theirs.kind is me.kind:
            return (
                NearMissKind.OTHER_ACCOUNT,
                f"same {me.kind} name in account {theirs.account}; the caller is in account {me.account}",
            )
        if theirs.account == me.account and theirs.kind is not me.kind:
            return (
                NearMissKind.WRONG_PRINCIPAL_TYPE,
                f"the entry is for the IAM {theirs.kind} of that name; the caller is an IAM {me.kind}",
            )
        return None

    def _rows(self, aws_auth: AwsAuth, key: str) -> list[MappingNearMiss]:
        out: list[MappingNearMiss] = []
        canonical = self.subject.canonical_arn
        if key == "mapRoles":
            rows = [(row.index, row.rolearn) for row in aws_auth.roles]
            winner: RoleMapping | UserMapping | None = aws_auth.match_role(canonical)
        else:
            rows = [(row.index, row.userarn) for row in aws_auth.users]
            winner = aws_auth.match_user(canonical)
        for index, arn in rows:
            theirs = _parse(arn)
            if theirs is None:
                continue
            if theirs.arn.lower() == canonical.lower():
                found = self._exact_row(key, index, winner.index if winner else None)
            else:
                found = self._similar_row(theirs, key)
            if found:
                out.append(MappingNearMiss(kind=found[0], where=f"aws-auth {key}[{index}]", reason=found[1]))
        return out

    def _exact_row(self, key: str, index: int, winner_index: int | None) -> Reason | None:
        # A role ARN under mapUsers (or a user under mapRoles) still matches: the authenticator looks the
        # canonical ARN up in both lists whatever its kind. Only rows that lose are near misses.
        shadow = self._shadow()
        if shadow:
            return shadow
        if self.winner.kind is MappingKind.MAP_ROLES and key == "mapUsers":
            return (
                NearMissKind.SHADOWED,
                f"shadowed: {self.winner} matched first (roles are checked before users)",
            )
        if winner_index is None or winner_index == index:
            return None
        if key == "mapRoles":
            reason = f"another row for the same rolearn, {key}[{winner_index}], comes later and wins"
        else:
            reason = f"another row for the same userarn, {key}[{winner_index}], exists; either may apply"
        return NearMissKind.DUPLICATE, reason

    def _similar_row(self, theirs: Principal, key: str) -> Reason | None:
        me = self._me
        assumed = theirs.kind is PrincipalKind.ASSUMED_ROLE and self._is_role
        if theirs.name.lower() != me.name.lower() or theirs.partition != me.partition:
            return None
        if theirs.kind is not me.kind and not assumed:
            return None
        if theirs.account != me.account:
            return (
                NearMissKind.OTHER_ACCOUNT,
                f"same name in account {theirs.account}; the caller is in account {me.account}",
            )
        if assumed:
            where = "" if key == "mapRoles" else " under mapRoles"
            return (
                NearMissKind.ASSUMED_ROLE_ARN,
                f"holds an STS assumed-role ARN, which never matches; use the role ARN {me.arn}{where}",
            )
        if theirs.path_never_matches:
            return (
                NearMissKind.ROLE_PATH,
                f"rolearn includes the path {theirs.path}; the authenticator compares the path-less ARN "
                f"{me.arn}, so remove the path",
            )
        if theirs.path != me.path:
            return (
                NearMissKind.PATH_MISMATCH,
                f"the {key} ARN has the path {theirs.path}, the caller's ARN {me.arn} has {me.path}",
            )
        return None

    def _accounts(self, aws_auth: AwsAuth) -> list[MappingNearMiss]:
        if not aws_auth.has_account(self.subject.account) or self.winner.kind is MappingKind.MAP_ACCOUNTS:
            return []
        shadow = self._shadow()
        return (
            [MappingNearMiss(kind=shadow[0], where="aws-auth mapAccounts", reason=shadow[1])]
            if shadow
            else []
        )

    def _broken_keys(self, aws_auth: AwsAuth) -> list[MappingNearMiss]:
        out: list[MappingNearMiss] = []
        data = self.aws_auth_data
        for key in aws_auth.ignored_keys:
            raw = data.get(key) if data is not None else None
            if raw is not None and self._mentions(key, raw):
                reason = f'{_NOT_READ}; "{key}" is ignored'
                out.append(
                    MappingNearMiss(kind=NearMissKind.KEY_CASE, where=f'aws-auth key "{key}"', reason=reason)
                )
        for dropped in aws_auth.dropped:
            raw = data.get(dropped.key) if data is not None else None
            if raw is not None and not self._mentions(dropped.key, raw):
                continue
            if raw is None and self.winner.kind is not MappingKind.NONE:
                continue
            what = "its mapping for this principal is" if raw is not None else "every mapping in it is"
            reason = f"the whole key failed to parse ({dropped.error}), so {what} ignored"
            out.append(
                MappingNearMiss(kind=NearMissKind.DROPPED_KEY, where=f"aws-auth {dropped.key}", reason=reason)
            )
        needle = self.subject.canonical_arn.lower()
        out.extend(
            MappingNearMiss(
                kind=NearMissKind.SKIPPED_ENTRY, where="aws-auth", reason=f"an entry was skipped: {line}"
            )
            for line in aws_auth.skipped
            if needle in line.lower()
        )
        return out

    def _mentions(self, key: str, raw: str) -> bool:
        """Whether raw ConfigMap text names the caller (any path, assumed-role form) or its account."""
        me = self._me
        kinds = "role|assumed-role" if self._is_role else "user"
        pattern = (
            rf"arn:[\w-]+:(?:iam|sts)::{me.account}:(?:{kinds})/(?:[\w+=,.@-]+/)*{re.escape(me.name)}"
            r"(?![\w+=,.@-])"
        )
        if re.search(pattern, raw, flags=re.IGNORECASE):
            return True
        return key.lower() == "mapaccounts" and self.subject.account in raw


# A node's session name is its EC2 instance id; analysis stands one in for node-style mappings
# ({{EC2PrivateDNSName}} needs it), so node roles resolve as they do for real nodes.
NODE_SESSION = "i-0123456789abcdef0"


def resolve_as_analysis(
    *,
    mode: AuthenticationMode,
    access_entries: Sequence[AccessEntry],
    aws_auth: AwsAuth,
    caller: Caller,
    creator_arn: str | None = None,
    aws_auth_data: Mapping[str, str] | None = None,
) -> Resolution:
    """``resolve`` for a principal named in the state rather than a real session: when the mapping
    needs an instance id as session name (a node role), resolve again as a node would call."""

    def run(who: Caller) -> Resolution:
        return resolve(
            mode=mode,
            access_entries=access_entries,
            aws_auth=aws_auth,
            caller=who,
            creator_arn=creator_arn,
            aws_auth_data=aws_auth_data,
        )

    result = run(caller)
    if result.error and templates.NO_INSTANCE_ID in result.error:
        return run(replace(caller, session_name=NODE_SESSION))
    return result


def resolve_in_state(state: ClusterState, caller: Caller) -> Resolution:
    return resolve(
        mode=state.authentication_mode,
        access_entries=state.access_entries(),
        aws_auth=parse_aws_auth(state.aws_auth),
        caller=caller,
        creator_arn=state.cluster.creator_arn,
        aws_auth_data=state.aws_auth,
    )
