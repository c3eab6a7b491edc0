"""doctor under AWS faults: throttling and 5xx from the sandbox's AWS endpoint (STS, EKS, IAM).

A finding states only what STS or the cluster decided. Calls that keep failing after botocore's retries end
in exit 3 with one line; they never become a finding. Every run ends either in exit 3 or in exactly the
findings of a fault-free run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import running_sandbox
from support.cli import run_cli

VENV_BIN = Path(sys.executable).parent
RUNS = 6


def _require_aws() -> None:
    if not (VENV_BIN / "aws").exists() and shutil.which("aws") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")


def _doctor(env: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any] | None, str]:
    done = run_cli(env, "doctor", "-o", "json", *args)  # in-process: the report and exit code are asserted on
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, (json.loads(done.stdout) if done.stdout.strip() else None), done.stderr


def _codes(report: Mapping[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] in ("error", "warning")}


@pytest.mark.parametrize(
    ("scenario", "args"),
    [("baseline", ()), ("developer-locked-out", ("--admin-profile", "admin"))],
)
def test_faults_end_in_exit_3_or_in_the_fault_free_findings(
    scenario: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    _require_aws()
    home = tmp_path / "home"
    home.mkdir()
    with running_sandbox(tmp_path / "clean", scenario) as sandbox:
        env = {**os.environ, **sandbox.env, "HOME": str(home)}
        env.pop("AWS_PROFILE", None)
        clean_code, clean, _ = _doctor(env, *args)
    assert clean is not None
    outcomes: list[int] = []
    with running_sandbox(tmp_path / "faulty", scenario, fault_rate=0.3, throttle_rate=0.2, seed=7) as sandbox:
        env = {**os.environ, **sandbox.env, "HOME": str(home)}
        env.pop("AWS_PROFILE", None)
        for _ in range(RUNS):
            code, report, stderr = _doctor(env, *args)
            outcomes.append(code)
            if code == 3:
                lines = [line for line in stderr.splitlines() if line.startswith("eksaccess: error")]
                assert len(lines) <= 1, stderr
                continue
            assert report is not None, stderr
            assert (code, _codes(report)) == (clean_code, _codes(clean)), report["findings"]
    assert outcomes, "no run"
