"""doctor's "ok" is what kubectl sees: the token kubectl sends is probed beside doctor's own.

1. Stale cached credentials. The aws CLI caches a profile's assumed-role credentials in
   ~/.aws/cli/cache and ``aws eks get-token`` (kubectl's exec plugin) signs with them until they expire.
   A second sandbox run with the same HOME does not know them: kubectl gets 401 while fresh credentials
   of the profile work. doctor names the cache file; the printed command, pasted, makes kubectl work.
2. A static token in the kubeconfig (``token: k8s-aws-v1...``, no exec entry): kubectl sends it as it
   is. doctor walks the chain with it (no false error), and an expired one is STATIC_TOKEN_EXPIRED.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from eksaccess.domain.token import encode_token
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.cli import run_cli
from support.clients import client_path, require


@pytest.fixture
def kubectl() -> str:
    return require("kubectl")


def _env(sandbox: RunningSandbox, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "CI")}
    return {**keep, **sandbox.env, "HOME": str(home), "PATH": client_path()}


def _run(env: Mapping[str, str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=180, check=False)


def _doctor(env: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli(env, "doctor", "-o", "json", *args)  # in-process: its report and output are asserted on
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stdout + done.stderr


def _errors(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["severity"] in ("error", "warning")]


def _cache_files(home: Path) -> list[Path]:
    cache = home / ".aws" / "cli" / "cache"
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


def _stale_sandbox(
    tmp_path: Path, name: str, home: Path, kubectl: str, sandbox_id: str
) -> Iterator[dict[str, str]]:
    """A fresh baseline sandbox whose developer has a cache entry left by an earlier sandbox in ``home``:
    it reuses that sandbox's id (so its key ids and role session names, which the aws CLI's cache key is
    made of), as two accounts' sandboxes never would."""
    with running_sandbox(tmp_path / name, "baseline", sandbox_id=sandbox_id) as sandbox:
        env = _env(sandbox, home)
        denied = _run(env, [kubectl, "--context", "developer", "get", "pods"])
        assert denied.returncode != 0
        assert "provide credentials" in denied.stderr or "Unauthorized" in denied.stderr, denied.stderr
        yield env


def test_stale_cached_credentials_are_named_and_the_printed_command_clears_them(
    tmp_path: Path, kubectl: str
) -> None:
    require("aws")
    home = tmp_path / "home"
    with running_sandbox(tmp_path / "a", "baseline") as first:
        first_id = first.sandbox_id
        env = _env(first, home)
        done = _run(env, [kubectl, "--context", "developer", "get", "pods"])
        assert done.returncode == 0, done.stderr
        code, report, _ = _doctor(env, "--context", "developer")
        assert (code, _errors(report)) == (0, [])
    (written,) = _cache_files(home)  # what the aws CLI wrote for the developer profile

    for env in _stale_sandbox(tmp_path, "b", home, kubectl, first_id):
        code, report, raw = _doctor(env, "--context", "developer")
        assert code == 1
        (finding,) = _errors(report)
        assert finding["code"] == "CACHED_CREDENTIALS_STALE"
        assert finding["link"] == "credentials" and finding["severity"] == "error"
        assert finding["evidence"]["cacheFile"] == str(written)
        assert finding["evidence"]["stsError"] == "InvalidClientTokenId"
        (plain,) = [c for step in finding["fix"] for c in step["plain"]]
        assert plain == f"rm -f ~/.aws/cli/cache/{written.name}"
        assert "k8s-aws-v1." not in raw  # kubectl's token is never rendered
        pasted = _run(env, ["bash", "-c", plain])
        assert pasted.returncode == 0, pasted.stderr
        done = _run(env, [kubectl, "--context", "developer", "get", "pods"])
        assert done.returncode == 0, done.stderr
        code, report, _ = _doctor(env, "--context", "developer")
        assert (code, _errors(report)) == (0, []), report["findings"]

    for env in _stale_sandbox(tmp_path, "c", home, kubectl, first_id):  # the eksaccess form: doctor --fix
        code, report, _ = _doctor(env, "--context", "developer")
        (finding,) = _errors(report)
        (command,) = [c for step in finding["fix"] for c in step["eksaccess"]]
        assert command == "eksaccess doctor --fix --context developer"
        pasted = _run(env, ["bash", "-c", command])
        assert pasted.returncode == 0, pasted.stdout + pasted.stderr
        assert "removed ~/.aws/cli/cache/" in pasted.stderr
        done = _run(env, [kubectl, "--context", "developer", "get", "pods"])
        assert done.returncode == 0, done.stderr


