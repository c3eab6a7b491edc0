"""The data of an aws-auth ConfigMap manifest: `kubectl get cm aws-auth -n kube-system -o yaml|json`, or the
bare data mapping (re-exported by awsauth)."""

from __future__ import annotations

import json
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eksaccess.domain.awsauth.go_yaml import first_document, json_type, scalar_kind
from eksaccess.errors import InputError


def split_manifest(text: str) -> dict[str, str]:
    """The data of a ConfigMap manifest (YAML or JSON) or of a bare data mapping; InputError otherwise."""
    return split_manifest_lines(text)[0]


def split_manifest_lines(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """Data plus, for each literal block value (``mapRoles: |``), the manifest line before its first line.

    Line *n* (1-based) of such a key's YAML is manifest line ``offset + n``.
    """
    if not text.strip():
        raise InputError("the aws-auth input is empty")
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON: {err.msg} (line {err.lineno})") from None
        except RecursionError:
            raise InputError("not valid JSON: nested too deeply") from None
        return _data_from_json(obj), {}
    doc = first_document(text)
    if doc.error is not None:
        raise InputError(f"not valid YAML: {doc.error}")
    return _data_from_node(doc.node)


def _pairs(node: MappingNode) -> dict[str, Node]:
    return {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}


def _data_from_node(node: Node | None) -> tuple[dict[str, str], dict[str, int]]:
    if not isinstance(node, MappingNode):
        raise InputError("expected a ConfigMap manifest or its data (a YAML or JSON mapping)")
    pairs = _pairs(node)
    kind_node = pairs.get("kind")
    kind = kind_node.value if isinstance(kind_node, ScalarNode) else None
    if kind == "List":
        items = pairs.get("items")
        if not isinstance(items, SequenceNode) or len(items.value) != 1:
            raise InputError("expected one ConfigMap, got a List that does not hold exactly one item")
        return _data_from_node(items.value[0])
    if "kind" in pairs and kind != "ConfigMap":
        raise InputError(f"expected a ConfigMap, got kind {kind!r}")
    manifest_like = any(k in pairs for k in ("kind", "apiVersion", "metadata", "data"))
    data_node = pairs.get("data") if manifest_like else node
    if data_node is None or (isinstance(data_node, ScalarNode) and scalar_kind(data_node) == "null"):
        return {}, {}
    if not isinstance(data_node, MappingNode):
        raise InputError("the ConfigMap's data must be a mapping of keys to strings")
    data: dict[str, str] = {}
    offsets: dict[str, int] = {}
    for key, value in _pairs(data_node).items():
        data[key] = _data_string(key, value)
        if isinstance(value, ScalarNode) and value.style == "|":
            offsets[key] = int(value.start_mark.line) + 1
    return data, offsets


def _show(key: str) -> str:
    """A data key as a message shows it: as is, or JSON-quoted when it holds control characters."""
    return key if key.isprintable() else json.dumps(key)


def _data_string(key: str, value: Node) -> str:
    if not isinstance(value, ScalarNode):
        raise InputError(
            f"data.{_show(key)} must be a string: write `{_show(key)}: |` followed by the YAML list "
            "(Kubernetes rejects a ConfigMap whose data value is a list or mapping)"
        )
    kind = scalar_kind(value)
    if kind == "null":
        return ""
    if kind != "str":
        raise InputError(f"data.{_show(key)} must be a string, got a {kind} ({value.value}): quote it")
    return str(value.value)


def _data_from_json(obj: Any) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise InputError("expected a ConfigMap manifest or its data (a JSON object)")
    if obj.get("kind") == "List":
        items = obj.get("items")
        if not isinstance(items, list) or len(items) != 1:
            raise InputError("expected one ConfigMap, got a List that does not hold exactly one item")
        return _data_from_json(items[0])
    if "kind" in obj and obj["kind"] != "ConfigMap":
        raise InputError(f"expected a ConfigMap, got kind {obj['kind']!r}")
    manifest_like = any(k in obj for k in ("kind", "apiVersion", "metadata", "data"))
    data = obj.get("data") if manifest_like else obj
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("the ConfigMap's data must be an object of keys to strings")
    result: dict[str, str] = {}
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"data.{_show(str(key))} must be a string, got {json_type(value)}")
        result[str(key)] = value or ""
    return result
