"""Connect to a cluster and read its access configuration live, as a ClusterState.

``connect`` asks EKS for the cluster (endpoint, CA, authentication mode), STS for the operator's identity
and builds a Kubernetes client with a fresh token (what ``aws eks get-token`` would mint). ``read_live``
reads everything access depends on, fresh each time: the access entries with their policies (API modes),
kube-system/aws-auth with its resourceVersion, RBAC objects and namespaces.

The reading itself is ``features.cluster_read`` (the same for snapshots, audit and fleet), with the one
retry policy of ``features.retry``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eksaccess.adapters.aws import AwsSession, CallerIdentity, ClusterDescription
from eksaccess.adapters.eks_admin import EksAdmin
from eksaccess.adapters.kube import KubeClient
from eksaccess.adapters.ports import ClusterAdmin, KubeWriter
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.iam.principal import arn_account
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.cluster_read import read_cluster
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry


@dataclass(kw_only=True)
class Connection:
    """One cluster reached with one set of credentials: EKS (and IAM) as ``session``, the API server as
    ``kube``; live adapters from ``connect``, in-memory ones in feature tests."""

    session: ClusterAdmin
    cluster: ClusterDescription
    operator: CallerIdentity
    kube: KubeWriter
    backoff: Backoff = field(default=DEFAULT_BACKOFF)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def region(self) -> str:
        return self.cluster.region

    @property
    def account(self) -> str:
        return arn_account(self.cluster.arn)

    @property
    def operator_caller(self) -> Caller:
        return Caller(
            arn=self.operator.arn,
            account=self.operator.account,
            user_id=self.operator.user_id,
            access_key_id=self.operator.access_key_id,
        )

    def close(self) -> None:
        self.kube.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, kw_only=True)
class LiveView:
    """What the cluster holds right now; ``state`` is a ClusterState of it."""

    state: ClusterState
    aws_auth_version: str | None  # resourceVersion of kube-system/aws-auth; None when it does not exist
    operator: Caller

    @property
    def mode(self) -> AuthenticationMode:
        return self.state.authentication_mode


def connect(
    session: AwsSession, cluster: str, region: str | None = None, *, backoff: Backoff = DEFAULT_BACKOFF
) -> Connection:
    region = region or session.region
    if not region:
        raise InputError("no region: pass --region or set one in the AWS profile")
    description = session.describe_cluster(cluster, region)
    if not description.endpoint:
        raise InputError(f"cluster {cluster} has no endpoint yet (status {description.status})")
    operator = session.caller_identity()
    token = session.presign_token(cluster, region)
    kube = KubeClient(
        server=description.endpoint, ca_data=description.certificate_authority_data, token=token
    )
    return Connection(
        session=EksAdmin(session), cluster=description, operator=operator, kube=kube, backoff=backoff
    )


def read_live(conn: Connection) -> LiveView:
    """A fresh read of the cluster's mode, access entries, aws-auth, RBAC objects and namespaces."""
    description = retry(lambda: conn.session.describe_cluster(conn.name, conn.region), conn.backoff)
    conn.cluster = description
    read = read_cluster(
        conn.session, conn.kube, description, conn.operator_caller, account=conn.account, backoff=conn.backoff
    )
    return LiveView(state=read.state, aws_auth_version=read.aws_auth_version, operator=conn.operator_caller)
