"""``sandbox env`` exports the current context's AWS profile (issue 19): the profile its exec entry mints as."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksaccess.cli.commands.sandbox import context_profile

ARN = "arn:aws:eks:us-west-2:111122223333:cluster/demo"


def _kubeconfig(tmp_path: Path, user: str, current: str = "ctx") -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(f"""\
apiVersion: v1
kind: Config
current-context: {current}
clusters:
- name: {ARN}
  cluster: {{server: "https://127.0.0.1:1", certificate-authority-data: Q0E=}}
users:
- name: me
  user:
{user}
contexts:
- name: ctx
  context: {{cluster: {ARN}, user: me}}
""")
    return path


AWS_EXEC = """    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-west-2, eks, get-token, --cluster-name, demo{extra}]
{env}"""


@pytest.mark.parametrize(
    ("user", "expected"),
    [  # as the aws CLI reads them: --profile beats AWS_PROFILE (the exec entry's env)
        (AWS_EXEC.format(extra="", env="      env: [{name: AWS_PROFILE, value: admin}]"), "admin"),
        (AWS_EXEC.format(extra=", --profile, dev", env=""), "dev"),
        (
            AWS_EXEC.format(extra=", --profile, dev", env="      env: [{name: AWS_PROFILE, value: admin}]"),
            "dev",
        ),
        (AWS_EXEC.format(extra="", env=""), None),  # no profile: the shell's decides
        (
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: eksaccess\n"
            "      args: [token, --cluster-name, demo]\n      env: [{name: AWS_PROFILE, value: ops}]",
            "ops",
        ),
        ("    token: abc", None),  # a static token mints nothing
    ],
)
def test_profile_of_the_current_context(tmp_path: Path, user: str, expected: str | None) -> None:
    assert context_profile(_kubeconfig(tmp_path, user)) == expected


def test_no_current_context_no_profile(tmp_path: Path) -> None:
    user = AWS_EXEC.format(extra="", env="      env: [{name: AWS_PROFILE, value: admin}]")
    assert context_profile(_kubeconfig(tmp_path, user, current="gone")) is None


def test_unreadable_or_missing_kubeconfig_no_profile(tmp_path: Path) -> None:
    assert context_profile(tmp_path / "absent") is None
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n")
    assert context_profile(bad) is None
