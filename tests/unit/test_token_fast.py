"""``eksaccess token`` without AWS: apiVersion negotiation, the ExecCredential text, when a cached token
may be served, how the signing identity is found without boto3, and that a hit imports no boto3/botocore.

Tokens here are built by hand in the shape of
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go; the sandbox round trip
(real signatures, kubectl) is in tests/integration/test_token_plugin.py.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from eksaccess.adapters.aws_credentials_light import resolve_light
from eksaccess.adapters.token_cache import CachedToken, TokenCache
from eksaccess.domain.iam.partitions import region_partition
from eksaccess.domain.token import decode_token, encode_token
from eksaccess.token_fast import (
    DEPRECATION_MSG,
    EXEC_V1,
    EXEC_V1ALPHA1,
    EXEC_V1BETA1,
    TokenArgs,
    cache_key,
    lookup,
    negotiate_api_version,
    parse_fast_args,
    render_exec_credential,
    servable,
    serve_hit,
    system_clock,
    whole_seconds,
)

NOW = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)
ADMIN_KEY = "AKIAADMINEXAMPLE0001"
ALICE_KEY = "AKIAALICEEXAMPLE0002"


def make_token(
    key_id: str = ADMIN_KEY,
    signed_at: datetime = NOW,
    *,
    host: str = "sts.us-west-2.amazonaws.com",
    signed_headers: str = "host;x-k8s-aws-id",
    action: str = "GetCallerIdentity",
) -> str:
    credential = quote(f"{key_id}/{signed_at:%Y%m%d}/us-west-2/sts/aws4_request", safe="")
    url = (
        f"https://{host}/?Action={action}&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={credential}&X-Amz-Date={signed_at:%Y%m%dT%H%M%SZ}&X-Amz-Expires=60"
        f"&X-Amz-SignedHeaders={quote(signed_headers, safe='')}&X-Amz-Signature={'0' * 64}"
    )
    return encode_token(url)


# --- apiVersion negotiation and the printed ExecCredential ----------------------------------------------


@pytest.mark.parametrize(
    ("exec_info", "version", "note"),
    [
        (None, EXEC_V1BETA1, None),
        ("", EXEC_V1BETA1, None),
        ('{"apiVersion": "client.authentication.k8s.io/v1", "spec": {"interactive": false}}', EXEC_V1, None),
        ('{"apiVersion": "client.authentication.k8s.io/v1beta1"}', EXEC_V1BETA1, None),
        ('{"apiVersion": "client.authentication.k8s.io/v1alpha1"}', EXEC_V1ALPHA1, "deprecated API version"),
        ("{not json", EXEC_V1BETA1, "Error parsing KUBERNETES_EXEC_INFO, defaulting to"),
        ('{"apiVersion": "client.authentication.k8s.io/v2"}', EXEC_V1BETA1, "Unrecognized API version"),
        ("{}", EXEC_V1BETA1, "Unrecognized API version"),
        ("[1, 2]", EXEC_V1BETA1, "Unrecognized API version"),
    ],
)
def test_api_version_negotiation(exec_info: str | None, version: str, note: str | None) -> None:
    got_version, got_note = negotiate_api_version(exec_info)
    assert got_version == version
    if note is None:
        assert got_note is None
    else:
        assert got_note is not None and note in got_note


def test_v1alpha1_note_is_the_aws_cli_text() -> None:
    _, note = negotiate_api_version('{"apiVersion": "client.authentication.k8s.io/v1alpha1"}')
    assert note == DEPRECATION_MSG.format(EXEC_V1ALPHA1)
    assert note == (
        "Kubeconfig user entry is using deprecated API version client.authentication.k8s.io/v1alpha1. "
        "Run 'aws eks update-kubeconfig' to update."
    )


def test_exec_credential_text_is_the_aws_cli_layout() -> None:
    text = render_exec_credential(EXEC_V1, "k8s-aws-v1.abc", datetime(2030, 5, 1, 12, 14, 0, 7, tzinfo=UTC))
    assert text == (
        "{\n"
        '    "kind": "ExecCredential",\n'
        '    "apiVersion": "client.authentication.k8s.io/v1",\n'
        '    "spec": {},\n'
        '    "status": {\n'
        '        "expirationTimestamp": "2030-05-01T12:14:00Z",\n'
        '        "token": "k8s-aws-v1.abc"\n'
        "    }\n"
        "}\n\n"
    )


def test_token_encoding_is_unpadded_base64url_and_decodes_back() -> None:
    for length in range(40, 44):  # every padding remainder
        url = "https://sts.us-west-2.amazonaws.com/?" + "a" * length
        token = encode_token(url)
        assert token.startswith("k8s-aws-v1.") and "=" not in token
        assert decode_token(token) == url


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-west-2", "aws"),
        ("eu-central-1", "aws"),
        ("", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert region_partition(region) == partition


def test_the_clock_is_injected_in_whole_utc_seconds() -> None:
    assert whole_seconds(lambda: NOW + timedelta(seconds=0.9)) == NOW
    paris = timezone(timedelta(hours=2))
    assert whole_seconds(lambda: NOW.astimezone(paris)) == NOW and whole_seconds(lambda: NOW).tzinfo == UTC
    real = whole_seconds(system_clock)
    assert real.microsecond == 0 and abs(real - datetime.now(UTC)) < timedelta(seconds=5)


# --- options the fast path takes, and those it leaves to click ---------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--cluster-name", "demo"], TokenArgs(cluster_id="demo")),
        (
            ["--region", "us-west-2", "--cluster-name", "demo", "--role-arn", "arn:aws:iam::1:role/r"],
            TokenArgs(cluster_id="demo", region="us-west-2", role_arn="arn:aws:iam::1:role/r"),
        ),
        (["--cluster-id=abc-123", "--profile=dev"], TokenArgs(cluster_id="abc-123", profile="dev")),
        (["--cluster-name", "demo", "--no-cache"], TokenArgs(cluster_id="demo", no_cache=True)),
        ([], None),
        (["--cluster-name"], None),
        (["--cluster-name", "a", "--cluster-id", "b"], None),
        (["--cluster-name", "a", "--cluster-name", "b"], None),
        (["--cluster-name", "a", "--output", "json"], None),
        (["--cluster-name", "a", "--help"], None),
        (["--clear-cache"], None),
        (["--cluster-name="], None),
    ],
)
def test_parse_fast_args(argv: list[str], expected: TokenArgs | None) -> None:
    assert parse_fast_args(argv) == expected


# --- when a cached token may be served ----------------------------------------------------------------


def cached(
    *,
    signed_at: datetime = NOW,
    expiration: datetime | None = None,
    key_id: str = ADMIN_KEY,
    fingerprint: str = "fp",
    recorded_key: str | None = ADMIN_KEY,
    token: str | None = None,
) -> CachedToken:
    return CachedToken(
        token=token or make_token(key_id, signed_at),
        expiration=expiration or signed_at + timedelta(minutes=14),
        fingerprint=fingerprint,
        signing_key_id=recorded_key,
    )


@pytest.mark.parametrize(
    ("seconds_left", "served"), [(840, True), (61, True), (60, False), (59, False), (0, False), (-5, False)]
)
def test_expiry_edge(seconds_left: int, served: bool) -> None:
    entry = cached()
    now = entry.expiration - timedelta(seconds=seconds_left)
    assert servable(entry, now=now, fingerprint="fp", signing_key_id=ADMIN_KEY) is served


@pytest.mark.parametrize(
    ("entry", "fingerprint", "signer", "why"),
    [
        (cached(), "other", ADMIN_KEY, "identity settings changed"),
        (cached(), "fp", ALICE_KEY, "another caller key"),
        (cached(recorded_key=ALICE_KEY), "fp", None, "token key differs from the recorded signer"),
        (cached(expiration=NOW + timedelta(minutes=20)), "fp", ADMIN_KEY, "expiration beyond 14 min"),
        (cached(signed_at=NOW + timedelta(minutes=2)), "fp", ADMIN_KEY, "signed in the future"),
        (cached(token="k8s-aws-v1.!!!"), "fp", ADMIN_KEY, "not base64url"),
        (cached(token="k8s-aws-v1." + make_token()[11:] + "=="), "fp", ADMIN_KEY, "padded"),
        (cached(token=make_token()[3:]), "fp", ADMIN_KEY, "no prefix"),
        (cached(token=make_token(signed_headers="host")), "fp", ADMIN_KEY, "cluster header not signed"),
        (cached(token=make_token(action="AssumeRole")), "fp", ADMIN_KEY, "not GetCallerIdentity"),
        (
            cached(token=encode_token("http://sts.amazonaws.com/?Action=GetCallerIdentity")),
            "fp",
            None,
            "http",
        ),
    ],
)
def test_not_servable(entry: CachedToken, fingerprint: str, signer: str | None, why: str) -> None:
    assert not servable(
        entry, now=NOW + timedelta(minutes=1), fingerprint=fingerprint, signing_key_id=signer
    ), why


def test_servable_for_role_profiles_without_a_known_signer() -> None:
    entry = cached(key_id="ASIAROLESESSION00001", recorded_key="ASIAROLESESSION00001")
    assert servable(entry, now=NOW + timedelta(minutes=1), fingerprint="fp", signing_key_id=None)


# --- the identity, found without boto3 --------------------------------------------------------------------


def write_aws_files(tmp_path: Path, config: str, credentials: str) -> dict[str, str]:
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }


CONFIG = """\
[default]
region = us-east-1

