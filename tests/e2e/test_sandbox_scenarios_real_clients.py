"""What the real clients see in each breakage scenario: kubectl (the one on PATH) and the aws CLI.

Each case brings a built-in scenario up in-process, runs one client command as a user of that scenario
would (the scenario's current context; HOME is the test's directory) and checks the exit status and
the words the client prints, which are those kubectl and the aws CLI print against EKS.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.clients import client_path, require

SharedSandbox = Callable[[str], RunningSandbox]

VENV_BIN = Path(sys.executable).parent
KUBECTL = ["kubectl", "--request-timeout=10s"]
UNAUTHORIZED = r"Unauthorized|provide credentials"
REFUSED = r"connect: connection refused"
X509 = r"x509: certificate signed by unknown authority"


def _env(sandbox_env: Mapping[str, str], home: Path) -> dict[str, str]:
    env = {**os.environ, **sandbox_env, "HOME": str(home)}
    env.setdefault("AWS_PROFILE", "")
    if not sandbox_env.get("AWS_PROFILE"):
        env.pop("AWS_PROFILE")
    env["PATH"] = client_path()
    return env


def _run(env: Mapping[str, str], *argv: str) -> tuple[int, str]:
    done = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, timeout=90, check=False)
    return done.returncode, done.stdout + done.stderr


KUBECTL_CASES = [
    ("cluster-still-creating", 1, REFUSED),
    ("cluster-creation-failed", 1, REFUSED),
    ("cluster-deleted", 1, REFUSED),
    ("private-endpoint-only", 1, REFUSED),
    ("tls-inspecting-proxy", 1, X509),
    ("server-of-other-cluster", 1, X509),
    ("clock-behind", 0, r"\bdev\b"),
    ("clock-far-behind", 1, UNAUTHORIZED),
    ("describe-cluster-denied", 0, r"\bdev\b"),
    ("authenticator-not-installed", 1, r"aws-iam-authenticator.*not found|executable file not found"),
    ("kubeconfig-bearer-token", 1, UNAUTHORIZED),
    ("static-eks-token", 0, r"\bdev\b"),
    ("shell-profile-differs", 0, r"\bdev\b"),
    ("sso-session-expired", 1, r"getting credentials: exec: executable aws failed"),
    ("credential-process-user", 0, r"\bdev\b"),
    ("credential-process-failing", 1, r"getting credentials: exec: executable aws failed"),
    ("profile-without-credentials", 1, r"getting credentials: exec: executable aws failed"),
    ("kubeconfig-missing", 1, r"localhost:8080"),
    ("kubeconfig-invalid", 1, r"error loading config file"),
    ("current-context-deleted", 1, r"context was not found for specified context: staging"),
    ("exec-region-mismatch", 0, r"\bdev\b"),
    ("recreated-user", 1, UNAUTHORIZED),
    ("aws-auth-key-case", 1, UNAUTHORIZED),
    ("mapped-via-map-accounts", 1, r"Forbidden.*role/developer"),
    ("no-cluster-admin", 1, UNAUTHORIZED),
    ("access-entry-overrides-aws-auth", 0, r"\bdev\b"),
]


@pytest.mark.parametrize(("scenario", "code", "pattern"), KUBECTL_CASES)
def test_kubectl_sees_what_it_sees_on_eks(scenario: str, code: int, pattern: str, tmp_path: Path) -> None:
    require("kubectl"), require("aws")
    with running_sandbox(tmp_path, scenario) as sandbox:
        rc, out = _run(_env(sandbox.env, tmp_path), *KUBECTL, "get", "namespaces")
    assert (rc, bool(re.search(pattern, out))) == (code, True), out


def test_a_client_certificate_is_not_an_eks_identity(tmp_path: Path) -> None:
    """EKS answers 401 to a client certificate of an unknown CA; the sandbox's API server asks for no
    client certificate, so kubectl's request arrives anonymous and is refused all the same."""
    require("kubectl"), require("aws")
    with running_sandbox(tmp_path, "kubeconfig-client-certificate") as sandbox:
        rc, out = _run(_env(sandbox.env, tmp_path), *KUBECTL, "get", "namespaces")
    assert rc == 1 and ("Forbidden" in out or re.search(UNAUTHORIZED, out)), out


