"""Read what the node diagnosis needs, live: the cluster's state (with its node groups and Fargate
profiles) and aws-auth's resourceVersion, as the identity doctor runs with."""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.eks_nodes import describe_nodegroup
from eksaccess.adapters.kube import KubeClient
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.iam.principal import arn_account
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError, RemoteError
from eksaccess.features.cluster_read import read_cluster
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry


@dataclass(frozen=True, kw_only=True)
class NodeFacts:
    state: ClusterState
    aws_auth_version: str | None
    role_arn: str
    notes: tuple[str, ...] = ()


def nodegroup_role(session: AwsSession, cluster: str, nodegroup: str, region: str | None) -> str:
    """The node group's nodeRole (DescribeNodegroup); a node group EKS does not know is bad input."""
    try:
        return retry(
            lambda: describe_nodegroup(session, cluster, nodegroup, region), DEFAULT_BACKOFF
        ).node_role
    except AwsCallError as err:
        if err.kind is AwsErrorKind.NOT_FOUND:
            raise InputError(f"cluster {cluster} has no node group {nodegroup!r}: {err}") from None
        raise


def gather_node(
    session: AwsSession,
    cluster: str,
    region: str | None,
    *,
    role_arn: str | None,
    nodegroup: str | None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> NodeFacts:
    """AwsCallError / KubeCallError (exit 3) when a call fails after retries."""
    region = region or session.region
    if not region:
        raise InputError("no region: pass --region or set one in the AWS profile")
    role = role_arn or nodegroup_role(session, cluster, str(nodegroup), region)
    identity = retry(session.caller_identity, backoff)
    described = retry(lambda: session.describe_cluster(cluster, region), backoff)
    if not described.endpoint:
        raise RemoteError(f"cluster {cluster} has no endpoint yet (status {described.status})")
    reader = Caller(arn=identity.arn, account=identity.account, user_id=identity.user_id)
    token = session.presign_token(cluster, region)
    with KubeClient(
        server=described.endpoint, ca_data=described.certificate_authority_data, token=token
    ) as kube:
        read = read_cluster(
            session,
            kube,
            described,
            reader,
            account=arn_account(described.arn),
            keep_defaults=False,
            backoff=backoff,
        )
    return NodeFacts(
        state=read.state, aws_auth_version=read.aws_auth_version, role_arn=role, notes=read.notes
    )
