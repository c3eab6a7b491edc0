"""UpdateClusterConfig's ``logging`` and DescribeCluster's ``logging``: which control-plane log types are on.

Types ``api``, ``audit``, ``authenticator``, ``controllerManager``, ``scheduler``, all off unless a
scenario (``logging: [authenticator]``) or an update turns them on. The update is ``LoggingUpdate`` with
one ``ClusterLogging`` param (the request's ``logging`` as a JSON string), as EKS answers. Turning a type on
creates the cluster's CloudWatch Logs group ``/aws/eks/NAME/cluster`` (only ``authenticator`` lines are
written to it: see ``sandbox/kube/mapping.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from eksaccess.domain.authenticator_log import log_group
from eksaccess.sandbox.aws.logs import ensure_group
from eksaccess.sandbox.aws.pagination import invalid_parameter
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.store import ClusterRecord, SandboxStore

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
META_LOGGING = "cluster_logging"  # store meta: cluster name -> the types on
_changes = [0]  # bumped by every change made in this process: readers that cache the setting re-read it


def changes() -> int:
    """How many times this process changed a cluster's logging setting."""
    return _changes[0]


def _all(store: SandboxStore) -> dict[str, list[str]]:
    return dict(json.loads(store.get_meta(META_LOGGING) or "{}"))


def enabled_types(store: SandboxStore, cluster: str) -> frozenset[str]:
    """The log types on for ``cluster``."""
    return frozenset(_all(store).get(cluster) or ())


def set_types(store: SandboxStore, record: ClusterRecord, types: Iterable[str], *, at: float) -> None:
    """Record the types on for ``record`` (a scenario's, or after an update); any type on creates the group."""
    kept = sorted(set(types), key=LOG_TYPES.index)
    with store.lock:
        found = _all(store)
        found[record.name] = kept
        store.set_meta(META_LOGGING, json.dumps(found))
        _changes[0] += 1
    if kept:
        ensure_group(
            store, account=record.account_id, region=record.region, name=log_group(record.name), at=at
        )


def forget(store: SandboxStore, cluster: str) -> None:
    """A deleted cluster's settings go with it."""
    with store.lock:
        found = _all(store)
        if found.pop(cluster, None) is not None:
            store.set_meta(META_LOGGING, json.dumps(found))
            _changes[0] += 1


def describe_logging(req: ServiceRequest, record: ClusterRecord) -> dict[str, Any]:
    """DescribeCluster's ``logging`` block: the types on in one group, the others in another."""
    on = enabled_types(req.ctx.store, record.name)
    groups = [
        {"types": [t for t in LOG_TYPES if t in on], "enabled": True},
        {"types": [t for t in LOG_TYPES if t not in on], "enabled": False},
    ]
    return {"clusterLogging": [g for g in groups if g["types"]]}


def _requested(value: object) -> list[tuple[list[str], bool]]:
    groups = value.get("clusterLogging") if isinstance(value, dict) else None
    if not isinstance(groups, list) or not groups:
        raise invalid_parameter("No changes needed for the logging config provided")
    out: list[tuple[list[str], bool]] = []
    for group in groups:
        types = group.get("types") if isinstance(group, dict) else None
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise invalid_parameter("clusterLogging types must be a list of log types")
        for kind in types:
            if kind not in LOG_TYPES:
                raise invalid_parameter(
                    f"The type {kind} is not valid; valid values are [{', '.join(LOG_TYPES)}]"
                )
        out.append((types, bool(group.get("enabled", False))))
    return out


def update_logging(req: ServiceRequest, record: ClusterRecord, value: object) -> dict[str, Any]:
    """Apply ``logging`` to ``record`` and return the update's ``type`` and ``params``."""
    before = enabled_types(req.ctx.store, record.name)
    after = set(before)
    for types, enabled in _requested(value):
        after = after | set(types) if enabled else after - set(types)
    if after == before:
        raise invalid_parameter("No changes needed for the logging config provided")
    set_types(req.ctx.store, record, after, at=req.now.timestamp())
    req.ctx.log.info(
        "eks UpdateClusterConfig %s logging %s -> %s by %s",
        record.name,
        sorted(before),
        sorted(after),
        req.caller.arn,
    )
    return {
        "type": "LoggingUpdate",
        "params": [{"type": "ClusterLogging", "value": json.dumps(value, separators=(",", ":"))}],
    }
