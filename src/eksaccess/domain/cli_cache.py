"""The aws CLI's cache of assumed-role credentials (``~/.aws/cli/cache``), as data.

The aws CLI (not botocore alone) gives the assume-role provider a ``JSONFileCache`` in
``~/.aws/cli/cache``; ``aws eks get-token`` run by kubectl then signs with the credentials found there
until they expire, even when STS no longer honours them. The file name is botocore's
``AssumeRoleCredentialFetcher._create_cache_key``: the sha1 of the AssumeRole arguments as sorted JSON
(``RoleArn`` and whichever of ``RoleSessionName``, ``ExternalId``, ``SerialNumber``, ``DurationSeconds``
the profile sets; a generated session name is left out), plus ``.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha1
from typing import Any

CACHE_DIR = (".aws", "cli", "cache")  # under the plugin's HOME


@dataclass(frozen=True, kw_only=True, slots=True)
class AssumeRoleProfile:
    """The settings of one profile that assume a role, as botocore's AssumeRoleProvider reads them."""

    profile: str
    role_arn: str
    role_session_name: str | None = None
    external_id: str | None = None
    mfa_serial: str | None = None
    duration_seconds: int | None = None

    @property
    def cache_key(self) -> str:
        return assume_role_cache_key(
            role_arn=self.role_arn,
            role_session_name=self.role_session_name,
            external_id=self.external_id,
            mfa_serial=self.mfa_serial,
            duration_seconds=self.duration_seconds,
        )


def assume_role_cache_key(
    *,
    role_arn: str,
    role_session_name: str | None = None,
    external_id: str | None = None,
    mfa_serial: str | None = None,
    duration_seconds: int | None = None,
) -> str:
    """The cache file's name without ``.json``, exactly as botocore computes it."""
    args: dict[str, Any] = {"RoleArn": role_arn}
    if (
        role_session_name
    ):  # botocore generates a name when none (or an empty one) is set, and hashes without it
        args["RoleSessionName"] = role_session_name
    if external_id is not None:
        args["ExternalId"] = external_id
    if mfa_serial is not None:
        args["SerialNumber"] = mfa_serial
    if duration_seconds is not None:
        args["DurationSeconds"] = duration_seconds
    digest = sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()  # botocore's key
    return digest.replace(":", "_").replace("/", "_")


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):  # botocore drops a duration it cannot read
        return None


def assume_role_chain(
    profiles: Mapping[str, Mapping[str, Any]], profile: str
) -> tuple[AssumeRoleProfile, ...]:
    """The profiles whose assumed-role credentials the CLI caches when it signs as ``profile`` (its config
    and credentials files merged): the profile itself when it assumes a role, then each ``source_profile``
    that assumes a role in turn (botocore's AssumeRoleProvider: a source profile with static keys, or
    with a web identity token file, ends the chain)."""
    chain: list[AssumeRoleProfile] = []
    seen: set[str] = set()
    name: str | None = profile
    while name is not None and name not in seen:
        seen.add(name)
        values = profiles.get(name) or {}
        role_arn = values.get("role_arn")
        static = "aws_access_key_id" in values or "aws_secret_access_key" in values
        if not role_arn or "web_identity_token_file" in values or (chain and static):
            break
        chain.append(
            AssumeRoleProfile(
                profile=name,
                role_arn=str(role_arn),
                role_session_name=values.get("role_session_name"),
                external_id=values.get("external_id"),
                mfa_serial=values.get("mfa_serial"),
                duration_seconds=_as_int(values["duration_seconds"])
                if "duration_seconds" in values
                else None,
            )
        )
        source = values.get("source_profile")
        name = source if isinstance(source, str) else None
    return tuple(chain)


def cache_path(home: str, key: str) -> str:
    """The cache file of ``key`` under ``home`` (POSIX separators: the aws CLI's ``os.path.join``)."""
    return "/".join([home.rstrip("/") or "", *CACHE_DIR, f"{key}.json"])


def display_path(path: str, home: str | None) -> str:
    """``path`` with ``~`` for HOME when it lies under it (so a pasted command finds it), else as is."""
    if home:
        prefix = home.rstrip("/") + "/"
        if path.startswith(prefix):
            return "~/" + path[len(prefix) :]
    return path


@dataclass(frozen=True, kw_only=True, slots=True)
class CacheEntry:
    """One cache file the aws CLI reads when it signs as a profile (``exists``: as found on disk)."""

    profile: str
    role_arn: str
    path: str  # absolute
    shown: str  # with ~ for HOME when under it
    exists: bool


def exec_profile(args: tuple[str, ...], env: Mapping[str, str]) -> str:
    """The profile ``aws ...`` runs as: ``--profile``, else AWS_DEFAULT_PROFILE, AWS_PROFILE (botocore's
    order), else ``default``."""
    chosen: str | None = None
    for i, arg in enumerate(args):
        if arg == "--profile" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--profile="):
            chosen = arg.split("=", 1)[1]
    return chosen or env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or "default"
