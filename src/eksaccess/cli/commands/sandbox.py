"""``eksaccess sandbox up|down|status|env|reset|scenarios``: the local EKS authentication plane."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click

from eksaccess.cli.completion import scenario_names
from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import output_option
from eksaccess.cli.output import note
from eksaccess.errors import InputError

_STATE_DIR_HELP = "State directory (default: the user's state directory, eksaccess/sandbox)."


def _state_dir(value: Path | None) -> Path:
    from eksaccess.sandbox.lifecycle import default_state_dir

    return (value or default_state_dir()).expanduser().resolve()


def state_dir_option(func: Any) -> Any:
    return click.option(
        "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help=_STATE_DIR_HELP
    )(func)


def _faults(latency_ms: int, fault_rate: float, throttle_rate: float, seed: int) -> Any:
    from eksaccess.sandbox.context import FaultSettings

    try:
        return FaultSettings(
            latency_ms=latency_ms, fault_rate=fault_rate, throttle_rate=throttle_rate, seed=seed
        )
    except ValueError as err:
        raise InputError(str(err)) from None


def fault_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--latency-ms", type=int, default=0, show_default=True, help="Delay every response."
            ),
            click.option(
                "--fault-rate", type=float, default=0.0, help="Share of AWS calls answered with a 500."
            ),
            click.option(
                "--throttle-rate",
                type=float,
                default=0.0,
                help="Share of AWS calls answered with throttling.",
            ),
            click.option(
                "--seed", type=int, default=0, show_default=True, help="Seed of the fault injection."
            ),
        ]
    ):
        func = option(func)
    return func


def _exports(env: dict[str, str]) -> str:
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def context_profile(kubeconfig: Path) -> str | None:
    """The AWS profile the kubeconfig's current context mints its token as (its exec entry's ``--profile``
    or AWS_PROFILE); None when there is none, or the file cannot be read (a scenario may break it)."""
    from eksaccess.adapters.kubeconfig_files import load
    from eksaccess.domain.kubeconfig import eks_exec
    from eksaccess.errors import EksAccessError

    try:
        config = load(str(kubeconfig), {}).config
    except EksAccessError:
        return None
    context = config.context()
    user = config.users.get(context.user) if context else None
    found = eks_exec(user) if user else None
    return found.profile if found else None


def _print_env(state_dir: Path, profile: str | None, output: str) -> None:
    from eksaccess.sandbox import lifecycle

    env = lifecycle.env(state_dir, profile)
    if "AWS_PROFILE" not in env:  # no --profile, no scenario's shellProfile: the current context's, so
        # that `aws sts get-caller-identity` answers as the identity kubectl uses
        found = context_profile(Path(env["KUBECONFIG"]))
        if found:
            env["AWS_PROFILE"] = found
    if output != "text":
        emit_data(env, output)
    else:
        click.echo(_exports(env), nl=False)


@click.group(
    "sandbox",
    epilog="""\b
Examples:
  eval "$(eksaccess sandbox up)"
  eksaccess sandbox status
  eksaccess sandbox down""",
)
def sandbox() -> None:
    """Run the local EKS authentication plane (EKS, STS, IAM and a Kubernetes API per cluster).

    Start it with 'eval "$(eksaccess sandbox up)"'; the aws CLI, boto3 and kubectl then talk to it.
    """


@sandbox.command(
    "up",
    epilog="""\b
Examples:
  eval "$(eksaccess sandbox up --scenario aws-auth-duplicate-row)"
  eksaccess sandbox up -o json""",
)
@click.option(
    "--scenario",
    default=None,
    shell_complete=scenario_names,
    help="Built-in scenario name or a scenario YAML file (default: baseline).",
)
@state_dir_option
@fault_options
@click.option(
    "--profile", default=None, help="Export AWS_PROFILE=PROFILE (default: the current context's profile)."
)
@output_option()
def up(
    scenario: str | None,
    state_dir: Path | None,
    latency_ms: int,
    fault_rate: float,
    throttle_rate: float,
    seed: int,
    profile: str | None,
    output: str,
) -> None:
    """Start the sandbox in the background and print the exports that point clients at it."""
    from eksaccess.sandbox import lifecycle

    directory = _state_dir(state_dir)
    faults = _faults(latency_ms, fault_rate, throttle_rate, seed)
    was_running = lifecycle.running_pid(directory) is not None
    status = lifecycle.up(directory, scenario, faults)
    if was_running:
        note(f"sandbox already running (pid {status.pid}, scenario {status.scenario})")
    else:
        note(f"sandbox up: scenario {status.scenario}, AWS endpoint {status.aws_endpoint}, state {directory}")
    _print_env(directory, profile, output)


@sandbox.command(
    "env",
    epilog="""\b
