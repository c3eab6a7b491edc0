"""domain.nodes: would a kubelet with this role join? Table-driven from the facts (doctor-breadth §4)."""

from __future__ import annotations

import pytest

from eksaccess.domain.access import AccessEntry, AuthenticationMode, EntryType
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.nodes import (
    NodeCause,
    NodeKind,
    judge_node_role,
    kind_for_role,
    node_allows,
    node_identity,
    node_refusal,
    node_roles_of,
    node_row,
)

ROLE = "arn:aws:iam::111122223333:role/eks-node"
PATH_ROLE = "arn:aws:iam::111122223333:role/nodes/eks-node"
DNS = "ip-10-0-1-23.us-west-2.compute.internal"
API, BOTH, CM = AuthenticationMode.API, AuthenticationMode.API_AND_CONFIG_MAP, AuthenticationMode.CONFIG_MAP


def _row(username: str, *groups: str, arn: str = ROLE) -> dict[str, str]:
    lines = [f"- rolearn: {arn}", f"  username: {username}", "  groups:"]
    lines += [f"    - {g}" for g in groups]
    return {"mapRoles": "\n".join(lines) + "\n"}


EC2_ROW = _row("system:node:{{EC2PrivateDNSName}}", "system:bootstrappers", "system:nodes")
FARGATE_ROW = _row(
    "system:node:{{SessionName}}", "system:bootstrappers", "system:nodes", "system:node-proxier"
)

# (mode, entries, aws-auth data, kind, cause)
CASES = [
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX)], None, NodeKind.LINUX, None,
                 id="EC2_LINUX entry joins"),
    pytest.param(API, [AccessEntry(principal_arn=PATH_ROLE, type=EntryType.EC2_LINUX)], None, NodeKind.LINUX, None,
                 id="an entry may carry the role path"),
    pytest.param(CM, [], EC2_ROW, NodeKind.LINUX, None, id="EC2 node row joins"),
    pytest.param(BOTH, [], EC2_ROW, NodeKind.LINUX, None, id="row in API_AND_CONFIG_MAP joins"),
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE)], None, NodeKind.LINUX, NodeCause.ENTRY_WRONG_TYPE,
                 id="STANDARD entry"),
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE)], EC2_ROW, NodeKind.LINUX, NodeCause.ENTRY_WRONG_TYPE,
                 id="STANDARD entry shadows a good row"),
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX)], None, NodeKind.WINDOWS,
                 NodeCause.ENTRY_WRONG_TYPE, id="EC2_LINUX for Windows nodes"),
    pytest.param(CM, [], _row("system:node:{{SessionName}}", "system:bootstrappers", "system:nodes"),
                 NodeKind.LINUX, NodeCause.ROW_WRONG_USERNAME, id="EC2 row named by session"),
    pytest.param(CM, [], _row("system:node:{{EC2PrivateDNSName}}", "system:bootstrappers"), NodeKind.LINUX,
                 NodeCause.ROW_MISSING_GROUPS, id="row without system:nodes"),
    pytest.param(CM, [], _row("eks-node", "system:nodes"), NodeKind.LINUX, NodeCause.ROW_WRONG_USERNAME,
                 id="row with a plain username"),
    pytest.param(CM, [], None, NodeKind.LINUX, NodeCause.NOT_MAPPED, id="nothing maps it"),
    pytest.param(API, [], EC2_ROW, NodeKind.LINUX, NodeCause.NOT_MAPPED, id="API mode ignores the row"),
    pytest.param(CM, [AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX)], None, NodeKind.LINUX,
                 NodeCause.NOT_MAPPED, id="CONFIG_MAP ignores entries"),
    pytest.param(CM, [], _row("system:node:{{EC2PrivateDNSName}}", "system:nodes", arn=PATH_ROLE),
                 NodeKind.LINUX, NodeCause.NOT_MAPPED, id="rolearn with a path never matches"),
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE, type=EntryType.FARGATE_LINUX)], None, NodeKind.FARGATE,
                 None, id="FARGATE_LINUX entry joins"),
    pytest.param(CM, [], FARGATE_ROW, NodeKind.FARGATE, None, id="Fargate row joins"),
    pytest.param(BOTH, [AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX)], None, NodeKind.FARGATE,
                 NodeCause.ENTRY_WRONG_TYPE, id="EC2_LINUX for Fargate"),
    pytest.param(CM, [], EC2_ROW, NodeKind.FARGATE, NodeCause.ROW_WRONG_USERNAME,
                 id="EC2 row for Fargate: no instance id"),
    pytest.param(API, [AccessEntry(principal_arn=ROLE, type=EntryType.EC2)], None, NodeKind.AUTO_MODE, None,
                 id="Auto Mode EC2 entry joins"),
]  # fmt: skip


