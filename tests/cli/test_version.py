"""``eksaccess --version`` (issue 19): versions of eksaccess, Python, botocore, kubectl and the aws CLI, and
the kubeconfig and AWS files as kubectl and the aws CLI resolve them.

Output shapes: ``kubectl version --client -o json`` (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_version/)
and ``aws --version`` (https://docs.aws.amazon.com/cli/v1/userguide/cli-chap-install.html: ``aws-cli/1.x.y
Python/3.x Linux/... botocore/1.x.y``).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess import __version__
from eksaccess.cli.version import aws_version, kubectl_version, render, version_rows

AWS_LINE = "aws-cli/1.34.9 Python/3.11.9 Linux/6.1.0 botocore/1.35.9"
KUBECTL_JSON = json.dumps({"clientVersion": {"major": "1", "minor": "31", "gitVersion": "v1.31.2"}})


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        (KUBECTL_JSON, "v1.31.2"),
        ('{"clientVersion": {}}', None),
        ("[]", None),
        ("error: unknown flag: --client", None),
        ("", None),
    ],
)
def test_kubectl_version(stdout: str, expected: str | None) -> None:
    assert kubectl_version(stdout) == expected


@pytest.mark.parametrize(
    ("stdout", "stderr", "expected"),
    [
        (AWS_LINE + "\n", "", AWS_LINE),
        ("", AWS_LINE + "\n", AWS_LINE),  # aws CLI v1 before 1.20 printed it on stderr
        ("", "Traceback (most recent call last):\n", None),
        ("", "", None),
    ],
)
def test_aws_version(stdout: str, stderr: str, expected: str | None) -> None:
    assert aws_version(stdout, stderr) == expected


@given(st.text(), st.text())
def test_parsers_take_any_output(stdout: str, stderr: str) -> None:
    version = kubectl_version(stdout)
    assert version is None or (isinstance(version, str) and version)
    found = aws_version(stdout, stderr)
    assert found is None or found.startswith("aws-cli/")


@given(
    st.dictionaries(st.text(), st.none() | st.text() | st.dictionaries(st.text(), st.text() | st.integers()))
)
def test_kubectl_parser_takes_any_json_object(data: dict[str, object]) -> None:
    version = kubectl_version(json.dumps(data))
    client = data.get("clientVersion")
    expected = client.get("gitVersion") if isinstance(client, dict) else None
    assert version == (expected if isinstance(expected, str) and expected else None)


def _tool(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_rows_with_both_tools_and_every_variable(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools, "kubectl", f"echo '{KUBECTL_JSON}'")
    _tool(tools, "aws", f"echo '{AWS_LINE}'")
    (tmp_path / "one").write_text("")
    env = {
        "PATH": str(tools),
        "HOME": str(tmp_path),
        "KUBECONFIG": os.pathsep.join([str(tmp_path / "one"), str(tmp_path / "two")]),
        "AWS_CONFIG_FILE": "~/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds"),
        "AWS_PROFILE": "admin",
    }
    rows = {(r.name, r.value): r.note for r in version_rows(env)}
    assert rows[("kubectl", "v1.31.2")] == str(tools / "kubectl")
    assert rows[("aws", AWS_LINE)] == str(tools / "aws")
    assert rows[("kubeconfig", str(tmp_path / "one"))] == "KUBECONFIG"
    assert rows[("kubeconfig", str(tmp_path / "two"))] == "KUBECONFIG; missing"
    assert rows[("AWS config", str(tmp_path / "aws-config"))] == "AWS_CONFIG_FILE; missing"
    assert rows[("AWS credentials", str(tmp_path / "creds"))] == "AWS_SHARED_CREDENTIALS_FILE; missing"
    assert rows[("AWS profile", "admin")] == "AWS_PROFILE"
    assert rows[("eksaccess", __version__)] == ""


def test_rows_without_tools_or_variables(tmp_path: Path) -> None:
    rows = {r.name: r for r in version_rows({"PATH": str(tmp_path), "HOME": str(tmp_path)})}
    assert rows["kubectl"].value == rows["aws"].value == "not found on PATH"
    assert rows["kubeconfig"].value == str(tmp_path / ".kube" / "config")
    assert rows["kubeconfig"].note == "default; missing"
    assert rows["AWS config"].value == str(tmp_path / ".aws" / "config")
    assert rows["AWS credentials"].value == str(tmp_path / ".aws" / "credentials")
    assert (rows["AWS profile"].value, rows["AWS profile"].note) == ("default", "")


def test_a_tool_that_fails_is_reported_not_fatal(tmp_path: Path) -> None:
    _tool(tmp_path, "kubectl", "echo boom >&2; exit 1")
    rows = {r.name: r for r in version_rows({"PATH": str(tmp_path), "HOME": str(tmp_path)})}
    assert (rows["kubectl"].value, rows["kubectl"].note) == ("version unknown", str(tmp_path / "kubectl"))


def test_render_aligns_names() -> None:
    rows = version_rows({"PATH": "", "HOME": "/nonexistent"})
    lines = render(rows).splitlines()
    assert len(lines) == len(rows)
    assert len({line.index(row.value) for line, row in zip(lines, rows, strict=True)}) == 1


def test_version_option_imports_no_botocore(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom eksaccess.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('botocore' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "PATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["eksaccess", __version__]
    assert lines[-1] == "False False"


def test_doctor_imports_no_pydantic() -> None:
    """doctor runs on every "Unauthorized": it loads neither pydantic nor the snapshot's models (~0.1 s)."""
    code = (
        "import sys\nimport eksaccess.cli.commands.doctor, eksaccess.features.doctor.run\n"
        "print('pydantic' in sys.modules, 'eksaccess.domain.state' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
