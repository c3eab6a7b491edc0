"""Connect to a cluster and read its access configuration live, as a ClusterState.

``connect`` asks EKS for the cluster (endpoint, CA, authentication mode), STS for the operator's identity
and builds a Kubernetes client with a fresh token (what ``aws eks get-token`` would mint). ``read_live``
reads everything access depends on, fresh each time: the access entries with their policies (API modes),
kube-system/aws-auth with its resourceVersion, RBAC objects and namespaces.

The cluster creator is invisible in CONFIG_MAP mode; when the operator's own live identity is the
creator's (``kubernetes-admin`` in ``system:masters``, not explained by aws-auth), the operator is the
creator and the state records it, so the engine counts that admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from eksaccess.adapters.aws import AwsSession, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import KubeCallError, KubeClient
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import CREATOR_USERNAME, Caller, find_aws_auth, subject_of
from eksaccess.domain.iam.principal import canonicalize
from eksaccess.domain.state import AccessEntryModel, AuthenticationMode, ClusterInfo, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.retry import DEFAULT_BACKOFF, Backoff, kube_retry


@dataclass(kw_only=True)
class Connection:
    """One cluster reached with one set of credentials."""

    session: AwsSession
    cluster: ClusterDescription
    operator: CallerIdentity
    kube: KubeClient
    backoff: Backoff = field(default=DEFAULT_BACKOFF)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def region(self) -> str:
        return self.cluster.region

    @property
    def account(self) -> str:
        return self.cluster.arn.split(":")[4]

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
        return self.state.authenticationMode


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
    return Connection(session=session, cluster=description, operator=operator, kube=kube, backoff=backoff)


def read_live(conn: Connection) -> LiveView:
    """A fresh read of the cluster's mode, access entries, aws-auth, RBAC objects and namespaces."""
    description = conn.session.describe_cluster(conn.name, conn.region)
    conn.cluster = description
    mode = description.authentication_mode or AuthenticationMode.CONFIG_MAP
    entries = conn.session.list_access_entries(conn.name, conn.region) if mode.uses_access_entries else []
    aws_auth = kube_retry(conn.kube.get_aws_auth, conn.backoff)
    manifests = kube_retry(conn.kube.rbac_manifests, conn.backoff)
    namespaces = kube_retry(conn.kube.namespaces, conn.backoff)
    kubernetes: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in namespaces
    ]
    kubernetes.extend(manifests)
    state = ClusterState(
        apiVersion="eksaccess/v1",
        kind="ClusterState",
        cluster=ClusterInfo(
            name=description.name,
            region=description.region,
            accountId=conn.account,
            arn=description.arn,
            version=description.version,
            endpoint=description.endpoint,
            certificateAuthorityData=description.certificate_authority_data,
        ),
        authenticationMode=mode,
        accessEntries=[AccessEntryModel.from_domain(e) for e in entries],
        awsAuth=aws_auth.data,
        kubernetes=kubernetes,
    )
    if mode is AuthenticationMode.CONFIG_MAP and _operator_is_creator(conn, state):
        info = state.cluster.model_copy(update={"creatorArn": canonicalize(conn.operator.arn)})
        state = state.model_copy(update={"cluster": info})
    return LiveView(state=state, aws_auth_version=aws_auth.resource_version, operator=conn.operator_caller)


def _operator_is_creator(conn: Connection, state: ClusterState) -> bool:
    try:
        me = kube_retry(conn.kube.whoami, conn.backoff)
    except KubeCallError:
        return False
    if me.username != CREATOR_USERNAME or "system:masters" not in me.groups:
        return False
    mapped = find_aws_auth(parse_aws_auth(state.awsAuth), subject_of(conn.operator_caller))
    return mapped is None or mapped.username != CREATOR_USERNAME


def with_state(view: LiveView, state: ClusterState) -> LiveView:
    return replace(view, state=state)
