"""``plan --detailed-exitcode`` exits as Terraform's does: 0 no changes, 1 error, 2 changes present
(https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode). An error must not exit 2,
which a CI script reads as "changes". Changes (exit 2) are proven against the sandbox in
tests/integration/test_manage_modes.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli

FILE = "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo, region: us-west-2}\nprincipals: []\n"


@pytest.mark.parametrize(
    ("args", "detailed", "code"),
    [
        (["-f", "missing.yaml"], True, 1),
        (["-f", "missing.yaml"], False, 2),
        (["-f", "access.yaml"], True, 1),  # no credentials: an error
        (["-f", "access.yaml"], False, 3),
    ],
    ids=["bad input, detailed", "bad input", "no credentials, detailed", "no credentials"],
)
def test_errors_exit_1_with_detailed_exitcode(
    tmp_path: Path, args: list[str], detailed: bool, code: int
) -> None:
    (tmp_path / "access.yaml").write_text(FILE, encoding="utf-8")
    env = {
        "HOME": str(tmp_path),
        "PATH": "",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    argv = ["plan", *[str(tmp_path / a) if a.endswith(".yaml") else a for a in args]]
    done = run_cli(env, *argv, *(["--detailed-exitcode"] if detailed else []))
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("eksaccess: error:") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("detailed", [True, False], ids=["detailed", "plain"])
def test_a_usage_error_is_an_error_not_changes(tmp_path: Path, detailed: bool) -> None:
    env = {"HOME": str(tmp_path), "PATH": ""}
    done = run_cli(env, "plan", "--no-such-flag", *(["--detailed-exitcode"] if detailed else []))
    assert done.returncode == (1 if detailed else 2), done.stderr
    assert "eksaccess: error:" in done.stderr
