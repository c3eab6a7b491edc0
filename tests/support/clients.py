"""The real clients of the end-to-end tests (aws, kubectl, the eksaccess console script), found and run the
way a person's shell would: the virtualenv's bin first, then PATH, with the sandbox's environment and a
fresh HOME.

One exception to PATH: where the ``kubectl`` on PATH is Google's version dispatcher (``kubectl version
--client`` says ``-dispatcher``; the Cloud SDK ships one beside ``kubectl.1.27`` ... ``kubectl.1.33``), the
dispatcher asks the server for its version, which runs the exec plugin (the aws CLI) once more, and then runs
the ``kubectl.1.NN`` that matches. Clients here run that kubectl directly (the sandbox's clusters are
``DEFAULT_VERSION``), so every kubectl call runs the exec plugin once, as a plain kubectl does. The
dispatcher itself is still run where a test names it (``tests/e2e/conftest.py`` runs every version).

Under CI=true a missing client fails the test; elsewhere it skips it.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.scenarios.seed import DEFAULT_VERSION
from eksaccess.sandbox.testing import RunningSandbox

VENV_BIN = Path(sys.executable).parent
KEPT = ("LANG", "LC_ALL", "TMPDIR", "CI", "PYTHONPATH")


@functools.cache
def _matching_kubectl_dir() -> str | None:
    """A private directory whose ``kubectl`` is the kubectl the PATH's dispatcher would run for the sandbox's
    clusters (None: PATH's kubectl is a plain kubectl, or none, or no matching version is beside it)."""
    found = shutil.which("kubectl")
    if found is None:
        return None
    matching = Path(found).resolve().parent / f"kubectl.{DEFAULT_VERSION}"
    if not os.access(matching, os.X_OK):
        return None
    done = subprocess.run(
        [found, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60, check=False
    )
    if "-dispatcher" not in done.stdout:
        return None
    here = tempfile.mkdtemp(prefix="eksaccess-kubectl-")
    atexit.register(shutil.rmtree, here, True)
    (Path(here) / "kubectl").symlink_to(matching)
    return here


def client_path() -> str:
    """PATH of a client run: the virtualenv's bin, the matching kubectl (see above), then PATH."""
    first = [str(VENV_BIN), *filter(None, [_matching_kubectl_dir()])]
    return os.pathsep.join([*first, os.environ.get("PATH", "")])


def require(name: str) -> str:
    """The path of client ``name``: fails under CI=true when it is missing, skips elsewhere."""
    found = shutil.which(name, path=client_path())
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def client_env(sandbox: RunningSandbox, home: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a client run against ``sandbox`` with HOME ``home`` (created)."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in KEPT}
    return {**keep, **sandbox.env, "HOME": str(home), "PATH": client_path(), **extra}


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
