"""Shell completion through click's completion protocol: the shell sets ``_EKSACCESS_COMPLETE``,
``COMP_WORDS`` and ``COMP_CWORD`` (bash) and reads the candidates from stdout, as the script that
``eksaccess completion bash`` prints does (click.shell_completion.BashComplete)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from eksaccess.cli.completion import builtin_scenarios
from eksaccess.cli.main import main
from eksaccess.domain.authz.access_policies import CATALOGUE, SHORT_NAMES
from support.cli import process_environment, run_cli

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu
  cluster: {server: "https://prod.example"}
- name: dev-cluster
  cluster: {server: "https://dev.example"}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context: {cluster: "arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu", user: prod-user}
users:
- name: dev-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, demo-dev, --region, us-west-2]
- name: prod-user
  user: {token: not-an-exec-entry}
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    config.write_text(KUBECONFIG)
    return {"HOME": str(tmp_path), "KUBECONFIG": str(config), "PATH": "/usr/bin:/bin"}


def complete(env: dict[str, str], line: str, shell: str = "bash") -> list[str]:
    """What the shell would offer for ``line`` (the cursor at its end), as (type, value) pairs joined."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    protocol = {
        **env,
        "_EKSACCESS_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(cword),
    }
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    with process_environment(protocol), contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    out.flush()
    return [line for line in raw.getvalue().decode().splitlines() if line]


def values(lines: list[str]) -> list[str]:
    return [line.split(",", 1)[1] for line in lines]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # kubeconfig contexts, as kubectl --context completes them
        ("eksaccess doctor --context ", ["dev", "prod"]),
        ("eksaccess doctor --context p", ["prod"]),
        ("eksaccess list --context d", ["dev"]),
        # clusters the kubeconfig names: the exec entry's --cluster-name, else the cluster ARN's name
        ("eksaccess list --cluster ", ["demo-dev", "prod-eu"]),
        ("eksaccess doctor --cluster pro", ["prod-eu"]),
        # access policies by short name and by name
        ("eksaccess grant arn:aws:iam::111122223333:role/dev --policy vi", ["view"]),
        (
            "eksaccess revoke arn:aws:iam::111122223333:role/dev --policy AmazonEKSClusterAdmin",
            ["AmazonEKSClusterAdminPolicy"],
        ),
        # scenario names
        ("eksaccess sandbox up --scenario baseli", ["baseline"]),
        ("eksaccess sandbox reset --scenario clock-", ["clock-behind", "clock-far-behind"]),
        # commands, the global options anywhere
        ("eksaccess comp", ["completion"]),
        ("eksaccess --debug doctor --context pr", ["prod"]),
    ],
)
def test_values_complete(env: dict[str, str], line: str, expected: list[str]) -> None:
    assert values(complete(env, line)) == expected


def test_scenarios_are_the_sandbox_s_own() -> None:
    from eksaccess.sandbox.scenarios.model import builtin_names

    assert builtin_scenarios() == builtin_names()


def test_every_policy_and_short_name_completes(env: dict[str, str]) -> None:
    offered = set(values(complete(env, "eksaccess grant arn:aws:iam::111122223333:role/dev --policy ")))
    assert offered == set(CATALOGUE) | set(SHORT_NAMES)


def test_an_unknown_scenario_prefix_falls_back_to_file_completion(env: dict[str, str]) -> None:
    assert complete(env, "eksaccess sandbox up --scenario ./my") == ["file,./my"]


def test_an_unreadable_kubeconfig_completes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text("contexts: [\n")
    assert complete({**env, "KUBECONFIG": str(broken)}, "eksaccess doctor --context ") == []


def test_kubeconfig_option_already_typed_is_the_one_read(env: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.write_text(KUBECONFIG.replace("name: prod\n", "name: staging\n"))
    line = f"eksaccess doctor --kubeconfig {other} --context "
    assert values(complete(env, line)) == ["dev", "staging"]


def test_zsh_protocol_carries_the_help(env: dict[str, str]) -> None:
    # zsh_complete: type, value and help on three lines per item
    assert complete(env, "eksaccess doctor --context d", shell="zsh") == ["plain", "dev", "current context"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_script(env: dict[str, str], shell: str) -> None:
    done = run_cli(env, "completion", shell)
    assert done.returncode == 0, done.stderr
    assert f"_EKSACCESS_COMPLETE={shell}_complete" in done.stdout
    assert done.stdout.count("eksaccess") >= 2


def test_completion_of_an_unknown_shell_is_a_usage_error(env: dict[str, str]) -> None:
    done = run_cli(env, "completion", "tcsh")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("eksaccess: error: invalid value for 'SHELL'")
