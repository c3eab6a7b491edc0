"""Without the aws CLI the sandbox's kubeconfig runs ``eksaccess token`` (issue 19: works from the wheel alone).

The exec entry ``eksaccess kubeconfig --exec eksaccess`` writes (domain/kubeconfig.py ``exec_args``) is the
one the sandbox writes when ``aws`` is neither on PATH nor beside this Python.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from eksaccess.domain.kubeconfig import ExecPlugin
from eksaccess.domain.state import AuthenticationMode
from eksaccess.sandbox.config_files import AWS_TOKEN, TokenCommand, kubeconfig_document, token_command
from eksaccess.sandbox.scenarios.model import load_scenario
from eksaccess.sandbox.store import ClusterRecord

EKSACCESS = TokenCommand(plugin=ExecPlugin.EKSACCESS, command="eksaccess")


def _program(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def python_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This Python lives in tmp_path/venv/bin (where pip puts the console scripts beside it)."""
    bin_dir = tmp_path / "venv" / "bin"
    monkeypatch.setattr(sys, "executable", str(_program(bin_dir, "python")))
    return bin_dir


def test_aws_on_path_is_used(tmp_path: Path, python_in: Path) -> None:
    tools = tmp_path / "tools"
    _program(tools, "aws")
    assert token_command(str(tools)) == AWS_TOKEN


def test_aws_beside_python_is_used(tmp_path: Path, python_in: Path) -> None:
    _program(python_in, "aws")  # the demo extra's aws: the demo puts this directory first on PATH
    assert token_command(str(tmp_path / "empty")) == AWS_TOKEN


def test_without_aws_eksaccess_on_path_runs_by_name(tmp_path: Path, python_in: Path) -> None:
    _program(python_in, "eksaccess")
    path = os.pathsep.join([str(python_in), str(tmp_path / "empty")])
    assert token_command(path) == EKSACCESS


def test_without_aws_eksaccess_off_path_runs_by_full_path(tmp_path: Path, python_in: Path) -> None:
    script = _program(python_in, "eksaccess")
    found = token_command(str(tmp_path / "empty"))
    assert found == TokenCommand(plugin=ExecPlugin.EKSACCESS, command=str(script))


def test_without_aws_or_a_script_the_name_is_written(tmp_path: Path, python_in: Path) -> None:
    assert token_command(str(tmp_path / "empty")) == EKSACCESS


def _document(scenario: str, *clusters: str) -> dict[str, Any]:
    records = {
        name: ClusterRecord(
            name=name,
            region="us-west-2",
            account_id="111122223333",
            arn=f"arn:aws:eks:us-west-2:111122223333:cluster/{name}",
            authentication_mode=AuthenticationMode.API,
            creator_arn=None,
            endpoint=f"https://127.0.0.1:900{i}",
            status="ACTIVE",
            certificate_authority_data="Q0E=",
            version="1.31",
        )
        for i, name in enumerate(clusters)
    }
    return kubeconfig_document(
        load_scenario(scenario), records, foreign_ca_data="Rk9SRUlHTg==", token=EKSACCESS
    )


def _exec(doc: dict[str, Any], user: str) -> dict[str, Any]:
    return next(u["user"]["exec"] for u in doc["users"] if u["name"] == user)


def test_exec_entry_is_the_one_eksaccess_kubeconfig_writes() -> None:
    assert _exec(_document("baseline", "demo"), "admin") == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["token", "--region", "us-west-2", "--cluster-name", "demo"],
        "command": "eksaccess",
        "env": [{"name": "AWS_PROFILE", "value": "admin"}],
    }


@pytest.mark.parametrize(
    ("scenario", "clusters", "user", "flag", "value"),
    [  # the same breakage as with aws (tests/unit/sandbox/test_config_files.py test_breakage)
        ("wrong-cluster-name", ("demo", "prod"), "admin-demo", "--cluster-name", "prod"),
        ("wrong-cluster-name", ("demo", "prod"), "admin-region", "--region", "eu-west-1"),
        (
            "assume-role-denied",
            ("demo",),
            "via-role-arg",
            "--role-arn",
            "arn:aws:iam::111122223333:role/platform-admin",
        ),
    ],
)
def test_breakage_is_kept(scenario: str, clusters: tuple[str, ...], user: str, flag: str, value: str) -> None:
    args = _exec(_document(scenario, *clusters), user)["args"]
    assert args[args.index(flag) + 1] == value


def test_authenticator_entries_stay_as_the_scenario_says() -> None:
    entry = _exec(_document("authenticator-not-installed", "demo"), "admin-old")
    assert (entry["command"], entry["args"]) == ("aws-iam-authenticator", ["token", "-i", "demo"])
