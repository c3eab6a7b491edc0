"""The sandbox's own holes, seen by the real clients: no credentials carried from one sandbox to another,
unknown regions refused, STS's payload hashes, and the modes of the files a running sandbox writes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.auth import S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import (
    RunningSandbox,
    get_caller_identity_by_url,
    https_request,
    presign_token_url,
    running_sandbox,
)

VENV_BIN = Path(sys.executable).parent
ACCOUNT = "111122223333"


def _aws() -> str:
    found = shutil.which("aws", path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: these tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _run_aws(sb: RunningSandbox, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    env = {**keep, **sb.env, "HOME": str(home), "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]])}
    argv = [_aws(), *args, "--output", "json"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


# --- no credentials carried from one sandbox to another --------------------------------------------------


def test_a_role_profile_works_in_each_new_sandbox_with_one_home(tmp_path: Path) -> None:
    """The aws CLI caches assumed-role credentials in ~/.aws/cli/cache, keyed on the profile's settings;
    each sandbox's own role_session_name keeps the entry of one sandbox from matching in another."""
    home = tmp_path / "home"
    arns = []
    for name in ("a", "b"):
        with running_sandbox(tmp_path / name, "baseline") as sb:
            done = _run_aws(sb, home, "sts", "get-caller-identity", "--profile", "developer")
            assert done.returncode == 0, done.stderr
            arns.append(done.stdout)
    assert len(list((home / ".aws" / "cli" / "cache").glob("*.json"))) == 2  # one entry per sandbox
    assert "assumed-role/developer/eksaccess-" in arns[0] and arns[0] != arns[1]


def test_reusing_a_sandbox_id_reproduces_the_stale_cache_on_purpose(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with running_sandbox(tmp_path / "a", "baseline") as first:
        done = _run_aws(first, home, "sts", "get-caller-identity", "--profile", "developer")
        assert done.returncode == 0, done.stderr
        first_id = first.sandbox_id
    with running_sandbox(tmp_path / "b", "baseline", sandbox_id=first_id) as second:
        assert second.sandbox_id == first_id
        stale = _run_aws(second, home, "sts", "get-caller-identity", "--profile", "developer")
        assert stale.returncode != 0
        assert "InvalidClientTokenId" in stale.stderr, stale.stderr
        fresh = _run_aws(second, home, "sts", "get-caller-identity", "--profile", "admin")
        assert fresh.returncode == 0, fresh.stderr  # the static keys of this sandbox work


# --- regions ----------------------------------------------------------------------------------------------

REGION_CASES = [
    # service, region, expected error code (None: it works)
    ("sts", "xx-nowhere-9", "SignatureDoesNotMatch"),
    ("eks", "xx-nowhere-9", "InvalidSignatureException"),
    ("eks", "us-west-9", "InvalidSignatureException"),
    ("sts", "eu-west-1", None),
    ("eks", "ap-southeast-2", None),
    # IAM is global: against AWS botocore calls iam.amazonaws.com whatever the region, and it works
    ("iam", "xx-nowhere-9", None),
]


@pytest.mark.parametrize(("service", "region", "code"), REGION_CASES)
def test_unknown_regions_are_refused(
    sandbox: RunningSandbox, service: str, region: str, code: str | None
) -> None:
    client = sandbox.client(service, "admin", region=region)
    call = getattr(
        client, {"sts": "get_caller_identity", "eks": "list_clusters", "iam": "list_users"}[service]
    )
    if code is None:
        call()
        return
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert error["Message"].startswith(f"Credential should be scoped to a valid region, not '{region}'")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_aws_cli_sees_the_unknown_region_refused(sandbox: RunningSandbox, tmp_path: Path) -> None:
    done = _run_aws(
        sandbox,
        tmp_path / "home",
        "sts",
        "get-caller-identity",
        "--profile",
        "admin",
        "--region",
        "xx-nowhere-9",
    )
    assert done.returncode != 0
    assert "SignatureDoesNotMatch" in done.stderr and "valid region" in done.stderr, done.stderr


def test_a_token_signed_for_an_unknown_region_is_refused(sandbox: RunningSandbox) -> None:
    good = presign_token_url(sandbox, "admin", "demo", region="eu-west-1")
    assert get_caller_identity_by_url(sandbox, good, "demo")[0] == 200
    bad = presign_token_url(sandbox, "admin", "demo", region="xx-nowhere-9")
    status, body = get_caller_identity_by_url(sandbox, bad, "demo")
    assert status == 403 and body["Error"]["Code"] == "SignatureDoesNotMatch"


# --- STS payload hashes -----------------------------------------------------------------------------------


def _signed_post(
    sb: RunningSandbox, service: str, url_path: str, body: bytes, declared: str | None
) -> tuple[int, bytes]:
    """A header-signed request; ``declared``: an x-amz-content-sha256 the signature covers as the payload hash."""
    session = sb.boto_session("admin")
    credentials = session.get_credentials().get_frozen_credentials()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded" if service == "sts" else "application/json"
    }
    if declared is not None:
        headers["X-Amz-Content-SHA256"] = declared
    method = "POST" if service == "sts" else "GET"
    request = AWSRequest(method=method, url=sb.aws_endpoint + url_path, data=body or None, headers=headers)
    SigV4Auth(credentials, service, "us-west-2").add_auth(request)
    prepared = request.prepare()
    status, _, answer = https_request(
        sb, prepared.url, method=method, headers=dict(prepared.headers.items()), data=body or None
    )
    return status, answer


