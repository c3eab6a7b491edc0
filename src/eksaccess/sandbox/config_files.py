"""The files the sandbox writes for real clients: AWS config and credentials, kubeconfig (all mode 0600).

The AWS config names the sandbox endpoint (``endpoint_url``, honoured by botocore for every service,
STS presigning included) and its CA (``ca_bundle``), so ``aws eks get-token`` mints tokens whose
presigned URL points at the sandbox over https. The kubeconfig holds one context per scenario context,
written as ``aws eks update-kubeconfig --alias CTX --user-alias CTX`` would, then broken where asked.
Without the aws CLI (not on PATH, not beside this Python) the exec entries run ``eksaccess token`` instead,
as ``eksaccess kubeconfig --exec eksaccess`` writes them (``token_command``).

Profiles of type ``credential-process`` run ``python -m eksaccess.sandbox.credential_process``, which
prints the key kept in ``credential-process.json`` (0600). Profiles of type ``sso-expired`` use the
``sso-session`` ``eksaccess-sandbox``; its expired token is written where botocore and the aws CLI look
for it, ``$HOME/.aws/sso/cache/<sha1 of the session name>.json``: botocore reads no variable for that
directory (it expands ``~`` when imported), so ``sandbox up`` writes into the home of the user, and
``sandbox.testing`` into the test's temporary directory, which the tests use as HOME.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import io
import json
import os
import secrets
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eksaccess.domain.iam.principal import parse_principal
from eksaccess.domain.kubeconfig import EXEC_V1BETA1, EksClusterRef, ExecPlugin, dump_raw, exec_args
from eksaccess.sandbox.credential_process import KEYS_FILE
from eksaccess.sandbox.private_files import private_dir, write_private_bytes
from eksaccess.sandbox.scenarios.model import (
    FOREIGN_CA,
    ContextCredential,
    ContextSpec,
    KubeconfigFile,
    ProfileSpec,
    ProfileType,
    Scenario,
)
from eksaccess.sandbox.store import ClusterRecord

AWS_CONFIG = "aws-config"
AWS_CREDENTIALS = "aws-credentials"
KUBECONFIG = "kubeconfig"
CREDENTIAL_PROCESS = KEYS_FILE
SSO_SESSION = "eksaccess-sandbox"
SSO_START_URL = "https://eksaccess-sandbox.awsapps.com/start"
AUTHENTICATOR = "aws-iam-authenticator"


@dataclass(frozen=True, kw_only=True, slots=True)
class ProfileKeys:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    via_process: bool = False  # printed by the profile's credential_process, not in the credentials file

    def as_dict(self) -> dict[str, str | bool | None]:
        data: dict[str, str | bool | None] = {
            "a": self.access_key_id,
            "s": self.secret_access_key,
            "t": self.session_token,
        }
        if self.via_process:
            data["p"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileKeys:
        return cls(
            access_key_id=str(data["a"]),
            secret_access_key=str(data["s"]),
            session_token=data.get("t"),
            via_process=bool(data.get("p")),
        )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (atomically: a temp file renamed over it)."""
    write_private_bytes(path, text.encode("utf-8"))


def _ini(sections: Mapping[str, Mapping[str, str]]) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    for name, values in sections.items():
        parser[name] = dict(values)
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def credential_process_command(state_dir: Path, profile: str, *, failing: bool = False) -> str:
    """The ``credential_process`` line of a profile: this Python, the sandbox's helper, the profile."""
    argv = [sys.executable, "-m", "eksaccess.sandbox.credential_process", str(state_dir), profile]
    return shlex.join([*argv, "--fail"] if failing else argv)


def _profile_values(profile: ProfileSpec, state_dir: Path, session_name: str | None) -> dict[str, str]:
    kind = profile.kind
    values: dict[str, str] = {}
    if kind is ProfileType.ASSUME_ROLE:
        values["role_arn"] = str(profile.roleArn)
        values["source_profile"] = str(profile.sourceProfile)
        if profile.roleSessionName or session_name:
            values["role_session_name"] = profile.roleSessionName or str(session_name)
    elif kind is ProfileType.SSO_EXPIRED:
        role = parse_principal(str(profile.roleArn))
        values["sso_session"] = SSO_SESSION
        values["sso_account_id"] = role.account
        values["sso_role_name"] = role.name
    elif kind in (ProfileType.CREDENTIAL_PROCESS, ProfileType.CREDENTIAL_PROCESS_FAILING):
        failing = kind is ProfileType.CREDENTIAL_PROCESS_FAILING
        values["credential_process"] = credential_process_command(state_dir, profile.name, failing=failing)
    return values


