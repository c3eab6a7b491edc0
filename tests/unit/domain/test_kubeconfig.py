"""Kubeconfig reading and the update-kubeconfig writer (facts: authenticator.md 5.1, eks-api.md 8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.data_text import Schema, load_data_text
from eksaccess.domain.kubeconfig import (
    EXEC_V1BETA1,
    EksClusterRef,
    ExecPlugin,
    KubeconfigError,
    dump_raw,
    eks_exec,
    load_raw,
    merge,
    update_kubeconfig,
)

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
REF = EksClusterRef(
    name="prod",
    arn=ARN,
    endpoint="https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    certificate_authority_data="LS0tQ0E=",
)

AWS_CLI_ENTRY = """\
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {server: "https://old", certificate-authority-data: T0xE}
users:
- name: prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json, --role, arn:aws:iam::111122223333:role/Dev]
      env: [{name: AWS_PROFILE, value: dev}]
contexts:
- name: prod
  context: {cluster: prod, user: prod, namespace: apps}
"""


def test_reads_the_eks_exec_entry() -> None:
    config = merge([("a", load_raw(AWS_CLI_ENTRY))])
    ctx = config.context()
    assert ctx is not None and ctx.namespace == "apps"
    info = eks_exec(config.users[ctx.user])
    assert info is not None
    assert info.plugin is ExecPlugin.AWS_CLI
    assert (info.cluster_name, info.region, info.profile) == ("prod", "eu-west-1", "dev")
    assert info.role_arn == "arn:aws:iam::111122223333:role/Dev"


@pytest.mark.parametrize(
    ("command", "args", "cluster", "role"),
    [
        (
            "aws-iam-authenticator",
            ["token", "-i", "c1", "-r", "arn:aws:iam::1:role/R"],
            "c1",
            "arn:aws:iam::1:role/R",
        ),
        ("/usr/local/bin/aws", ["eks", "get-token", "--cluster-name=c2"], "c2", None),
        ("eksaccess", ["token", "--cluster-name", "c3", "--role-arn", "r"], "c3", "r"),
    ],
)
def test_exec_flavours(command: str, args: list[str], cluster: str, role: str | None) -> None:
    raw = {
        "users": [
            {"name": "u", "user": {"exec": {"apiVersion": EXEC_V1BETA1, "command": command, "args": args}}}
        ]
    }
    info = eks_exec(merge([("x", raw)]).users["u"])
    assert info is not None and info.cluster_name == cluster and info.role_arn == role


def test_not_an_eks_exec() -> None:
    raw = {
        "users": [
            {"name": "u", "user": {"exec": {"apiVersion": EXEC_V1BETA1, "command": "gke-gcloud-auth-plugin"}}}
        ]
    }
    assert eks_exec(merge([("x", raw)]).users["u"]) is None


def test_first_file_wins_per_name_and_for_current_context() -> None:
    a = {"current-context": "a", "clusters": [{"name": "c", "cluster": {"server": "https://a"}}]}
    b = {
        "current-context": "b",
        "clusters": [
            {"name": "c", "cluster": {"server": "https://b"}},
            {"name": "d", "cluster": {"server": "https://d"}},
        ],
    }
    config = merge([("a", a), ("b", b)])
    assert config.current_context == "a"
    assert config.clusters["c"].server == "https://a"
    assert config.clusters["d"].server == "https://d"


@pytest.mark.parametrize("text", ["clusters: [", "- just a list", "users: {a: 1}"])
def test_invalid_kubeconfigs_are_one_clear_error(text: str) -> None:
    with pytest.raises(KubeconfigError):
        merge([("f", load_raw(text, source="f"))])


def test_update_kubeconfig_writes_what_the_aws_cli_writes() -> None:
    doc, context, existed = update_kubeconfig(None, REF, profile="dev")
    assert not existed and context == ARN
    assert doc["current-context"] == ARN
    user = doc["users"][0]["user"]["exec"]
    assert user["apiVersion"] == EXEC_V1BETA1
    assert user["command"] == "aws"
    assert user["args"] == [
        "--region",
        "eu-west-1",
        "eks",
        "get-token",
        "--cluster-name",
        "prod",
        "--output",
        "json",
    ]
    assert user["env"] == [{"name": "AWS_PROFILE", "value": "dev"}]
    assert doc["clusters"][0]["cluster"]["server"] == REF.endpoint


def test_update_keeps_every_other_entry_and_replaces_in_place() -> None:
    raw = load_raw(AWS_CLI_ENTRY)
    raw["clusters"].append({"name": ARN, "cluster": {"server": "https://stale"}})
    doc, _, _ = update_kubeconfig(raw, REF, role_arn="arn:aws:iam::111122223333:role/Dev", alias="prod-new")
    names = [c["name"] for c in doc["clusters"]]
    assert names == ["prod", ARN]
    assert doc["clusters"][1]["cluster"]["server"] == REF.endpoint
    assert [u["name"] for u in doc["users"]] == ["prod", ARN]
    assert doc["users"][1]["user"]["exec"]["args"][-2:] == ["--role", "arn:aws:iam::111122223333:role/Dev"]
    assert doc["current-context"] == "prod-new"
    again = merge([("x", load_raw(dump_raw(doc)))])
    assert again.contexts["prod"].namespace == "apps"


_names = st.text(alphabet=st.characters(categories=["Ll", "Nd"]), min_size=1, max_size=8)


@given(st.lists(_names, min_size=0, max_size=5, unique=True))
def test_update_is_idempotent_and_keeps_others(others: list[str]) -> None:
    raw = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": f"https://{n}"}} for n in others],
    }
    once, _, _ = update_kubeconfig(raw, REF)
    twice, _, existed = update_kubeconfig(load_raw(dump_raw(once)), REF)
    assert existed
    assert dump_raw(once) == dump_raw(twice)
    assert [c["name"] for c in twice["clusters"]] == [*others, ARN]


# YAML 1.1 words and numbers a YAML 1.2 writer leaves plain, which kubectl (go-yaml v2) reads as something else.
GO_WORDS = ["on", "off", "no", "yes", "y", "N", "ON", "0x1F", "1_000", "0b101", "017", ".5", "-.5", "1e3"]


@pytest.mark.parametrize("word", GO_WORDS)
def test_kubectl_reads_back_every_string_as_written(word: str) -> None:
    document = {"contexts": [{"name": word, "context": {"cluster": word, "namespace": word}}]}
    read = load_data_text(dump_raw(document), "kubeconfig", schema=Schema.KUBECTL)
    assert read == {"contexts": [{"name": word, "context": {"cluster": word, "namespace": word}}]}


@given(
    st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12), max_size=4)
)
def test_any_string_survives_the_round_trip_through_kubectls_reading(values: list[str]) -> None:
    document = {"users": [{"name": v, "user": {"exec": {"command": "aws", "args": [v]}}} for v in values]}
    read = load_data_text(dump_raw(document), "kubeconfig", schema=Schema.KUBECTL)
    assert read == ({"users": document["users"]} if values else {"users": []})
