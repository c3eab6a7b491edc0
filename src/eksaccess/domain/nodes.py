"""What a node role needs so that its kubelet joins the cluster: the one place for that rule.

A kubelet authenticates with a token of its node role; EC2 names the role session after the instance id
(Fargate after the node name). EKS maps the role like any principal (``domain.iam.identity``): a node-type
access entry (``EC2_LINUX``, ``EC2_WINDOWS``, ``FARGATE_LINUX``, ``EC2`` for Auto Mode, ``HYBRID_LINUX``)
gives the node username and groups, so does an aws-auth row written as the node row
(https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html,
https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html). The kubelet then passes
the Node authorizer only as ``system:node:<its node name>`` in group ``system:nodes``
(https://kubernetes.io/docs/reference/access-authn-authz/node/): it may create, read and update Node
objects, and the NodeRestriction admission plugin lets it write only its own.

``judge_node_role`` answers, offline, "would a kubelet with this role join?" and names the cause when not.
The sandbox's Node authorizer uses ``node_identity`` and ``node_refusal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from eksaccess.domain.access import (
    FARGATE_GROUPS,
    NODE_GROUPS,
    NODE_USERNAME_EC2,
    NODE_USERNAME_SESSION,
    AccessEntry,
    AuthenticationMode,
    EntryType,
)
from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.go_text import go_quote
from eksaccess.domain.iam import templates
from eksaccess.domain.iam.identity import Caller, MappingKind, NearMissKind, Resolution, resolve
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal

if TYPE_CHECKING:
    from eksaccess.domain.state import ClusterState

NODE_USER_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
WINDOWS_PROXY_GROUP = "eks:kube-proxy-windows"  # Windows nodes' aws-auth row (UG windows-support)
# A node's stand-ins when no real instance is named: EC2 names the role session after the instance id.
SAMPLE_INSTANCE_ID = "i-0123456789abcdef0"
SAMPLE_FARGATE_NODE = "fargate-ip-10-0-1-23.compute.internal"


class NodeKind(StrEnum):
    """How the node runs, which decides the access entry type and the aws-auth row it needs."""

    LINUX = "linux"  # managed node group, self-managed, Karpenter (EC2 Linux or Bottlerocket)
    WINDOWS = "windows"
    FARGATE = "fargate"  # the Fargate profile's pod execution role
    AUTO_MODE = "auto-mode"  # cluster.computeConfig.nodeRoleArn
    HYBRID = "hybrid"

    @property
    def entry_type(self) -> EntryType:
        return _ENTRY_TYPES[self]

    @property
    def label(self) -> str:
        """The kind in words: "EC2 Linux", "Fargate", ..."""
        return _LABELS[self]

    @property
    def session_named_node(self) -> bool:
        """Fargate and hybrid nodes are named after the role session; EC2 nodes after their private DNS name."""
        return self in (NodeKind.FARGATE, NodeKind.HYBRID)


_ENTRY_TYPES: Mapping[NodeKind, EntryType] = {
    NodeKind.LINUX: EntryType.EC2_LINUX,
    NodeKind.WINDOWS: EntryType.EC2_WINDOWS,
    NodeKind.FARGATE: EntryType.FARGATE_LINUX,
    NodeKind.AUTO_MODE: EntryType.EC2,
    NodeKind.HYBRID: EntryType.HYBRID_LINUX,
}


_LABELS: Mapping[NodeKind, str] = {
    NodeKind.LINUX: "EC2 Linux",
    NodeKind.WINDOWS: "EC2 Windows",
    NodeKind.FARGATE: "Fargate",
    NodeKind.AUTO_MODE: "Auto Mode",
    NodeKind.HYBRID: "hybrid",
}


def kind_of_entry_type(entry_type: EntryType) -> NodeKind | None:
    return next((kind for kind, value in _ENTRY_TYPES.items() if value is entry_type), None)


def node_row(kind: NodeKind) -> tuple[str, tuple[str, ...]]:
    """The aws-auth row (username, groups) of a node role of this kind (facts: doctor-breadth §4.2)."""
    if kind is NodeKind.FARGATE:
        return NODE_USERNAME_SESSION, FARGATE_GROUPS
    if kind is NodeKind.HYBRID:
        return NODE_USERNAME_SESSION, NODE_GROUPS
    if kind is NodeKind.WINDOWS:
        return NODE_USERNAME_EC2, (*NODE_GROUPS, WINDOWS_PROXY_GROUP)
    return NODE_USERNAME_EC2, NODE_GROUPS


# --- the Node authorizer and NodeRestriction ----------------------------------------------------------------


def node_identity(username: str, groups: Sequence[str]) -> str | None:
    """The node name the Node authorizer sees, or None when the caller is not a node to it: the username
    ``system:node:<name>`` (non-empty name) and the group ``system:nodes`` (kubernetes NodeIdentity)."""
    if not username.startswith(NODE_USER_PREFIX) or NODES_GROUP not in groups:
        return None
    return username[len(NODE_USER_PREFIX) :] or None


# What the Node authorizer allows a node on Node objects (kubernetes bootstrappolicy NodeRules):
# create/get/list/watch nodes, update/patch nodes and nodes/status; NodeRestriction keeps writes to its own.
NODE_VERBS: Mapping[str, frozenset[str]] = {
    "nodes": frozenset({"create", "get", "list", "watch", "update", "patch"}),
    "nodes/status": frozenset({"update", "patch"}),
}
_WRITES = frozenset({"create", "update", "patch", "delete"})


def node_allows(node: str | None, *, verb: str, api_group: str, resource: str) -> bool:
    """Whether the Node authorizer allows a node this request on Node objects (else it has no opinion)."""
    return node is not None and api_group == "" and verb in NODE_VERBS.get(resource, frozenset())


def node_refusal(node: str | None, *, verb: str, api_group: str, resource: str, name: str) -> str | None:
    """NodeRestriction's refusal of a node writing another node's object (None: admitted)."""
    if node is None or api_group != "" or resource.split("/")[0] != "nodes" or verb not in _WRITES:
        return None
    if name == node:
        return None
    return f"node {go_quote(node)} is not allowed to modify node {go_quote(name)}"


# --- would a kubelet with this role join? ------------------------------------------------------------------


class NodeCause(StrEnum):
    """Why a kubelet with the role cannot join (stable: doctor's codes are made from these)."""

    NOT_MAPPED = "notMapped"  # no access entry and no aws-auth row that counts
    ENTRY_WRONG_TYPE = "entryWrongType"  # an access entry of another type (STANDARD, EC2_LINUX for Fargate)
    ROW_WRONG_USERNAME = "rowWrongUsername"  # an aws-auth row whose username is not the node's
    ROW_MISSING_GROUPS = "rowMissingGroups"  # an aws-auth row without system:nodes


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeVerdict:
    role_arn: str
    kind: NodeKind
    session_name: str  # what the kubelet's role session is named (instance id, Fargate node name)
    node_name: str  # the Node object the kubelet registers
    resolution: Resolution
    cause: NodeCause | None
    reason: str  # one sentence: why it joins, or why not

    @property
    def joins(self) -> bool:
        return self.cause is None

    @property
    def expected_username(self) -> str:
        return NODE_USER_PREFIX + self.node_name

    @property
    def via_entry(self) -> AccessEntry | None:
        return self.resolution.access_entry


def sample_session(kind: NodeKind) -> str:
    return SAMPLE_FARGATE_NODE if kind.session_named_node else SAMPLE_INSTANCE_ID


def judge_node_role(
    *,
    mode: AuthenticationMode,
    access_entries: Sequence[AccessEntry],
    aws_auth: AwsAuth,
    role_arn: str,
    kind: NodeKind,
    session_name: str | None = None,
    private_dns_name: str | None = None,
    aws_auth_data: Mapping[str, str] | None = None,
) -> NodeVerdict:
    """Resolve the role as its kubelet calls (a session named like the node's) and judge the identity."""
    session = session_name or sample_session(kind)
    if kind.session_named_node:
        node = session
    else:
        node = private_dns_name or templates.placeholder_private_dns_name(session)
    principal = parse_principal(role_arn)
    caller = Caller(
        arn=principal.pathless_arn,
        account=principal.account,
        session_name=session,
        ec2_private_dns_name=None if kind.session_named_node else node,
    )
    resolution = resolve(
        mode=mode,
        access_entries=access_entries,
        aws_auth=aws_auth,
        caller=caller,
        aws_auth_data=aws_auth_data,
    )
    cause, reason = _judge(resolution, kind, node, mode)
    return NodeVerdict(
        role_arn=role_arn,
        kind=kind,
        session_name=session,
        node_name=node,
        resolution=resolution,
        cause=cause,
        reason=reason,
    )


def _judge(
    resolution: Resolution, kind: NodeKind, node: str, mode: AuthenticationMode
) -> tuple[NodeCause | None, str]:
    entry = resolution.access_entry
    wanted = kind.entry_type
    if entry is not None and entry.type is not wanted:
        return NodeCause.ENTRY_WRONG_TYPE, (
            f"its access entry has the type {entry.type}; a role of {kind.label} nodes needs {wanted} "
            "(EKS then gives the node username and groups)"
        )
    if resolution.identity is None and resolution.source.kind is MappingKind.NONE:
        return NodeCause.NOT_MAPPED, _unmapped_reason(resolution, mode)
    row = resolution.source.kind in (MappingKind.MAP_ROLES, MappingKind.MAP_USERS, MappingKind.MAP_ACCOUNTS)
    if resolution.identity is None:  # a template that cannot render for this node
        cause = NodeCause.ROW_WRONG_USERNAME if row else NodeCause.ENTRY_WRONG_TYPE
        return cause, resolution.error or "its mapping cannot be rendered for a node"
    identity = resolution.identity
    if node_identity(identity.username, identity.groups) != node:
        if row and NODES_GROUP in identity.groups:
            return NodeCause.ROW_WRONG_USERNAME, (
                f"its {resolution.source} row gives the username {identity.username}; the kubelet "
                f"registers as {NODE_USER_PREFIX}{node} ({node_row(kind)[0]})"
            )
        if row:
            return NodeCause.ROW_MISSING_GROUPS, (
                f"its {resolution.source} row gives {identity.username} in "
                f"[{', '.join(identity.groups)}], without {NODES_GROUP}"
            )
        return NodeCause.ENTRY_WRONG_TYPE, f"it is mapped as {identity.username}, not as a node"
    return None, f"its kubelet authenticates as {identity.username} in {NODES_GROUP}"


def _unmapped_reason(resolution: Resolution, mode: AuthenticationMode) -> str:
    ignored = [m for m in resolution.near_misses if m.kind is NearMissKind.IGNORED_API_MODE]
    if ignored:
        return (
            "its aws-auth row is ignored: the authentication mode is API (a row left from before the switch); "
            "it needs an access entry"
        )
    misses = "; ".join(f"{m.where}: {m.reason}" for m in resolution.near_misses)
    where = {
        AuthenticationMode.API: "no access entry",
        AuthenticationMode.API_AND_CONFIG_MAP: "no access entry and no aws-auth row",
        AuthenticationMode.CONFIG_MAP: "no aws-auth row",
    }[mode]
    return f"{where} maps it" + (f" ({misses})" if misses else "")


# --- which kind of node a role serves ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeRoleUse:
    """Where a role serves as a node role, as EKS tells it (or as the access configuration shows it)."""

    role_arn: str
    kind: NodeKind
    source: str  # "node group workers", "Fargate profile default", "access entry EC2_LINUX", "given"


def node_roles_of(
    *,
    nodegroups: Sequence[tuple[str, str, str | None]] = (),
    fargate_profiles: Sequence[tuple[str, str]] = (),
    access_entries: Sequence[AccessEntry] = (),
    aws_auth: AwsAuth | None = None,
) -> tuple[NodeRoleUse, ...]:
    """Every role known to serve nodes, once each (same principal): the node groups' roles
    ``(name, nodeRole, amiType)``, the Fargate profiles' pod execution roles ``(name, role)``, node-type
    access entries, and aws-auth rows written as node rows (username ``system:node:...`` or group
    ``system:nodes``)."""
    found: dict[str, NodeRoleUse] = {}

    def add(arn: str, kind: NodeKind, source: str) -> None:
        try:
            key = parse_principal(arn).pathless_arn.lower()
        except InvalidArnError:
            return
        found.setdefault(key, NodeRoleUse(role_arn=arn, kind=kind, source=source))

    for name, role, ami in nodegroups:
        windows = (ami or "").startswith("WINDOWS")
        add(role, NodeKind.WINDOWS if windows else NodeKind.LINUX, f"node group {name}")
    for name, role in fargate_profiles:
        add(role, NodeKind.FARGATE, f"Fargate profile {name}")
    for entry in access_entries:
        kind = kind_of_entry_type(entry.type)
        if kind is not None:
            add(entry.principal_arn, kind, f"access entry {entry.type}")
    for row in aws_auth.roles if aws_auth else ():
        username = row.username or ""
        if username.startswith(NODE_USER_PREFIX) or NODES_GROUP in row.groups:
            fargate = username == NODE_USERNAME_SESSION and "system:node-proxier" in row.groups
            kind = NodeKind.FARGATE if fargate else NodeKind.LINUX
            add(row.rolearn, kind, f"aws-auth mapRoles[{row.index}]")
    return tuple(found.values())


def kind_for_role(role_arn: str, uses: Sequence[NodeRoleUse]) -> NodeRoleUse:
    """How the role serves nodes: as EKS or the access configuration shows it, else an EC2 Linux node
    (self-managed or Karpenter, whose roles the EKS API does not show)."""
    try:
        key = parse_principal(role_arn).pathless_arn.lower()
    except InvalidArnError:
        key = role_arn.lower()
    for use in uses:
        if parse_principal(use.role_arn).pathless_arn.lower() == key:
            return use
    return NodeRoleUse(role_arn=role_arn, kind=NodeKind.LINUX, source="given (self-managed or Karpenter)")


def node_roles_in(state: ClusterState) -> tuple[NodeRoleUse, ...]:
    """Every role a cluster's state shows serving nodes (node groups, Fargate profiles, node entries, rows)."""
    return node_roles_of(
        nodegroups=[(g.nodegroup_name, g.node_role, g.ami_type) for g in state.nodegroups or ()],
        fargate_profiles=[
            (p.fargate_profile_name, p.pod_execution_role_arn) for p in state.fargate_profiles or ()
        ],
        access_entries=state.access_entries(),
        aws_auth=parse_aws_auth(state.aws_auth),
    )


def judge_in_state(state: ClusterState, use: NodeRoleUse) -> NodeVerdict:
    """``judge_node_role`` for a role of the state, as it serves nodes."""
    return judge_node_role(
        mode=state.authentication_mode,
        access_entries=state.access_entries(),
        aws_auth=parse_aws_auth(state.aws_auth),
        role_arn=use.role_arn,
        kind=use.kind,
        aws_auth_data=state.aws_auth,
    )
