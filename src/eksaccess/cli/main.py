"""Entry point of the ``eksaccess`` (and ``kubectl-eksaccess``) command.

Commands are registered lazily by name so that ``--help`` and the kubectl plugin start fast:
a command's module is imported only when that command runs. Errors are rendered here, once:
``eksaccess: error: MESSAGE`` on one line of stderr (a hint follows in parentheses), the exit code of the
error family, a traceback only with ``--debug``. Click's own usage errors keep click's form and exit 2.

The clock is injected: ``main(argv, clock=...)`` puts it in the context object (``ctx.obj["clock"]``),
where commands that stamp or compare times take it; nothing reads the time from the environment.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from eksaccess.errors import EksAccessError

# name -> (module, attribute, one-line help). Keep the help here so --help imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "whoami": ("eksaccess.cli.commands.whoami", "whoami", "Which Kubernetes identity an IAM principal gets."),
    "lint": ("eksaccess.cli.commands.lint", "lint", "Lint access configuration (the aws-auth ConfigMap)."),
    "can-i": ("eksaccess.cli.commands.can_i", "can_i", "Can an IAM principal do VERB on RESOURCE, and why."),
    "who-can": ("eksaccess.cli.commands.who_can", "who_can", "Which IAM principals can do VERB on RESOURCE."),
    "sandbox": ("eksaccess.cli.commands.sandbox", "sandbox", "Run the local EKS authentication plane."),
    "schema": (
        "eksaccess.cli.commands.schema",
        "schema",
        "Print or write the JSON Schemas.",
    ),
    "doctor": ("eksaccess.cli.commands.doctor", "doctor", "Find why a principal cannot use a cluster."),
    "kubeconfig": ("eksaccess.cli.commands.kubeconfig", "kubeconfig", "Write or repair a kubeconfig entry."),
    "list": ("eksaccess.cli.commands.manage", "list_cmd", "Every principal with access, by mechanism."),
    "grant": (
        "eksaccess.cli.commands.manage",
        "grant",
        "Give a principal access (access entry or aws-auth).",
    ),
    "revoke": ("eksaccess.cli.commands.manage", "revoke", "Take a principal's access away."),
    "repair": ("eksaccess.cli.commands.manage", "repair", "Rewrite aws-auth rows that can never match."),
    "export": (
        "eksaccess.cli.commands.desired",
        "export",
        "Print the cluster's access as a desired-state file.",
    ),
    "plan": (
        "eksaccess.cli.commands.desired",
        "plan",
        "Show what applying a desired-state file would change.",
    ),
    "apply": (
        "eksaccess.cli.commands.desired",
        "apply",
        "Make the cluster's access match a desired-state file.",
    ),
    "migrate": ("eksaccess.cli.commands.migrate", "migrate", "Move aws-auth mappings to access entries."),
    "history": ("eksaccess.cli.commands.history", "history", "Changes eksaccess made to a cluster."),
    "rollback": ("eksaccess.cli.commands.history", "rollback", "Restore a cluster's access as it was."),
    "token": (
        "eksaccess.cli.commands.token",
        "token",
        "Print an EKS token for kubectl (caching exec plugin).",
    ),
    "snapshot": ("eksaccess.cli.commands.snapshot", "snapshot", "Capture a live cluster as a ClusterState."),
    "audit": (
        "eksaccess.cli.commands.audit",
        "audit",
        "Who has what, who could become admin, what is risky.",
    ),
    "demo": ("eksaccess.cli.commands.demo", "demo", "Show eksaccess at work on an embedded sandbox."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                return None  # registered but not built yet
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS) if self._available(name)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    @staticmethod
    def _available(name: str) -> bool:
        return importlib.util.find_spec(COMMANDS[name][0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="eksaccess", prog_name="eksaccess")  # read only when asked
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs (secrets stay hidden).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Diagnose, analyse and manage IAM access to Amazon EKS clusters."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if debug:
        from eksaccess.cli.debug_log import enable

        enable()


def main(argv: list[str] | None = None, *, clock: Callable[[], datetime] | None = None) -> Any:
    """Run the CLI; map every error family to its exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    obj: dict[str, Any] = {} if clock is None else {"clock": clock}
    try:
        result = cli.main(args=args, prog_name="eksaccess", standalone_mode=False, obj=obj)
        if isinstance(result, int) and not isinstance(result, bool):
            sys.exit(result)  # ctx.exit(n) returns n when standalone_mode is off
        return result
    except click.exceptions.Abort:
        click.echo("eksaccess: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except EksAccessError as exc:
        if debug:
            traceback.print_exc()
        report_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except RecursionError:  # input nested past what the parsers take, that adapters.files did not catch
        if debug:
            traceback.print_exc()
        report_error("the input is nested too deeply to read")
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("eksaccess: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the one place that turns bugs into one line
        if debug:
            traceback.print_exc()
        click.echo(
            f"eksaccess: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True
        )
        sys.exit(1)


def report_error(message: str, hint: str | None = None) -> None:
    """The one form of an error: ``eksaccess: error: MESSAGE (HINT)``, one line on stderr."""
    line = f"eksaccess: error: {message}" + (f" ({hint})" if hint else "")
    click.echo("; ".join(part.strip() for part in line.splitlines() if part.strip()), err=True)


if __name__ == "__main__":
    main()
