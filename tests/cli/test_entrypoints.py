"""The two ways in: the eksaccess command, and kubectl's plugin mechanism (kubectl eksaccess ...)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eksaccess import __version__

BIN = Path(sys.executable).parent


def test_version_and_help() -> None:
    out = subprocess.run([str(BIN / "eksaccess"), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[0].split() == ["eksaccess", __version__]  # more: tests/cli/test_version.py
    out = subprocess.run([str(BIN / "eksaccess"), "--help"], capture_output=True, text=True, check=True)
    for command in ("doctor", "whoami", "can-i", "who-can", "lint", "sandbox"):
        assert command in out.stdout


def test_kubectl_plugin() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is not installed (CI=true)")
        pytest.skip("kubectl is not installed")
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    out = subprocess.run(
        [kubectl, "eksaccess", "--version"], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert __version__ in out.stdout


@pytest.mark.parametrize("argv", [["-m", "eksaccess.cli.main"], []])
def test_exit_codes_survive_every_entry(argv: list[str], tmp_path: Path) -> None:
    """Bad input is exit 2 with one line, through `python -m` and the console script alike."""
    command = [sys.executable, *argv] if argv else [str(BIN / "eksaccess")]
    out = subprocess.run(
        [*command, "whoami", "--snapshot", str(tmp_path / "nope.yaml"), "--arn", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_console_scripts_enter_at_cli_entry() -> None:
    """Both installed scripts start at eksaccess.cli.entry:console: the token fast path, then cli.main."""
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts") if "eksaccess" in ep.name}
    assert scripts == {
        "eksaccess": "eksaccess.cli.entry:console",
        "kubectl-eksaccess": "eksaccess.cli.entry:console",
    }
    for script in ("eksaccess", "kubectl-eksaccess"):
        out = subprocess.run(
            [str(BIN / script), "token", "--help"], capture_output=True, text=True, check=True
        )
        assert "Usage: eksaccess token" in out.stdout
