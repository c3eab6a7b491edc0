"""Reading a kubeconfig fast (``load_config``), with the scalar rules kubectl reads it by: client-go decodes
a kubeconfig through sigs.k8s.io/yaml ``YAMLToJSON`` (no target type), that is go-yaml v2's ``resolve``:
https://github.com/kubernetes-sigs/yaml/blob/master/goyaml.v2/resolve.go and
https://github.com/kubernetes-sigs/yaml/blob/master/yaml.go (duplicate keys ignored, the last one kept)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from eksaccess.domain.kubeconfig import KubeconfigError, dump_raw, load_config, load_raw, merge
from eksaccess.domain.yaml_loaders import go_value

# go-yaml v2 resolve.go: resolveMapList (the words), then ParseInt(base 0) / ParseUint / yamlStyleFloat.
GO_YAML_V2 = [
    ("y", True), ("Y", True), ("yes", True), ("On", True), ("TRUE", True),
    ("n", False), ("N", False), ("no", False), ("off", False), ("OFF", False), ("False", False),
    ("", None), ("~", None), ("null", None), ("NULL", None),
    ("0", 0), ("12", 12), ("-12", -12), ("+12", 12), ("1_000", 1000),
    ("012", 10),  # a leading 0 is octal for strconv.ParseInt(s, 0, 64)
    ("08", 8.0),  # not octal, so yamlStyleFloat: a float
    ("012345678901", 12345678901.0),
    ("0o17", 15), ("0x1F", 31), ("0X1f", 31), ("0b101", 5), ("-0b11", -3),
    ("1e3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("-.5", -0.5), ("1.", 1.0),
    (".inf", math.inf), ("-.Inf", -math.inf),
    ("2024-01-01", "2024-01-01"),  # a timestamp stays a string into interface{}
    ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
    ("1:30", "1:30"), ("0x", "0x"), ("1e", "1e"), ("._5", "._5"), ("NaN", "NaN"), ("tRue", "tRue"),
    ("arn:aws:eks:eu-west-1:111122223333:cluster/prod", "arn:aws:eks:eu-west-1:111122223333:cluster/prod"),
]  # fmt: skip


@pytest.mark.parametrize(("plain", "expected"), GO_YAML_V2)
def test_plain_scalars_read_as_go_yaml_v2_reads_them(plain: str, expected: Any) -> None:
    value = load_config(f"k: {plain}\n", source="f")["k"]
    assert type(value) is type(expected) and value == expected
    assert go_value(plain)[1] == expected
    quoted = load_config(f'k: "{plain}"\n', source="f")["k"]
    assert quoted == plain  # quoted, always a string


def test_nan_is_a_float() -> None:
    assert math.isnan(load_config("k: .nan\n", source="f")["k"])


def test_insecure_skip_tls_verify_off_is_false_as_kubectl_reads_it() -> None:
    """ruamel (YAML 1.2) read ``off`` as the string "off", which bool() made True."""
    text = "clusters:\n- name: c\n  cluster: {server: https://x, insecure-skip-tls-verify: off}\n"
    assert merge([("f", load_config(text, source="f"))]).clusters["c"].insecure_skip_tls_verify is False
    yes = text.replace(": off}", ": yes}")
    assert merge([("f", load_config(yes, source="f"))]).clusters["c"].insecure_skip_tls_verify is True


def test_duplicate_keys_the_last_wins_as_in_kubectl() -> None:
    assert load_config("current-context: a\ncurrent-context: b\n", source="f") == {"current-context": "b"}
    assert load_config('{"current-context": "a", "current-context": "b"}', source="f") == {
        "current-context": "b"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clusters: [\n", "f: line 2 is not valid YAML"),
        ("a: b: c\n", "f: line 1 is not valid YAML"),
        ("- just a list\n", "f is not a kubeconfig (expected a mapping at the top)"),
    ],
)
def test_invalid_kubeconfigs_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(KubeconfigError) as caught:
        load_config(text, source="f")
    assert caught.value.message == message
    with pytest.raises(KubeconfigError):
        load_raw(text, source="f")  # the round-trip reader refuses them too


def kubeconfig_of(clusters: int) -> str:
    """What ``aws eks update-kubeconfig`` leaves after ``clusters`` clusters (about 1.8 KB each)."""
    cert = "LS0tLS1CRUdJTi" + "A" * 1400 + "=="
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    for i in range(clusters):
        arn = f"arn:aws:eks:eu-west-{i % 3 + 1}:111122223333:cluster/team-{i:03d}"
        doc["clusters"].append(
            {
                "cluster": {
                    "certificate-authority-data": cert,
                    "server": f"https://{i:032X}.gr7.eks.amazonaws.com",
                },
                "name": arn,
            }
        )
        doc["contexts"].append({"context": {"cluster": arn, "user": arn}, "name": arn})
        exec_block = {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "args": [
                "--region",
                f"eu-west-{i % 3 + 1}",
                "eks",
                "get-token",
                "--cluster-name",
                f"team-{i:03d}",
                "--output",
                "json",
            ],
            "command": "aws",
            "env": [{"name": "AWS_PROFILE", "value": "team"}] if i % 2 else None,
        }
        doc["users"].append({"name": arn, "user": {"exec": exec_block}})
    doc["current-context"] = doc["contexts"][0]["name"]
    return dump_raw(doc)


def test_a_large_kubeconfig_reads_as_the_round_trip_reader_reads_it() -> None:
    text = kubeconfig_of(150)
    assert 200_000 < len(text) < 400_000
    assert merge([("f", load_config(text, source="f"))]) == merge([("f", load_raw(text, source="f"))])
