"""The real ``aws eks list-access-policies`` against a sandbox lists exactly the catalogue's listed policies,
in AWS's order, whether the CLI follows nextToken itself or pages by hand (``--max-items``).

The CLI is the one installed beside this interpreter (the test extras pin awscli). Without it the tests
skip, except under ``CI=true`` where a missing real client is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eksaccess.domain.authz.access_policies import listed_policies
from eksaccess.sandbox.testing import running_sandbox

pytestmark = pytest.mark.e2e

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
EXPECTED = [p.name for p in listed_policies()]


def aws_binary() -> Path:
    beside = Path(sys.executable).parent / "aws"
    found = beside if beside.exists() else (Path(p) if (p := shutil.which("aws")) else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def test_the_cli_lists_the_catalogue(tmp_path: Path) -> None:
    binary = aws_binary()
    with running_sandbox(tmp_path, "baseline", state_dir=tmp_path / "sb") as sb:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
        env = {**keep, **sb.env, "HOME": str(tmp_path / "home"), "AWS_PROFILE": "admin"}

        def cli(*args: str) -> Any:
            proc = subprocess.run(
                [
                    str(binary),
                    "eks",
                    "list-access-policies",
                    "--region",
                    "us-west-2",
                    "--output",
                    "json",
                    *args,
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            return json.loads(proc.stdout)

        every = cli()["accessPolicies"]  # the CLI follows nextToken
        assert [p["name"] for p in every] == EXPECTED
        assert all(p["arn"] == POLICY + p["name"] for p in every)

        first = cli("--max-items", "20", "--page-size", "7")
        rest = cli("--starting-token", first["NextToken"], "--page-size", "7")
        assert "NextToken" not in rest
        assert [p["name"] for p in first["accessPolicies"] + rest["accessPolicies"]] == EXPECTED
