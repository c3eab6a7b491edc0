"""``-o yaml`` prints the same data as ``-o json`` on every command that prints data (one -o vocabulary)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support.cli import run_cli

AWS_AUTH = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/admin
      username: admin
      groups: [system:masters]
"""


@pytest.mark.parametrize(
    "argv",
    [["sandbox", "scenarios"], ["lint", "aws-auth", "FILE"]],
    ids=["sandbox scenarios", "lint aws-auth"],
)
def test_yaml_is_the_json_document(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "aws-auth.yaml").write_text(AWS_AUTH, encoding="utf-8")
    args = [str(tmp_path / "aws-auth.yaml") if a == "FILE" else a for a in argv]
    env = {"HOME": str(tmp_path), "PATH": ""}
    as_json = run_cli(env, *args, "-o", "json")
    as_yaml = run_cli(env, *args, "-o", "yaml")
    assert as_json.returncode == as_yaml.returncode, (as_json.stderr, as_yaml.stderr)
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
