"""EXEC_COMMAND_NOT_FOUND: when the missing command is ``aws``, the fix mints with ``eksaccess token`` instead
(issue 19: works from the wheel alone), written by ``eksaccess kubeconfig --exec eksaccess``."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig, load
from eksaccess.domain.findings import FindingCode, FixStep
from eksaccess.features.doctor.target import DoctorOptions, resolve_target

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
AWS_ARGS = "[--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]"
EKSACCESS_ARGS = "[token, --region, eu-west-1, --cluster-name, prod]"


def _fix(tmp_path: Path, command: str, args: str) -> tuple[FixStep, ...]:
    path = tmp_path / "config"
    path.write_text(f"""\
apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: {ARN}
  cluster: {{server: "https://prod.example", certificate-authority-data: Q0E=}}
users:
- name: me
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: {command}
      args: {args}
      env: [{{name: AWS_PROFILE, value: dev}}]
contexts:
- name: ctx
  context: {{cluster: {ARN}, user: me}}
""")

    def loader() -> LoadedKubeconfig:
        return load(str(path), {"HOME": "/nonexistent"})

    target = resolve_target(DoctorOptions(), loader, lambda _command: None)
    (finding,) = target.findings
    assert finding.code is FindingCode.EXEC_COMMAND_NOT_FOUND
    return finding.fix


def test_aws_missing_names_eksaccess_kubeconfig_exec_eksaccess(tmp_path: Path) -> None:
    install, instead = _fix(tmp_path, "aws", AWS_ARGS)
    assert install.text == "Install aws or put it on kubectl's PATH."
    assert instead.eksaccess == (
        "eksaccess kubeconfig --cluster prod --region eu-west-1 --profile dev --alias ctx --user-alias me "
        "--exec eksaccess",
    )
    assert instead.plain == ()  # aws eks update-kubeconfig needs the missing aws CLI
    assert "eksaccess token" in instead.text


@pytest.mark.parametrize("command", ["eksaccess", "/opt/bin/eksaccess"])
def test_eksaccess_missing_still_offers_the_aws_cli(tmp_path: Path, command: str) -> None:
    _, instead = _fix(tmp_path, command, EKSACCESS_ARGS)
    assert instead.text.startswith("Or mint the token with the aws CLI instead")
    assert "--exec" not in instead.eksaccess[0]
    assert instead.plain[0].startswith("aws eks update-kubeconfig --name prod")
