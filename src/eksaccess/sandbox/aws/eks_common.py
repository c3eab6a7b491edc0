"""Helpers shared by the EKS cluster and access entry operations."""

from __future__ import annotations

import uuid

from eksaccess.domain.iam.principal import arn_partition, parse_principal
from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.store import ClusterRecord

DELETED = "DELETED"  # a scenario's cluster deleted after its kubeconfig was written (seed.py)


def cluster_arn(region: str, account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:eks:{region}:{account}:cluster/{name}"


def not_found_cluster(name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"No cluster found for name: {name}.", status=404)


def find_cluster(req: ServiceRequest, name: str, action: str) -> ClusterRecord:
    """The caller's cluster ``name`` in the request's region, after the allow-list check."""
    ensure_allowed(
        req.caller, action, cluster_arn(req.region, req.caller.account, name, req.caller.partition)
    )
    record = req.ctx.store.get_cluster(name)
    if (
        record is None
        or record.status == DELETED
        or record.region != req.region
        or record.account_id != req.caller.account
    ):
        raise not_found_cluster(name)
    return record


def entry_arn(cluster: ClusterRecord, principal_arn: str) -> str:
    """``arn:aws:eks:REGION:ACCOUNT:access-entry/CLUSTER/role/PRINCIPAL_ACCOUNT/NAME/UUID`` (facts 2)."""
    principal = parse_principal(principal_arn)
    kind = "user" if principal.kind.value == "user" else "role"
    partition = arn_partition(cluster.arn)
    return (
        f"arn:{partition}:eks:{cluster.region}:{cluster.account_id}:access-entry/{cluster.name}/{kind}/"
        f"{principal.account}/{principal.name}/{uuid.uuid4()}"
    )
