"""The files the sandbox writes for real clients: AWS config and credentials, kubeconfig (all mode 0600).

The AWS config names the sandbox endpoint (``endpoint_url``, honoured by botocore for every service,
STS presigning included) and its CA (``ca_bundle``), so ``aws eks get-token`` mints tokens whose
presigned URL points at the sandbox over https. The kubeconfig holds one context per scenario context,
written as ``aws eks update-kubeconfig --alias CTX --user-alias CTX`` would, then broken where asked.
"""

from __future__ import annotations

import configparser
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksaccess.domain.kubeconfig import EXEC_V1BETA1, EksClusterRef, dump_raw, exec_args
from eksaccess.sandbox.scenarios.model import FOREIGN_CA, ContextSpec, ProfileType, Scenario
from eksaccess.sandbox.store import ClusterRecord

AWS_CONFIG = "aws-config"
AWS_CREDENTIALS = "aws-credentials"
KUBECONFIG = "kubeconfig"


@dataclass(frozen=True, kw_only=True, slots=True)
class ProfileCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"a": self.access_key_id, "s": self.secret_access_key, "t": self.session_token}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileCredentials:
        return cls(
            access_key_id=str(data["a"]), secret_access_key=str(data["s"]), session_token=data.get("t")
        )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (atomically: a temp file renamed over it)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _ini(sections: Mapping[str, Mapping[str, str]]) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    for name, values in sections.items():
        parser[name] = dict(values)
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def aws_config_text(scenario: Scenario, *, endpoint: str, ca_bundle: Path) -> str:
    common = {"endpoint_url": endpoint, "ca_bundle": str(ca_bundle), "output": "json"}
    sections: dict[str, dict[str, str]] = {"default": {"region": scenario.default_region(), **common}}
    for profile in scenario.profiles:
        values = {"region": profile.region or scenario.default_region(), **common}
        if profile.kind is ProfileType.ASSUME_ROLE:
            values["role_arn"] = str(profile.roleArn)
            values["source_profile"] = str(profile.sourceProfile)
            if profile.roleSessionName:
                values["role_session_name"] = profile.roleSessionName
        section = "default" if profile.name == "default" else f"profile {profile.name}"
        sections[section] = values
    return _ini(sections)


def aws_credentials_text(credentials: Mapping[str, ProfileCredentials]) -> str:
    sections: dict[str, dict[str, str]] = {}
    for name, creds in credentials.items():
        values = {"aws_access_key_id": creds.access_key_id, "aws_secret_access_key": creds.secret_access_key}
        if creds.session_token:
            values["aws_session_token"] = creds.session_token
        sections[name] = values
    return _ini(sections)


def _exec_block(context: ContextSpec, ref: EksClusterRef) -> dict[str, Any]:
    command, args = exec_args(ref, role_arn=context.roleArn)
    if context.clusterNameArg:
        args[args.index("--cluster-name") + 1] = context.clusterNameArg
    if context.regionArg:
        args[args.index("--region") + 1] = context.regionArg
    block: dict[str, Any] = {
        "apiVersion": context.execApiVersion or EXEC_V1BETA1,
        "args": args,
        "command": command,
    }
    if context.profile and context.profileEnv:
        block["env"] = [{"name": "AWS_PROFILE", "value": context.profile}]
    return block


def kubeconfig_document(
    scenario: Scenario, clusters: Mapping[str, ClusterRecord], *, foreign_ca_data: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "clusters": [],
        "contexts": [],
        "current-context": scenario.kubeconfig.currentContext or "",
        "kind": "Config",
        "preferences": {},
        "users": [],
    }
    written: set[str] = set()
    for context in scenario.kubeconfig.contexts:
        record = clusters.get(context.cluster)
        if record is None:
            continue
        ref = EksClusterRef(
            name=record.name,
            arn=record.arn,
            endpoint=record.endpoint,
            certificate_authority_data=record.certificate_authority_data,
        )
        cluster_name = f"{record.arn}/{context.name}" if context.broken else record.arn
        if cluster_name not in written:
            ca = context.certificateAuthorityData or ref.certificate_authority_data
            if ca == FOREIGN_CA:
                ca = foreign_ca_data
            body = {"certificate-authority-data": ca, "server": context.server or ref.endpoint}
            doc["clusters"].append({"cluster": body, "name": cluster_name})
            written.add(cluster_name)
        doc["users"].append({"name": context.name, "user": {"exec": _exec_block(context, ref)}})
        ctx_body: dict[str, Any] = {"cluster": cluster_name, "user": context.name}
        if context.namespace:
            ctx_body["namespace"] = context.namespace
        doc["contexts"].append({"context": ctx_body, "name": context.name})
    return doc


def write_client_files(
    state_dir: Path,
    scenario: Scenario,
    *,
    credentials: Mapping[str, ProfileCredentials],
    clusters: Mapping[str, ClusterRecord],
    endpoint: str,
    ca_bundle: Path,
    foreign_ca_data: str,
) -> None:
    write_private(state_dir / AWS_CONFIG, aws_config_text(scenario, endpoint=endpoint, ca_bundle=ca_bundle))
    write_private(state_dir / AWS_CREDENTIALS, aws_credentials_text(credentials))
    doc = kubeconfig_document(scenario, clusters, foreign_ca_data=foreign_ca_data)
    write_private(state_dir / KUBECONFIG, dump_raw(doc))


def client_env(state_dir: Path, *, endpoint: str, profile: str | None = None) -> dict[str, str]:
    """The variables real clients read to talk to the sandbox."""
    env = {
        "AWS_CONFIG_FILE": str(state_dir / AWS_CONFIG),
        "AWS_SHARED_CREDENTIALS_FILE": str(state_dir / AWS_CREDENTIALS),
        "AWS_ENDPOINT_URL": endpoint,
        # An AWS_CA_BUNDLE in the environment beats ca_bundle in the config file: point it at our CA too.
        "AWS_CA_BUNDLE": str(state_dir / "ca.crt"),
        "KUBECONFIG": str(state_dir / KUBECONFIG),
    }
    if profile:
        env["AWS_PROFILE"] = profile
    return env
