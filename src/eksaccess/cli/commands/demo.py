"""``eksaccess demo``: a locked-out developer, doctor's diagnosis, the fix, and the chain whole again.

Runs on a sandbox in a temporary state directory: no AWS account, no network beyond loopback.
Every step runs the real commands (``eksaccess doctor`` and the printed fix) in child processes with the
sandbox's environment, exactly as a person would type them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

SCENARIO = "developer-locked-out"


def _eksaccess() -> list[str]:
    return [sys.executable, "-m", "eksaccess.cli.main"]


def _run(argv: list[str], env: dict[str, str], *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, text=True, capture_output=capture, check=False)


def _banner(text: str) -> None:
    click.echo("")
    click.echo(click.style(f"== {text}", bold=True))


def _fix_commands(env: dict[str, str]) -> list[list[str]]:
    """The first error's fix, as the administrator runs it (doctor with --admin-profile names the profile)."""
    out = _run([*_eksaccess(), "doctor", "-o", "json", "--admin-profile", "admin"], env, capture=True)
    report = json.loads(out.stdout)
    for finding in report["findings"]:
        if finding["severity"] != "error":
            continue
        for step in finding["fix"]:
            if step["eksaccess"] and _has_command(step["eksaccess"][0]):
                return [shlex.split(step["eksaccess"][0])]
            if step["plain"]:
                return [shlex.split(c) for c in step["plain"]]
    return []


def _has_command(command: str) -> bool:
    from eksaccess.cli.main import COMMANDS

    parts = shlex.split(command)
    return len(parts) > 1 and parts[0] == "eksaccess" and parts[1] in COMMANDS and _importable(parts[1])


def _importable(name: str) -> bool:
    import importlib.util

    from eksaccess.cli.main import COMMANDS

    return importlib.util.find_spec(COMMANDS[name][0]) is not None


def _executable(argv: list[str]) -> list[str]:
    if argv[0] == "eksaccess":
        return [*_eksaccess(), *argv[1:]]
    local = Path(sys.executable).with_name(argv[0])
    return [str(local), *argv[1:]] if local.exists() else argv


def _say_which_token_command(path: str) -> None:
    """Without the aws CLI the sandbox's kubeconfig runs ``eksaccess token`` (sandbox/config_files.py)."""
    from eksaccess.domain.kubeconfig import ExecPlugin
    from eksaccess.sandbox.config_files import token_command

    token = token_command(path)
    if token.plugin is ExecPlugin.EKSACCESS:
        click.echo(
            "eksaccess demo: the aws CLI is not installed (not on PATH): the kubeconfig's exec entries run "
            f"'{token.command} token' instead of 'aws eks get-token'.",
            err=True,
        )


@click.command(
    "demo",
    epilog="""\b
Examples:
  eksaccess demo
  eksaccess demo --keep""",
)
@click.option("--keep", is_flag=True, help="Leave the sandbox running and print how to use it.")
def demo(keep: bool) -> None:
    """A developer locked out of a cluster, diagnosed and fixed in under a minute."""
    from eksaccess.sandbox import lifecycle
    from eksaccess.sandbox.context import FaultSettings

    started = time.monotonic()
    state_dir = Path(tempfile.mkdtemp(prefix="eksaccess-demo-"))
    try:
        _banner(f"Starting a sandbox EKS plane (scenario {SCENARIO}) in {state_dir}")
        lifecycle.up(state_dir, SCENARIO, FaultSettings())
        env = {**os.environ, **lifecycle.env(state_dir)}
        env.pop("AWS_PROFILE", None)
        # A private HOME: the aws CLI's credential cache and kubectl's discovery cache stay inside the demo.
        env["HOME"] = str(state_dir / "home")
        (state_dir / "home").mkdir()
        path = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["PATH"] = path
        _say_which_token_command(path)
        _banner("The developer runs kubectl and is refused")
        kubectl = shutil.which("kubectl", path=path)
        if kubectl:
            _run([kubectl, "get", "pods"], env)
        _banner("eksaccess doctor (as the developer, no arguments)")
        _run([*_eksaccess(), "doctor"], env)
        _banner("eksaccess doctor --admin-profile admin (an administrator lets doctor read the mapping)")
        _run([*_eksaccess(), "doctor", "--admin-profile", "admin"], env)
        commands = _fix_commands(env)
        if not commands:
            raise click.ClickException("doctor printed no fix to apply")
        _banner("The cluster administrator applies the printed fix")
        for argv in commands:
            click.echo("$ " + shlex.join(argv))
            result = _run(_executable(argv), env)
            if result.returncode != 0:
                raise click.ClickException(f"the fix failed (exit {result.returncode})")
        _banner("eksaccess doctor again (as the developer)")
        final = _run([*_eksaccess(), "doctor"], env)
        _banner(
            f"Done in {time.monotonic() - started:.1f} s"
            + ("" if final.returncode == 0 else " (chain still broken)")
        )
        if keep:
            click.echo("The sandbox keeps running. Use it with:")
            click.echo(f'  eval "$(eksaccess sandbox env --state-dir {state_dir})"')
            click.echo(f"  eksaccess sandbox down --state-dir {state_dir}")
        if final.returncode != 0:
            raise SystemExit(final.returncode)
    finally:
        if not keep:
            lifecycle.down(state_dir)
            shutil.rmtree(state_dir, ignore_errors=True)
