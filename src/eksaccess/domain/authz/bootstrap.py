"""The default ClusterRoles and ClusterRoleBindings every cluster has, as data
(https://github.com/kubernetes/kubernetes/blob/master/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go).

``with_bootstrap(manifests)`` adds them to a cluster's objects; an object of the snapshot with the same
kind and name replaces the bootstrap one (as an edited default role would on a live cluster).
Bootstrap aggregated roles (admin, edit, view) carry ``rules: null``; they are filled by the same
aggregation pass as the cluster's own roles.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from eksaccess.domain.authz.aggregation import aggregate_cluster_roles
from eksaccess.domain.authz.compact_rules import expand_grant
from eksaccess.domain.authz.rbac import RBAC_GROUP, PolicyRule, iter_objects, parse_role

BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE_ANNOTATION = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
SYSTEM_MASTERS = "system:masters"


@functools.cache
def load_data(name: str) -> Any:
    """A data file shipped in ``eksaccess/domain/data`` (package data, read once).

    ``NAME.yaml`` is the source people edit, with its comments and sources; ``NAME.json`` is generated
    from it (``make generate``; a test keeps the two equal) and is what runs: parsing the
    YAML with the pure-Python parser cost 0.2 s of every command's start-up.
    """
    return json.loads(_data_file(f"{name}.json"))


def load_yaml_source(name: str) -> Any:
    """``NAME.yaml`` parsed (for the generator and the test that keeps the JSON in step)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(_data_file(f"{name}.yaml"))


_DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


def _data_file(name: str) -> str:
    """A file of ``eksaccess/domain/data`` (beside the code: importlib.resources would cost every command
    a twentieth of a second of imports)."""
    with open(os.path.join(_DATA, name), encoding="utf-8") as file:
        return file.read()


def _metadata(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {**BOOTSTRAP_LABELS, **(labels or {})},
        "annotations": dict(AUTOUPDATE_ANNOTATION),
    }


def _cluster_role(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": _metadata(name, spec.get("labels")),
    }
    aggregate_from = spec.get("aggregateFrom")
    if aggregate_from:
        manifest["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {key: "true"}} for key in aggregate_from]
        }
        manifest["rules"] = None
    else:
        manifest["rules"] = [expand_grant(grant) for grant in spec.get("grants") or []]
    return manifest


def _cluster_role_binding(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    subjects = [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": g} for g in spec.get("groups") or []]
    subjects += [{"apiGroup": RBAC_GROUP, "kind": "User", "name": u} for u in spec.get("users") or []]
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _metadata(name),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": spec.get("role", name)},
        "subjects": subjects,
    }


@functools.cache
def bootstrap_manifests() -> tuple[Mapping[str, Any], ...]:
    """The default ClusterRoles then ClusterRoleBindings, as manifests (aggregated roles unfilled)."""
    data = load_data("bootstrap_roles")
    roles = [_cluster_role(name, spec) for name, spec in data["clusterRoles"].items()]
    bindings = [_cluster_role_binding(name, spec) for name, spec in data["clusterRoleBindings"].items()]
    return tuple(roles + bindings)


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return (str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", "")))


def with_bootstrap(manifests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Default objects first (unless the snapshot has one of that kind and name), then the snapshot's."""
    own = list(iter_objects(manifests))
    present = {_key(obj) for obj in own}
    defaults = [obj for obj in bootstrap_manifests() if _key(obj) not in present]
    return defaults + own


@functools.cache
def bootstrap_cluster_role_rules(name: str) -> tuple[PolicyRule, ...]:
    """The rules of a default ClusterRole, aggregation resolved from the bootstrap data alone."""
    roles = [parse_role(obj) for obj in bootstrap_manifests() if obj.get("kind") == "ClusterRole"]
    for role in aggregate_cluster_roles(roles):
        if role.name == name:
            return role.rules
    raise KeyError(f"no default ClusterRole named {name!r}")


def bootstrap_role_names() -> tuple[str, ...]:
    return tuple(
        str(obj["metadata"]["name"]) for obj in bootstrap_manifests() if obj.get("kind") == "ClusterRole"
    )