Examples:
  eval "$(eksaccess sandbox env --profile developer)"
  eksaccess sandbox env -o json""",
)
@state_dir_option
@click.option(
    "--profile", default=None, help="Export AWS_PROFILE=PROFILE (default: the current context's profile)."
)
@output_option()
def env(state_dir: Path | None, profile: str | None, output: str) -> None:
    """Print the exports again (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL, ...)."""
    _print_env(_state_dir(state_dir), profile, output)


@sandbox.command(
    "status",
    epilog="""\b
Examples:
  eksaccess sandbox status
  eksaccess sandbox status -o json""",
)
@state_dir_option
@output_option()
def status(state_dir: Path | None, output: str) -> None:
    """Is the sandbox running, on which endpoints, with which scenario."""
    from eksaccess.sandbox import lifecycle

    current = lifecycle.status(_state_dir(state_dir))
    if output != "text":
        emit_data(current.as_dict(), output)
        return
    if not current.initialized:
        click.echo(f"no sandbox in {current.state_dir}")
        return
    state = f"running (pid {current.pid})" if current.running else "stopped"
    click.echo(f"sandbox {state}, scenario {current.scenario}, state {current.state_dir}")
    if current.running:
        click.echo(f"  AWS endpoint  {current.aws_endpoint}")
    for cluster in current.clusters:
        endpoint = cluster["endpoint"] or "-"
        click.echo(f"  cluster {cluster['name']:<20} {cluster['authenticationMode']:<19} {endpoint}")


@sandbox.command(
    "down",
    epilog="""\b
Examples:
  eksaccess sandbox down""",
)
@state_dir_option
@output_option()
def down(state_dir: Path | None, output: str) -> None:
    """Stop the sandbox; its state (clusters, access entries, aws-auth) stays for the next 'up'."""
    from eksaccess.sandbox import lifecycle

    directory = _state_dir(state_dir)
    stopped = lifecycle.down(directory)
    if output != "text":
        emit_data({"stateDir": str(directory), "stopped": stopped}, output)
    else:
        click.echo("sandbox stopped" if stopped else "sandbox was not running")


@sandbox.command(
    "reset",
    epilog="""\b
Examples:
  eksaccess sandbox reset
  eksaccess sandbox reset --scenario assume-role-denied""",
)
@click.option(
    "--scenario",
    default=None,
    shell_complete=scenario_names,
    help="Scenario to load (default: the current one).",
)
@state_dir_option
@fault_options
@output_option()
def reset(
    scenario: str | None,
    state_dir: Path | None,
    latency_ms: int,
    fault_rate: float,
    throttle_rate: float,
    seed: int,
    output: str,
) -> None:
    """Throw away every change and load the scenario again (restarts the sandbox if it runs)."""
    from eksaccess.sandbox import lifecycle

    directory = _state_dir(state_dir)
    current = lifecycle.reset(directory, scenario, _faults(latency_ms, fault_rate, throttle_rate, seed))
    if output != "text":
        emit_data(current.as_dict(), output)
    else:
        state = "running" if current.running else "stopped"
        click.echo(f"sandbox reset to scenario {current.scenario} ({state})")


@sandbox.command(
    "scenarios",
    epilog="""\b
Examples:
  eksaccess sandbox scenarios
  eksaccess sandbox scenarios -o json""",
)
@output_option()
def scenarios(output: str) -> None:
    """List the built-in scenarios."""
    from eksaccess.sandbox.scenarios.model import builtin_names, load_scenario

    rows = [(name, load_scenario(name).description) for name in builtin_names()]
    if output != "text":
        emit_data([{"name": name, "description": text} for name, text in rows], output)
        return
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        click.echo(f"{name:<{width}}  {text}")
