"""Access entries, their types, scopes and EKS's validation rules
(https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html).

An access entry binds one IAM user or role to a cluster. ``STANDARD`` entries carry an optional username,
Kubernetes groups and access policies; node types (``EC2_LINUX``, ``FARGATE_LINUX``, ...) carry none of
these: EKS gives them a fixed node username and the node groups.

Error texts are AWS's where the facts quote them; the others are ours, in the same voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eksaccess.domain.authz.access_policies import AUTO_NODE, policy_name
from eksaccess.domain.iam import templates
from eksaccess.domain.iam.principal import InvalidArnError, Principal, PrincipalKind, parse_principal
from eksaccess.errors import InputError

RESERVED_USERNAME_PREFIXES: tuple[str, ...] = ("system:", "eks:", "aws:", "amazon:", "iam:")
RESERVED_GROUP_PREFIX = "system:"
NOT_STANDARD_MESSAGE = 'This operation can only be performed on Access Entries with a type of "STANDARD".'


class AuthenticationMode(StrEnum):
    CONFIG_MAP = "CONFIG_MAP"
    API_AND_CONFIG_MAP = "API_AND_CONFIG_MAP"
    API = "API"

    @property
    def uses_access_entries(self) -> bool:
        return self is not AuthenticationMode.CONFIG_MAP

    @property
    def uses_aws_auth(self) -> bool:
        return self is not AuthenticationMode.API


class AccessEntryValidationError(InputError):
    """An access entry EKS would refuse (InvalidParameterException)."""


class EntryType(StrEnum):
    STANDARD = "STANDARD"
    EC2_LINUX = "EC2_LINUX"
    EC2_WINDOWS = "EC2_WINDOWS"
    FARGATE_LINUX = "FARGATE_LINUX"
    HYBRID_LINUX = "HYBRID_LINUX"
    HYPERPOD_LINUX = "HYPERPOD_LINUX"
    EC2 = "EC2"

    @property
    def is_node(self) -> bool:
        return self is not EntryType.STANDARD


class ScopeType(StrEnum):
    CLUSTER = "cluster"
    NAMESPACE = "namespace"


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessScope:
    type: ScopeType
    namespaces: tuple[str, ...] = ()

    def covers_namespace(self, namespace: str) -> bool:
        """Cluster scope covers every namespace; namespace scope the listed ones.

        A listed name ending in ``*`` matches every namespace starting with what precedes it
        (``dev-*``). Only a trailing wildcard is documented; a ``*`` elsewhere is taken literally.
        """
        if self.type is ScopeType.CLUSTER:
            return True
        return any(_namespace_matches(pattern, namespace) for pattern in self.namespaces)

    def __str__(self) -> str:
        if self.type is ScopeType.CLUSTER:
            return "cluster"
        return "namespace " + ",".join(self.namespaces)


CLUSTER_SCOPE = AccessScope(type=ScopeType.CLUSTER)


def _namespace_matches(pattern: str, namespace: str) -> bool:
    if pattern.endswith("*"):
        return namespace.startswith(pattern[:-1])
    return pattern == namespace


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPolicyAssociation:
    policy_arn: str
    scope: AccessScope

    @property
    def policy_name(self) -> str:
        return policy_name(self.policy_arn)


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessEntry:
    principal_arn: str
    type: EntryType = EntryType.STANDARD
    username: str | None = None
    kubernetes_groups: tuple[str, ...] = ()
    policies: tuple[AccessPolicyAssociation, ...] = ()
    principal_id: str | None = None  # IAM unique id (AROA.../AIDA...) bound at creation, when known

    @property
    def principal(self) -> Principal:
        return parse_principal(self.principal_arn)


# --- what EKS fills in ------------------------------------------------------------------------------------

NODE_USERNAME_EC2 = "system:node:{{EC2PrivateDNSName}}"
NODE_USERNAME_SESSION = "system:node:{{SessionName}}"
NODE_GROUPS: tuple[str, ...] = ("system:bootstrappers", "system:nodes")
FARGATE_GROUPS: tuple[str, ...] = (*NODE_GROUPS, "system:node-proxier")

_NODE_USERNAMES: dict[EntryType, str] = {
    EntryType.EC2_LINUX: NODE_USERNAME_EC2,
    EntryType.EC2_WINDOWS: NODE_USERNAME_EC2,
    EntryType.FARGATE_LINUX: NODE_USERNAME_SESSION,
    EntryType.HYBRID_LINUX: NODE_USERNAME_SESSION,
    # EC2 (Auto Mode) and HYPERPOD_LINUX: AWS does not document the username (facts: uncertain). Both run
    # on EC2 instances whose session name is the instance id, so we assume the EC2 node form.
    EntryType.EC2: NODE_USERNAME_EC2,
    EntryType.HYPERPOD_LINUX: NODE_USERNAME_EC2,
}


def default_username(entry: AccessEntry) -> str:
    """The Kubernetes username EKS uses when the entry sets none (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html)."""
    if entry.type.is_node:
        return _NODE_USERNAMES[entry.type]
    principal = entry.principal
    if principal.kind is PrincipalKind.ROLE:
        # The role path is dropped: the caller arrives as an STS assumed-role ARN, which has none.
        return f"arn:{principal.partition}:sts::{principal.account}:assumed-role/{principal.name}/" + (
            templates.SESSION_NAME
        )
    return entry.principal_arn


def implicit_groups(entry_type: EntryType) -> tuple[str, ...]:
    """Groups a node-type entry gets without listing them (the aws-auth node row equivalents)."""
    if entry_type is EntryType.FARGATE_LINUX:
        return FARGATE_GROUPS
    return NODE_GROUPS if entry_type.is_node else ()


# The aws-auth row equivalent to each node entry type (the row `eksctl` and EKS's docs write).
NODE_ROWS: dict[EntryType, tuple[str, tuple[str, ...]]] = {
    EntryType.EC2_LINUX: ("system:node:{{EC2PrivateDNSName}}", ("system:bootstrappers", "system:nodes")),
    EntryType.EC2_WINDOWS: (
        "system:node:{{EC2PrivateDNSName}}",
        ("system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"),
    ),
    EntryType.FARGATE_LINUX: (
        "system:node:{{SessionName}}",
        ("system:bootstrappers", "system:nodes", "system:node-proxier"),
    ),
    EntryType.HYBRID_LINUX: ("system:node:{{SessionName}}", ("system:bootstrappers", "system:nodes")),
}


def node_type_of_row(username: str | None, groups: tuple[str, ...]) -> EntryType | None:
    """The entry type an aws-auth row is the equivalent of, when it is exactly a node row."""
    for entry_type, (name, wanted) in NODE_ROWS.items():
        if entry_type is EntryType.HYBRID_LINUX:
            continue  # same row as Fargate without node-proxier: ambiguous, keep it as written
        if username == name and set(groups) == set(wanted):
            return entry_type
    return None


def effective_username(entry: AccessEntry) -> str:
    return entry.username or default_username(entry)


# --- validation ---------------------------------------------------------------------------------------------


def validate_principal_arn(arn: str, *, entry_type: EntryType = EntryType.STANDARD) -> Principal:
    """An IAM user or role ARN (a role may have a path); STS sessions and service-linked roles refused."""
    try:
        principal = parse_principal(arn)
    except InvalidArnError as err:
        raise AccessEntryValidationError(f"The principalArn {arn} is invalid: {err.message}") from err
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        raise AccessEntryValidationError(
            f"The principalArn {arn} is an STS assumed-role session, a temporary principal for each session "
            f"and not a permanent identity; use the role ARN arn:{principal.partition}:iam::"
            f"{principal.account}:role/{principal.name}"
        )
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
        raise AccessEntryValidationError(
            f"The principalArn {arn} is invalid: access entries take only IAM users and roles"
        )
    if principal.kind is PrincipalKind.ROLE and principal.path.startswith("/aws-service-role/"):
        raise AccessEntryValidationError(
            f"The principalArn {arn} is a service-linked role; "
            "access entries do not support service-linked roles"
        )
    if entry_type.is_node and principal.kind is not PrincipalKind.ROLE:
        raise AccessEntryValidationError(f"An access entry of type {entry_type} needs an IAM role, not {arn}")
    return principal


def validate_username(username: str) -> None:
    """EKS's rules for a custom username (STANDARD entries)."""
    if not username:
        raise AccessEntryValidationError("The username must not be empty")
    for prefix in RESERVED_USERNAME_PREFIXES:
        if username.startswith(prefix):
            raise AccessEntryValidationError(
                f"The username {username} is invalid, it cannot start with {prefix}"
            )
    position = templates.session_template_position(username)
    if position is not None and ":" not in username[:position]:
        raise AccessEntryValidationError(
            f"The username {username} is invalid, a ':' must come before {{{{SessionName}}}} "
            "or {{SessionNameRaw}}"
        )


