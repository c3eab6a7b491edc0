"""``eksaccess token`` against the sandbox: the aws CLI's ExecCredential, tokens the authenticator accepts,
the cache (hit, expiry edge, identity change, refused files, 0600), and kubectl 1.27 / 1.33 through it.

Every run is a subprocess of the installed ``eksaccess`` (or ``python -m eksaccess.cli.entry`` when the
console script is absent), with the sandbox's client variables and a private cache directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from eksaccess.domain.token import decode_token
from eksaccess.sandbox.testing import RunningSandbox, get_caller_identity_by_url, running_sandbox

BIN = Path(sys.executable).parent
CLUSTER = "demo"
REGION = "us-west-2"
ACCOUNT = "111122223333"
EKS_ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _required(path: Path, what: str) -> Path:
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is not installed (CI=true: these tests need the real client)")
        pytest.skip(f"{what} is not installed")
    return path


def eksaccess_command() -> list[str]:
    script = BIN / "eksaccess"
    return (
        [str(script), "token"] if script.exists() else [sys.executable, "-m", "eksaccess.cli.entry", "token"]
    )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("token-sandbox"), "baseline") as sb:
        yield sb


@pytest.fixture
def env(sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    """A clean environment: the sandbox's client variables, profile admin, private HOME and cache."""
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    (tmp_path / "home").mkdir()
    return {
        **keep,
        **sandbox.env_for("admin"),
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
        "HOME": str(tmp_path / "home"),
        "EKSACCESS_CACHE_DIR": str(tmp_path / "cache"),
    }


# A test-only entry point: eksaccess.cli.entry.console (fast path, then the CLI) with a fixed clock.
# Production reads no clock from the environment; only this test launcher injects one.
FIXED_CLOCK_ENTRY = (
    "import sys; from datetime import datetime; from eksaccess.cli.entry import console; "
    "at = datetime.fromisoformat(sys.argv[1]); console(sys.argv[2:], clock=lambda: at)"
)


