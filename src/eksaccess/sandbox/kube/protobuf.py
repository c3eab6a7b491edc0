"""Kubernetes protobuf request bodies (kubectl 1.32+), decoded to the JSON form of the object.

Wire format: the 4-byte magic ``k8s\\0``, then a ``runtime.Unknown`` message (typeMeta = 1, raw = 2,
contentEncoding = 3, contentType = 4) whose ``raw`` bytes are the object's message. Field numbers are those
of the ``generated.proto`` files of k8s.io/api and k8s.io/apimachinery, written here as small tables for the
kinds the sandbox accepts. Unknown fields are skipped, as protobuf readers do.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """Bytes that are not a Kubernetes protobuf body the sandbox can read."""


@dataclass(frozen=True, slots=True)
class F:
    """One field: JSON name and type (a scalar name, a message name, or ``map:<value type>``)."""

    name: str
    type: str
    repeated: bool = False


M = Mapping[int, F]
S, B, I64, BOOL = "string", "bytes", "int", "bool"

MESSAGES: dict[str, M] = {
    "TypeMeta": {1: F("apiVersion", S), 2: F("kind", S)},
    "Unknown": {
        1: F("typeMeta", "TypeMeta"),
        2: F("raw", "raw"),
        3: F("contentEncoding", S),
        4: F("contentType", S),
    },
    "Time": {1: F("seconds", I64), 2: F("nanos", I64)},
    "ObjectMeta": {
        1: F("name", S),
        2: F("generateName", S),
        3: F("namespace", S),
        4: F("selfLink", S),
        5: F("uid", S),
        6: F("resourceVersion", S),
        7: F("generation", I64),
        8: F("creationTimestamp", "Time"),
        9: F("deletionTimestamp", "Time"),
        10: F("deletionGracePeriodSeconds", I64),
        11: F("labels", "map:string"),
        12: F("annotations", "map:string"),
        13: F("ownerReferences", "OwnerReference", True),
        14: F("finalizers", S, True),
    },
    "OwnerReference": {
        1: F("kind", S),
        3: F("name", S),
        4: F("uid", S),
        5: F("apiVersion", S),
        6: F("controller", BOOL),
        7: F("blockOwnerDeletion", BOOL),
    },
    "LabelSelector": {
        1: F("matchLabels", "map:string"),
        2: F("matchExpressions", "LabelSelectorRequirement", True),
    },
    "LabelSelectorRequirement": {1: F("key", S), 2: F("operator", S), 3: F("values", S, True)},
    "ObjectReference": {
        1: F("kind", S),
        2: F("namespace", S),
        3: F("name", S),
        4: F("uid", S),
        5: F("apiVersion", S),
        6: F("resourceVersion", S),
        7: F("fieldPath", S),
    },
    "LocalObjectReference": {1: F("name", S)},
    # core/v1
    "ConfigMap": {
        1: F("metadata", "ObjectMeta"),
        2: F("data", "map:string"),
        3: F("binaryData", "map:bytes"),
        4: F("immutable", BOOL),
    },
    "Secret": {
        1: F("metadata", "ObjectMeta"),
        2: F("data", "map:bytes"),
        3: F("type", S),
        4: F("stringData", "map:string"),
        5: F("immutable", BOOL),
    },
    "Namespace": {
        1: F("metadata", "ObjectMeta"),
        2: F("spec", "NamespaceSpec"),
        3: F("status", "NamespaceStatus"),
    },
    "NamespaceSpec": {1: F("finalizers", S, True)},
    "NamespaceStatus": {1: F("phase", S)},
    "ServiceAccount": {
        1: F("metadata", "ObjectMeta"),
        2: F("secrets", "ObjectReference", True),
        3: F("imagePullSecrets", "LocalObjectReference", True),
        4: F("automountServiceAccountToken", BOOL),
    },
    # rbac.authorization.k8s.io/v1
    "PolicyRule": {
        1: F("verbs", S, True),
        2: F("apiGroups", S, True),
        3: F("resources", S, True),
        4: F("resourceNames", S, True),
        5: F("nonResourceURLs", S, True),
    },
    "Role": {1: F("metadata", "ObjectMeta"), 2: F("rules", "PolicyRule", True)},
    "ClusterRole": {
        1: F("metadata", "ObjectMeta"),
        2: F("rules", "PolicyRule", True),
        3: F("aggregationRule", "AggregationRule"),
    },
    "AggregationRule": {1: F("clusterRoleSelectors", "LabelSelector", True)},
    "Subject": {1: F("kind", S), 2: F("apiGroup", S), 3: F("name", S), 4: F("namespace", S)},
    "RoleRef": {1: F("apiGroup", S), 2: F("kind", S), 3: F("name", S)},
    "RoleBinding": {
        1: F("metadata", "ObjectMeta"),
        2: F("subjects", "Subject", True),
        3: F("roleRef", "RoleRef"),
    },
    "ClusterRoleBinding": {
        1: F("metadata", "ObjectMeta"),
        2: F("subjects", "Subject", True),
        3: F("roleRef", "RoleRef"),
    },
    # authorization.k8s.io/v1
    "ResourceAttributes": {
        1: F("namespace", S),
        2: F("verb", S),
        3: F("group", S),
        4: F("version", S),
        5: F("resource", S),
        6: F("subresource", S),
        7: F("name", S),
    },
    "NonResourceAttributes": {1: F("path", S), 2: F("verb", S)},
    "SelfSubjectAccessReview": {1: F("metadata", "ObjectMeta"), 2: F("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {
        1: F("resourceAttributes", "ResourceAttributes"),
        2: F("nonResourceAttributes", "NonResourceAttributes"),
    },
    "SubjectAccessReview": {1: F("metadata", "ObjectMeta"), 2: F("spec", "SubjectAccessReviewSpec")},
    "LocalSubjectAccessReview": {1: F("metadata", "ObjectMeta"), 2: F("spec", "SubjectAccessReviewSpec")},
    "SubjectAccessReviewSpec": {
        1: F("resourceAttributes", "ResourceAttributes"),
        2: F("nonResourceAttributes", "NonResourceAttributes"),
        3: F("user", S),
        4: F("groups", S, True),
        5: F("extra", "map:ExtraValue"),
        6: F("uid", S),
    },
    "ExtraValue": {1: F("items", S, True)},
    "SelfSubjectRulesReview": {1: F("metadata", "ObjectMeta"), 2: F("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: F("namespace", S)},
    # authentication.k8s.io
    "SelfSubjectReview": {1: F("metadata", "ObjectMeta")},
    "TokenReview": {1: F("metadata", "ObjectMeta"), 2: F("spec", "TokenReviewSpec")},
    "TokenReviewSpec": {1: F("token", S), 2: F("audiences", S, True)},
    # TokenRequest (sandbox/kube/token_request.py: kubectl create token)
    "TokenRequest": {1: F("metadata", "ObjectMeta"), 2: F("spec", "TokenRequestSpec")},
    "TokenRequestSpec": {
        1: F("audiences", S, True),
        3: F("boundObjectRef", "BoundObjectReference"),
        4: F("expirationSeconds", I64),
    },
    "BoundObjectReference": {1: F("kind", S), 2: F("apiVersion", S), 3: F("name", S), 4: F("uid", S)},
    # meta/v1
    "DeleteOptions": {
        1: F("gracePeriodSeconds", I64),
        2: F("preconditions", "Preconditions"),
        3: F("orphanDependents", BOOL),
        4: F("propagationPolicy", S),
        5: F("dryRun", S, True),
    },
    "Preconditions": {1: F("uid", S), 2: F("resourceVersion", S)},
}

# messages whose JSON form unwraps a single repeated field (ExtraValue is a JSON list)
_UNWRAP = {"ExtraValue": "items"}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples; length-delimited values are bytes."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ProtobufError("truncated field")
        out.append((number, wire, value))
    return out


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind in (S, B, "raw"):
        if wire != 2:
            raise ProtobufError(f"expected a length-delimited {kind}")
        if kind == S:
            return bytes(value).decode("utf-8")
        return bytes(value) if kind == "raw" else base64.b64encode(value).decode()
    if wire != 0:
        raise ProtobufError(f"expected a varint {kind}")
    if kind == BOOL:
        return bool(value)
    return struct.unpack("<q", struct.pack("<Q", value))[0]


def _time(msg: Mapping[str, Any]) -> str:
    moment = datetime.fromtimestamp(int(msg.get("seconds", 0)), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_message(name: str, data: bytes) -> Any:
    """Decode one message to its JSON form (dict; Time -> RFC 3339 string; ExtraValue -> list)."""
    schema = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, wire, value in fields(data):
        field = schema.get(number)
        if field is None:
            continue
        if field.type.startswith("map:"):
            key, item = _map_entry(field.type[4:], value)
            out.setdefault(field.name, {})[key] = item
            continue
        scalar = field.type in (S, B, I64, BOOL, "raw")
        decoded = _scalar(field.type, wire, value) if scalar else None
        if scalar and not field.repeated and decoded in ("", 0) and decoded is not False:
            continue  # Go writes unset non-pointer fields; its JSON omits them (omitempty)
        if decoded is None:
            if wire != 2:
                raise ProtobufError(f"{name}.{field.name}: expected a message")
            decoded = decode_message(field.type, value)
        if field.repeated:
            out.setdefault(field.name, []).append(decoded)
        else:
            out[field.name] = decoded
    if name == "Time":
        return _time(out)
    if name in _UNWRAP:
        return out.get(_UNWRAP[name], [])
    return out


def _map_entry(value_type: str, data: bytes) -> tuple[str, Any]:
    key, item = "", None
    for number, wire, value in fields(data):
        if number == 1:
            key = _scalar(S, wire, value)
        elif number == 2:
            if value_type in (S, B):
                item = _scalar(value_type, wire, value)
            else:
                item = decode_message(value_type, value)
    if item is None:
        item = "" if value_type in (S, B) else decode_message(value_type, b"")
    return key, item


def decode_body(body: bytes, expected_kind: str | None = None) -> dict[str, Any]:
    """A ``k8s\\0`` protobuf body -> the object as JSON (apiVersion and kind from the envelope)."""
    if not body.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    envelope = decode_message("Unknown", body[len(MAGIC) :])
    type_meta = envelope.get("typeMeta", {})
    kind = str(type_meta.get("kind") or expected_kind or "")
    if kind not in MESSAGES or kind in ("Unknown", "TypeMeta"):
        raise ProtobufError(f"protobuf bodies of kind {kind!r} are not supported by this server")
    if envelope.get("contentEncoding"):
        raise ProtobufError(f"unsupported content encoding {envelope['contentEncoding']!r}")
    obj: dict[str, Any] = decode_message(kind, envelope.get("raw", b""))
    result: dict[str, Any] = {}
    if type_meta.get("apiVersion"):
        result["apiVersion"] = type_meta["apiVersion"]
    result["kind"] = kind
    result.update(obj)
    return result


# encoding (used by tests and tools to build bodies kubectl would send) -----------------------------------


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tagged(number: int, wire: int, payload: bytes | int) -> bytes:
    head = _encode_varint(number << 3 | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return head + _encode_varint(payload)
    assert isinstance(payload, bytes)
    return head + _encode_varint(len(payload)) + payload


def encode_message(name: str, obj: Any) -> bytes:
    """The inverse of :func:`decode_message` for the same tables."""
    if name == "Time":
        seconds = int(datetime.strptime(str(obj), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
        obj = {"seconds": seconds}
    if name in _UNWRAP:
        obj = {_UNWRAP[name]: obj}
    out = bytearray()
    for number, field in MESSAGES[name].items():
        if field.name not in obj or obj[field.name] is None:
            continue
        value = obj[field.name]
        if field.type.startswith("map:"):
            for key, item in value.items():
                out += _tagged(
                    number, 2, _tagged(1, 2, key.encode()) + _encode_value(field.type[4:], 2, item)
                )
            continue
        for item in value if field.repeated else [value]:
            out += _encode_value(field.type, number, item)
    return bytes(out)


def _encode_value(kind: str, number: int, value: Any) -> bytes:
    if kind == S:
        return _tagged(number, 2, str(value).encode())
    if kind == B:
        return _tagged(number, 2, base64.b64decode(value))
    if kind == "raw":
        return _tagged(number, 2, bytes(value))
    if kind in (I64, BOOL):
        return _tagged(number, 0, int(value))
    return _tagged(number, 2, encode_message(kind, value))


def encode_body(obj: Mapping[str, Any]) -> bytes:
    kind = str(obj["kind"])
    raw = encode_message(kind, obj)
    envelope = {"typeMeta": {"apiVersion": obj.get("apiVersion", ""), "kind": kind}, "raw": raw}
    return MAGIC + encode_message("Unknown", envelope)