[profile admin]
region = us-west-2

[profile alice]
region = eu-west-1

[profile incfg]
region = us-west-2
aws_access_key_id = AKIACONFIGEXAMPLE003
aws_secret_access_key = secret-config

[profile developer]
role_arn = arn:aws:iam::111122223333:role/developer
source_profile = alice

[profile chained]
role_arn = arn:aws:iam::111122223333:role/second
source_profile = developer

[profile selfref]
role_arn = arn:aws:iam::111122223333:role/self
source_profile = selfref
aws_access_key_id = AKIASELFEXAMPLE00004
aws_secret_access_key = secret-self

[profile fromenv]
role_arn = arn:aws:iam::111122223333:role/envrole
credential_source = Environment

[profile fromimds]
role_arn = arn:aws:iam::111122223333:role/imds
credential_source = Ec2InstanceMetadata

[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Admin

[profile process]
credential_process = /bin/false

[profile webid]
role_arn = arn:aws:iam::111122223333:role/web
web_identity_token_file = /nonexistent

[profile partial]
region = us-west-2

[profile loop1]
role_arn = arn:aws:iam::111122223333:role/l1
source_profile = loop2

[profile loop2]
role_arn = arn:aws:iam::111122223333:role/l2
source_profile = loop1
"""
CREDENTIALS = f"""\
[default]
aws_access_key_id = AKIADEFAULTEXAMPLE05
aws_secret_access_key = secret-default

[admin]
aws_access_key_id = {ADMIN_KEY}
aws_secret_access_key = secret-admin

[alice]
aws_access_key_id = {ALICE_KEY}
aws_secret_access_key = secret-alice

[partial]
aws_access_key_id = AKIAPARTIALEXAMPLE06
"""
ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE000007", "AWS_SECRET_ACCESS_KEY": "secret-env"}


@pytest.mark.parametrize(
    ("env", "profile", "key", "signs", "region"),
    [
        ({}, None, "AKIADEFAULTEXAMPLE05", True, "us-east-1"),
        ({"AWS_PROFILE": "admin"}, None, ADMIN_KEY, True, "us-west-2"),
        ({"AWS_DEFAULT_PROFILE": "alice", "AWS_PROFILE": "admin"}, None, ALICE_KEY, True, "eu-west-1"),
        ({}, "admin", ADMIN_KEY, True, "us-west-2"),
        (
            {"AWS_PROFILE": "admin", "AWS_DEFAULT_REGION": "ca-central-1"},
            None,
            ADMIN_KEY,
            True,
            "ca-central-1",
        ),
        ({**ENV_KEYS, "AWS_PROFILE": "admin"}, None, "AKIAENVEXAMPLE000007", True, "us-west-2"),
        ({**ENV_KEYS}, "admin", ADMIN_KEY, True, "us-west-2"),  # --profile beats the environment
        ({}, "incfg", "AKIACONFIGEXAMPLE003", True, "us-west-2"),
        ({}, "developer", ALICE_KEY, False, None),
        ({}, "chained", ALICE_KEY, False, None),
        ({}, "selfref", "AKIASELFEXAMPLE00004", False, None),
        ({**ENV_KEYS}, "fromenv", "AKIAENVEXAMPLE000007", False, None),
    ],
)
def test_light_identity(
    tmp_path: Path, env: dict[str, str], profile: str | None, key: str, signs: bool, region: str | None
) -> None:
    full = {**write_aws_files(tmp_path, CONFIG, CREDENTIALS), **env}
    identity = resolve_light(full, profile=profile)
    assert identity is not None
    assert identity.access_key_id == key
    assert identity.signing_key_id == (key if signs else None)
    assert identity.region == region
    assert "secret" not in identity.source and "secret" not in identity.fingerprint


@pytest.mark.parametrize(
    ("env", "profile"),
    [
        ({}, "sso"),
        ({}, "process"),
        ({}, "webid"),
        ({}, "fromimds"),
        ({}, "fromenv"),  # credential_source = Environment without keys in the environment
        ({}, "partial"),
        ({}, "loop1"),
        ({}, "nosuchprofile"),
        ({"AWS_PROFILE": "nosuchprofile"}, None),
        ({"AWS_ACCESS_KEY_ID": "AKIAONLYKEY000000008"}, None),
        ({"AWS_WEB_IDENTITY_TOKEN_FILE": "/x", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"}, None),
    ],
)
def test_left_to_boto3(tmp_path: Path, env: dict[str, str], profile: str | None) -> None:
    full = {**write_aws_files(tmp_path, CONFIG, CREDENTIALS), **env}
    assert resolve_light(full, profile=profile) is None


def test_no_files_and_no_environment_is_left_to_boto3(tmp_path: Path) -> None:
    env = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none2")}
    assert resolve_light(env) is None


def test_unparsable_config_is_left_to_boto3(tmp_path: Path) -> None:
    env = write_aws_files(tmp_path, "[profile admin\nregion = x\n", CREDENTIALS)
    assert resolve_light({**env, "AWS_PROFILE": "admin"}) is None


STATIC_CASES = [
    ({}, None),
    ({"AWS_PROFILE": "admin"}, None),
    ({"AWS_DEFAULT_PROFILE": "alice", "AWS_PROFILE": "admin"}, None),
    ({}, "admin"),
    ({**ENV_KEYS, "AWS_PROFILE": "admin"}, None),
    ({**ENV_KEYS}, "admin"),
    ({}, "incfg"),
]


@pytest.mark.parametrize(("env", "profile"), STATIC_CASES)
def test_light_identity_equals_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], profile: str | None
) -> None:
    """Differential: for static credentials the light resolver finds the very key botocore signs with."""
    import botocore.session

    full = {**write_aws_files(tmp_path, CONFIG, CREDENTIALS), **env}
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in full.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    session = botocore.session.Session()
    if profile:
        session.set_config_variable("profile", profile)
    credentials = session.get_credentials()
    identity = resolve_light(full, profile=profile)
    assert identity is not None and credentials is not None
    assert identity.signing_key_id == credentials.access_key
    assert identity.region == session.get_config_variable("region")


# --- serving: hits, misses on a changed identity -------------------------------------------------------------


def fill_cache(env: Mapping[str, str], args: TokenArgs, *, signed_at: datetime, expiration: datetime) -> str:
    identity = resolve_light(env, profile=args.profile)
    assert identity is not None
    token = make_token(identity.access_key_id, signed_at)
    entry = CachedToken(
        token=token,
        expiration=expiration,
        fingerprint=identity.fingerprint,
        signing_key_id=identity.signing_key_id,
    )
    TokenCache(env["EKSACCESS_CACHE_DIR"]).write(cache_key(args, identity), entry)
    return token


@pytest.fixture
def admin_env(tmp_path: Path) -> dict[str, str]:
    return {
        **write_aws_files(tmp_path, CONFIG, CREDENTIALS),
        "AWS_PROFILE": "admin",
        "EKSACCESS_CACHE_DIR": str(tmp_path / "cache"),
    }


ARGV = ["--region", "us-west-2", "--cluster-name", "demo"]
AT = NOW + timedelta(minutes=5)  # when the fast path runs, unless a test says otherwise


def run_fast(
    env: Mapping[str, str], argv: list[str] = ARGV, *, now: datetime = AT
) -> tuple[int | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = serve_hit(argv, env, stdout=out, stderr=err, clock=lambda: now)
    return code, out.getvalue(), err.getvalue()


def test_hit_prints_the_cached_token(admin_env: dict[str, str]) -> None:
    expiration = NOW + timedelta(minutes=14)
    token = fill_cache(
        admin_env, parse_fast_args(ARGV) or TokenArgs(cluster_id="x"), signed_at=NOW, expiration=expiration
    )
    code, out, err = run_fast({**admin_env, "KUBERNETES_EXEC_INFO": '{"apiVersion": "' + EXEC_V1 + '"}'})
    assert code == 0 and err == ""
    assert out == render_exec_credential(EXEC_V1, token, expiration)


def test_hit_with_v1alpha1_notes_on_stderr_without_the_token(admin_env: dict[str, str]) -> None:
    token = fill_cache(
        admin_env,
        TokenArgs(cluster_id="demo", region="us-west-2"),
        signed_at=NOW,
        expiration=NOW + timedelta(minutes=14),
    )
    code, out, err = run_fast(
        {**admin_env, "KUBERNETES_EXEC_INFO": '{"apiVersion": "' + EXEC_V1ALPHA1 + '"}'}
    )
    assert code == 0 and token in out
    assert err.strip() == DEPRECATION_MSG.format(EXEC_V1ALPHA1)


@pytest.mark.parametrize(
    ("change", "argv", "now"),
    [
        ({"AWS_PROFILE": "alice"}, ARGV, AT),  # another identity
        ({}, ["--region", "us-west-2", "--cluster-name", "other"], AT),  # another cluster
        ({}, ["--region", "us-east-2", "--cluster-name", "demo"], AT),  # another region
        ({}, [*ARGV, "--role-arn", "arn:aws:iam::111122223333:role/eks-admin"], AT),  # another role
        ({"AWS_ENDPOINT_URL": "https://127.0.0.1:1"}, ARGV, AT),  # another STS endpoint
        ({"AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE000007", "AWS_SECRET_ACCESS_KEY": "s"}, ARGV, AT),  # env keys
        ({}, ARGV, NOW + timedelta(minutes=13, seconds=1)),  # 59 s left
        ({}, [*ARGV, "--no-cache"], AT),
    ],
)
def test_miss(admin_env: dict[str, str], change: dict[str, str], argv: list[str], now: datetime) -> None:
    fill_cache(
        admin_env,
        TokenArgs(cluster_id="demo", region="us-west-2"),
        signed_at=NOW,
        expiration=NOW + timedelta(minutes=14),
    )
    assert run_fast(admin_env)[0] == 0  # the control: unchanged, it is a hit
    assert run_fast({**admin_env, **change}, argv, now=now) == (None, "", "")


def test_the_environment_does_not_set_the_clock(admin_env: dict[str, str]) -> None:
    """EKSACCESS_NOW, the old test clock, is not read: only the injected clock decides."""
    fill_cache(
        admin_env,
        TokenArgs(cluster_id="demo", region="us-west-2"),
        signed_at=NOW,
        expiration=NOW + timedelta(minutes=14),
    )
    assert run_fast({**admin_env, "EKSACCESS_NOW": "2030-05-01T12:13:01Z"})[0] == 0  # still a hit at AT
    assert run_fast({**admin_env, "EKSACCESS_NOW": "garbage"})[0] == 0


def test_rotated_key_of_the_same_profile_is_a_miss(admin_env: dict[str, str], tmp_path: Path) -> None:
    fill_cache(
        admin_env,
        TokenArgs(cluster_id="demo", region="us-west-2"),
        signed_at=NOW,
        expiration=NOW + timedelta(minutes=14),
    )
    rotated = CREDENTIALS.replace(ADMIN_KEY, "AKIAROTATEDEXAMPLE09")
    write_aws_files(tmp_path, CONFIG, rotated)
    assert run_fast(admin_env)[0] is None


def test_changed_role_settings_of_a_role_profile_are_a_miss(
    admin_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**admin_env, "AWS_PROFILE": "developer"}
    identity = resolve_light(env)
    assert identity is not None and identity.access_key_id == ALICE_KEY and identity.signing_key_id is None
    args = TokenArgs(cluster_id="demo", region="us-west-2")
    entry = CachedToken(  # a role session signed it: the cache records that session key
        token=make_token("ASIADEVSESSION000010", NOW),
        expiration=NOW + timedelta(minutes=14),
        fingerprint=identity.fingerprint,
        signing_key_id="ASIADEVSESSION000010",
    )
    TokenCache(env["EKSACCESS_CACHE_DIR"]).write(cache_key(args, identity), entry)
    assert run_fast(env)[0] == 0
    write_aws_files(tmp_path, CONFIG.replace("role/developer", "role/developer2"), CREDENTIALS)
    assert run_fast(env)[0] is None


def test_lookup_reports_refusals(admin_env: dict[str, str]) -> None:
    args = TokenArgs(cluster_id="demo", region="us-west-2")
    identity = resolve_light(admin_env)
    assert identity is not None
    cache = TokenCache(Path(admin_env["EKSACCESS_CACHE_DIR"]))
    path = cache.write(cache_key(args, identity), cached(fingerprint=identity.fingerprint))
    os.chmod(path, 0o644)
    _, read, ok = lookup(args, identity, cache, NOW)
    assert not ok and read.refusal is not None and run_fast(admin_env)[0] is None


# --- a hit imports neither boto3 nor botocore (nor click when run as eksaccess.cli.entry) ---------


def _imported(importtime_stderr: str) -> set[str]:
    return {m[1] for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", importtime_stderr, re.M)}


@pytest.mark.parametrize(
    "entry",
    [
        ["-c", "from eksaccess.cli.main import main; main()", "token"],
        ["-m", "eksaccess.cli.entry", "token"],
        ["console-script", "token"],
    ],
    ids=["eksaccess-main", "cli-entry", "installed-eksaccess"],
)
def test_a_hit_imports_no_boto(tmp_path: Path, entry: list[str]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    env = {
        **write_aws_files(tmp_path, CONFIG, CREDENTIALS),
        "AWS_PROFILE": "admin",
        "EKSACCESS_CACHE_DIR": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", ""),
    }
    args = TokenArgs(cluster_id="demo", region="us-west-2")
    token = fill_cache(
        env, args, signed_at=now - timedelta(minutes=2), expiration=now + timedelta(minutes=12)
    )
    if entry[0] == "console-script":  # the `eksaccess` the package installs, as kubectl runs it
        script = Path(sys.executable).parent / "eksaccess"
        assert script.is_file(), "the eksaccess console script is not installed beside the interpreter"
        command = [str(script), *entry[1:], *ARGV]
        env["PYTHONPROFILEIMPORTTIME"] = "1"
    else:
        command = [sys.executable, "-X", "importtime", *entry, *ARGV]
    hit = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert hit.returncode == 0, hit.stderr[-2000:]
    assert f'"token": "{token}"' in hit.stdout
    assert token not in hit.stderr
    modules = _imported(hit.stderr)
    assert "eksaccess.adapters.token_cache" in modules  # the capture works
    assert not {m for m in modules if m.split(".")[0] in ("boto3", "botocore", "awscli")}
    if entry[0] != "-c":  # the installed script and cli.entry serve a hit before click and metadata
        assert "click" not in modules
        assert "importlib.metadata" not in modules

    # the control: with the cache gone the same command mints through botocore (offline presigning)
    TokenCache(tmp_path / "cache").clear()
    miss = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert miss.returncode == 0, miss.stderr[-2000:]
    assert "botocore" in _imported(miss.stderr)
    new_token = miss.stdout.split('"token": "')[1].split('"')[0]
    assert new_token != token and new_token not in miss.stderr
    assert ADMIN_KEY in decode_token(new_token)