def run(
    env: Mapping[str, str], *args: str, exec_info: str | None = None, now: datetime | None = None
) -> subprocess.CompletedProcess[str]:
    extra = {} if exec_info is None else {"KUBERNETES_EXEC_INFO": exec_info}
    command = eksaccess_command()
    if now is not None:
        command = [sys.executable, "-c", FIXED_CLOCK_ENTRY, now.isoformat(), "token"]
    return subprocess.run(
        [*command, *args],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def token_of(proc: subprocess.CompletedProcess[str]) -> tuple[str, datetime]:
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)["status"]
    return status["token"], datetime.strptime(status["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )


def token_plugin(env: Mapping[str, str], *args: str, **kw: object) -> tuple[str, datetime]:
    proc = run(env, "--region", REGION, "--cluster-name", CLUSTER, *args, **kw)  # type: ignore[arg-type]
    token, expiration = token_of(proc)
    assert token not in proc.stderr and token[11:40] not in proc.stderr
    return token, expiration


def cache_files(env: Mapping[str, str]) -> list[Path]:
    directory = Path(env["EKSACCESS_CACHE_DIR"])
    return sorted(directory.iterdir()) if directory.is_dir() else []


def query(token: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(decode_token(token)).query)


def caller_arn(sandbox: RunningSandbox, token: str, cluster: str = CLUSTER) -> tuple[int, str]:
    status, body = get_caller_identity_by_url(sandbox, decode_token(token), cluster)
    if status != 200:
        return status, ""
    return status, body["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Arn"]


# --- the same ExecCredential as aws eks get-token ---------------------------------------------------------

EXEC_INFOS = {
    "absent": None,
    "v1": '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
    "v1beta1": '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}',
    "v1alpha1": '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}',
    "malformed": "{not json",
    "unknown": '{"apiVersion":"client.authentication.k8s.io/v9"}',
}


def _shape(stdout: str) -> str:
    text = re.sub(r'"k8s-aws-v1\.[A-Za-z0-9_-]+"', '"TOKEN"', stdout)
    return re.sub(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', '"TIME"', text)


@pytest.mark.parametrize("case", list(EXEC_INFOS))
def test_exec_credential_is_the_aws_cli_one(env: dict[str, str], case: str) -> None:
    aws = _required(BIN / "aws", "the aws CLI")
    exec_info = EXEC_INFOS[case]
    extra = {} if exec_info is None else {"KUBERNETES_EXEC_INFO": exec_info}
    theirs = subprocess.run(
        [str(aws), "--region", REGION, "eks", "get-token", "--cluster-name", CLUSTER, "--output", "json"],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    before = datetime.now(UTC).replace(microsecond=0)
    ours = run(env, "--region", REGION, "--cluster-name", CLUSTER, exec_info=exec_info)
    assert ours.returncode == 0, ours.stderr
    assert _shape(ours.stdout) == _shape(theirs.stdout)  # key order, indentation, trailing newlines
    assert json.loads(ours.stdout)["apiVersion"] == json.loads(theirs.stdout)["apiVersion"]
    if case == "unknown":  # same meaning; ours names eksaccess instead of "an outdated AWS CLI"
        assert "defaulting to client.authentication.k8s.io/v1beta1" in ours.stderr
    else:
        assert ours.stderr == theirs.stderr
    token, expiration = token_of(ours)
    their_token = json.loads(theirs.stdout)["status"]["token"]
    assert [k for k, _ in query(token)] == [k for k, _ in query(their_token)]
    assert urlsplit(decode_token(token))[:3] == urlsplit(decode_token(their_token))[:3]
    mine, other = dict(query(token)), dict(query(their_token))
    assert mine["X-Amz-Credential"].split("/")[0] == other["X-Amz-Credential"].split("/")[0]
    assert mine["X-Amz-SignedHeaders"] == other["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id"
    assert mine["X-Amz-Expires"] == "60"
    assert before + timedelta(minutes=14) <= expiration <= before + timedelta(minutes=14, seconds=30)
    assert "=" not in token


def test_token_authenticates_and_is_bound_to_the_cluster(
    sandbox: RunningSandbox, env: dict[str, str]
) -> None:
    token, _ = token_plugin(env)
    assert caller_arn(sandbox, token) == (200, f"arn:aws:iam::{ACCOUNT}:user/admin")
    assert caller_arn(sandbox, token, "another-cluster")[0] == 403  # x-k8s-aws-id is signed


def test_role_arn_assumes_with_the_cli_session_name(sandbox: RunningSandbox, env: dict[str, str]) -> None:
    token, _ = token_plugin(env, "--role-arn", EKS_ADMIN_ROLE)
    assert caller_arn(sandbox, token) == (
        200,
        f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/EKSGetTokenAuth",
    )
    again, _ = token_plugin(env, "--role-arn", EKS_ADMIN_ROLE)
    assert again == token  # cached per role ARN
    plain, _ = token_plugin(env)
    assert plain != token
    assert caller_arn(sandbox, plain)[1].endswith(":user/admin")


def test_cluster_id_for_outposts(sandbox: RunningSandbox, env: dict[str, str]) -> None:
    cluster_id = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    token, _ = token_of(run(env, "--region", REGION, "--cluster-id", cluster_id))
    assert caller_arn(sandbox, token, cluster_id)[0] == 200
    assert caller_arn(sandbox, token, CLUSTER)[0] == 403
    both = run(env, "--cluster-name", CLUSTER, "--cluster-id", cluster_id)
    neither = run(env, "--region", REGION)
    assert both.returncode == neither.returncode == 2
    assert "Either parameter --cluster-name or --cluster-id must be specified." in neither.stderr


def test_profile_flag(sandbox: RunningSandbox, env: dict[str, str]) -> None:
    bare = {k: v for k, v in env.items() if k != "AWS_PROFILE"}
    token, _ = token_plugin(bare, "--profile", "developer")
    assert caller_arn(sandbox, token)[1].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/")
    assert token_plugin(bare, "--profile", "developer")[0] == token


# --- the cache ------------------------------------------------------------------------------------------


def test_hit_file_mode_and_clear(env: dict[str, str]) -> None:
    token, expiration = token_plugin(env)
    [path] = cache_files(env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = path.stat().st_mtime_ns
    assert token_plugin(env) == (token, expiration)
    assert path.stat().st_mtime_ns == written  # served, not rewritten
    token_plugin(env, "--no-cache")
    assert path.stat().st_mtime_ns == written  # --no-cache does not write
    cleared = run(env, "--clear-cache")
    assert cleared.returncode == 0 and "Removed 1 cached token file" in cleared.stderr
    assert cache_files(env) == []


def test_expiry_edge(env: dict[str, str]) -> None:
    token, expiration = token_plugin(env)
    assert token_plugin(env, now=expiration - timedelta(seconds=61)) == (token, expiration)
    fresh, fresh_expiration = token_plugin(env, now=expiration - timedelta(seconds=59))
    assert fresh_expiration == expiration - timedelta(seconds=59) + timedelta(minutes=14)
    [path] = cache_files(env)
    assert json.loads(path.read_text())["expirationTimestamp"] == fresh_expiration.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert fresh_expiration != expiration


def test_changed_identity_mints_a_new_token(sandbox: RunningSandbox, env: dict[str, str]) -> None:
    def fingerprints() -> dict[str, str]:
        return {p.name: json.loads(p.read_text())["fingerprint"] for p in cache_files(env)}

    admin, _ = token_plugin(env)
    minted_by_profile = fingerprints()
    alice, _ = token_plugin({**env, "AWS_PROFILE": "alice"})
    assert alice != admin
    assert caller_arn(sandbox, alice)[1].endswith(":user/alice")
    assert len(cache_files(env)) == 2
    keys = {k: v for k, v in env.items() if k != "AWS_PROFILE"}
    credentials = Path(env["AWS_SHARED_CREDENTIALS_FILE"]).read_text()
    block = credentials.split("[admin]")[1].split("[")[0]
    key_id = re.search(r"aws_access_key_id = (\S+)", block)
    secret = re.search(r"aws_secret_access_key = (\S+)", block)
    assert key_id and secret
    as_env = {**keys, "AWS_ACCESS_KEY_ID": key_id[1], "AWS_SECRET_ACCESS_KEY": secret[1]}
    # The admin key from the environment: the same signer, but other settings (profile, source) shape the
    # token, and the cache keeps tokens apart whenever those differ.
    from_env, _ = token_plugin(as_env)
    minted_from_env = fingerprints()
    # a new token, not the profile's served from cache (the bytes may be equal: one key, one second)
    assert [n for n in minted_by_profile if minted_from_env.get(n) != minted_by_profile[n]]
    assert caller_arn(sandbox, from_env)[1].endswith(":user/admin")
    assert token_plugin(as_env)[0] == from_env

    back, _ = token_plugin(env)  # one file per key: the profile's settings replace it again
    # A new token, not the env-minted one served from cache (the tokens themselves may be equal bytes:
    # the same key signing in the same second gives the same URL).
    replaced = fingerprints()
    assert replaced.keys() == minted_from_env.keys()
    assert [n for n in replaced if replaced[n] != minted_from_env[n]], (
        "the profile was served the env's token"
    )
    assert caller_arn(sandbox, back)[1].endswith(":user/admin")


def _foreign(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("a file owned by another user needs root to create (unit tests cover the check)")
    os.chown(path, 65534, 65534)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p.write_text("{corrupted"),
        lambda p: p.write_text(p.read_text().replace('"version": 1', '"version": 7')),
        lambda p: p.chmod(0o644),
        _foreign,
    ],
    ids=["garbage", "unknown-version", "mode-0644", "foreign-owner"],
)
def test_untrusted_file_is_ignored_and_replaced(env: dict[str, str], spoil: object) -> None:
    old_now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    token, expiration = token_plugin(env, now=old_now)  # expiration 13.5 min ahead: recognisable
    [path] = cache_files(env)
    spoil(path)  # type: ignore[operator]
    proc = run(env, "--region", REGION, "--cluster-name", CLUSTER)
    new_token, new_expiration = token_of(proc)
    assert new_expiration != expiration  # not the planted token's
    assert "ignored a cached token file" in proc.stderr and new_token not in proc.stderr
    [replaced] = cache_files(env)
    info = replaced.stat()
    assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o600
    assert json.loads(replaced.read_text())["token"] == new_token
    assert token_plugin(env) == (new_token, new_expiration)  # and now it is a hit again


# --- kubectl through the plugin ------------------------------------------------------------------------------


def kubectl_binary(version: str) -> Path:
    found = shutil.which("kubectl")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is not installed (CI=true: these tests need the real client)")
        pytest.skip("kubectl is not installed")
    return _required(Path(found).resolve().parent / f"kubectl.{version}", f"kubectl {version}")


@pytest.mark.parametrize(
    "exec_api", ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
)
@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_kubectl_through_the_plugin(
    sandbox: RunningSandbox, env: dict[str, str], tmp_path: Path, version: str, exec_api: str
) -> None:
    kubectl = kubectl_binary(version)
    kubeconfig = tmp_path / "kubeconfig"
    written = subprocess.run(
        [str(BIN / "eksaccess"), "kubeconfig", "--cluster", CLUSTER, "--region", REGION, "--profile", "admin"]
        + ["--exec", "eksaccess", "--kubeconfig", str(kubeconfig)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    text = kubeconfig.read_text()
    assert "command: eksaccess" in text
    if exec_api.endswith("/v1"):
        text = text.replace("apiVersion: client.authentication.k8s.io/v1beta1", f"apiVersion: {exec_api}")
        text = text.replace(
            "      command: eksaccess", "      command: eksaccess\n      interactiveMode: Never"
        )
        kubeconfig.write_text(text)

    def get_configmaps() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kubectl), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "kcache")]
            + ["get", "configmaps", "-n", "kube-system", "-o", "name"],
            env={k: v for k, v in env.items() if k != "AWS_PROFILE"},  # the exec entry sets it
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = get_configmaps()
    assert first.returncode == 0, first.stderr
    assert "configmap/aws-auth" in first.stdout.split()
    [path] = cache_files(env)
    token = json.loads(path.read_text())["token"]
    assert token not in first.stderr
    stamp = path.stat().st_mtime_ns
    second = get_configmaps()
    assert second.returncode == 0, second.stderr
    assert path.stat().st_mtime_ns == stamp  # kubectl's second process was served from the cache
    assert token not in second.stderr
