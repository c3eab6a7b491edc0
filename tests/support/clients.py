"""The real clients of the end-to-end tests (aws, kubectl, the eksaccess console script), found and run the
way a person's shell would: the virtualenv's bin first, then PATH, with the sandbox's environment and a
fresh HOME.

Under CI=true a missing client fails the test; elsewhere it skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox

VENV_BIN = Path(sys.executable).parent
KEPT = ("LANG", "LC_ALL", "TMPDIR", "CI", "PYTHONPATH")


def _search_path() -> str:
    return os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])


def require(name: str) -> str:
    """The path of client ``name``: fails under CI=true when it is missing, skips elsewhere."""
    found = shutil.which(name, path=_search_path())
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def client_env(sandbox: RunningSandbox, home: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a client run against ``sandbox`` with HOME ``home`` (created)."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in KEPT}
    return {**keep, **sandbox.env, "HOME": str(home), "PATH": _search_path(), **extra}


def run(
    env: Mapping[str, str], argv: Sequence[str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=180, check=False, input=stdin
    )


def run_shell(
    env: Mapping[str, str], command: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` as pasted into bash (a printed fix is pasted literally)."""
    return run(env, ["bash", "-c", command], stdin)


def one_finding(report: Mapping[str, Any], code: str) -> dict[str, Any]:
    """The single finding of ``code`` in a doctor JSON report."""
    found = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, report["findings"]
    return dict(found[0])