AWS_CASES = [
    ("cluster-still-creating", ["eks", "describe-cluster", "--name", "demo", "--profile", "admin"], 0, None),
    (
        "cluster-deleted",
        ["eks", "describe-cluster", "--name", "demo", "--profile", "admin"],
        255,  # aws CLI v1 (v2 exits 254 for a service error)
        r"ResourceNotFoundException.*No cluster found for name: demo\.",
    ),
    ("clock-far-behind", ["sts", "get-caller-identity", "--profile", "admin"], 255, r"Signature expired"),
    (
        "describe-cluster-denied",
        ["eks", "describe-cluster", "--name", "demo", "--profile", "alice"],
        255,
        r"AccessDeniedException.*eks:DescribeCluster.*with an explicit deny in an identity-based policy",
    ),
    (
        "sso-session-expired",
        ["sts", "get-caller-identity", "--profile", "sso-admin"],
        255,
        r"Token has expired and refresh failed",
    ),
    (
        "credential-process-user",
        ["sts", "get-caller-identity", "--profile", "alice-helper"],
        0,
        r"user/alice",
    ),
    (
        "credential-process-failing",
        ["sts", "get-caller-identity", "--profile", "alice-helper"],
        255,
        r"custom-process.*no cached login",
    ),
    ("profile-without-credentials", ["sts", "get-caller-identity", "--profile", "ops"], 255, r"credentials"),
    ("shell-profile-differs", ["sts", "get-caller-identity"], 0, r"user/alice"),
]


@pytest.mark.parametrize(("scenario", "argv", "code", "pattern"), AWS_CASES)
def test_the_aws_cli_sees_what_it_sees_on_aws(
    scenario: str, argv: list[str], code: int, pattern: str | None, tmp_path: Path
) -> None:
    require("kubectl"), require("aws")
    with running_sandbox(tmp_path, scenario) as sandbox:
        rc, out = _run(_env(sandbox.env, tmp_path), "aws", *argv)
    assert rc == code, out
    if pattern:
        assert re.search(pattern, out, re.DOTALL), out


@pytest.mark.parametrize(
    ("scenario", "status", "public"),
    [
        ("cluster-still-creating", "CREATING", True),
        ("cluster-creation-failed", "FAILED", True),
        ("private-endpoint-only", "ACTIVE", False),
    ],
)
def test_describe_cluster_reports_status_and_endpoint_access(
    scenario: str, status: str, public: bool, shared_sandbox: SharedSandbox
) -> None:
    sandbox = shared_sandbox(scenario)  # only read
    cluster = sandbox.client("eks", "admin").describe_cluster(name="demo")["cluster"]
    listed = sandbox.client("eks", "admin").list_clusters()["clusters"]
    assert cluster["status"] == status and listed == ["demo"]
    assert ("endpoint" in cluster) is (status != "CREATING")
    vpc = cluster["resourcesVpcConfig"]
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"]) == (public, not public)


def test_a_deleted_cluster_is_not_listed(shared_sandbox: SharedSandbox) -> None:
    sandbox = shared_sandbox("cluster-deleted")  # only read
    assert sandbox.client("eks", "admin").list_clusters()["clusters"] == ["platform"]


def test_the_servers_clock_runs_ahead(tmp_path: Path) -> None:
    """clockOffsetSeconds: 600 - every Date header (AWS endpoint, API server) is 10 minutes ahead."""
    with running_sandbox(tmp_path, "clock-behind") as sandbox:
        for url, ca in (
            (sandbox.aws_endpoint + "/__sandbox/health", sandbox.ca_bundle),
            (sandbox.cluster_endpoint("demo") + "/version", sandbox.cluster_ca_bundle("demo")),
        ):
            context = ssl.create_default_context(cafile=str(ca))
            with urllib.request.urlopen(url, context=context, timeout=10) as response:
                date = response.headers.get_all("Date")
            assert len(date) == 1, date
            ahead = (parsedate_to_datetime(date[0]) - datetime.now(UTC)).total_seconds()
            assert 590 <= ahead <= 610, (url, date)


def test_doctor_tells_the_shells_identity_from_kubectls(tmp_path: Path) -> None:
    require("kubectl"), require("aws")
    with running_sandbox(tmp_path, "shell-profile-differs") as sandbox:
        env = _env(sandbox.env, tmp_path)
        assert env["AWS_PROFILE"] == "alice"
        done = subprocess.run(
            [sys.executable, "-m", "eksaccess.cli.main", "doctor", "-o", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    report = json.loads(done.stdout)
    found = {f["code"]: f for f in report["findings"]}
    assert "IDENTITY_DIFFERS_FROM_SHELL" in found, report["findings"]
    assert found["IDENTITY_DIFFERS_FROM_SHELL"]["evidence"]["shell"].endswith("user/alice")
    assert done.returncode == 0, done.stderr
