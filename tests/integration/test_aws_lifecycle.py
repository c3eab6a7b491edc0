"""The sandbox as a background process: ``eksaccess sandbox up/status/env/down/reset/scenarios``, state that
survives down/up, stable ports, client files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.scenarios.model import KubeconfigFile, builtin_names, load_scenario
from eksaccess.sandbox.testing import running_sandbox

ACCOUNT = "111122223333"


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "eksaccess.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_state_survives_down_and_up(tmp_path: Path) -> None:
    state = tmp_path / "state"
    role = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
    with running_sandbox(tmp_path, "baseline", process=True, state_dir=state) as sb:
        eks = sb.client("eks", "admin")
        eks.create_access_entry(clusterName="demo", principalArn=role, kubernetesGroups=["ops"])
        eks.create_cluster(
            name="extra",
            roleArn=role,
            resourcesVpcConfig={"subnetIds": ["s"]},
            accessConfig={"authenticationMode": "API"},
        )
        endpoints = (sb.aws_endpoint, sb.cluster_endpoint("demo"), sb.cluster_endpoint("extra"))
        kubeconfig = sb.kubeconfig.read_text()
    assert lifecycle.running_pid(state) is None
    with running_sandbox(tmp_path, "baseline", process=True, state_dir=state) as sb:
        eks = sb.client("eks", "admin")
        entry = eks.describe_access_entry(clusterName="demo", principalArn=role)["accessEntry"]
        assert entry["kubernetesGroups"] == ["ops"]
        assert "extra" in eks.list_clusters()["clusters"]
        assert (sb.aws_endpoint, sb.cluster_endpoint("demo"), sb.cluster_endpoint("extra")) == endpoints
        assert sb.kubeconfig.read_text() == kubeconfig


def test_client_files_are_private(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sb:
        for name in ("aws-config", "aws-credentials", "kubeconfig", "ca.key", "server.key"):
            mode = stat.S_IMODE((sb.state_dir / name).stat().st_mode)
            assert mode == 0o600, name
        log = (sb.state_dir / "sandbox.log").read_text()
        secrets = (sb.state_dir / "aws-credentials").read_text()
        sb.client("sts", "developer").get_caller_identity()
        log = (sb.state_dir / "sandbox.log").read_text()
        for line in secrets.splitlines():
            if line.startswith("aws_secret_access_key"):
                assert line.split("=", 1)[1].strip() not in log


def test_cli_lifecycle(tmp_path: Path) -> None:
    state = str(tmp_path / "cli-state")
    started = time.monotonic()
    up = cli("sandbox", "up", "--state-dir", state, "--scenario", "developer-locked-out")
    assert time.monotonic() - started < 15
    exports = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines())
    assert set(exports) >= {
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL",
        "KUBECONFIG",
    }
    try:
        status = json.loads(cli("sandbox", "status", "--state-dir", state, "-o", "json").stdout)
        assert status["running"] is True and status["scenario"] == "developer-locked-out"
        assert status["clusters"][0]["name"] == "demo"
        env = json.loads(
            cli("sandbox", "env", "--state-dir", state, "--profile", "admin", "-o", "json").stdout
        )
        assert env["AWS_PROFILE"] == "admin" and env["AWS_ENDPOINT_URL"] == status["awsEndpoint"]
        again = cli("sandbox", "up", "--state-dir", state)  # already running: same exports
        assert again.stdout == up.stdout
        other = cli("sandbox", "up", "--state-dir", state, "--scenario", "baseline", check=False)
        assert other.returncode == 2 and "reset" in other.stderr
        bad = cli("sandbox", "env", "--state-dir", state, "--profile", "nobody", check=False)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        reset = json.loads(
            cli("sandbox", "reset", "--state-dir", state, "--scenario", "baseline", "-o", "json").stdout
        )
        assert reset["running"] is True and reset["scenario"] == "baseline"
    finally:
        down = cli("sandbox", "down", "--state-dir", state)
    assert "stopped" in down.stdout
    assert json.loads(cli("sandbox", "status", "--state-dir", state, "-o", "json").stdout)["running"] is False
    assert "not running" in cli("sandbox", "down", "--state-dir", state).stdout


def test_cli_scenarios_lists_every_builtin() -> None:
    listed = json.loads(cli("sandbox", "scenarios", "-o", "json").stdout)
    assert [s["name"] for s in listed] == builtin_names()
    assert len(listed) >= 15 and all(s["description"] for s in listed)


def test_unknown_scenario_is_an_input_error(tmp_path: Path) -> None:
    proc = cli(
        "sandbox", "up", "--state-dir", str(tmp_path / "s"), "--scenario", "no-such-thing", check=False
    )
    assert proc.returncode == 2
    assert "unknown scenario" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("scenario", builtin_names())
def test_every_builtin_scenario_starts(tmp_path: Path, scenario: str) -> None:
    spec = load_scenario(scenario)
    demo = spec.cluster("demo")
    with running_sandbox(tmp_path, scenario) as sb:
        if abs(spec.clockOffsetSeconds) <= 900:  # beyond, AWS refuses this machine's signatures
            assert sb.client("sts", "admin").get_caller_identity()["Account"] == ACCOUNT
            clusters = sb.client("eks", "admin").list_clusters()["clusters"]
            assert ("demo" in clusters) is (demo is not None and not demo.deleted)
        if spec.kubeconfig.file is KubeconfigFile.ABSENT:
            assert not sb.kubeconfig.exists()
        else:
            assert sb.kubeconfig.read_text().count("name: ") >= 3
