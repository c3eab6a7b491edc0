"""The aws-auth ConfigMap in a manifest file (re-exported by awsauth): `kubectl get cm aws-auth -n kube-system
-o yaml|json`, the bare data mapping, or a file of several objects applied together with `kubectl apply -f`
(documents separated by ``---``, and ``kind: List`` items, as `kubectl get -o yaml` writes several objects).

Among several objects the aws-auth ConfigMaps are the ones of kind ConfigMap named aws-auth (the authenticator
watches that name in kube-system only: https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go);
the other objects are not read. A single object keeps the older, laxer reading: a ConfigMap without a name,
or its bare data, is taken as aws-auth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eksaccess.domain.awsauth.go_yaml import all_documents, json_type, line_of, scalar_kind
from eksaccess.errors import InputError

AWS_AUTH_NAME = "aws-auth"
AWS_AUTH_NAMESPACE = "kube-system"
_MANIFEST_KEYS = ("kind", "apiVersion", "metadata", "data")
_SHOWN_OBJECTS = 5


@dataclass(frozen=True, kw_only=True, slots=True)
class AwsAuthDocument:
    """One aws-auth ConfigMap of a manifest file: its data, and where it sits in the file."""

    data: dict[str, str]
    offsets: dict[str, int]  # per literal block key (``mapRoles: |``): the file line before its first line
    position: int  # 1-based among the file's objects (documents, and List items in their place)
    objects: int  # how many objects the file holds
    place: str  # "document 3", "document 1, item 2", "item 2" (JSON)
    line: int | None  # the 1-based file line where the object starts (None for JSON)
    namespace: str | None  # metadata.namespace as written; None when not set
    namespace_line: int | None = None
    is_manifest: bool = True  # False: the bare data mapping (no kind, apiVersion, metadata or data)

    @property
    def namespace_decided_by_apply(self) -> bool:
        """A manifest without metadata.namespace: `kubectl apply -n` (or the context) decides where it lands."""
        return self.is_manifest and not self.namespace


@dataclass(frozen=True, kw_only=True, slots=True)
class _Object:
    value: Any  # a MappingNode (YAML) or a dict (JSON)
    place: str
    line: int | None


def split_manifest(text: str) -> dict[str, str]:
    """The data of the aws-auth ConfigMap of a manifest (YAML or JSON) or of a bare data mapping."""
    return split_manifest_lines(text)[0]


def split_manifest_lines(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """Data plus, for each literal block value (``mapRoles: |``), the manifest line before its first line.

    Line *n* (1-based) of such a key's YAML is manifest line ``offset + n``. With several aws-auth
    ConfigMaps, the last one: the one ``kubectl apply -f`` leaves in place.
    """
    last = find_aws_auth(text)[-1]
    return last.data, last.offsets


def find_aws_auth(text: str) -> tuple[AwsAuthDocument, ...]:
    """Every aws-auth ConfigMap of the file, in file order (never empty); InputError when there is none."""
    if not text.strip():
        raise InputError("the aws-auth input is empty")
    objects = _json_objects(text) if text.lstrip().startswith("{") else _yaml_objects(text)
    found = [(i, o) for i, o in enumerate(objects, 1) if _is_aws_auth(o.value)]
    if not found and len(objects) == 1:
        found = [(1, objects[0])]  # a lone ConfigMap or its bare data: read as before
    if not found:
        raise InputError(_none_found(objects))
    return tuple(_document(o, i, len(objects)) for i, o in found)


# ---------------------------------------------------------------------------------------------------------
# Objects


def _yaml_objects(text: str) -> list[_Object]:
    nodes, error = all_documents(text)
    if error is not None:
        at = f" (line {error.line})" if error.line is not None else ""
        raise InputError(f"not valid YAML{at}: {error.error}")
    documents = [n for n in nodes if not (isinstance(n, ScalarNode) and scalar_kind(n) == "null")]
    objects: list[_Object] = []
    for d, node in enumerate(documents, 1):
        place = f"document {d}" if len(documents) > 1 else ""
        items = _list_items(node)
        if items is None:
            objects.append(_Object(value=node, place=place or "document 1", line=line_of(node)))
            continue
        for i, item in enumerate(items, 1):
            where = f"{place}, item {i}" if place else f"item {i}"
            objects.append(_Object(value=item, place=where, line=line_of(item)))
    return objects


def _json_objects(text: str) -> list[_Object]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg} (line {err.lineno})") from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply") from None
    if (
        isinstance(obj, dict)
        and str(obj.get("kind", "")).endswith("List")
        and isinstance(obj.get("items"), list)
    ):
        return [_Object(value=item, place=f"item {i}", line=None) for i, item in enumerate(obj["items"], 1)]
    return [_Object(value=obj, place="document 1", line=None)]


def _list_items(node: Node) -> list[Node] | None:
    """The items of a ``kind: List`` (or ``ConfigMapList``) mapping; None for any other node."""
    if not isinstance(node, MappingNode):
        return None
    pairs = _pairs(node)
    kind, items = _text(pairs.get("kind")), pairs.get("items")
    if kind is None or not kind.endswith("List") or not isinstance(items, SequenceNode):
        return None
    return list(items.value)


def _pairs(node: MappingNode) -> dict[str, Node]:
    return {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}


def _text(node: Node | None) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) and scalar_kind(node) != "null" else None


def _fields(value: Any) -> tuple[str | None, str | None, str | None]:
    """kind, metadata.name, metadata.namespace of a YAML node or JSON object."""
    if isinstance(value, MappingNode):
        pairs = _pairs(value)
        meta_node = pairs.get("metadata")
        meta_pairs = _pairs(meta_node) if isinstance(meta_node, MappingNode) else {}
        return _text(pairs.get("kind")), _text(meta_pairs.get("name")), _text(meta_pairs.get("namespace"))
    if isinstance(value, dict):
        written = value.get("metadata")
        meta: dict[str, Any] = written if isinstance(written, dict) else {}
        return _str(value.get("kind")), _str(meta.get("name")), _str(meta.get("namespace"))
    return None, None, None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _is_aws_auth(value: Any) -> bool:
    kind, name, _ = _fields(value)
    return kind == "ConfigMap" and name == AWS_AUTH_NAME


def _none_found(objects: list[_Object]) -> str:
    if len(objects) <= 1:
        return "expected a ConfigMap manifest or its data (a YAML or JSON mapping)"
    shown = []
    for o in objects[:_SHOWN_OBJECTS]:
        kind, name, _ = _fields(o.value)
        shown.append(f"{kind or 'no kind'}" + (f" {name!r}" if name else ""))
    more = f", and {len(objects) - _SHOWN_OBJECTS} more" if len(objects) > _SHOWN_OBJECTS else ""
    return (
        f"no aws-auth ConfigMap (kind ConfigMap, metadata.name aws-auth) among the {len(objects)} objects "
        f"of the input: {', '.join(shown)}{more}"
    )


# ---------------------------------------------------------------------------------------------------------
# One aws-auth object


def _document(obj: _Object, position: int, objects: int) -> AwsAuthDocument:
    if isinstance(obj.value, Node):
        data, offsets = _data_from_node(obj.value)
    else:
        data, offsets = _data_from_json(obj.value), {}
    _, _, namespace = _fields(obj.value)
    return AwsAuthDocument(
        data=data,
        offsets=offsets,
        position=position,
        objects=objects,
        place=obj.place,
        line=obj.line,
        namespace=namespace,
        namespace_line=_namespace_line(obj.value),
        is_manifest=_is_manifest(obj.value),
    )


def _is_manifest(value: Any) -> bool:
    keys = _pairs(value) if isinstance(value, MappingNode) else value if isinstance(value, dict) else {}
    return any(k in keys for k in _MANIFEST_KEYS)


def _namespace_line(value: Any) -> int | None:
    if not isinstance(value, MappingNode):
        return None
    meta = _pairs(value).get("metadata")
    namespace = _pairs(meta).get("namespace") if isinstance(meta, MappingNode) else None
    return line_of(namespace) if namespace is not None else None


def _data_from_node(node: Node | None) -> tuple[dict[str, str], dict[str, int]]:
    if not isinstance(node, MappingNode):
        raise InputError("expected a ConfigMap manifest or its data (a YAML or JSON mapping)")
    pairs = _pairs(node)
    kind, name, _ = _fields(node)
    _refuse_other_kinds(kind, name, "kind" in pairs)
    manifest_like = any(k in pairs for k in _MANIFEST_KEYS)
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


def _refuse_other_kinds(kind: str | None, name: str | None, has_kind: bool) -> None:
    if has_kind and kind != "ConfigMap":
        raise InputError(f"expected a ConfigMap, got kind {kind!r}")
    if name is not None and name != AWS_AUTH_NAME:
        raise InputError(
            f"expected the aws-auth ConfigMap, got ConfigMap {name!r} (the authenticator reads only "
            f"{AWS_AUTH_NAMESPACE}/{AWS_AUTH_NAME})"
        )


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
    kind, name, _ = _fields(obj)
    _refuse_other_kinds(kind, name, "kind" in obj)
    manifest_like = any(k in obj for k in _MANIFEST_KEYS)
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
