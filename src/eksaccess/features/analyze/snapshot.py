"""snapshot: capture a live cluster as a ClusterState (what every analysis command reads offline).

The reading is ``features.cluster_read`` (the same as management's); a snapshot leaves out the default RBAC
objects that are unchanged (the engine adds them back itself) unless asked to keep them. The creator is
known only in CONFIG_MAP mode, and only when the snapshot is taken by the creator itself.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.kube import KubeClient
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.iam.principal import arn_account
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError, RemoteError
from eksaccess.features.cluster_read import read_cluster
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    state: ClusterState
    notes: tuple[str, ...] = ()


def take_snapshot(
    session: AwsSession,
    cluster: str,
    region: str | None = None,
    *,
    keep_defaults: bool = False,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Snapshot:
    """Read one cluster live; AwsCallError / KubeCallError (exit 3) when a call fails after retries."""
    region = region or session.region
    if not region:
        raise InputError("no region: pass --region or set one in the AWS profile")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as pool:
        identity_job = pool.submit(retry, session.caller_identity, backoff)  # while EKS describes
        described = retry(lambda: session.describe_cluster(cluster, region), backoff)
        identity = identity_job.result()
    if not described.endpoint:
        raise RemoteError(f"cluster {cluster} has no endpoint yet (status {described.status})")
    reader = Caller(arn=identity.arn, account=identity.account, user_id=identity.user_id)
    token = session.presign_token(cluster, region)
    with KubeClient(
        server=described.endpoint, ca_data=described.certificate_authority_data, token=token
    ) as kube:
        read = read_cluster(
            session, kube, described, reader, account=arn_account(described.arn),
            keep_defaults=keep_defaults, backoff=backoff,
        )  # fmt: skip
    return Snapshot(state=read.state, notes=read.notes)
