"""UpdateClusterConfig's ``logging`` and DescribeCluster's ``logging``: which control-plane log types are on.
(Not modelled yet: every type is off and the sandbox refuses the change.)"""

from __future__ import annotations

from typing import Any

from eksaccess.sandbox.aws.pagination import invalid_parameter
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.store import ClusterRecord

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def describe_logging(req: ServiceRequest, record: ClusterRecord) -> dict[str, Any]:
    """DescribeCluster's ``logging`` block."""
    return {"clusterLogging": [{"types": list(LOG_TYPES), "enabled": False}]}


def update_logging(req: ServiceRequest, record: ClusterRecord, value: object) -> dict[str, Any]:
    """Apply ``logging`` to ``record`` and return the update's ``type`` and ``params``."""
    raise invalid_parameter("The sandbox does not update the logging config")
