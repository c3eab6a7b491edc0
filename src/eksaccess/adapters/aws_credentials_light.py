"""Which AWS credentials would sign a token, found as botocore finds them but with the standard library.

The token cache (``eksaccess token``) may serve a cached token only while the credentials that would sign
a new one are still the same identity. Finding that out through boto3 costs more than the cache saves, so
this module follows botocore's credential chain by reading the environment and the shared files with
``configparser``, for the sources whose identity is fully described by local text:

=================================  ==================================================================
Source (botocore's order)          Keyed on
=================================  ==================================================================
``AWS_ACCESS_KEY_ID`` (env)        that access key id; skipped when ``--profile`` is given, as botocore
                                   skips it for an explicit profile
profile with ``role_arn``          the access key id at the root of the ``source_profile`` chain (or of
                                   ``credential_source = Environment``), plus every non-secret setting
                                   of each profile on the chain (role ARN, session name, external id,
                                   MFA serial, duration) in the fingerprint
credentials file ``[P]``           ``aws_access_key_id`` of that section
config file ``[profile P]``        ``aws_access_key_id`` of that section
=================================  ==================================================================

Why that is safe: an access key id belongs to exactly one IAM user or one STS session, so the same key id
means the same signer; for a role profile, the same source key and the same role settings assume the same
role (only a botocore-generated session name may differ, which the aws CLI's own credential cache also
reuses for up to an hour). Everything else that shapes the token (region, STS endpoint settings, the file
paths, the profile sections without their secrets) goes into ``fingerprint``, so a change there is a miss.

Everything else returns ``None``, which sends the caller down the boto3 path (``boto3_identity``):
web identity, SSO, ``credential_process``, ``login_session``, ``credential_source`` other than
``Environment``, container and instance metadata credentials, partial or unreadable configuration.
There the cache is keyed on the access key id botocore actually resolves, which is the signer itself.

The light half is on the cache-hit path: standard library only, values as ``NamedTuple`` (no
``dataclasses``); botocore is imported inside ``TokenSigner`` only.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from eksaccess.errors import InputError, RemoteError

# Variables that change which endpoint, region or files a token comes from (never secrets).
SHAPING_ENV = (
    "AWS_DEFAULT_PROFILE",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)
SECRET_OPTIONS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
_NOT_LIGHT = frozenset(
    {
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "credential_process",
        "login_session",
    }
)
Section = dict[str, str]


class CredentialIdentity(NamedTuple):
    """The identity that would sign a token, as far as the cache needs to know it."""

    access_key_id: str  # the key the cache is keyed on: the static key at the root of the chain
    signing_key_id: str | None  # the key that signs the token itself, when known (static credentials)
    region: str | None  # the region botocore would sign for when no --region is given
    fingerprint: str  # sha256 over every non-secret setting that shapes the token
    source: str  # where the root key was found, for --debug and the docs (no secret)


class _Files(NamedTuple):
    config: dict[str, Section]  # profile name -> config-file section
    credentials: dict[str, Section]  # section name -> credentials-file section
    services: dict[str, Section]

    def merged(self, name: str) -> Section | None:
        """The profile as botocore's ``full_config`` sees it (credentials file over config file)."""
        if name not in self.config and name not in self.credentials:
            return None
        return {**self.config.get(name, {}), **self.credentials.get(name, {})}


def _read_ini(path_text: str) -> dict[str, Section] | None:
    """Every section of an INI file; ``{}`` when absent, ``None`` when unreadable (the boto3 path says why)."""
    path = os.path.expanduser(os.path.expandvars(path_text))
    if not os.path.isfile(path):
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError, OSError):
        return None
    return {s: {opt: parser.get(s, opt) for opt in parser.options(s)} for s in parser.sections()}


def _section_name(key: str, kind: str) -> str | None:
    parts = key.split()
    if len(parts) == 2 and parts[0] == kind and '"' not in key and "'" not in key:
        return parts[1]
    return None