def aws_config_text(
    scenario: Scenario,
    *,
    endpoint: str,
    ca_bundle: Path,
    state_dir: Path | None = None,
    session_name: str | None = None,
) -> str:
    """The AWS config file. ``session_name``: the ``role_session_name`` of assume-role profiles that do
    not name one (the sandbox's own, so no assumed-role cache entry of another sandbox matches)."""
    common = {"endpoint_url": endpoint, "ca_bundle": str(ca_bundle), "output": "json"}
    sections: dict[str, dict[str, str]] = {"default": {"region": scenario.default_region(), **common}}
    folder = state_dir or ca_bundle.parent
    for profile in scenario.profiles:
        values = {"region": profile.region or scenario.default_region(), **common}
        values |= _profile_values(profile, folder, session_name)
        section = "default" if profile.name == "default" else f"profile {profile.name}"
        sections[section] = values
    if any(p.kind is ProfileType.SSO_EXPIRED for p in scenario.profiles):
        sections[f"sso-session {SSO_SESSION}"] = {
            "sso_start_url": SSO_START_URL,
            "sso_region": scenario.default_region(),
            "sso_registration_scopes": "sso:account:access",
        }
    return _ini(sections)


def aws_credentials_text(credentials: Mapping[str, ProfileKeys]) -> str:
    sections: dict[str, dict[str, str]] = {}
    for name, creds in credentials.items():
        if creds.via_process:
            continue
        values = {"aws_access_key_id": creds.access_key_id, "aws_secret_access_key": creds.secret_access_key}
        if creds.session_token:
            values["aws_session_token"] = creds.session_token
        sections[name] = values
    return _ini(sections)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenCommand:
    """What the kubeconfig's exec entries run to mint a token: ``aws eks get-token``, or eksaccess's own
    ``token`` (same ExecCredential, no aws CLI needed)."""

    plugin: ExecPlugin
    command: str  # the exec entry's command: "aws", "eksaccess", or the eksaccess script's full path


AWS_TOKEN = TokenCommand(plugin=ExecPlugin.AWS_CLI, command="aws")


def token_command(path: str | None = None) -> TokenCommand:
    """``aws`` when it is on ``path`` (default: this process's PATH) or beside this Python (where the demo
    extra installs it, and the demo puts first on its PATH); else ``eksaccess token``: ``eksaccess`` when
    it is on ``path``, else the script beside this Python by its full path, so kubectl finds it."""
    search = os.environ.get("PATH", "") if path is None else path
    here = Path(sys.executable).parent
    if shutil.which("aws", path=os.pathsep.join([str(here), search])):
        return AWS_TOKEN
    beside = here / "eksaccess"
    if shutil.which("eksaccess", path=search) is None and beside.exists():
        return TokenCommand(plugin=ExecPlugin.EKSACCESS, command=str(beside))
    return TokenCommand(plugin=ExecPlugin.EKSACCESS, command="eksaccess")


def _exec_block(context: ContextSpec, ref: EksClusterRef, token: TokenCommand = AWS_TOKEN) -> dict[str, Any]:
    command, args = exec_args(ref, role_arn=context.roleArn, plugin=token.plugin)
    command = token.command
    if context.clusterNameArg:
        args[args.index("--cluster-name") + 1] = context.clusterNameArg
    if context.regionArg:
        args[args.index("--region") + 1] = context.regionArg
    if context.execCommand:
        command = context.execCommand
        if Path(command).name == AUTHENTICATOR:  # its own arguments: token -i CLUSTER [-r ROLE]
            args = ["token", "-i", context.clusterNameArg or ref.name]
            args += ["-r", context.roleArn] if context.roleArn else []
    block: dict[str, Any] = {
        "apiVersion": context.execApiVersion or EXEC_V1BETA1,
        "args": args,
        "command": command,
    }
    if context.profile and context.profileEnv:
        block["env"] = [{"name": "AWS_PROFILE", "value": context.profile}]
    return block


def _client_certificate() -> dict[str, str]:
    """client-certificate-data/client-key-data of a CA the cluster has never seen (as an old kubeadm
    or kind kubeconfig holds): EKS does not take client certificates from users."""
    from cryptography.hazmat.primitives import serialization

    from eksaccess.sandbox.certs import new_ca

    key, cert = new_ca("kubernetes-admin", now=datetime.now(UTC))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return {
        "client-certificate-data": base64.b64encode(cert_pem).decode("ascii"),
        "client-key-data": base64.b64encode(key_pem).decode("ascii"),
    }