def validate_groups(groups: tuple[str, ...] | list[str]) -> None:
    for group in groups:
        if not group:
            raise AccessEntryValidationError("A kubernetes group name must not be empty")
        if group.startswith(RESERVED_GROUP_PREFIX):
            raise AccessEntryValidationError(
                f"The kubernetes group name {group} is invalid, it cannot start with system:"
            )


def validate_scope(scope: AccessScope) -> None:
    if scope.type is ScopeType.CLUSTER and scope.namespaces:
        raise AccessEntryValidationError("An access scope of type cluster cannot list namespaces")
    if scope.type is ScopeType.NAMESPACE:
        if not scope.namespaces:
            raise AccessEntryValidationError("An access scope of type namespace needs at least one namespace")
        for namespace in scope.namespaces:
            if not namespace:
                raise AccessEntryValidationError("A namespace in an access scope must not be empty")


def validate_association(entry_type: EntryType, association: AccessPolicyAssociation) -> None:
    try:
        name = policy_name(association.policy_arn)
    except InputError as err:
        raise AccessEntryValidationError(err.message) from err
    if entry_type.is_node and not (entry_type is EntryType.EC2 and name == AUTO_NODE):
        raise AccessEntryValidationError(NOT_STANDARD_MESSAGE)
    validate_scope(association.scope)


