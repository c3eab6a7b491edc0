"""Who created an EKS cluster, from its CloudTrail ``CreateCluster`` event: the one rule, used by doctor
(to read the event) and by the sandbox (to write it).

The event (CloudTrail record, ``eventSource`` ``eks.amazonaws.com``) names the cluster in
``requestParameters.name`` (``clusterName`` in older events) or ``responseElements.cluster.arn``. Its
``userIdentity`` is the caller: ``IAMUser`` -> ``userIdentity.arn`` is the creator;
``AssumedRole`` -> ``userIdentity.sessionContext.sessionIssuer.arn`` (the IAM role ARN, with its path) is;
``Root`` -> the account root. CloudTrail's event history (LookupEvents) keeps 90 days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

EVENT_NAME = "CreateCluster"
EVENT_SOURCE = "eks.amazonaws.com"
HISTORY = timedelta(days=90)


class IdentityType(StrEnum):
    IAM_USER = "IAMUser"
    ASSUMED_ROLE = "AssumedRole"
    ROOT = "Root"
    FEDERATED_USER = "FederatedUser"
    OTHER = "Other"


@dataclass(frozen=True, kw_only=True, slots=True)
class ClusterCreation:
    """What a CreateCluster event tells about the creator."""

    cluster: str
    principal_arn: str  # the IAM user, the IAM role (with path) or the account root
    identity_type: IdentityType
    caller_arn: str  # userIdentity.arn (an STS assumed-role ARN for roles)
    session_name: str | None
    event_time: float  # epoch seconds
    event_id: str
    invoked_by: str | None  # e.g. cloudformation.amazonaws.com

    @property
    def is_role(self) -> bool:
        return self.identity_type is IdentityType.ASSUMED_ROLE


def _names(record: dict[str, Any]) -> set[str]:
    request = record.get("requestParameters") or {}
    response = (record.get("responseElements") or {}).get("cluster") or {}
    found = {
        request.get("name"),
        request.get("clusterName"),
        response.get("name"),
        response.get("clusterName"),
    }
    arn = response.get("arn")
    if isinstance(arn, str) and "/" in arn:
        found.add(arn.rsplit("/", 1)[1])
    return {n for n in found if isinstance(n, str) and n}


def creation_from_event(cloudtrail_event: str, cluster: str, *, event_time: float) -> ClusterCreation | None:
    """The creator of ``cluster`` from a CloudTrail record (the ``CloudTrailEvent`` JSON string), or None
    when the record is not the CreateCluster of that cluster (or names no usable identity)."""
    try:
        record = json.loads(cloudtrail_event)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("eventName") != EVENT_NAME:
        return None
    if record.get("eventSource") != EVENT_SOURCE or cluster not in _names(record):
        return None
    if record.get("errorCode"):  # a refused CreateCluster created nothing
        return None
    identity = record.get("userIdentity") or {}
    kind_text = str(identity.get("type", ""))
    kind = IdentityType(kind_text) if kind_text in {k.value for k in IdentityType} else IdentityType.OTHER
    caller = str(identity.get("arn", ""))
    issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer")) or {}
    principal = str(issuer.get("arn", "")) if kind is IdentityType.ASSUMED_ROLE else caller
    if not principal:
        return None
    session = caller.rsplit("/", 1)[1] if kind is IdentityType.ASSUMED_ROLE and "/" in caller else None
    return ClusterCreation(
        cluster=cluster,
        principal_arn=principal,
        identity_type=kind,
        caller_arn=caller,
        session_name=session,
        event_time=event_time,
        event_id=str(record.get("eventID", "")),
        invoked_by=identity.get("invokedBy") or None,
    )
