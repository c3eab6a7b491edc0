"""PATCH bodies as kube-apiserver applies them: JSON merge (RFC 7386), JSON patch (RFC 6902) and
strategic merge patch with the patch strategies of the kinds the sandbox serves.

Strategic merge: maps merge recursively, ``null`` deletes a key; a list merges by its merge key only where
the Kubernetes type declares ``patchStrategy: merge`` (containers by name, env by name, ...); every other
list (RBAC ``rules`` and ``subjects`` included) is replaced as a whole. Directives understood: ``$patch``
(``replace``, ``delete``, ``merge``), ``$setElementOrder/<field>``, ``$retainKeys``,
``$deleteFromPrimitiveList/<field>``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

JSON = Any

_CONTAINER = {
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
}
_POD_SPEC = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
}
_META = {"ownerReferences": "uid", "finalizers": ""}  # "" = merge a primitive list (set union)


class PatchError(ValueError):
    """A patch that cannot be applied (the API server answers 422 or 400)."""


def merge_key_for(kind: str, path: tuple[str, ...]) -> str | None:
    """The merge key of the list at ``path`` (field names only), "" for a merged primitive list, or None."""
    if len(path) == 2 and path[0] == "metadata":
        return _META.get(path[1])
    pod_spec: tuple[str, ...] | None = None
    if kind == "Pod" and path[:1] == ("spec",):
        pod_spec = path[1:]
    elif kind == "Deployment" and path[:3] == ("spec", "template", "spec"):
        pod_spec = path[3:]
    elif kind == "Service" and path == ("spec", "ports"):
        return "port"
    elif kind == "ServiceAccount" and path == ("secrets",):
        return "name"
    if pod_spec is None:
        return None
    if len(pod_spec) == 1:
        return _POD_SPEC.get(pod_spec[0])
    if len(pod_spec) == 2 and pod_spec[0] in ("containers", "initContainers", "ephemeralContainers"):
        return _CONTAINER.get(pod_spec[1])
    return None


# JSON merge patch ---------------------------------------------------------------------------------------


def json_merge_patch(target: JSON, patch: JSON) -> JSON:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# JSON patch ---------------------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer {path!r} does not start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: JSON, parts: list[str]) -> JSON:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _add(doc: JSON, parts: list[str], value: JSON) -> JSON:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
        if not 0 <= index <= len(parent):
            raise PatchError(f"add operation does not apply: index {last} out of range")
        parent.insert(index, value)
    else:
        raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _remove(doc: JSON, parts: list[str]) -> JSON:
    parent = _walk(doc, parts[:-1])
    last = parts[-1] if parts else ""
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"remove operation does not apply: doc is missing path: /{'/'.join(parts)}")


def json_patch(target: JSON, operations: JSON) -> JSON:
    if not isinstance(operations, list):
        raise PatchError("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("json patch operation without 'op'")
        name, parts = op["op"], _pointer(str(op.get("path", "")))
        if name == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif name == "remove":
            _remove(doc, parts)
        elif name == "replace":
            _walk(doc, parts)
            if parts:
                _remove(doc, parts)
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif name in ("move", "copy"):
            source = _pointer(str(op.get("from", "")))
            value = _remove(doc, source) if name == "move" else copy.deepcopy(_walk(doc, source))
            doc = _add(doc, parts, value)
        elif name == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError(f"testing value /{'/'.join(parts)} failed")
        else:
            raise PatchError(f"Unexpected kind: {name}")
    return doc


# strategic merge patch ----------------------------------------------------------------------------------


def strategic_merge_patch(target: JSON, patch: JSON, *, kind: str) -> JSON:
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object")
    return _merge_map(copy.deepcopy(target) if isinstance(target, dict) else {}, patch, kind, ())


def _merge_map(original: dict[str, Any], patch: Mapping[str, Any], kind: str, path: tuple[str, ...]) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    body = {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "replace":
        return _strip(body)
    retain = body.pop("$retainKeys", None)
    if isinstance(retain, list):
        original = {k: v for k, v in original.items() if k in retain}
    for key in [k for k in body if k.startswith("$setElementOrder/")]:
        body.pop(key)
    for key in [k for k in body if k.startswith("$deleteFromPrimitiveList/")]:
        field = key.split("/", 1)[1]
        removed = body.pop(key) or []
        if isinstance(original.get(field), list):
            original[field] = [v for v in original[field] if v not in removed]
    for key, value in body.items():
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict):
            current = original.get(key)
            merged = _merge_map(current if isinstance(current, dict) else {}, value, kind, (*path, key))
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list):
            original[key] = _merge_list(original.get(key), value, kind, (*path, key))
        else:
            original[key] = value
    return original


def _merge_list(original: Any, patch: list[Any], kind: str, path: tuple[str, ...]) -> list[Any]:
    merge_key = merge_key_for(kind, path)
    replace = any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch)
    if merge_key is None or replace or not isinstance(original, list):
        return [_strip(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    if merge_key == "":
        return original + [v for v in patch if v not in original]
    result = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"list at {'.'.join(path)} must hold objects with {merge_key}")
        key_value = item.get(merge_key)
        index = next(
            (i for i, o in enumerate(result) if isinstance(o, dict) and o.get(merge_key) == key_value), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(_strip(item))
        else:
            result[index] = _merge_map(result[index], item, kind, path)
    return result


def _strip(value: Any) -> Any:
    """Drop directives from a value that is taken as is."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value
