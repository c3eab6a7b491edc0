"""The completion script in a real bash: ``eval "$(eksaccess completion bash)"``, then what TAB would offer
(bash calls the completion function with COMP_WORDS and COMP_CWORD set and reads COMPREPLY)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: team-a
clusters:
- {name: c, cluster: {server: "https://c.example"}}
contexts:
- {name: team-a, context: {cluster: c, user: u}}
- {name: team-b, context: {cluster: c, user: u}}
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token, --cluster-name, blue]}
"""


def tab(words: list[str], env: dict[str, str]) -> list[str]:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = (
        'eval "$(eksaccess completion bash)"\n'
        f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}\n"
        "_eksaccess_completion eksaccess\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        [bash, "--norc", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    return {"HOME": str(tmp_path), "PATH": path, "KUBECONFIG": str(config)}


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (["eksaccess", "sandbox", "up", "--scenario", "baseli"], ["baseline"]),
        (["eksaccess", "doctor", "--context", "team-"], ["team-a", "team-b"]),
        (["eksaccess", "list", "--cluster", "bl"], ["blue"]),
        (
            ["eksaccess", "grant", "arn:aws:iam::111122223333:role/x", "--policy", "cluster-"],
            ["cluster-admin"],
        ),
        (["eksaccess", "who-"], ["who-can", "who-can-assume"]),
    ],
)
def test_bash_offers(env: dict[str, str], words: list[str], offered: list[str]) -> None:
    assert tab(words, env) == offered
