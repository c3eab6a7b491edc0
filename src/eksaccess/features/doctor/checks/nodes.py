"""Node roles that cannot join (``doctor --node-role ARN`` / ``--nodegroup NAME``): the codes, the findings
made from ``domain.nodes``'s verdict, and their fixes.

The kubectl walk diagnoses the caller, never a kubelet, so ``check`` finds nothing; features/doctor/node
runs the node diagnosis and calls ``node_findings``. A fix runs as whoever ran doctor (``--profile`` /
``--admin-profile``): an access entry's type cannot be changed, so a wrong one is deleted and created again.
"""

from __future__ import annotations

from collections.abc import Mapping

from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.awsauth.edit import upsert_role
from eksaccess.domain.awsauth.reader import ROLES_KEY
from eksaccess.domain.findings import (
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam.principal import parse_principal
from eksaccess.domain.nodes import NodeCause, NodeKind, NodeVerdict, node_row
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer, aws_auth_patch, cmd

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.NODE_ROLE_NOT_MAPPED,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The node role is not mapped: its kubelets get Unauthorized",
        why="Neither an access entry nor an aws-auth row maps the node role (a Karpenter role never mapped, "
        "a row lost in a migration, aws-auth ignored after the switch to API): kubelets log `Unable to "
        'register node "ip-..." with API server: Unauthorized` and the nodes never join.',
        fix="an access entry of the node's type (`eksaccess grant ARN --type EC2_LINUX` / `aws eks "
        "create-access-entry --type EC2_LINUX`; FARGATE_LINUX, EC2_WINDOWS, EC2 as the node runs), in "
        "CONFIG_MAP the node row (`eksaccess grant ARN --via aws-auth --type EC2_LINUX` / `kubectl patch "
        "configmap aws-auth` pinned to the resourceVersion read), run as the identity doctor read with",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.NODE_ENTRY_WRONG_TYPE,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The node role's access entry is not of the node's type",
        why="A STANDARD entry gives the role's session ARN as username and no system:nodes group: the kubelet "
        "authenticates but is no node to the Node authorizer, and registering its Node is forbidden. An "
        "entry's type cannot be updated.",
        fix="delete the entry and create it with the node's type (`eksaccess revoke ARN --via access-entry "
        "--force` then `eksaccess grant ARN --type EC2_LINUX` / `aws eks delete-access-entry` then `aws eks "
        "create-access-entry --type EC2_LINUX`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.NODE_ROW_WRONG_IDENTITY,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The node role's aws-auth row does not give the node identity",
        why="A node row needs the username system:node:{{EC2PrivateDNSName}} (Fargate, hybrid: "
        "system:node:{{SessionName}}) and the groups system:bootstrappers and system:nodes. With "
        "system:node:{{SessionName}} an EC2 node is named after its instance id and NodeRestriction refuses "
        'its own Node (`node "i-..." is not allowed to modify node "ip-..."`); without system:nodes it is no node.',
        fix="rewrite the row as the node row (`eksaccess grant ARN --via aws-auth --type EC2_LINUX --force`, "
        "since the lock-out guard refuses any change of a node row's username / `kubectl patch configmap "
        "aws-auth` pinned to the resourceVersion read)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.FARGATE_ROLE_WRONG_TYPE,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The Fargate pod execution role is not mapped as a Fargate node",
        why="Fargate nodes are named after the role session, not an instance: an EC2_LINUX or STANDARD entry "
        "(or a row with {{EC2PrivateDNSName}}) cannot give system:node:<session> (`SessionName did not "
        "contain an instance id`), so pods on Fargate stay Pending.",
        fix="recreate the entry as FARGATE_LINUX (`eksaccess revoke ARN --via access-entry --force` then "
        "`eksaccess grant ARN --type FARGATE_LINUX` / `aws eks delete-access-entry` then `aws eks "
        "create-access-entry --type FARGATE_LINUX`), or rewrite the row as the Fargate row",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a kubelet: node roles are doctor --node-role's."""
    return []


def _code(verdict: NodeVerdict) -> FindingCode:
    cause = verdict.cause
    if cause is NodeCause.NOT_MAPPED:
        return FindingCode.NODE_ROLE_NOT_MAPPED
    if verdict.kind is NodeKind.FARGATE:
        return FindingCode.FARGATE_ROLE_WRONG_TYPE
    if cause is NodeCause.ENTRY_WRONG_TYPE:
        return FindingCode.NODE_ENTRY_WRONG_TYPE
    return FindingCode.NODE_ROW_WRONG_IDENTITY


def node_findings(
    verdict: NodeVerdict,
    *,
    mode: AuthenticationMode,
    aws_auth: Mapping[str, str] | None,
    aws_auth_version: str | None,
    writer: Writer,
) -> list[Finding]:
    """The finding for a node role whose kubelets cannot join (none when they can), with its fix."""
    if verdict.cause is None:
        return []
    entry = verdict.via_entry
    recreate = entry is not None and verdict.cause is NodeCause.ENTRY_WRONG_TYPE
    use_entry = mode.uses_access_entries and (
        recreate or verdict.cause is NodeCause.NOT_MAPPED or mode is AuthenticationMode.API
    )
    if recreate:
        fix = recreate_entry_fix(writer, verdict)
    elif use_entry:
        fix = create_entry_fix(writer, verdict)
    else:
        fix = node_row_fix(writer, verdict, aws_auth, aws_auth_version)
    resolution = verdict.resolution
    identity = resolution.identity
    return [
        finding(
            _code(verdict),
            detail=f"A kubelet ({verdict.kind.label}) with {verdict.role_arn} cannot join: {verdict.reason}.",
            subject=verdict.role_arn,
            fix=fix,
            evidence={
                "kind": verdict.kind.value,
                "wantedType": verdict.kind.entry_type.value,
                "mappedBy": str(resolution.source),
                "entryType": entry.type.value if entry else None,
                "username": identity.username if identity else None,
                "expectedUsername": verdict.expected_username,
            },
        )
    ]


def _entry_arn(verdict: NodeVerdict) -> str:
    entry = verdict.via_entry
    return entry.principal_arn if entry is not None else verdict.role_arn


def create_entry_fix(writer: Writer, verdict: NodeVerdict) -> tuple[FixStep, ...]:
    arn, wanted = _entry_arn(verdict), verdict.kind.entry_type.value
    common = writer.aws_flags()
    return (
        FixStep(
            text=f"As {writer.who}, give the node role an access entry of type {wanted} (EKS then gives "
            "its kubelets the node username and groups).",
            eksaccess=(
                cmd("eksaccess", "grant", arn, "--cluster", writer.cluster, "--type", wanted, *common),
            ),
            plain=(
                cmd(
                    "aws",
                    "eks",
                    "create-access-entry",
                    "--cluster-name",
                    writer.cluster,
                    "--principal-arn",
                    arn,
                    "--type",
                    wanted,
                    *common,
                ),
            ),
        ),
    )


def recreate_entry_fix(writer: Writer, verdict: NodeVerdict) -> tuple[FixStep, ...]:
    arn, wanted = _entry_arn(verdict), verdict.kind.entry_type.value
    common = writer.aws_flags()
    return (
        FixStep(
            text=f"As {writer.who}, delete the entry and create it again as {wanted} (an access entry's type "
            "cannot be updated).",
            eksaccess=(
                cmd(
                    "eksaccess",
                    "revoke",
                    arn,
                    "--cluster",
                    writer.cluster,
                    "--via",
                    "access-entry",
                    "--force",
                    *common,
                ),
                cmd("eksaccess", "grant", arn, "--cluster", writer.cluster, "--type", wanted, *common),
            ),
            plain=(
                cmd(
                    "aws",
                    "eks",
                    "delete-access-entry",
                    "--cluster-name",
                    writer.cluster,
                    "--principal-arn",
                    arn,
                    *common,
                ),
                cmd(
                    "aws",
                    "eks",
                    "create-access-entry",
                    "--cluster-name",
                    writer.cluster,
                    "--principal-arn",
                    arn,
                    "--type",
                    wanted,
                    *common,
                ),
            ),
        ),
    )


def node_row_fix(
    writer: Writer, verdict: NodeVerdict, aws_auth: Mapping[str, str] | None, version: str | None
) -> tuple[FixStep, ...]:
    """The role's mapRoles row written as the node row (path-less rolearn), other rows kept byte for byte."""
    rolearn = parse_principal(verdict.role_arn).pathless_arn
    username, groups = node_row(verdict.kind)
    edited = upsert_role(aws_auth or {}, rolearn, username=username, groups=groups)
    wanted = verdict.kind.entry_type.value
    return (
        FixStep(
            text=f"As {writer.who}, map the node role in aws-auth as a node: username {username}, groups "
            f"{', '.join(groups)}.",
            eksaccess=(
                cmd(
                    "eksaccess",
                    "grant",
                    rolearn,
                    "--cluster",
                    writer.cluster,
                    "--via",
                    "aws-auth",
                    "--type",
                    wanted,
                    "--force",  # the lock-out guard refuses any change of a node row's username
                    *writer.aws_flags(),
                ),
            ),
            plain=(aws_auth_patch(writer, {ROLES_KEY: edited[ROLES_KEY]}, version),),
        ),
    )
