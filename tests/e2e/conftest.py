"""End-to-end helpers: the machine's kubectl binaries, and running them against a sandbox.

The image ships versioned kubectl binaries (``kubectl.1.27`` ... ``kubectl.1.33``) beside the kubectl on
PATH (found by following its symlink). Without kubectl these tests skip, except under ``CI=true`` where a
missing real client is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

_VERSIONED = re.compile(r"^kubectl\.(\d+)\.(\d+)$")


def kubectl_binaries() -> dict[str, Path]:
    """``{"1.27": path, ...}`` for every versioned kubectl beside the one on PATH (or that one alone)."""
    found = shutil.which("kubectl")
    if found is None:
        return {}
    real = Path(found).resolve()
    out: dict[str, Path] = {}
    for candidate in sorted(real.parent.iterdir()):
        match = _VERSIONED.match(candidate.name)
        if match and os.access(candidate, os.X_OK):
            out[f"{match[1]}.{match[2]}"] = candidate
    if not out:
        out["default"] = real
    return dict(
        sorted(out.items(), key=lambda kv: tuple(int(p) for p in kv[0].split(".")) if "." in kv[0] else ())
    )


def require_kubectl() -> dict[str, Path]:
    binaries = kubectl_binaries()
    if not binaries:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("kubectl is not installed")
    return binaries


KUBECTLS = kubectl_binaries()
VERSIONS = list(KUBECTLS) or ["missing"]
EDGE_VERSIONS = [v for v in VERSIONS if v in (VERSIONS[0], VERSIONS[-1])]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``kubectl_version``: every kubectl of the machine; ``edge_kubectl_version``: the oldest and newest."""
    if "kubectl_version" in metafunc.fixturenames:
        metafunc.parametrize("kubectl_version", VERSIONS)
    if "edge_kubectl_version" in metafunc.fixturenames:
        metafunc.parametrize("edge_kubectl_version", EDGE_VERSIONS)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def last_err_line(self) -> str:
        lines = [line for line in self.err.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass
class Kubectl:
    """One kubectl binary with a private HOME (its discovery cache) and the sandbox's environment."""

    binary: Path
    env: dict[str, str]
    home: Path

    def __call__(
        self,
        *args: str,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        fresh_cache: bool = False,
        timeout: float = 60,
    ) -> Result:
        argv = [str(self.binary), *args]
        if token is not None:
            argv.append(f"--token={token}")
        if fresh_cache:
            cache = self.home / "fresh-cache"
            shutil.rmtree(cache, ignore_errors=True)
            argv.append(f"--cache-dir={cache}")
        proc = subprocess.run(
            argv,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


def kubectl_env(base: Mapping[str, str], home: Path) -> dict[str, str]:
    """The sandbox's client variables, a private HOME, and PATH with this interpreter's ``aws``."""
    home.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    return {**keep, **base, "HOME": str(home), "PATH": path}


@pytest.fixture
def make_kubectl(tmp_path: Path) -> Callable[[str, Mapping[str, str]], Kubectl]:
    """``make_kubectl(version, sandbox_env)``: that kubectl with a private HOME under tmp_path."""
    binaries = require_kubectl()

    def make(version: str, base_env: Mapping[str, str]) -> Kubectl:
        home = tmp_path / "home"
        return Kubectl(binaries[version], kubectl_env(base_env, home), home)

    return make