@pytest.mark.parametrize(("mode", "entries", "data", "kind", "cause"), CASES)
def test_judge_node_role(
    mode: AuthenticationMode,
    entries: list[AccessEntry],
    data: dict[str, str] | None,
    kind: NodeKind,
    cause: NodeCause | None,
) -> None:
    verdict = judge_node_role(
        mode=mode,
        access_entries=entries,
        aws_auth=parse_aws_auth(data),
        role_arn=ROLE,
        kind=kind,
        private_dns_name=DNS,
        aws_auth_data=data,
    )
    assert verdict.cause is cause, verdict.reason
    if cause is None:
        identity = verdict.resolution.identity
        assert identity is not None
        assert node_identity(identity.username, identity.groups) == verdict.node_name
        assert verdict.node_name == (DNS if kind is not NodeKind.FARGATE else verdict.session_name)


def test_the_kubelet_is_named_after_its_instance() -> None:
    verdict = judge_node_role(
        mode=CM,
        access_entries=[],
        aws_auth=parse_aws_auth(EC2_ROW),
        role_arn=ROLE,
        kind=NodeKind.LINUX,
        session_name="i-0a1b2c3d4e5f60718",
        private_dns_name=DNS,
    )
    assert verdict.joins
    assert verdict.resolution.identity is not None
    assert verdict.resolution.identity.username == f"system:node:{DNS}"


@pytest.mark.parametrize(
    ("username", "groups", "node"),
    [
        ("system:node:ip-1", ("system:nodes",), "ip-1"),
        ("system:node:ip-1", ("system:bootstrappers",), None),  # not in system:nodes
        ("system:node:", ("system:nodes",), None),  # no name
        ("arn:aws:sts::1:assumed-role/n/i-1", ("system:nodes",), None),
        ("system:nodes:ip-1", ("system:nodes",), None),
    ],
)
def test_node_identity(username: str, groups: tuple[str, ...], node: str | None) -> None:
    assert node_identity(username, groups) == node


@pytest.mark.parametrize(
    ("verb", "resource", "allowed"),
    [
        ("get", "nodes", True),
        ("list", "nodes", True),
        ("create", "nodes", True),
        ("patch", "nodes/status", True),
        ("delete", "nodes", False),
        ("get", "secrets", False),  # the graph-based part of the Node authorizer is not modelled
    ],
)
def test_node_allows(verb: str, resource: str, allowed: bool) -> None:
    assert node_allows("ip-1", verb=verb, api_group="", resource=resource) is allowed
    assert node_allows(None, verb=verb, api_group="", resource=resource) is False


def test_node_restriction_refuses_writes_to_another_node() -> None:
    assert node_refusal("a", verb="create", api_group="", resource="nodes", name="a") is None
    assert node_refusal("a", verb="get", api_group="", resource="nodes", name="b") is None
    assert node_refusal(None, verb="update", api_group="", resource="nodes", name="b") is None
    assert (
        node_refusal("a", verb="patch", api_group="", resource="nodes/status", name="b")
        == 'node "a" is not allowed to modify node "b"'
    )


def test_node_rows() -> None:
    assert node_row(NodeKind.LINUX) == (
        "system:node:{{EC2PrivateDNSName}}",
        ("system:bootstrappers", "system:nodes"),
    )
    assert node_row(NodeKind.FARGATE)[1][-1] == "system:node-proxier"
    assert "eks:kube-proxy-windows" in node_row(NodeKind.WINDOWS)[1]


def test_where_node_roles_come_from() -> None:
    fargate = "arn:aws:iam::111122223333:role/pods"
    windows = "arn:aws:iam::111122223333:role/win"
    uses = node_roles_of(
        nodegroups=[("workers", PATH_ROLE, "AL2023_x86_64_STANDARD"), ("win", windows, "WINDOWS_CORE_2022_x86_64")],
        fargate_profiles=[("default", fargate)],
        access_entries=[AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX)],  # same role as PATH_ROLE
        aws_auth=parse_aws_auth(_row("system:node:{{SessionName}}", "system:nodes", "system:node-proxier",
                                     arn="arn:aws:iam::111122223333:role/other")),
    )  # fmt: skip
    kinds = {use.role_arn: (use.kind, use.source) for use in uses}
    assert kinds == {
        PATH_ROLE: (NodeKind.LINUX, "node group workers"),
        windows: (NodeKind.WINDOWS, "node group win"),
        fargate: (NodeKind.FARGATE, "Fargate profile default"),
        "arn:aws:iam::111122223333:role/other": (NodeKind.FARGATE, "aws-auth mapRoles[0]"),
    }
    assert kind_for_role(ROLE, uses).source == "node group workers"
    assert kind_for_role("arn:aws:iam::111122223333:role/karpenter", uses).kind is NodeKind.LINUX
