"""AWS config/credentials and kubeconfig written for real clients, with the scenario's breakage."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from eksaccess.domain.state import AuthenticationMode
from eksaccess.sandbox.config_files import (
    ProfileKeys,
    aws_config_text,
    aws_credentials_text,
    client_env,
    kubeconfig_document,
)
from eksaccess.sandbox.scenarios.model import load_scenario
from eksaccess.sandbox.store import ClusterRecord

ENDPOINT = "https://127.0.0.1:8443"


def _records(*names: str) -> dict[str, ClusterRecord]:
    return {
        name: ClusterRecord(
            name=name,
            region="us-west-2",
            account_id="111122223333",
            arn=f"arn:aws:eks:us-west-2:111122223333:cluster/{name}",
            authentication_mode=AuthenticationMode.API,
            creator_arn=None,
            endpoint=f"https://127.0.0.1:900{i}",
            status="ACTIVE",
            certificate_authority_data="Q0E=",
            version="1.31",
        )
        for i, name in enumerate(names)
    }


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_aws_config_names_endpoint_and_ca_per_profile() -> None:
    config = _ini(aws_config_text(load_scenario("baseline"), endpoint=ENDPOINT, ca_bundle=Path("/x/ca.crt")))
    assert config["profile admin"]["endpoint_url"] == ENDPOINT
    assert config["profile admin"]["ca_bundle"] == "/x/ca.crt"
    assert config["profile admin"]["region"] == "us-west-2"
    assert config["profile developer"]["role_arn"] == "arn:aws:iam::111122223333:role/developer"
    assert config["profile developer"]["source_profile"] == "alice"
    assert config["default"]["endpoint_url"] == ENDPOINT


def test_credentials_carry_session_tokens_only_when_temporary() -> None:
    text = aws_credentials_text(
        {
            "a": ProfileKeys(access_key_id="AKIAX", secret_access_key="s1"),
            "b": ProfileKeys(access_key_id="ASIAX", secret_access_key="s2", session_token="t"),
        }
    )
    creds = _ini(text)
    assert "aws_session_token" not in creds["a"] and creds["b"]["aws_session_token"] == "t"


def _doc(name: str, *clusters: str) -> dict[str, Any]:
    return kubeconfig_document(load_scenario(name), _records(*clusters), foreign_ca_data="Rk9SRUlHTg==")


def _user(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(u["user"]["exec"] for u in doc["users"] if u["name"] == name)


def _cluster_of(doc: dict[str, Any], context: str) -> dict[str, Any]:
    ctx = next(c["context"] for c in doc["contexts"] if c["name"] == context)
    return next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])


def test_exec_entries_as_update_kubeconfig_writes_them() -> None:
    doc = _doc("baseline", "demo")
    assert _user(doc, "admin") == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["--region", "us-west-2", "eks", "get-token", "--cluster-name", "demo", "--output", "json"],
        "command": "aws",
        "env": [{"name": "AWS_PROFILE", "value": "admin"}],
    }
    assert _cluster_of(doc, "admin") == {
        "certificate-authority-data": "Q0E=",
        "server": "https://127.0.0.1:9000",
    }
    assert doc["current-context"] == "admin"
    assert next(c for c in doc["contexts"] if c["name"] == "developer")["context"]["namespace"] == "dev"


def test_breakage() -> None:
    assert _cluster_of(_doc("wrong-endpoint", "demo"), "admin-old")["server"] == "https://127.0.0.1:1"
    assert (
        _cluster_of(_doc("stale-ca", "demo"), "admin-stale")["certificate-authority-data"] == "Rk9SRUlHTg=="
    )
    assert _cluster_of(_doc("stale-ca", "demo"), "admin")["certificate-authority-data"] == "Q0E="
    assert _user(_doc("exec-v1alpha1", "demo"), "admin-v1alpha1")["apiVersion"].endswith("/v1alpha1")
    args = _user(_doc("wrong-cluster-name", "demo", "prod"), "admin-demo")["args"]
    assert args[args.index("--cluster-name") + 1] == "prod"
    args = _user(_doc("wrong-cluster-name", "demo", "prod"), "admin-region")["args"]
    assert args[args.index("--region") + 1] == "eu-west-1"
    assert "env" not in _user(_doc("invalid-keys", "demo"), "no-profile-env")
    assert _user(_doc("invalid-keys", "demo"), "broken")["env"] == [
        {"name": "AWS_PROFILE", "value": "broken"}
    ]
    args = _user(_doc("assume-role-denied", "demo"), "via-role-arg")["args"]
    assert args[-2:] == ["--role", "arn:aws:iam::111122223333:role/platform-admin"]


def test_document_is_yaml_kubectl_can_read(tmp_path: Path) -> None:
    from eksaccess.domain.kubeconfig import dump_raw, load_raw, merge

    text = dump_raw(_doc("baseline", "demo"))
    merged = merge([("k", load_raw(text))])
    assert set(merged.contexts) == {"admin", "developer", "eks-admin"}
    assert YAML(typ="safe").load(text)["kind"] == "Config"


def test_client_env() -> None:
    env = client_env(Path("/s"), endpoint=ENDPOINT, profile="admin")
    assert env["AWS_ENDPOINT_URL"] == ENDPOINT and env["AWS_PROFILE"] == "admin"
    assert env["KUBECONFIG"] == "/s/kubeconfig" and env["AWS_CONFIG_FILE"] == "/s/aws-config"
    assert "AWS_PROFILE" not in client_env(Path("/s"), endpoint=ENDPOINT)
