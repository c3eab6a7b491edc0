"""The scenario format's breakage fields: validation, what is seeded, and what the client files say."""

from __future__ import annotations

import configparser
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from eksaccess.errors import InputError
from eksaccess.sandbox.config_files import (
    ProfileKeys,
    aws_config_text,
    aws_credentials_text,
    kubeconfig_document,
    kubeconfig_text,
    sso_cache_file,
    write_sso_cache,
)
from eksaccess.sandbox.credential_process import main as credential_process
from eksaccess.sandbox.scenarios.model import (
    ClusterStatus,
    ContextCredential,
    KubeconfigFile,
    builtin_names,
    load_scenario,
    parse_scenario,
)
from eksaccess.sandbox.scenarios.seed import endpoint_access, principal_id, seed_scenario, serves_api
from eksaccess.sandbox.store import ClusterRecord, SandboxStore

HEAD = """\
apiVersion: eksaccess/v1
kind: Scenario
name: t
description: test
accounts:
  "111122223333":
    users: [{name: admin}]
clusters:
  - cluster: {name: demo, region: us-west-2, accountId: "111122223333"}
    authenticationMode: API
"""


def _seeded(tmp_path: Path, name: str) -> SandboxStore:
    store = SandboxStore.in_dir(tmp_path)
    seed_scenario(store, load_scenario(name), ca_data="Q0E=", foreign_ca_data="Rk9SRUlHTg==", now=1.0)
    return store


