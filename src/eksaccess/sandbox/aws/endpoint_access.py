"""UpdateClusterConfig's ``resourcesVpcConfig``: the cluster endpoint's public and private access and the
public access CIDRs, by EKS's rules (``domain/endpoint_access.py``). The change is kept in the store and
the cluster's API server listener follows it at once: it refuses connections when the scenario's clientIp
is outside the public CIDRs or public access is off, and serves again when they let this machine in.
Subnets and security groups (a ``VpcConfigUpdate``) are not modelled: the sandbox refuses them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksaccess.domain.endpoint_access import UPDATE_TYPE, EndpointAccessError, apply_update, update_params
from eksaccess.sandbox.aws.pagination import invalid_parameter
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.scenarios.seed import endpoint_settings, put_endpoint_settings
from eksaccess.sandbox.store import ClusterRecord

_ENDPOINT_FIELDS = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")
_NOT_MODELLED = ("subnetIds", "securityGroupIds", "controlPlaneEgressMode")


def _flag(config: Mapping[str, Any], key: str) -> bool | None:
    value = config.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise invalid_parameter(f"{key} must be true or false")


def _cidrs(config: Mapping[str, Any]) -> list[str] | None:
    value = config.get("publicAccessCidrs")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise invalid_parameter("publicAccessCidrs must be a list of strings")
    return list(value)


def update_vpc_config(req: ServiceRequest, record: ClusterRecord, value: object) -> dict[str, Any]:
    """Apply ``resourcesVpcConfig`` to ``record`` and return the update's ``type`` and ``params`` (as
    DescribeUpdate shows them)."""
    if not isinstance(value, dict):
        raise invalid_parameter("resourcesVpcConfig must be an object")
    if any(value.get(key) for key in _NOT_MODELLED):
        raise invalid_parameter(
            "The sandbox updates only endpointPublicAccess, endpointPrivateAccess and publicAccessCidrs"
        )
    if not any(key in value for key in _ENDPOINT_FIELDS):
        raise invalid_parameter("Invalid type for cluster update.")
    store = req.ctx.store
    with store.lock:
        current = endpoint_settings(store, record.name)
        try:
            updated = apply_update(
                current,
                public=_flag(value, "endpointPublicAccess"),
                private=_flag(value, "endpointPrivateAccess"),
                cidrs=_cidrs(value),
            )
        except EndpointAccessError as err:
            raise invalid_parameter(str(err)) from None
        put_endpoint_settings(store, record.name, updated)
    if req.ctx.refresh_cluster_listener is not None:
        req.ctx.refresh_cluster_listener(record.name)
    req.ctx.log.info(
        "eks UpdateClusterConfig %s endpoint public=%s private=%s cidrs=%s by %s",
        record.name,
        updated.public,
        updated.private,
        ",".join(updated.public_cidrs),
        req.caller.arn,
    )
    return {"type": UPDATE_TYPE, "params": update_params(updated)}
