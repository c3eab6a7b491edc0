"""``eksaccess --version``: eksaccess, Python, botocore, kubectl and the aws CLI, and the files in use.

A bug report needs all of it: the versions (kubectl's and the aws CLI's when they are on PATH, asked as
their own ``kubectl version --client -o json`` and ``aws --version``, both at once) and the kubeconfig and
AWS files as kubectl and the aws CLI resolve them (``KUBECONFIG``, ``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE``, ``AWS_PROFILE``). Versions come from the installed metadata: nothing here
imports botocore.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import click

TOOL_TIMEOUT = 10.0  # seconds; a tool that hangs is reported, not waited for


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    name: str
    value: str
    note: str = ""


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def kubectl_version(stdout: str) -> str | None:
    """``clientVersion.gitVersion`` of ``kubectl version --client -o json``."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    client = data.get("clientVersion") if isinstance(data, dict) else None
    version = client.get("gitVersion") if isinstance(client, dict) else None
    return version if isinstance(version, str) and version else None


def aws_version(stdout: str, stderr: str) -> str | None:
    """The first line of ``aws --version`` (aws CLI v1 before 1.20 printed it on stderr)."""
    for text in (stdout, stderr):
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        if line.startswith("aws-cli/"):
            return line
    return None


def _start(argv: list[str], env: Mapping[str, str]) -> subprocess.Popen[str] | None:
    try:
        return subprocess.Popen(
            argv,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError:
        return None


def _finish(process: subprocess.Popen[str] | None) -> tuple[str, str]:
    if process is None:
        return "", ""
    try:
        out, err = process.communicate(timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return "", ""
    return out, err


def _tool_rows(env: Mapping[str, str]) -> list[Row]:
    path = env.get("PATH", "")
    kubectl, aws = shutil.which("kubectl", path=path), shutil.which("aws", path=path)
    running = (
        _start([kubectl, "version", "--client", "-o", "json"], env) if kubectl else None,
        _start([aws, "--version"], env) if aws else None,
    )
    kube_out, _ = _finish(running[0])
    aws_out, aws_err = _finish(running[1])
    rows = []
    for name, found, version in (
        ("kubectl", kubectl, kubectl_version(kube_out)),
        ("aws", aws, aws_version(aws_out, aws_err)),
    ):
        if found is None:
            rows.append(Row(name=name, value="not found on PATH"))
        else:
            rows.append(Row(name=name, value=version or "version unknown", note=found))
    return rows


def _in_home(path: str, env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or str(Path.home())
    return Path(home, path[2:]) if path == "~" or path.startswith("~/") else Path(path)


def _file_row(name: str, path: Path, source: str) -> Row:
    return Row(name=name, value=str(path), note=source + ("" if path.exists() else "; missing"))


def _file_rows(env: Mapping[str, str]) -> list[Row]:
    from eksaccess.adapters.kubeconfig_files import candidate_paths

    kube_source = "KUBECONFIG" if env.get("KUBECONFIG") else "default"
    rows = [_file_row("kubeconfig", path, kube_source) for path in candidate_paths(None, env)]
    for name, variable, default in (
        ("AWS config", "AWS_CONFIG_FILE", "~/.aws/config"),
        ("AWS credentials", "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ):
        given = env.get(variable)
        rows.append(_file_row(name, _in_home(given or default, env), variable if given else "default"))
    profile_variable = next((v for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if env.get(v)), None)
    profile = env[profile_variable] if profile_variable else "default"
    rows.append(Row(name="AWS profile", value=profile, note=profile_variable or ""))
    return rows


def version_rows(env: Mapping[str, str]) -> list[Row]:
    """Every row ``--version`` prints, in order."""
    return [
        Row(name="eksaccess", value=package_version("eksaccess")),
        Row(name="Python", value=platform.python_version(), note=sys.executable),
        Row(name="botocore", value=package_version("botocore")),
        *_tool_rows(env),
        *_file_rows(env),
    ]


def render(rows: list[Row]) -> str:
    width = max(len(row.name) for row in rows)
    return "".join(
        f"{row.name:<{width}}  {row.value}" + (f" ({row.note})" if row.note else "") + "\n" for row in rows
    )


def print_version(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
    """The eager ``--version`` option's callback: print, then exit 0."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(render(version_rows(dict(os.environ))), nl=False)
    ctx.exit(0)