def validate_entry(
    entry: AccessEntry, *, cluster_account: str | None = None, as_stored: bool = False
) -> AccessEntry:
    """Check an entry by EKS's rules; returns it unchanged, raises AccessEntryValidationError.

    ``as_stored=True`` checks an entry as EKS reports it back (a snapshot of a live cluster): node-type
    entries then carry the node username and node groups EKS filled in, which a create request could not.
    """
    principal = validate_principal_arn(entry.principal_arn, entry_type=entry.type)
    if entry.type.is_node:
        if cluster_account is not None and principal.account != cluster_account:
            raise AccessEntryValidationError(
                f"An access entry of type {entry.type} must use a role in the cluster's account "
                f"{cluster_account}, not {principal.account}"
            )
        _validate_node_fields(entry, as_stored=as_stored)
    else:
        if entry.username is not None:
            validate_username(entry.username)
        validate_groups(entry.kubernetes_groups)
    _validate_policies(entry)
    return entry


def _validate_node_fields(entry: AccessEntry, *, as_stored: bool) -> None:
    if as_stored:
        username_ok = entry.username is None or entry.username.startswith("system:node:")
        groups_ok = set(entry.kubernetes_groups) <= set(FARGATE_GROUPS)
    else:
        username_ok = entry.username is None
        groups_ok = not entry.kubernetes_groups
    if not username_ok or not groups_ok:
        raise AccessEntryValidationError(
            f"An access entry of type {entry.type} cannot set a username or kubernetes groups; "
            "EKS assigns the node identity itself"
        )


def _validate_policies(entry: AccessEntry) -> None:
    seen: set[str] = set()
    for association in entry.policies:
        validate_association(entry.type, association)
        if association.policy_arn in seen:
            raise AccessEntryValidationError(
                f"The access policy {association.policy_arn} is associated twice with {entry.principal_arn}"
            )
        seen.add(association.policy_arn)
