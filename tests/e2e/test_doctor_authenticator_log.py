"""The cluster's own word (issue 20 part 7), end to end with the real aws CLI and kubectl on the sandbox.

* authenticator-log-on: the developer cannot read the mapping; doctor quotes the authenticator's line, and
  that line is exactly one the sandbox wrote, as ``aws logs filter-log-events`` reads it back.
* logging off, mapping unread: doctor prints the `aws eks update-cluster-config --logging ...` command;
  pasted, the cluster logs its authenticator, and doctor then quotes the line instead of saying the mapping
  is unverified.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.cli import doctor_json

VENV_BIN = Path(sys.executable).parent
GROUP = "/aws/eks/demo/cluster"


def _require(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def _env(sandbox: RunningSandbox, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "CI", "PYTHONPATH")}
    path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])
    return {**keep, **sandbox.env, "HOME": str(home), "PATH": path}


def _run(env: Mapping[str, str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=180, check=False)


def _one(report: Mapping[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, report["findings"]
    return dict(found[0])


def _logged(env: Mapping[str, str], profile: str) -> list[str]:
    done = _run(
        env,
        [
            _require("aws"),
            "logs",
            "filter-log-events",
            "--log-group-name",
            GROUP,
            "--log-stream-name-prefix",
            "authenticator-",
            "--filter-pattern",
            '"access denied"',
            "--profile",
            profile,
            "--output",
            "json",
        ],
    )
    assert done.returncode == 0, done.stderr
    return [e["message"] for e in json.loads(done.stdout)["events"]]


def test_doctor_quotes_the_line_the_sandbox_wrote(tmp_path: Path) -> None:
    _require("aws")
    with running_sandbox(tmp_path / "sandbox", "authenticator-log-on") as sandbox:
        env = _env(sandbox, tmp_path / "home")
        code, report = doctor_json(env)
        assert code == 1
        line = _one(report, "AUTHENTICATOR_LOG_LINE")
        quoted = line["evidence"]["line"]
        assert quoted in _logged(env, "admin")  # exactly a line the cluster wrote
        assert line["evidence"]["arn"] == "arn:aws:iam::111122223333:role/developer"
        assert line["evidence"]["decision"] == "access denied"
        assert line["evidence"]["error"] == "identity is not mapped"
        assert quoted in line["detail"]
        codes = {f["code"] for f in report["findings"]}
        assert "MAPPING_UNVERIFIED" not in codes  # the cluster's word replaces it
        not_mapped = _one(report, "NOT_MAPPED")
        assert not_mapped["evidence"]["inferred"] is False
        assert not_mapped["evidence"]["authenticatorLog"] == quoted


def test_turning_the_log_on_as_printed_lets_doctor_quote_it(tmp_path: Path) -> None:
    _require("aws")
    with running_sandbox(tmp_path / "sandbox", "creator-deleted-config-map") as sandbox:
        env = _env(sandbox, tmp_path / "home")
        _, report = doctor_json(env)
        off = _one(report, "AUTHENTICATOR_LOG_OFF")
        assert "AUTHENTICATOR_LOG_LINE" not in {f["code"] for f in report["findings"]}
        [command] = off["fix"][0]["plain"]
        assert "--logging" in command and '"authenticator"' in command
        done = _run(env, ["bash", "-c", command])
        assert done.returncode == 0, done.stderr
        described = _run(
            env,
            [
                _require("aws"),
                "eks",
                "describe-cluster",
                "--name",
                "demo",
                "--profile",
                "admin",
                "--output",
                "json",
            ],
        )
        logging = json.loads(described.stdout)["cluster"]["logging"]["clusterLogging"]
        assert {"types": ["authenticator"], "enabled": True} in logging
        code, again = doctor_json(env)
        line = _one(again, "AUTHENTICATOR_LOG_LINE")
        assert line["evidence"]["arn"] == "arn:aws:iam::111122223333:user/admin"
        assert line["evidence"]["line"] in _logged(env, "admin")
        codes = {f["code"] for f in again["findings"]}
        assert "AUTHENTICATOR_LOG_OFF" not in codes and "MAPPING_UNVERIFIED" not in codes