GCI = b"Action=GetCallerIdentity&Version=2011-06-15"
PAYLOAD_CASES = [
    # service, path, body, declared x-amz-content-sha256, expected status
    ("sts", "/", GCI, None, 200),  # what boto3 and the aws CLI send
    ("sts", "/", GCI, "UNSIGNED-PAYLOAD", 403),  # STS hashes the body it got
    ("eks", "/clusters", b"", None, 200),
    ("eks", "/clusters", b"", "UNSIGNED-PAYLOAD", 200),  # unchanged for EKS (see the report)
]


@pytest.mark.parametrize(("service", "path", "body", "declared", "status"), PAYLOAD_CASES)
def test_sts_refuses_an_unsigned_payload(
    sandbox: RunningSandbox, service: str, path: str, body: bytes, declared: str | None, status: int
) -> None:
    got, answer = _signed_post(sandbox, service, path, body, declared)
    assert got == status, answer
    if status == 403:
        assert b"SignatureDoesNotMatch" in answer


def test_presigned_tokens_sign_the_empty_body_and_an_unsigned_payload_presign_is_refused(
    sandbox: RunningSandbox,
) -> None:
    url = presign_token_url(sandbox, "admin", "demo")  # botocore's presign: the empty body's hash
    assert get_caller_identity_by_url(sandbox, url, "demo")[0] == 200
    credentials = sandbox.boto_session("admin").get_credentials().get_frozen_credentials()
    request = AWSRequest(
        method="GET",
        url=sandbox.aws_endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={"x-k8s-aws-id": "demo"},
    )
    S3SigV4QueryAuth(credentials, "sts", "us-west-2", expires=60).add_auth(request)  # UNSIGNED-PAYLOAD
    status, body = get_caller_identity_by_url(sandbox, request.url, "demo")
    assert status == 403 and body["Error"]["Code"] == "SignatureDoesNotMatch"


# --- modes of what a running sandbox writes ---------------------------------------------------------------


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "background process"])
def test_every_file_of_a_running_sandbox_is_0600(tmp_path: Path, process: bool) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    old = os.umask(0o022)
    try:
        with running_sandbox(tmp_path, "credential-process-user", state_dir=state, process=process) as sb:
            sb.client("sts", "admin").get_caller_identity()
            files = {
                str(p.relative_to(state)): stat.S_IMODE(p.stat().st_mode)
                for p in state.rglob("*")
                if p.is_file()
            }
            dirs = {stat.S_IMODE(p.stat().st_mode) for p in [state, *state.rglob("*")] if p.is_dir()}
    finally:
        os.umask(old)
    expected = {"sandbox.db", "sandbox.db-wal", "aws-config", "aws-credentials", "kubeconfig", "ports.json",
                "sandbox.log", "credential-process.json", "ca.key", "ca.crt"}  # fmt: skip
    assert expected <= set(files)
    assert files == dict.fromkeys(files, 0o600)
    assert dirs == {0o700}
