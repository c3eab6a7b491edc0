"""IRSA with the real clients: ``kubectl create token SA --audience sts.amazonaws.com`` (oldest and newest
kubectl), ``aws sts assume-role-with-web-identity`` with that token (and boto3's unsigned sts client), ``aws
sts get-caller-identity`` with the credentials that come back, and each failure's AWS error code."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

VENV_BIN = Path(sys.executable).parent


def _kubectls() -> dict[str, str]:
    """The versioned kubectl binaries beside the one on PATH (as tests/e2e/conftest.py finds them)."""
    found = shutil.which("kubectl")
    if found is None:
        return {}
    folder = Path(found).resolve().parent
    out = {
        p.name.removeprefix("kubectl."): str(p) for p in folder.glob("kubectl.1.*") if os.access(p, os.X_OK)
    }
    return dict(sorted(out.items(), key=lambda kv: tuple(int(x) for x in kv[0].split(".")))) or {
        "default": found
    }


KUBECTLS = _kubectls()


def require_kubectl() -> dict[str, str]:
    if not KUBECTLS:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("kubectl is not installed")
    return KUBECTLS


ROLE = "arn:aws:iam::111122223333:role/web-irsa"
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"


def _require(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def _env(sb: RunningSandbox, home: Path, **extra: str) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "PATH")}
    return {**keep, **sb.env_for("admin"), "HOME": str(home), **extra}


def _token(sb: RunningSandbox, home: Path, version: str, *args: str) -> str:
    kubectl = str(require_kubectl()[version])
    done = subprocess.run(
        [kubectl, "create", "token", "web", "-n", "apps", "--audience", "sts.amazonaws.com", *args],
        env=_env(sb, home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _aws(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_require("aws"), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60
    )


def _assume(sb: RunningSandbox, home: Path, token: str) -> subprocess.CompletedProcess[str]:
    return _aws(
        _env(sb, home),
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        ROLE,
        "--role-session-name",
        "irsa-e2e",
        "--web-identity-token",
        token,
    )


EDGES = [v for v in KUBECTLS if v in (list(KUBECTLS)[0], list(KUBECTLS)[-1])] or ["missing"]


@pytest.mark.parametrize("version", EDGES)
def test_healthy_chain(tmp_path: Path, version: str) -> None:
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        token = _token(sb, tmp_path / "home", version, "--duration", "20m")
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["exp"] - claims["iat"] == 1200  # --duration (protobuf field 4 from kubectl 1.32)
        assert claims["aud"] == ["sts.amazonaws.com"] and claims["iss"] == ISSUER
        assert claims["sub"] == "system:serviceaccount:apps:web"
        done = _assume(sb, tmp_path / "home", token)
        assert done.returncode == 0, done.stderr
        answer: dict[str, Any] = json.loads(done.stdout)
        assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/web-irsa/irsa-e2e"
        assert answer["SubjectFromWebIdentityToken"] == "system:serviceaccount:apps:web"
        creds = answer["Credentials"]
        env = {k: v for k, v in _env(sb, tmp_path / "home").items() if k != "AWS_PROFILE"}
        env.update(
            AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
            AWS_SESSION_TOKEN=creds["SessionToken"],
            AWS_DEFAULT_REGION="us-west-2",
        )
        who = _aws(env, "sts", "get-caller-identity")
        assert who.returncode == 0, who.stderr
        assert json.loads(who.stdout)["Arn"] == "arn:aws:sts::111122223333:assumed-role/web-irsa/irsa-e2e"
        # boto3's sts client, unsigned as botocore sends AssumeRoleWithWebIdentity
        sts = sb.client("sts", "admin", region="us-west-2")
        again = sts.assume_role_with_web_identity(
            RoleArn=ROLE, RoleSessionName="boto3", WebIdentityToken=token
        )
        assert again["AssumedRoleUser"]["Arn"].endswith("/web-irsa/boto3")


def test_token_request_validation(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        kubectl = str(require_kubectl()[EDGES[-1]])
        done = subprocess.run(
            [kubectl, "create", "token", "web", "-n", "apps", "--duration", "5m"],
            env=_env(sb, tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert "may not specify a duration less than 10 minutes" in done.stderr
        done = subprocess.run(
            [kubectl, "create", "token", "nobody", "-n", "apps"],
            env=_env(sb, tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0 and 'serviceaccounts "nobody" not found' in done.stderr
        done = subprocess.run(
            [kubectl, "create", "token", "web", "-n", "apps", "--as", "someone"],
            env=_env(sb, tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert (
            'serviceaccounts "web" is forbidden: User "someone" cannot create resource "serviceaccounts/token"'
            in done.stderr
        ), done.stderr


@pytest.mark.parametrize(
    ("scenario", "code", "message"),
    [
        ("irsa-wrong-sub", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        (
            "irsa-stringequals-wildcard",
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ),
        (
            "irsa-no-oidc-provider",
            "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {ISSUER}",
        ),
    ],
)
def test_failures(tmp_path: Path, scenario: str, code: str, message: str) -> None:
    with running_sandbox(tmp_path, scenario) as sb:
        token = _token(sb, tmp_path / "home", EDGES[-1])
        done = _assume(sb, tmp_path / "home", token)
        assert done.returncode != 0
        assert (
            f"An error occurred ({code}) when calling the AssumeRoleWithWebIdentity operation: {message}"
            in done.stderr
        )


def test_missing_aud_still_works(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "irsa-missing-aud") as sb:
        done = _assume(sb, tmp_path / "home", _token(sb, tmp_path / "home", EDGES[0]))
        assert done.returncode == 0, done.stderr


def test_wrong_audience(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        kubectl = str(require_kubectl()[EDGES[-1]])
        done = subprocess.run(
            [kubectl, "create", "token", "web", "-n", "apps", "--audience", "pods.eks.amazonaws.com"],
            env=_env(sb, tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        failed = _assume(sb, tmp_path / "home", done.stdout.strip())
        assert (
            "(InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience"
            in failed.stderr
        )
