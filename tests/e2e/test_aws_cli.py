"""The real ``aws`` CLI against a sandbox: tokens, credentials errors, AssumeRole, access entries, modes.

The CLI is the one installed beside this interpreter (the test extras pin awscli). Without it the tests
skip, except under ``CI=true`` where a missing real client is a failure.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from eksaccess.sandbox.testing import RunningSandbox, get_caller_identity_by_url, running_sandbox

pytestmark = pytest.mark.e2e

ACCOUNT = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def aws_binary() -> Path:
    beside = Path(sys.executable).parent / "aws"
    found = beside if beside.exists() else (Path(p) if (p := shutil.which("aws")) else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


class Clock:
    """The sandbox AWS endpoint's clock, movable by the test."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Aws:
    def __init__(self, binary: Path, sb: RunningSandbox, home: Path) -> None:
        self.binary = binary
        self.sb = sb
        home.mkdir(parents=True, exist_ok=True)
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
        self.env = {**keep, **sb.env, "HOME": str(home)}

    def run(
        self, *args: str, profile: str | None = "admin", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full = {**self.env, **(env or {})}
        if profile:
            full["AWS_PROFILE"] = profile
        return subprocess.run(
            [str(self.binary), *args], env=full, capture_output=True, text=True, timeout=60, check=False
        )

    def json(self, *args: str, profile: str | None = "admin") -> Any:
        proc = self.run(*args, "--output", "json", profile=profile)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def fails(self, *args: str, profile: str | None = "admin") -> str:
        proc = self.run(*args, profile=profile)
        assert proc.returncode != 0, proc.stdout
        return proc.stderr


MakeAws = Callable[..., Aws]


@pytest.fixture
def make_aws(tmp_path: Path) -> Iterator[MakeAws]:
    binary = aws_binary()
    stack: list[Any] = []

    def make(scenario: str = "baseline", clock: Clock | None = None) -> Aws:
        manager = running_sandbox(tmp_path, scenario, state_dir=tmp_path / f"sb-{len(stack)}", clock=clock)
        sb = manager.__enter__()
        stack.append(manager)
        return Aws(binary, sb, tmp_path / "home")

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


def token_url(token: str) -> str:
    assert token.startswith("k8s-aws-v1.")
    body = token[len("k8s-aws-v1.") :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def get_token(aws: Aws, cluster: str = "demo", *extra: str, profile: str = "admin") -> str:
    out = aws.json(
        "eks", "get-token", "--cluster-name", cluster, "--region", "us-west-2", *extra, profile=profile
    )
    assert out["kind"] == "ExecCredential"
    return str(out["status"]["token"])


def test_get_token_presigns_against_the_sandbox_from_the_config_file_alone(make_aws: MakeAws) -> None:
    aws = make_aws()
    del aws.env["AWS_ENDPOINT_URL"]  # endpoint_url in the AWS config must be enough (botocore honours it)
    url = token_url(get_token(aws))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == aws.sb.aws_endpoint
    params = dict(parse_qsl(parts.query))
    assert params["Action"] == "GetCallerIdentity" and params["X-Amz-Expires"] == "60"
    assert "x-k8s-aws-id" in params["X-Amz-SignedHeaders"].split(";")
    status, body = get_caller_identity_by_url(aws.sb, url, "demo")
    assert status == 200
    assert (
        body["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Arn"]
        == f"arn:aws:iam::{ACCOUNT}:user/admin"
    )


def test_token_for_another_cluster_or_tampered_is_refused(make_aws: MakeAws) -> None:
    aws = make_aws()
    url = token_url(get_token(aws))
    status, body = get_caller_identity_by_url(aws.sb, url, "prod")
    assert status == 403 and body["Error"]["Code"] == "SignatureDoesNotMatch"
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["Version"] = "2011-06-16"
    status, body = get_caller_identity_by_url(aws.sb, parts._replace(query=urlencode(query)).geturl(), "demo")
    assert status == 403 and body["Error"]["Code"] == "SignatureDoesNotMatch"


def test_token_expires_after_fifteen_minutes(make_aws: MakeAws) -> None:
    clock = Clock()
    aws = make_aws(clock=clock)
    url = token_url(get_token(aws, profile="developer"))
    clock.offset = timedelta(minutes=14)
    assert get_caller_identity_by_url(aws.sb, url, "demo")[0] == 200
    clock.offset = timedelta(minutes=16)
    status, body = get_caller_identity_by_url(aws.sb, url, "demo")
    assert status == 403 and "Signature expired" in body["Error"]["Message"]


def test_get_token_with_role_arn(make_aws: MakeAws) -> None:
    aws = make_aws()
    url = token_url(get_token(aws, "demo", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/eks-admin"))
    status, body = get_caller_identity_by_url(aws.sb, url, "demo")
    assert status == 200
    arn = body["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/EKSGetTokenAuth"


def test_get_token_with_an_untrusting_role_fails(make_aws: MakeAws) -> None:
    aws = make_aws("assume-role-denied")
    err = aws.fails(
        "eks",
        "get-token",
        "--cluster-name",
        "demo",
        "--role-arn",
        f"arn:aws:iam::{ACCOUNT}:role/platform-admin",
        profile="alice",
    )
    assert "AccessDenied" in err and "sts:AssumeRole" in err
    err = aws.fails("sts", "get-caller-identity", profile="platform")
    assert "AccessDenied" in err


@pytest.mark.parametrize(
    ("scenario", "profile", "code"),
    [
        ("invalid-keys", "broken", "InvalidClientTokenId"),
        ("invalid-keys", "wrong-secret", "SignatureDoesNotMatch"),
        ("expired-credentials", "stale", "ExpiredToken"),
    ],
)
def test_credential_errors(make_aws: MakeAws, scenario: str, profile: str, code: str) -> None:
    aws = make_aws(scenario)
    err = aws.fails("sts", "get-caller-identity", profile=profile)
    assert f"({code})" in err
    # presigning needs no AWS call: the token is minted, and refused only when STS sees it
    url = token_url(get_token(aws, profile=profile))
    status, body = get_caller_identity_by_url(aws.sb, url, "demo")
    assert status == 403 and body["Error"]["Code"] == code


def test_assume_role_through_a_profile(make_aws: MakeAws) -> None:
    aws = make_aws()
    who = aws.json("sts", "get-caller-identity", profile="developer")
    assert who["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/")


def test_access_entry_operations(make_aws: MakeAws) -> None:
    aws = make_aws()
    role = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
    base = ("eks", "--region", "us-west-2")
    created = aws.json(
        *base,
        "create-access-entry",
        "--cluster-name",
        "demo",
        "--principal-arn",
        role,
        "--kubernetes-groups",
        "ops",
    )
    assert created["accessEntry"]["kubernetesGroups"] == ["ops"]
    err = aws.fails(*base, "create-access-entry", "--cluster-name", "demo", "--principal-arn", role)
    assert "ResourceInUseException" in err
    assert role in aws.json(*base, "list-access-entries", "--cluster-name", "demo")["accessEntries"]
    assert (
        aws.json(*base, "describe-access-entry", "--cluster-name", "demo", "--principal-arn", role)[
            "accessEntry"
        ]["principalArn"]
        == role
    )
    aws.json(
        *base,
        "update-access-entry",
        "--cluster-name",
        "demo",
        "--principal-arn",
        role,
        "--username",
        "ops:{{SessionName}}",
    )
    aws.json(
        *base,
        "associate-access-policy",
        "--cluster-name",
        "demo",
        "--principal-arn",
        role,
        "--policy-arn",
        POLICY + "AmazonEKSViewPolicy",
        "--access-scope",
        "type=namespace,namespaces=dev",
    )
    listed = aws.json(
        *base, "list-associated-access-policies", "--cluster-name", "demo", "--principal-arn", role
    )
    assert listed["associatedAccessPolicies"][0]["accessScope"] == {
        "type": "namespace",
        "namespaces": ["dev"],
    }
    aws.json(
        *base,
        "disassociate-access-policy",
        "--cluster-name",
        "demo",
        "--principal-arn",
        role,
        "--policy-arn",
        POLICY + "AmazonEKSViewPolicy",
    )
    aws.json(*base, "delete-access-entry", "--cluster-name", "demo", "--principal-arn", role)
    err = aws.fails(*base, "describe-access-entry", "--cluster-name", "demo", "--principal-arn", role)
    assert "ResourceNotFoundException" in err
    policies = aws.json(*base, "list-access-policies")["accessPolicies"]  # the CLI follows nextToken
    assert any(p["name"] == "AmazonEKSClusterAdminPolicy" for p in policies)


def test_mode_transitions_and_update_kubeconfig(make_aws: MakeAws, tmp_path: Path) -> None:
    aws = make_aws()
    base = ("eks", "--region", "us-west-2")
    aws.json(
        *base,
        "create-cluster",
        "--name",
        "cm",
        "--role-arn",
        f"arn:aws:iam::{ACCOUNT}:role/eks-admin",
        "--resources-vpc-config",
        "subnetIds=subnet-1",
    )
    err = aws.fails(
        *base, "update-cluster-config", "--name", "cm", "--access-config", "authenticationMode=API"
    )
    assert "Unsupported authentication mode update from CONFIG_MAP to API" in err
    aws.json(
        *base,
        "update-cluster-config",
        "--name",
        "cm",
        "--access-config",
        "authenticationMode=API_AND_CONFIG_MAP",
    )
    assert aws.json(*base, "describe-cluster", "--name", "cm")["cluster"]["accessConfig"][
        "authenticationMode"
    ] == ("API_AND_CONFIG_MAP")
    target = tmp_path / "kubeconfig"
    proc = aws.run(*base, "update-kubeconfig", "--name", "cm", "--kubeconfig", str(target))
    assert proc.returncode == 0, proc.stderr
    text = target.read_text()
    assert aws.sb.cluster_endpoint("cm") in text and "get-token" in text


def test_allow_list_denies_through_the_cli(make_aws: MakeAws) -> None:
    aws = make_aws()
    err = aws.fails(
        "eks",
        "create-cluster",
        "--name",
        "x",
        "--role-arn",
        f"arn:aws:iam::{ACCOUNT}:role/eks-admin",
        "--resources-vpc-config",
        "subnetIds=subnet-1",
        profile="alice",
    )
    assert "AccessDeniedException" in err
    assert f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: eks:CreateCluster" in err
