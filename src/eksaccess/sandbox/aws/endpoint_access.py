"""UpdateClusterConfig's ``resourcesVpcConfig``: the cluster endpoint's public and private access and the
public access CIDRs. (Not modelled yet: the sandbox refuses the change.)"""

from __future__ import annotations

from typing import Any

from eksaccess.sandbox.aws.pagination import invalid_parameter
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.store import ClusterRecord


def update_vpc_config(req: ServiceRequest, record: ClusterRecord, value: object) -> dict[str, Any]:
    """Apply ``resourcesVpcConfig`` to ``record`` and return the update's ``type`` and ``params`` (as
    DescribeUpdate shows them)."""
    raise invalid_parameter("The sandbox does not update resourcesVpcConfig")