def test_a_failing_exec_plugin_is_not_taken_for_stale_credentials(tmp_path: Path, kubectl: str) -> None:
    """AssumeRole denied through the aws CLI: the plugin exits non-zero; the credential checks speak."""
    require("aws")
    with running_sandbox(tmp_path, "assume-role-denied") as sandbox:
        env = _env(sandbox, tmp_path / "home")
        code, report, _ = _doctor(env)
        assert code == 1
        assert {f["code"] for f in _errors(report)} == {"ASSUME_ROLE_DENIED"}


# --- a static token in the kubeconfig ---------------------------------------------------------------------


def _static_kubeconfig(sandbox: RunningSandbox, token: str, path: Path) -> None:
    """A kubeconfig whose context ``static`` reaches the developer's cluster with a static token."""
    yaml = YAML()
    source = yaml.load(sandbox.kubeconfig.read_text())
    (context,) = [c for c in source["contexts"] if c["name"] == "developer"]
    (cluster,) = [c for c in source["clusters"] if c["name"] == context["context"]["cluster"]]
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "static",
        "clusters": [cluster],
        "users": [{"name": "static-user", "user": {"token": token}}],
        "contexts": [
            {
                "name": "static",
                "context": {**context["context"], "user": "static-user"},
            }
        ],
    }
    with path.open("w") as out:
        yaml.dump(document, out)


def _expired_token(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """What ``aws eks get-token --cluster-name demo --profile developer`` printed 20 minutes ago."""
    import botocore.auth

    sts = sandbox.client("sts", "developer", region="us-west-2")
    sts._request_signer._credentials.get_frozen_credentials()  # AssumeRole now, signed with the real time

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = "demo"

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: past)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    monkeypatch.undo()
    return encode_token(str(url))


def test_a_static_token_is_what_kubectl_sends(
    tmp_path: Path, kubectl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = require("aws")
    with running_sandbox(tmp_path, "baseline") as sandbox:
        env = _env(sandbox, tmp_path / "home")
        minted = _run(
            env,
            [aws, "eks", "get-token", "--cluster-name", "demo", "--profile", "developer", "--output", "json"],
        )
        assert minted.returncode == 0, minted.stderr
        token = json.loads(minted.stdout)["status"]["token"]
        env["KUBECONFIG"] = str(tmp_path / "static-config")
        _static_kubeconfig(sandbox, token, tmp_path / "static-config")

        done = _run(env, [kubectl, "get", "pods"])
        assert done.returncode == 0, done.stderr
        code, report, raw = _doctor(env)  # a static token works for 15 minutes: a warning, no error
        assert (code, [f["code"] for f in _errors(report)]) == (0, ["STATIC_TOKEN"]), report["findings"]
        assert report["principal"]["arn"].startswith("arn:aws:sts::111122223333:assumed-role/developer/")
        links = {link["link"]: link["status"] for link in report["chain"]}
        assert links["token"] == links["authentication"] == "ok"
        assert token not in raw
        code, report, _ = _doctor(env, "--admin-profile", "admin")  # the whole chain, read as the admin
        assert (code, [f["code"] for f in _errors(report)]) == (0, ["STATIC_TOKEN"]), report["findings"]
        assert report["principal"]["principalArn"] == "arn:aws:iam::111122223333:role/developer"
        assert report["principal"]["source"] == "accessEntry"

        _static_kubeconfig(sandbox, _expired_token(sandbox, monkeypatch), tmp_path / "static-config")
        done = _run(env, [kubectl, "get", "pods"])
        assert done.returncode != 0
        code, report, _ = _doctor(env)
        assert code == 1
        (finding,) = _errors(report)
        assert finding["code"] == "STATIC_TOKEN_EXPIRED"  # said once, with its times (static_token.py)
        assert "expired" in finding["detail"]
        plain = [c for step in finding["fix"] for c in step["plain"]]
        assert any(
            c.startswith("aws eks update-kubeconfig --name demo --region us-west-2") and "--alias static" in c
            for c in plain
        ), plain
