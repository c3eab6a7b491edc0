"""Fleet audit under the sandbox's fault knobs: every cluster is either audited exactly as it is or named
as a failure, never half-read or silently dropped.

The fleet of tests/integration/test_audit_fleet.py (three clusters, two accounts, two regions; ops-b may
not describe its cluster, so b-west always fails) is audited with 10% server errors and 10% throttling
on every AWS and Kubernetes request, for several seeds, and each run is compared with a fault-free run of
the same sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.context import FaultSettings
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

FLEET = Path(__file__).with_name("test_audit_fleet.py")


def _scenario() -> str:
    namespace: dict[str, Any] = {}
    exec(compile(FLEET.read_text(), str(FLEET), "exec"), namespace)  # the same fleet, one source
    return str(namespace["SCENARIO"])


def _audit(sb: RunningSandbox, tmp_path: Path, name: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / f"{name}.json"
    env = {**os.environ, **sb.env_for(None), "HOME": str(tmp_path / "home")}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "eksaccess.cli.main", "audit", "--all", "--profiles", "ops-a,ops-b",
         "--regions", "us-west-2,us-east-1", "-o", "json", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(out.read_text()), done.stderr


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["clusters"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fleet_audit_under_faults_accounts_for_every_cluster(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(_scenario())
    with running_sandbox(tmp_path, str(path), fault_rate=0.1, throttle_rate=0.1, seed=seed) as sb:
        assert sb.server is not None and sb.server.ctx is not None
        code, faulty, stderr = _audit(sb, tmp_path, "faulty")
        settings = sb.server.ctx.faults.settings
        sb.server.ctx.faults.settings = FaultSettings()
        clean_code, clean, _ = _audit(sb, tmp_path, "clean")
        sb.server.ctx.faults.settings = settings
    assert clean_code == 3 and {f["name"] for f in clean["failures"]} == {"b-west"}
    assert code == 3  # b-west cannot be described, whatever the faults
    failed = {f["name"] for f in faulty["failures"]}
    read = set(_by_name(faulty))
    # the exact account: each cluster once, either read or a named failure with its reason
    assert read | failed >= {"a-west", "a-east", "b-west"} and not read & failed
    assert all(f["error"] for f in faulty["failures"]) and "b-west" in failed
    assert faulty["summary"]["clusters"] == len(read)
    assert faulty["summary"]["clustersFailed"] == len(faulty["failures"])
    for name in failed - {"b-west"}:
        assert name in stderr, f"{name} failed without a word on stderr"
    # nothing half-read: a cluster that is reported is reported as it is
    clean_clusters = _by_name(clean)
    for name, cluster in _by_name(faulty).items():
        if faulty["iamRead"] == clean["iamRead"]:
            assert cluster == clean_clusters[name], name
        else:  # IAM could not be read: principals and levels still exact, and the report says so
            assert faulty["notes"], "IAM was not read and no note says so"
            assert [(p["arn"], p["level"]) for p in cluster["principals"]] == [
                (p["arn"], p["level"]) for p in clean_clusters[name]["principals"]
            ]
