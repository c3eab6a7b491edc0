"""Kubernetes protobuf bodies: hand-assembled vectors, round trips through the encoder, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.sandbox.kube.protobuf import (
    MAGIC,
    ProtobufError,
    decode_body,
    decode_message,
    encode_body,
    fields,
)


def ld(number: int, payload: bytes) -> bytes:
    """A length-delimited field, assembled by hand (payloads here are < 128 bytes)."""
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_hand_assembled_configmap() -> None:
    # ObjectMeta{name=1:"cm", namespace=3:"default", labels=11:{app:web}}, data=2:{k:v}, binaryData=3:{b:"\x00\x01"}
    meta = ld(1, b"cm") + ld(3, b"default") + ld(11, ld(1, b"app") + ld(2, b"web"))
    raw = ld(1, meta) + ld(2, ld(1, b"k") + ld(2, b"v")) + ld(3, ld(1, b"b") + ld(2, b"\x00\x01"))
    raw += bytes([4 << 3 | 0, 1])  # immutable=4: true
    envelope = (
        ld(1, ld(1, b"v1") + ld(2, b"ConfigMap")) + ld(2, raw) + ld(4, b"application/vnd.kubernetes.protobuf")
    )
    obj = decode_body(MAGIC + envelope)
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default", "labels": {"app": "web"}},
        "data": {"k": "v"},
        "binaryData": {"b": "AAE="},
        "immutable": True,
    }


def test_hand_assembled_selfsubjectaccessreview() -> None:
    # spec=2 { resourceAttributes=1 { namespace=1, verb=2, resource=5 } }
    attrs = ld(1, b"dev") + ld(2, b"list") + ld(5, b"pods")
    raw = ld(1, b"") + ld(2, ld(1, attrs))
    envelope = ld(1, ld(1, b"authorization.k8s.io/v1") + ld(2, b"SelfSubjectAccessReview")) + ld(2, raw)
    obj = decode_body(MAGIC + envelope)
    assert obj["spec"] == {"resourceAttributes": {"namespace": "dev", "verb": "list", "resource": "pods"}}
    assert obj["metadata"] == {}


def test_unset_go_fields_are_omitted_but_map_values_kept() -> None:
    meta = ld(1, b"x") + ld(2, b"") + bytes([7 << 3, 0])  # generateName "" and generation 0 as Go writes them
    raw = ld(1, meta) + ld(2, ld(1, b"empty") + ld(2, b""))
    obj = decode_body(MAGIC + ld(1, ld(1, b"v1") + ld(2, b"ConfigMap")) + ld(2, raw))
    assert obj["metadata"] == {"name": "x"}
    assert obj["data"] == {"empty": ""}


@pytest.mark.parametrize(
    "obj",
    [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "r", "annotations": {"a": "b"}, "creationTimestamp": "2024-05-01T12:00:00Z"},
            "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "dev"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        },
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "metadata": {},
            "spec": {
                "nonResourceAttributes": {"path": "/healthz", "verb": "get"},
                "user": "u",
                "groups": ["g1", "g2"],
                "extra": {"k": ["a", "b"]},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"p": "cGFzcw=="},
            "type": "Opaque",
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "sa"},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "n"},
            "spec": {"finalizers": ["kubernetes"]},
        },
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "metadata": {},
            "spec": {"token": "t"},
        },
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}},
    ],
)
def test_round_trip(obj: dict[str, object]) -> None:
    assert decode_body(encode_body(obj)) == obj


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5))
def test_configmap_data_round_trip(data: dict[str, str]) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}
    expected = dict(obj) if data else {k: v for k, v in obj.items() if k != "data"}
    assert decode_body(encode_body(obj)) == expected


def test_unknown_fields_are_skipped() -> None:
    extra = bytes([9 << 3 | 0, 5]) + bytes([10 << 3 | 5, 1, 2, 3, 4]) + bytes([11 << 3 | 1]) + b"\x00" * 8
    assert decode_message("NonResourceAttributes", ld(1, b"/x") + extra) == {"path": "/x"}


def test_large_varint_and_negative_int64() -> None:
    raw = bytes([1 << 3]) + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
    assert decode_message("Time", raw) == "1969-12-31T23:59:59Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"kind":"ConfigMap"}', "expected prefix"),
        (MAGIC + b"\x0a\x05ab", "truncated"),
        (MAGIC + b"\x0b", "unsupported wire type"),
        (MAGIC + ld(1, ld(2, b"Pod")), "not supported"),
        (MAGIC + b"\x08\xff", "truncated varint"),
    ],
)
def test_malformed(body: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message):
        decode_body(body)


def test_fields_reports_wire_types() -> None:
    assert fields(b"\x08\x96\x01\x12\x01a") == [(1, 0, 150), (2, 2, b"a")]