EXPIRED_TOKEN_AGE = timedelta(minutes=20)  # credential eks-token-expired: signed this long before sandbox up
TokenMinter = Callable[[str, str, str], str]  # (profile, cluster name, region) -> k8s-aws-v1 token


def _user_body(
    context: ContextSpec,
    ref: EksClusterRef,
    mint: TokenMinter | None,
    plugin: TokenCommand,
    mint_expired: TokenMinter | None = None,
) -> dict[str, Any]:
    kind = context.credential
    if kind is ContextCredential.CLIENT_CERTIFICATE:
        return _client_certificate()
    if kind is ContextCredential.BEARER_TOKEN:
        return {"token": secrets.token_hex(24)}
    if kind is ContextCredential.EKS_TOKEN:
        token = mint(str(context.profile), ref.name, ref.region) if mint else ""
        return {"token": token}
    if kind is ContextCredential.EKS_TOKEN_EXPIRED:
        token = mint_expired(str(context.profile), ref.name, ref.region) if mint_expired else ""
        return {"token": token}
    return {"exec": _exec_block(context, ref, plugin)}


def kubeconfig_document(
    scenario: Scenario,
    clusters: Mapping[str, ClusterRecord],
    *,
    foreign_ca_data: str,
    mint: TokenMinter | None = None,
    mint_expired: TokenMinter | None = None,
    token: TokenCommand = AWS_TOKEN,
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
        if record is None or context.deleted:
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
            other = clusters.get(context.serverOfCluster or "")
            server = context.server or (other.endpoint if other else ref.endpoint)
            body = {"certificate-authority-data": ca, "server": server}
            doc["clusters"].append({"cluster": body, "name": cluster_name})
            written.add(cluster_name)
        doc["users"].append(
            {"name": context.name, "user": _user_body(context, ref, mint, token, mint_expired)}
        )
        ctx_body: dict[str, Any] = {"cluster": cluster_name, "user": context.name}
        if context.namespace:
            ctx_body["namespace"] = context.namespace
        doc["contexts"].append({"context": ctx_body, "name": context.name})
    return doc


def kubeconfig_text(scenario: Scenario, doc: Mapping[str, Any]) -> str | None:
    """The kubeconfig file's text (None: no file), broken as the scenario asks."""
    wanted = scenario.kubeconfig.file
    if wanted is KubeconfigFile.ABSENT:
        return None
    text = dump_raw(dict(doc))
    if wanted is KubeconfigFile.INVALID:  # YAML forbids tabs in indentation; kubectl cannot load it
        text = text.replace("preferences: {}\n", "preferences:\n\tcolors: true\n", 1)
    return text


def sso_cache_file(home: Path) -> Path:
    """Where botocore looks for the token of the sso-session ``eksaccess-sandbox``."""
    digest = hashlib.sha1(SSO_SESSION.encode("utf-8")).hexdigest()  # botocore's cache key
    return home / ".aws" / "sso" / "cache" / f"{digest}.json"


def write_sso_cache(home: Path, *, region: str, expired_at: datetime) -> Path:
    """An SSO access token that expired at ``expired_at``, with no refresh token (aws sso login needed)."""
    path = sso_cache_file(home)
    private_dir(path.parent)
    token = {
        "startUrl": SSO_START_URL,
        "region": region,
        "accessToken": "aoa" + secrets.token_urlsafe(48),
        "expiresAt": expired_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    write_private(path, json.dumps(token) + "\n")
    return path


def write_client_files(
    state_dir: Path,
    scenario: Scenario,
    *,
    credentials: Mapping[str, ProfileKeys],
    clusters: Mapping[str, ClusterRecord],
    endpoint: str,
    ca_bundle: Path,
    foreign_ca_data: str,
    home: Path | None = None,
    session_name: str | None = None,
) -> None:
    """AWS config and credentials, the credential_process keys, the kubeconfig and (for sso-expired
    profiles) the expired SSO token under ``home`` (default: the user's home)."""
    config = aws_config_text(
        scenario, endpoint=endpoint, ca_bundle=ca_bundle, state_dir=state_dir, session_name=session_name
    )
    write_private(state_dir / AWS_CONFIG, config)
    write_private(state_dir / AWS_CREDENTIALS, aws_credentials_text(credentials))
    process = {
        name: {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key}
        for name, c in credentials.items()
        if c.via_process
    }
    write_private(state_dir / CREDENTIAL_PROCESS, json.dumps(process, indent=2) + "\n")
    mint = token_minter(credentials, endpoint=endpoint, ca_bundle=ca_bundle)
    mint_expired = token_minter(
        credentials, endpoint=endpoint, ca_bundle=ca_bundle, signed_ago=EXPIRED_TOKEN_AGE
    )
    doc = kubeconfig_document(
        scenario,
        clusters,
        foreign_ca_data=foreign_ca_data,
        mint=mint,
        mint_expired=mint_expired,
        token=token_command(),
    )
    text = kubeconfig_text(scenario, doc)
    if text is None:
        (state_dir / KUBECONFIG).unlink(missing_ok=True)
    else:
        write_private(state_dir / KUBECONFIG, text)
    if any(p.kind is ProfileType.SSO_EXPIRED for p in scenario.profiles):
        expired = datetime.now(UTC) - timedelta(hours=1)
        write_sso_cache(home or Path.home(), region=scenario.default_region(), expired_at=expired)


def token_minter(
    credentials: Mapping[str, ProfileKeys],
    *,
    endpoint: str,
    ca_bundle: Path,
    signed_ago: timedelta = timedelta(0),
) -> TokenMinter:
    """Mints a token as ``aws eks get-token`` does, with the stored credentials of a profile (signed
    now, by this machine's clock: valid 15 minutes; or ``signed_ago`` before now, what a token pasted
    that long ago holds)."""

    def mint(profile: str, cluster: str, region: str) -> str:
        from eksaccess.domain.token import encode_token

        creds = credentials.get(profile)
        if creds is None:
            raise ValueError(f"profile {profile} has no stored credentials to mint a token with")
        if signed_ago:
            return encode_token(_presign_at(creds, endpoint, region, cluster, datetime.now(UTC) - signed_ago))
        sts = _sandbox_botocore(ca_bundle.parent).create_client(
            "sts",
            region_name=region,
            endpoint_url=endpoint,
            verify=str(ca_bundle),
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        )

        def add_header(request: Any, **_: Any) -> None:
            request.headers["x-k8s-aws-id"] = cluster

        sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
        return encode_token(str(url))

    return mint


def _presign_at(creds: ProfileKeys, endpoint: str, region: str, cluster: str, at: datetime) -> str:
    """The presigned GetCallerIdentity URL ``aws eks get-token`` would have printed at ``at`` (botocore's
    query signer, told the signing time instead of reading the clock)."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class SignedAt(SigV4QueryAuth):  # type: ignore[misc]
        def _modify_request_before_signing(self, request: Any) -> None:
            request.context["timestamp"] = at.strftime("%Y%m%dT%H%M%SZ")
            super()._modify_request_before_signing(request)

    request = AWSRequest(
        method="GET",
        url=endpoint.rstrip("/") + "/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={"x-k8s-aws-id": cluster},
    )
    keys = Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    SignedAt(keys, "sts", region, expires=60).add_auth(request)
    return str(request.url)


def _sandbox_botocore(state_dir: Path) -> Any:
    """A botocore session that reads only the sandbox's files (not the user's AWS_PROFILE)."""
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("config_file", str(state_dir / AWS_CONFIG))
    session.set_config_variable("credentials_file", str(state_dir / AWS_CREDENTIALS))
    session.set_config_variable("profile", "default")
    return session


def client_env(state_dir: Path, *, endpoint: str, profile: str | None = None) -> dict[str, str]:
    """The variables real clients read to talk to the sandbox."""
    env = {
        "AWS_CONFIG_FILE": str(state_dir / AWS_CONFIG),
        "AWS_SHARED_CREDENTIALS_FILE": str(state_dir / AWS_CREDENTIALS),
        "AWS_ENDPOINT_URL": endpoint,
        # An AWS_CA_BUNDLE in the environment beats ca_bundle in the config file: point it at our CA too.
        "AWS_CA_BUNDLE": str(state_dir / "ca.crt"),
        "KUBECONFIG": str(state_dir / KUBECONFIG),
        # what doctor asks for this machine's public IP (https://checkip.amazonaws.com outside the sandbox)
        "EKSACCESS_CHECKIP_URL": endpoint.rstrip("/") + "/__sandbox/checkip",
        # the clusters' OIDC issuers (discovery document, JWKS): sandbox/oidc.py
        "EKSACCESS_OIDC_BASE_URL": endpoint.rstrip("/") + "/__oidc",
    }
    if profile:
        env["AWS_PROFILE"] = profile
    return env
