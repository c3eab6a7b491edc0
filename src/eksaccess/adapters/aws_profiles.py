"""What kind of credentials an AWS profile holds, read from the files botocore reads (no call is made).

The fix for credentials that do not work depends on where they come from: an IAM Identity Center (SSO)
login, a long-term access key, temporary keys written into a file, another profile (assume-role), the
environment, or a credential_process command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import botocore.configloader
import botocore.exceptions
import botocore.session

from eksaccess.errors import InputError

ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class CredentialKind(StrEnum):
    SSO = "sso"
    ACCESS_KEY = "access-key"  # long-term keys in a file
    SESSION_KEYS = "session-keys"  # temporary keys (with a session token) written into a file
    ASSUME_ROLE = "assume-role"
    ENVIRONMENT = "environment"
    PROCESS = "credential-process"
    WEB_IDENTITY = "web-identity"
    NONE = "none"  # the profile holds nothing botocore can use


@dataclass(frozen=True, kw_only=True, slots=True)
class ProfileCredentials:
    profile: str | None  # None: the default chain
    kind: CredentialKind
    exists: bool = True
    sso_session: str | None = None
    process: str | None = None
    role_arn: str | None = None
    source: ProfileCredentials | None = None  # assume-role: where its source credentials come from


def config_session() -> botocore.session.Session:
    """A botocore session that only reads the AWS config and credentials files, found as the aws CLI finds
    them (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE). It makes no client, so it skips
    botocore's event handlers: ~0.2 ms of CPU instead of ~9 ms."""
    return botocore.session.Session(include_builtin_handlers=False)


def require_profiles(*names: str | None) -> None:
    """Each profile named on the command line exists, as the aws CLI insists (InputError: exit 2, one line)."""
    try:
        known = set(config_session().available_profiles)
    except botocore.exceptions.BotoCoreError as err:  # a config file botocore cannot parse
        raise InputError(str(err)) from None
    for name in names:
        if name and name not in known:
            raise InputError(f"The config profile ({name}) could not be found")


def describe_profile(profile: str | None, env: Mapping[str, str]) -> ProfileCredentials:
    """As botocore resolves it: an explicit profile (argument, or AWS_PROFILE) skips the environment's keys."""
    session = config_session()
    explicit = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    if explicit is None and env.get("AWS_ACCESS_KEY_ID"):
        return ProfileCredentials(profile=None, kind=CredentialKind.ENVIRONMENT)
    name = explicit or "default"
    try:
        configs = session.full_config.get("profiles", {})
    except botocore.exceptions.ConfigParseError as err:
        raise InputError(str(err)) from None
    path = session.get_config_variable("credentials_file")
    try:
        creds = botocore.configloader.raw_config_parse(path) if path else {}
    except botocore.exceptions.ConfigParseError:
        creds = {}
    return _describe(name, configs, creds, seen=set())


def _describe(
    name: str,
    configs: Mapping[str, Mapping[str, str]],
    creds: Mapping[str, Mapping[str, str]],
    seen: set[str],
) -> ProfileCredentials:
    config, keys = configs.get(name), creds.get(name)
    if config is None and keys is None:
        return ProfileCredentials(profile=name, kind=CredentialKind.NONE, exists=False)
    values = {**(config or {}), **(keys or {})}
    if "aws_access_key_id" in values:
        kind = CredentialKind.SESSION_KEYS if "aws_session_token" in values else CredentialKind.ACCESS_KEY
        return ProfileCredentials(profile=name, kind=kind)
    if "role_arn" in values and "web_identity_token_file" not in values:
        source = values.get("source_profile")
        inner = _describe(source, configs, creds, seen | {name}) if source and source not in seen else None
        return ProfileCredentials(
            profile=name, kind=CredentialKind.ASSUME_ROLE, role_arn=values["role_arn"], source=inner
        )
    if "web_identity_token_file" in values:
        return ProfileCredentials(profile=name, kind=CredentialKind.WEB_IDENTITY)
    if "sso_session" in values or "sso_start_url" in values:
        return ProfileCredentials(
            profile=name, kind=CredentialKind.SSO, sso_session=values.get("sso_session")
        )
    if "credential_process" in values:
        return ProfileCredentials(
            profile=name, kind=CredentialKind.PROCESS, process=values["credential_process"]
        )
    return ProfileCredentials(profile=name, kind=CredentialKind.NONE)
