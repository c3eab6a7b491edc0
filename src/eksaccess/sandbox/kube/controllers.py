"""What kube-controller-manager does to the stored objects that matters here: ClusterRole aggregation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from eksaccess.domain.authz.aggregation import aggregate_cluster_roles
from eksaccess.domain.authz.rbac import RBAC_GROUP, parse_role

CLUSTER_ROLE_API = f"{RBAC_GROUP}/v1"


class StoredObjects(Protocol):
    """What the controller needs of the object store (``storage.KubeObjects``)."""

    def list(self, cluster: str, api_version: str, kind: str) -> list[dict[str, Any]]: ...

    def update(self, cluster: str, obj: Mapping[str, Any]) -> dict[str, Any]: ...


def aggregate_cluster_roles_in(objects: StoredObjects, cluster: str) -> int:
    """Fill the rules of every aggregating ClusterRole from the roles its selectors match, as the
    clusterrole-aggregation controller does; returns how many roles were rewritten."""
    manifests = objects.list(cluster, CLUSTER_ROLE_API, "ClusterRole")
    roles = [parse_role(m) for m in manifests]
    aggregated = aggregate_cluster_roles(roles)
    changed = 0
    for manifest, before, after in zip(manifests, roles, aggregated, strict=True):
        if before.aggregation is None or before.rules == after.rules:
            continue
        updated = dict(manifest)
        updated["rules"] = [rule.to_json() for rule in after.rules]
        meta = dict(updated.get("metadata") or {})
        meta.pop("resourceVersion", None)
        updated["metadata"] = meta
        objects.update(cluster, updated)
        changed += 1
    return changed
