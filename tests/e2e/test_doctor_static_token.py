"""Static EKS tokens in the kubeconfig (issue 20, part 3), end to end with kubectl and the aws CLI: the
sandbox writes `token: k8s-aws-v1...` minted by the profile admin, now (static-eks-token) or 20 minutes
before it started (static-eks-token-expired). doctor decodes it without printing it: when it was signed, by
which access key (and so which profile), whether it has expired, that it cannot be refreshed; the exec
entry it prints, pasted, makes kubectl work. `eksaccess token --inspect` reads the same token."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from ruamel.yaml import YAML

from eksaccess.domain.token import decode_token
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.cli import run_cli
from support.clients import VENV_BIN, client_env, require, run_shell


def _static_token(sandbox: RunningSandbox) -> str:
    doc = YAML(typ="safe").load(sandbox.kubeconfig.read_text())
    (user,) = [u["user"] for u in doc["users"] if u["name"] == "admin-static"]
    return str(user["token"])


def _secrets(token: str) -> list[str]:
    """The parts of a token that must never be printed: itself, its signature, any session token."""
    query = dict(parse_qsl(urlsplit(decode_token(token)).query))
    return [
        token,
        query["X-Amz-Signature"],
        *([query["X-Amz-Security-Token"]] if "X-Amz-Security-Token" in query else []),
    ]


def _doctor(env: Mapping[str, str]) -> tuple[int, dict[str, Any], str]:
    done = run_cli(env, "doctor", "-o", "json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stdout + done.stderr


@pytest.mark.parametrize(
    ("scenario", "code", "exit_code", "kubectl_before"),
    [
        ("static-eks-token-expired", "STATIC_TOKEN_EXPIRED", 1, False),
        ("static-eks-token", "STATIC_TOKEN", 0, True),
    ],
)
def test_doctor_dates_the_static_token_and_its_exec_entry_replaces_it(
    scenario: str, code: str, exit_code: int, kubectl_before: bool, tmp_path: Path
) -> None:
    require("aws")
    kubectl = require("kubectl")
    with running_sandbox(tmp_path / "sandbox", scenario) as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        token = _static_token(sandbox)
        before = run_shell(env, f"{kubectl} get pods")
        assert (before.returncode == 0) is kubectl_before, before.stderr
        if not kubectl_before:
            assert "provide credentials" in before.stderr or "Unauthorized" in before.stderr, before.stderr

        got, report, raw = _doctor(env)
        assert got == exit_code
        problems = {f["code"]: f for f in report["findings"] if f["severity"] in ("error", "warning")}
        assert set(problems) == {code}, report["findings"]  # no TOKEN_REJECTED beside it, no NOT_MAPPED
        finding = problems[code]
        evidence = finding["evidence"]
        signed = datetime.fromisoformat(evidence["signedAt"])
        age = datetime.now(UTC) - signed
        if code == "STATIC_TOKEN_EXPIRED":
            assert timedelta(minutes=19) < age < timedelta(minutes=25) and evidence["expired"] is True
        else:
            assert age < timedelta(minutes=5) and evidence["expired"] is False
        assert datetime.fromisoformat(evidence["expiresAt"]) - signed == timedelta(minutes=15)
        assert evidence["accessKeyId"].startswith("AKIA") and evidence["profile"] == "admin"
        assert "cannot be refreshed" in finding["detail"] and evidence["accessKeyId"] in finding["detail"]
        for secret in _secrets(token):
            assert secret not in raw
        terraform = finding["fix"][-1]
        assert (
            terraform["plain"] == []
            and 'api_version = "client.authentication.k8s.io/v1beta1"' in terraform["text"]
        )
        assert '"eks", "get-token", "--cluster-name", "demo"' in terraform["text"]

        plain = [c for step in finding["fix"] for c in step["plain"]]
        assert plain == [
            "aws eks update-kubeconfig --name demo --region us-west-2 --profile admin --alias admin-static "
            "--user-alias admin-static"
        ]
        for command in plain:
            done = run_shell(env, command)
            assert done.returncode == 0, done.stderr
        assert run_shell(env, f"{kubectl} get pods").returncode == 0
        got, again, _ = _doctor(env)
        assert got == 0 and not {"STATIC_TOKEN", "STATIC_TOKEN_EXPIRED"} & {
            f["code"] for f in again["findings"]
        }


def test_token_inspect_reads_the_kubeconfigs_token(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sandbox", "static-eks-token-expired") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        token = _static_token(sandbox)
        done = run_shell(env, f"{VENV_BIN / 'eksaccess'} token --inspect -o json", stdin=token + "\n")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["expired"] is True and data["region"] == "us-west-2" and data["cluster"] is None
        admin_key = run_shell(env, f"{require('aws')} configure get aws_access_key_id --profile admin")
        assert data["accessKeyId"] == admin_key.stdout.strip() and data["credentials"] == "long-term"
        for secret in _secrets(token):
            assert secret not in done.stdout + done.stderr