def test_every_builtin_scenario_loads() -> None:
    for name in builtin_names():
        assert load_scenario(name).name == name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    endpointPublicAccess: false\n", "cannot both be false"),
        ("    status: DELETING\n", "status"),
    ],
)
def test_cluster_fields_are_checked(extra: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_scenario(HEAD + extra)


def test_an_eks_token_context_needs_a_profile_and_server_of_cluster_a_cluster() -> None:
    contexts = "kubeconfig:\n  contexts:\n    - {name: a, cluster: demo, credential: eks-token}\n"
    with pytest.raises(InputError, match="needs the profile"):
        parse_scenario(HEAD + contexts)
    contexts = "kubeconfig:\n  contexts:\n    - {name: a, cluster: demo, serverOfCluster: nope}\n"
    with pytest.raises(InputError, match="serverOfCluster nope"):
        parse_scenario(HEAD + contexts)
    with pytest.raises(InputError, match="shellProfile nobody"):
        parse_scenario(HEAD + "shellProfile: nobody\n")


def test_a_recreated_user_gets_a_new_id_and_its_entry_keeps_the_old(tmp_path: Path) -> None:
    store = _seeded(tmp_path, "recreated-user")
    arn = "arn:aws:iam::111122223333:user/alice"
    user = store.get_principal(arn)
    assert user is not None and user.unique_id.startswith("AIDA")
    assert user.unique_id == principal_id(arn, generation=1) != principal_id(arn)
    entry = store.get_entry("demo", arn)
    assert entry is not None and entry.entry.principal_id == principal_id(arn)


def test_deny_is_stored_beside_allow(tmp_path: Path) -> None:
    store = _seeded(tmp_path, "describe-cluster-denied")
    alice = store.get_principal("arn:aws:iam::111122223333:user/alice")
    assert alice is not None
    assert alice.deny == ("eks:DescribeCluster",)
    assert alice.allow == ("sts:AssumeRole", "eks:Describe*", "eks:List*")
    admin = store.get_principal("arn:aws:iam::111122223333:user/admin")
    assert admin is not None and admin.allow is None and admin.deny == ()


@pytest.mark.parametrize(
    ("name", "status", "serves"),
    [
        ("baseline", "ACTIVE", True),
        ("cluster-still-creating", "CREATING", False),
        ("cluster-creation-failed", "FAILED", False),
        ("cluster-deleted", "DELETED", False),
        ("private-endpoint-only", "ACTIVE", False),
    ],
)
def test_cluster_status_and_reachability(tmp_path: Path, name: str, status: str, serves: bool) -> None:
    store = _seeded(tmp_path, name)
    record = store.get_cluster("demo")
    assert record is not None and record.status == status
    assert serves_api(store, record) is serves
    assert endpoint_access(store, "demo") == (
        (False, True) if name == "private-endpoint-only" else (True, False)
    )


def test_the_scenario_fields_of_the_clock_and_the_shell() -> None:
    assert load_scenario("clock-behind").clockOffsetSeconds == 600
    assert load_scenario("shell-profile-differs").shellProfile == "alice"
    assert load_scenario("tls-inspecting-proxy").clusters[0].servingCertificate.value == "foreign"
    assert load_scenario("cluster-still-creating").clusters[0].status is ClusterStatus.CREATING


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_sso_and_credential_process_profiles(tmp_path: Path) -> None:
    config = _ini(
        aws_config_text(
            load_scenario("sso-session-expired"),
            endpoint="https://127.0.0.1:1",
            ca_bundle=tmp_path / "ca.crt",
            state_dir=tmp_path,
        )
    )
    sso = config["profile sso-admin"]
    assert (sso["sso_session"], sso["sso_account_id"], sso["sso_role_name"]) == (
        "eksaccess-sandbox",
        "111122223333",
        "eks-operator",
    )
    assert config["sso-session eksaccess-sandbox"]["sso_region"] == "us-west-2"
    failing = _ini(
        aws_config_text(
            load_scenario("credential-process-failing"),
            endpoint="https://127.0.0.1:1",
            ca_bundle=tmp_path / "ca.crt",
            state_dir=tmp_path,
        )
    )["profile alice-helper"]["credential_process"]
    assert "eksaccess.sandbox.credential_process" in failing and failing.endswith("--fail")


def test_credentials_of_a_process_stay_out_of_the_credentials_file() -> None:
    creds = {
        "a": ProfileKeys(access_key_id="AKIAA", secret_access_key="s1"),
        "p": ProfileKeys(access_key_id="AKIAB", secret_access_key="s2", via_process=True),
    }
    assert _ini(aws_credentials_text(creds)).sections() == ["a"]
    assert ProfileKeys.from_dict(creds["p"].as_dict()) == creds["p"]


def test_the_credential_process_prints_or_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = {"alice-helper": {"AccessKeyId": "AKIAX", "SecretAccessKey": "secret"}}
    (tmp_path / "credential-process.json").write_text(json.dumps(keys))
    assert credential_process([str(tmp_path), "alice-helper"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "Version": 1,
        "AccessKeyId": "AKIAX",
        "SecretAccessKey": "secret",
    }
    assert credential_process([str(tmp_path), "alice-helper", "--fail"]) == 1
    assert "no cached login" in capsys.readouterr().err
    assert credential_process([str(tmp_path), "nobody"]) == 1


def test_the_sso_cache_file_is_botocores(tmp_path: Path) -> None:
    path = write_sso_cache(tmp_path, region="us-west-2", expired_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert path == sso_cache_file(tmp_path)
    assert path.name == "363e512d6072a3726bd76ec4252191d7c0410b5b.json"  # sha1("eksaccess-sandbox")
    assert json.loads(path.read_text())["expiresAt"] == "2020-01-01T00:00:00Z"
    assert path.stat().st_mode & 0o777 == 0o600


def _records(*names: str) -> dict[str, ClusterRecord]:
    from eksaccess.domain.state import AuthenticationMode

    return {
        name: ClusterRecord(
            name=name,
            region="us-west-2",
            account_id="111122223333",
            arn=f"arn:aws:eks:us-west-2:111122223333:cluster/{name}",
            authentication_mode=AuthenticationMode.API,
            creator_arn=None,
            endpoint=f"https://127.0.0.1:{9000 + i}",
            status="ACTIVE",
            certificate_authority_data=f"CA-{name}",
            version="1.31",
        )
        for i, name in enumerate(names)
    }


def _doc(name: str, *clusters: str, **kwargs: Any) -> dict[str, Any]:
    return kubeconfig_document(
        load_scenario(name), _records(*clusters), foreign_ca_data="Rk9SRUlHTg==", **kwargs
    )


def _user(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(next(u["user"] for u in doc["users"] if u["name"] == name))


def test_kubeconfig_users_of_each_credential_kind() -> None:
    assert set(_user(_doc("kubeconfig-client-certificate", "demo"), "admin-cert")) == {
        "client-certificate-data",
        "client-key-data",
    }
    assert set(_user(_doc("kubeconfig-bearer-token", "demo"), "admin-token")) == {"token"}
    minted: list[tuple[str, str, str]] = []

    def mint(profile: str, cluster: str, region: str) -> str:
        minted.append((profile, cluster, region))
        return "k8s-aws-v1.dGVzdA"

    doc = _doc("static-eks-token", "demo", mint=mint)
    assert _user(doc, "admin-static") == {"token": "k8s-aws-v1.dGVzdA"}
    assert minted == [("admin", "demo", "us-west-2")]
    assert ContextCredential.EXEC.value == "exec"


def test_an_authenticator_exec_entry_and_another_clusters_server() -> None:
    exec_block = _user(_doc("authenticator-not-installed", "demo"), "admin-old")["exec"]
    assert exec_block["command"] == "aws-iam-authenticator"
    assert exec_block["args"] == ["token", "-i", "demo"]
    doc = _doc("server-of-other-cluster", "demo", "platform")
    [broken] = [c["cluster"] for c in doc["clusters"] if c["name"].endswith("cluster/demo/demo")]
    assert broken == {"certificate-authority-data": "CA-demo", "server": "https://127.0.0.1:9001"}


def test_deleted_contexts_and_broken_files() -> None:
    doc = _doc("current-context-deleted", "demo")
    assert doc["current-context"] == "staging"
    assert "staging" not in {c["name"] for c in doc["contexts"]}
    assert kubeconfig_text(load_scenario("kubeconfig-missing"), _doc("kubeconfig-missing", "demo")) is None
    scenario = load_scenario("kubeconfig-invalid")
    assert scenario.kubeconfig.file is KubeconfigFile.INVALID
    text = kubeconfig_text(scenario, _doc("kubeconfig-invalid", "demo"))
    assert text is not None and "\t" in text
    with pytest.raises(Exception, match="tab|token"):
        YAML(typ="safe", pure=True).load(text)
