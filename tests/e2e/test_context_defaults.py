"""The current kubeconfig context is enough, as for kubectl (issue 19): ``eksaccess list`` with no
--cluster, ``kubectl eksaccess list`` through kubectl's plugin mechanism (an executable named
``kubectl-eksaccess`` on PATH, https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/), and the
live ``eksaccess whoami`` answering as ``kubectl auth whoami`` does for the same context.

Real clients in subprocesses (kubectl, the aws CLI as the context's exec plugin) against one sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.clients import require

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    if not shutil.which("kubectl") and os.environ.get("CI") != "true":
        pytest.skip("kubectl is not installed")
    with running_sandbox(tmp_path_factory.mktemp("context-defaults")) as sb:
        yield sb


def _env(sb: RunningSandbox, home: Path, **extra: str) -> dict[str, str]:
    """The sandbox's client variables with no AWS_PROFILE and no region: the context must say them."""
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    env = {
        **keep,
        **sb.env_for(None),
        "HOME": str(home),
        "PATH": os.pathsep.join([str(BIN), "/usr/bin", "/bin"]),
    }
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    return {**env, **extra}


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_list_with_only_the_current_context(sandbox: RunningSandbox, tmp_path: Path) -> None:
    data = _json(_run([str(BIN / "eksaccess"), "list", "-o", "json"], _env(sandbox, tmp_path)))
    assert data["cluster"] == "demo"
    assert data["principals"]


def test_kubectl_plugin_list_with_only_the_current_context(sandbox: RunningSandbox, tmp_path: Path) -> None:
    kubectl = require("kubectl")
    plugins = _run([kubectl, "plugin", "list"], _env(sandbox, tmp_path))
    assert "kubectl-eksaccess" in plugins.stdout, plugins.stdout + plugins.stderr
    data = _json(_run([kubectl, "eksaccess", "list", "-o", "json"], _env(sandbox, tmp_path)))
    assert data["cluster"] == "demo"
    assert data["principals"]


# context -> the mapping whoami names (None: the context's credentials may not read it, and it says so).
# The baseline scenario: admin has an access entry and may read; developer may read neither the access
# entries (no eks:ListAccessEntries) nor kube-system/aws-auth (edit in namespace dev only).
MAPPING = {"admin": "arn:aws:iam::111122223333:user/admin", "developer": None}


@pytest.mark.parametrize("context", sorted(MAPPING))
def test_live_whoami_matches_kubectl_auth_whoami(
    sandbox: RunningSandbox, tmp_path: Path, context: str
) -> None:
    kubectl = require("kubectl")
    env = _env(sandbox, tmp_path)
    seen = _json(_run([kubectl, "--context", context, "auth", "whoami", "-o", "json"], env))["status"][
        "userInfo"
    ]
    mine = _json(_run([str(BIN / "eksaccess"), "whoami", "--context", context, "-o", "json"], env))
    assert mine["context"] == context
    assert mine["authenticated"] is True
    assert mine["kubernetes"]["username"] == seen["username"]
    assert mine["kubernetes"]["groups"] == seen["groups"]
    iam = _json(
        _run([str(BIN / "aws"), "sts", "get-caller-identity"], {**env, "AWS_PROFILE": mine["profile"]})
    )
    assert mine["iam"]["arn"] == iam["Arn"]
    if MAPPING[context] is None:
        assert mine["mapping"] is None
        assert "access entries" in mine["mappingError"] and "aws-auth" in mine["mappingError"]
    else:
        assert mine["mapping"]["accessEntry"] == MAPPING[context]