def _load_files(env: Mapping[str, str]) -> _Files | None:
    config_raw = _read_ini(env.get("AWS_CONFIG_FILE") or "~/.aws/config")
    credentials = _read_ini(env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")
    if config_raw is None or credentials is None:
        return None
    profiles: dict[str, Section] = {}
    services: dict[str, Section] = {}
    for key, values in config_raw.items():
        if key.startswith("profile"):
            name = _section_name(key, "profile")
            if name is None and key != "profile":
                return None  # quoted or odd section names: leave them to botocore
            if name is not None:
                profiles[name] = values
        elif key.startswith("services"):
            name = _section_name(key, "services")
            if name is not None:
                services[name] = values
        elif key == "default":
            profiles[key] = values
    return _Files(config=profiles, credentials=credentials, services=services)


def _public(section: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(section.items()) if k not in SECRET_OPTIONS}


def _fingerprint(env: Mapping[str, str], files: _Files | None, visited: Sequence[str], root: str) -> str:
    material: dict[str, Any] = {
        "v": 1,
        "env": {k: env[k] for k in SHAPING_ENV if k in env},
        "root": root,
        "profiles": [[n, _public(files.merged(n) or {})] for n in visited] if files else [],
        "services": {n: _public(s) for n, s in sorted(files.services.items())} if files else {},
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


class _Root(NamedTuple):
    key_id: str
    source: str


def _static(section: Mapping[str, str] | None, source: str) -> _Root | None:
    if section is None or not section.get("aws_access_key_id"):
        return None
    if not section.get("aws_secret_access_key"):
        return None  # partial credentials: botocore raises, the boto3 path reports it
    return _Root(key_id=section["aws_access_key_id"], source=source)


def _env_root(env: Mapping[str, str]) -> _Root | None:
    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    return _Root(key_id=key, source="environment") if key and secret else None


def _profile_chain(files: _Files, name: str, env: Mapping[str, str], *, env_disabled: bool) -> _Root | None:
    """botocore's profile providers, in order: web identity, SSO, credentials file, login, process, config."""
    merged = files.merged(name) or {}
    if "web_identity_token_file" in merged or (not env_disabled and env.get("AWS_WEB_IDENTITY_TOKEN_FILE")):
        return None
    if _NOT_LIGHT & merged.keys():
        return None
    from_credentials = files.credentials.get(name)
    if from_credentials is not None and "aws_access_key_id" in from_credentials:
        return _static(from_credentials, f"shared credentials file [{name}]")
    return _static(files.config.get(name), f"config file [profile {name}]")


def _assume_role_root(files: _Files, name: str, env: Mapping[str, str], visited: list[str]) -> _Root | None:
    """The source credentials of a ``role_arn`` profile (botocore's AssumeRoleProvider)."""
    profile = files.merged(name) or {}
    source_profile, credential_source = profile.get("source_profile"), profile.get("credential_source")
    if (source_profile is None) == (credential_source is None):
        return None  # both or neither: a configuration error botocore explains
    if credential_source is not None:
        return _env_root(env) if credential_source == "Environment" else None
    assert source_profile is not None
    source = files.merged(source_profile)
    if source is None or (source_profile in visited and source_profile != name):
        return None
    visited.append(source_profile)
    has_static = "aws_access_key_id" in source or "aws_secret_access_key" in source
    if source_profile == name and not has_static:
        return None
    if has_static or not _is_role_profile(source):
        return _profile_chain(files, source_profile, env, env_disabled=True)
    return _assume_role_root(files, source_profile, env, visited)


def _is_role_profile(profile: Mapping[str, str]) -> bool:
    return "role_arn" in profile and "web_identity_token_file" not in profile


def resolve_light(env: Mapping[str, str], *, profile: str | None = None) -> CredentialIdentity | None:
    """The identity botocore would sign with, or ``None`` when only boto3 can tell (see the module doc)."""
    name = profile or env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or "default"
    if profile is None and env.get("AWS_ACCESS_KEY_ID"):
        files = _load_files(env)  # only for the region and the fingerprint
        root = _env_root(env)
        if root is None:
            return None
        merged = files.merged(name) if files else None
        return _identity(env, files, [name], root, signing=True, region_section=merged)
    files = _load_files(env)
    if files is None:
        return None
    merged = files.merged(name)
    if merged is None:
        return None  # unknown profile, or the container/instance credentials of the default chain
    visited = [name]
    if _is_role_profile(merged):
        root = _assume_role_root(files, name, env, visited)
        signing = False
    else:
        root = _profile_chain(files, name, env, env_disabled=profile is not None)
        signing = True
    if root is None:
        return None
    return _identity(env, files, visited, root, signing=signing, region_section=merged)


def _identity(
    env: Mapping[str, str],
    files: _Files | None,
    visited: Sequence[str],
    root: _Root,
    *,
    signing: bool,
    region_section: Mapping[str, str] | None,
) -> CredentialIdentity:
    # the aws CLI v2's order, as adapters/aws.py resolves it: AWS_REGION, AWS_DEFAULT_REGION, the profile's
    region = (
        env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or (region_section or {}).get("region") or None
    )
    return CredentialIdentity(
        access_key_id=root.key_id,
        signing_key_id=root.key_id if signing else None,
        region=region,
        fingerprint=_fingerprint(env, files, visited, root.source),
        source=root.source if signing else f"assume-role via {' -> '.join(visited)} from {root.source}",
    )


# --- the boto3 path: resolution that needs botocore, and minting ----------------------------------------

ROLE_SESSION_NAME = "EKSGetTokenAuth"  # what `aws eks get-token --role-arn` names its session
K8S_AWS_ID_HEADER = "x-k8s-aws-id"
URL_TIMEOUT = 60


class TokenSigner:
    """A botocore session set up as the aws CLI sets up its own for ``aws eks get-token``."""

    def __init__(self, *, profile: str | None, region: str | None) -> None:
        import botocore.session

        self._region = region
        self._session = botocore.session.Session()
        if profile:
            self._session.set_config_variable("profile", profile)  # an instance variable, as --profile is
        self._share_assume_role_cache()

    def _share_assume_role_cache(self) -> None:
        """Use the aws CLI's assumed-role credential cache (~/.aws/cli/cache), as the CLI does."""
        import botocore.exceptions
        from botocore.utils import JSONFileCache

        try:
            chain = self._session.get_component("credential_provider")
        except (botocore.exceptions.ProfileNotFound, botocore.exceptions.ConfigParseError):
            return  # identity() and presign() report it, as the aws CLI does
        cache = JSONFileCache(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))
        for provider_name in ("assume-role", "assume-role-with-web-identity"):
            provider = chain.get_provider(provider_name)
            if provider is not None:
                provider.cache = cache

    def identity(self) -> CredentialIdentity:
        """The credentials botocore resolves, keyed on their access key id (the signer itself)."""
        credentials = self._call(self._session.get_credentials, "resolving credentials")
        if credentials is None:
            raise InputError(
                "Unable to locate credentials. You can configure credentials by running 'aws configure'."
            )
        frozen = self._call(credentials.get_frozen_credentials, "resolving credentials")
        env = dict(os.environ)
        profile = self._session.get_config_variable("profile") or "default"
        return CredentialIdentity(
            access_key_id=str(frozen.access_key),
            signing_key_id=str(frozen.access_key),
            region=self._session.get_config_variable("region"),
            fingerprint=_fingerprint(env, _load_files(env), [profile], f"boto3:{credentials.method}"),
            source=f"boto3 ({credentials.method})",
        )

    def presign(self, cluster_id: str, *, role_arn: str | None) -> tuple[str, str]:
        """(presigned GetCallerIdentity URL with the signed x-k8s-aws-id header, the signing key id)."""
        kwargs: dict[str, Any] = {"region_name": self._region}
        if role_arn is not None:
            sts = self._call(
                lambda: self._session.create_client("sts", region_name=self._region), "STS client"
            )
            out = self._call(
                lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME), "AssumeRole"
            )
            creds = out["Credentials"]
            kwargs |= {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        sts = self._call(lambda: self._session.create_client("sts", **kwargs), "STS client")

        def add_cluster_header(request: Any, **_: Any) -> None:
            request.headers[K8S_AWS_ID_HEADER] = cluster_id

        sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
        url = self._call(
            lambda: sts.generate_presigned_url(
                "get_caller_identity", Params={}, ExpiresIn=URL_TIMEOUT, HttpMethod="GET"
            ),
            "GetCallerIdentity (presign)",
        )
        key = kwargs.get("aws_access_key_id") or self.identity().access_key_id
        return str(url), str(key)

    @staticmethod
    def _call(func: Any, what: str) -> Any:
        import botocore.exceptions

        try:
            return func()
        except botocore.exceptions.ClientError as err:
            error = err.response.get("Error", {})
            raise RemoteError(f"{what} failed: {error.get('Code', '')}: {error.get('Message', '')}") from err
        except (
            botocore.exceptions.ProfileNotFound,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.InvalidConfigError,
            botocore.exceptions.ConfigParseError,
            botocore.exceptions.NoRegionError,
            botocore.exceptions.InvalidRegionError,
            botocore.exceptions.ParamValidationError,
        ) as err:
            raise InputError(str(err)) from err
        except botocore.exceptions.NoCredentialsError as err:
            raise InputError(
                "Unable to locate credentials. You can configure credentials by running 'aws configure'."
            ) from err
        except botocore.exceptions.BotoCoreError as err:
            raise RemoteError(f"{what} failed: {err}") from err
