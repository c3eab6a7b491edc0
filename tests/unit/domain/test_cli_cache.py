"""The aws CLI's cache key for assumed-role credentials, against botocore's own computation.

Two references: the botocore this project depends on (its AssumeRoleProvider reading the same config,
so the profile settings are read as botocore reads them), and the botocore the aws CLI ships inside
itself (awscli >= 1.44 vendors it and aliases ``import botocore`` to it once ``awscli`` is imported, so it
is asked in a child process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from eksaccess.domain.cli_cache import (
    assume_role_cache_key,
    assume_role_chain,
    cache_path,
    display_path,
    exec_profile,
)

ROLE = "arn:aws:iam::111122223333:role/developer"

# profile settings (besides role_arn and source_profile) -> as written in ~/.aws/config
PROFILES: list[dict[str, str]] = [
    {},
    {"role_session_name": "alice"},
    {"role_session_name": ""},
    {"external_id": "ext-123"},
    {"external_id": ""},
    {"duration_seconds": "3600"},
    {"duration_seconds": "not-a-number"},
    {"mfa_serial": "arn:aws:iam::111122223333:mfa/alice"},
    {
        "role_session_name": "ci",
        "external_id": "x/y:z",
        "duration_seconds": "900",
        "mfa_serial": "arn:aws:iam::111122223333:mfa/ci",
    },
    {"role_session_name": "ünïcode session"},
]


def _config(tmp_path: Path, settings: dict[str, str], role: str = ROLE) -> Path:
    lines = ["[profile base]", "aws_access_key_id = AKIAEXAMPLE", "aws_secret_access_key = secret", ""]
    lines += ["[profile target]", f"role_arn = {role}", "source_profile = base"]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    path = tmp_path / "config"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _botocore_key(config: Path, profile: str) -> str:
    """The key botocore's AssumeRoleProvider gives the fetcher it builds for ``profile``."""
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(config))
    session.set_config_variable("credentials_file", str(config.parent / "no-credentials"))
    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider.cache = {}
    provider._loaded_config = provider._load_config()  # what provider.load() does first
    credentials = provider._load_creds_via_assume_role(profile)
    refresh: Any = credentials._refresh_using
    refresh = getattr(refresh, "_refresh", refresh)  # unwrap the MFA refresher
    return str(refresh.__self__._cache_key)


@pytest.mark.parametrize("settings", PROFILES, ids=lambda s: ",".join(s) or "role-only")
def test_the_key_is_botocores(settings: dict[str, str], tmp_path: Path) -> None:
    config = _config(tmp_path, settings)
    profiles = botocore.session.Session(profile=None)
    profiles.set_config_variable("config_file", str(config))
    (role,) = assume_role_chain(profiles.full_config["profiles"], "target")
    assert role.cache_key == _botocore_key(config, "target")


def test_the_key_is_the_aws_clis_own_botocores(tmp_path: Path) -> None:
    """The CLI computes the key with the botocore it ships; the whole table in one child process."""
    pytest.importorskip("awscli")
    cases = [{"role_arn": ROLE, **{k: v for k, v in s.items() if k != "duration_seconds"}} for s in PROFILES]
    script = """
import json, sys
import awscli  # noqa: F401 - from here on `botocore` is the aws CLI's own copy
from botocore.credentials import AssumeRoleCredentialFetcher
names = {"role_session_name": "RoleSessionName", "external_id": "ExternalId", "mfa_serial": "SerialNumber"}
out = []
for case in json.load(sys.stdin):
    extra = {names[k]: v for k, v in case.items() if k in names}
    if extra.get("RoleSessionName") == "":
        extra.pop("RoleSessionName")
    fetcher = AssumeRoleCredentialFetcher(lambda *a, **k: None, None, case["role_arn"], extra_args=extra)
    out.append(fetcher._cache_key)
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    ours = [
        assume_role_cache_key(
            role_arn=c["role_arn"],
            role_session_name=c.get("role_session_name"),
            external_id=c.get("external_id"),
            mfa_serial=c.get("mfa_serial"),
        )
        for c in cases
    ]
    assert json.loads(done.stdout) == ours


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(3600, '{"DurationSeconds": 3600, "RoleArn": "R"}'), (None, '{"RoleArn": "R"}')],
)
def test_the_key_hashes_sorted_json(duration: int | None, expected: str) -> None:
    import hashlib

    assert (
        assume_role_cache_key(role_arn="R", duration_seconds=duration)
        == hashlib.sha1(expected.encode()).hexdigest()
    )


def test_the_chain_follows_source_profiles_that_assume_roles() -> None:
    profiles = {
        "top": {"role_arn": "arn:aws:iam::1:role/top", "source_profile": "middle"},
        "middle": {"role_arn": "arn:aws:iam::1:role/middle", "source_profile": "keys"},
        "keys": {"aws_access_key_id": "AKIA", "aws_secret_access_key": "s"},
        "loop": {"role_arn": "arn:aws:iam::1:role/loop", "source_profile": "loop", "aws_access_key_id": "A"},
        "web": {"role_arn": "arn:aws:iam::1:role/web", "web_identity_token_file": "/t"},
        "via-keys": {"role_arn": "arn:aws:iam::1:role/v", "source_profile": "keyed-role"},
        "keyed-role": {"role_arn": "arn:aws:iam::1:role/k", "aws_access_key_id": "A"},
    }
    assert [r.profile for r in assume_role_chain(profiles, "top")] == ["top", "middle"]
    assert [r.profile for r in assume_role_chain(profiles, "loop")] == ["loop"]
    assert assume_role_chain(profiles, "web") == ()
    assert assume_role_chain(profiles, "keys") == ()
    assert assume_role_chain(profiles, "missing") == ()
    assert [r.profile for r in assume_role_chain(profiles, "via-keys")] == ["via-keys"]


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "default"),
        (("--profile", "p"), {"AWS_PROFILE": "e"}, "p"),
        (("--profile=p",), {}, "p"),
        ((), {"AWS_PROFILE": "e", "AWS_DEFAULT_PROFILE": "d"}, "d"),
        ((), {"AWS_PROFILE": "e"}, "e"),
    ],
)
def test_the_profile_the_plugin_runs_as(args: tuple[str, ...], env: dict[str, str], expected: str) -> None:
    assert exec_profile(args, env) == expected


def test_paths_are_shown_with_a_tilde_only_under_home() -> None:
    path = cache_path("/home/me/", "abc")
    assert path == "/home/me/.aws/cli/cache/abc.json"
    assert display_path(path, "/home/me") == "~/.aws/cli/cache/abc.json"
    assert display_path(path, "/home/m") == path
    assert display_path(path, None) == path
