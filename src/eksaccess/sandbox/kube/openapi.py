"""/openapi/v3 for the kinds a sandbox cluster serves, and strict field validation against the same tables.

kubectl (create/apply/replace -f, validation on) asks /openapi/v3 whether the server supports the
``fieldValidation`` query parameter: it looks for a PATCH operation tagged with the kind's
``x-kubernetes-group-version-kind`` that lists the parameter. When found it leaves validation to the server,
which is :func:`unknown_fields` here (``fieldValidation=Strict``: 400 ``strict decoding error``).
PATCH request bodies do not list ``application/strategic-merge-patch+json``, so ``kubectl apply`` computes its
patches from its built-in types (exactly what it does for these built-in kinds against a real cluster).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from eksaccess.sandbox.kube.discovery import RESOURCES, Resource

_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
# kind -> top-level fields besides apiVersion/kind/metadata; nested field lists checked below
TOP_FIELDS: dict[str, tuple[str, ...]] = {
    "Namespace": ("spec", "status"),
    "ConfigMap": ("data", "binaryData", "immutable"),
    "Secret": ("data", "stringData", "type", "immutable"),
    "ServiceAccount": ("secrets", "imagePullSecrets", "automountServiceAccountToken"),
    "Pod": ("spec", "status"),
    "Node": ("spec", "status"),
    "Event": (
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "count",
        "type",
        "eventTime",
        "series",
        "action",
        "related",
        "reportingComponent",
        "reportingInstance",
    ),
    "Service": ("spec", "status"),
    "Deployment": ("spec", "status"),
    "Role": ("rules",),
    "ClusterRole": ("rules", "aggregationRule"),
    "RoleBinding": ("subjects", "roleRef"),
    "ClusterRoleBinding": ("subjects", "roleRef"),
}
_NESTED: dict[str, tuple[str, ...]] = {
    "rules": ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"),
    "subjects": ("kind", "apiGroup", "name", "namespace"),
    "roleRef": ("apiGroup", "kind", "name"),
    "aggregationRule": ("clusterRoleSelectors",),
}


def unknown_fields(obj: Mapping[str, Any]) -> list[str]:
    """Field paths of ``obj`` its kind does not have (the ones kube's strict decoder names)."""
    kind = str(obj.get("kind", ""))
    allowed = {"apiVersion", "kind", "metadata", *TOP_FIELDS.get(kind, ())}
    bad = [key for key in obj if key not in allowed]
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        bad += [f"metadata.{key}" for key in meta if key not in _META]
    for field, known in _NESTED.items():
        value = obj.get(field)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                where = f"{field}[{index}]" if isinstance(value, list) else field
                bad += [f"{where}.{key}" for key in item if key not in known]
    return bad


def _path_prefix(res: Resource) -> str:
    base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
    return f"{base}/namespaces/{{namespace}}" if res.namespaced else base


def _ref(kind: str, group: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema_name(kind, group)}"}


def schema_name(kind: str, group: str) -> str:
    short = group.split(".")[0] if group else "core"
    return f"io.k8s.api.{short}.v1.{kind}"


_QUERY = ("dryRun", "fieldManager", "fieldValidation", "pretty")


def _operation(res: Resource, action: str, method: str, *, body: bool) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for name in _QUERY
    ]
    op: dict[str, Any] = {
        "operationId": f"{method}{res.kind}",
        "parameters": params,
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": _ref(res.kind, res.group)}},
            }
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": res.group, "version": res.version, "kind": res.kind},
    }
    if body:
        types = (
            ["application/json-patch+json", "application/merge-patch+json"]
            if method == "patch"
            else ["application/json"]
        )
        op["requestBody"] = {"content": {t: {"schema": _ref(res.kind, res.group)} for t in types}}
    return op


def _kind_schema(res: Resource) -> dict[str, Any]:
    props: dict[str, Any] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
    }
    for field in TOP_FIELDS.get(res.kind, ("spec", "status")):
        props[field] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "type": "object",
        "properties": props,
        "x-kubernetes-group-version-kind": [{"group": res.group, "version": res.version, "kind": res.kind}],
    }


@cache
def group_version_doc(group: str, version: str) -> dict[str, Any] | None:
    served = [r for r in RESOURCES if r.group == group and r.version == version]
    if not served:
        return None
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in sorted(_META)},
        }
    }
    for res in served:
        schemas[schema_name(res.kind, res.group)] = _kind_schema(res)
        collection = f"{_path_prefix(res)}/{res.name}"
        if not res.stored:
            paths[collection] = {"post": _operation(res, "post", "create", body=True)}
            continue
        paths[collection] = {
            "get": _operation(res, "list", "list", body=False),
            "post": _operation(res, "post", "create", body=True),
        }
        paths[f"{collection}/{{name}}"] = {
            "get": _operation(res, "get", "read", body=False),
            "put": _operation(res, "put", "replace", body=True),
            "patch": _operation(res, "patch", "patch", body=True),
            "delete": _operation(res, "delete", "delete", body=False),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.31.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@cache
def encoded_doc(group: str, version: str) -> bytes | None:
    doc = group_version_doc(group, version)
    return None if doc is None else json.dumps(doc, separators=(",", ":")).encode()


@cache
def root_doc() -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for res in RESOURCES:
        path = _gv_path(res.group, res.version)
        if path in seen:
            continue
        body = encoded_doc(res.group, res.version) or b""
        digest = hashlib.sha512(body).hexdigest().upper()
        seen[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": seen}


def doc_for_path(path: str) -> bytes | None:
    """The document for ``/openapi/v3/<path>`` (``api/v1``, ``apis/<group>/<version>``)."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        return encoded_doc("", parts[1])
    if parts[:1] == ["apis"] and len(parts) == 3:
        return encoded_doc(parts[1], parts[2])
    return None
