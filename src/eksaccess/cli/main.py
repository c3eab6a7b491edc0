"""Entry point of the ``eksaccess`` (and ``kubectl-eksaccess``) command.

Commands are registered lazily by name so that ``--help`` and the kubectl plugin start fast:
a command's module is imported only when that command runs. Errors are rendered here, once:
``eksaccess: error: MESSAGE`` on one line of stderr (a hint follows in parentheses), the exit code of the
error family, a traceback only with ``--debug``. Click's usage errors take the same form after click's
``Usage:`` line, and exit 2.

The global options ``--debug`` and ``--color`` are taken anywhere on the line (before ``--``), as the aws
CLI takes its own: ``split_global_options`` moves them in front of the subcommand before click parses.

The clock is injected: ``main(argv, clock=...)`` puts it in the context object (``ctx.obj["clock"]``),
where commands that stamp or compare times take it; nothing reads the time from the environment.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from eksaccess.cli.output import COLOR_CHOICES, color_setting
from eksaccess.errors import EksAccessError

# name -> (module, attribute, one-line help). Keep the help here so --help imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "whoami": ("eksaccess.cli.commands.whoami", "whoami", "Which Kubernetes identity an IAM principal gets."),
    "lint": ("eksaccess.cli.commands.lint", "lint", "Lint access configuration (the aws-auth ConfigMap)."),
    "can-i": ("eksaccess.cli.commands.can_i", "can_i", "Can an IAM principal do VERB on RESOURCE, and why."),
    "who-can": ("eksaccess.cli.commands.who_can", "who_can", "Which IAM principals can do VERB on RESOURCE."),
    "who-can-assume": (
        "eksaccess.cli.commands.who_can_assume",
        "who_can_assume",
        "Who can obtain an IAM role's credentials through pods.",
    ),
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
    "completion": (
        "eksaccess.cli.commands.completion",
        "completion",
        "Print the shell completion script (bash, zsh, fish).",
    ),
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
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    help="Show the versions of eksaccess, Python, botocore, kubectl and aws, and the files in use.",
    callback=lambda ctx, param, value: (
        importlib.import_module("eksaccess.cli.version").print_version(ctx, param, value) if value else None
    ),  # imported only when asked (click calls the callback on every run, with False)
)
@click.option(
    "--debug",
    is_flag=True,
    help="Show tracebacks and debug logs (secrets stay hidden). Anywhere on the line.",
)
@click.option(
    "--color",
    type=click.Choice(COLOR_CHOICES),
    default=None,
    expose_value=False,
    callback=lambda ctx, param, value: _set_color(ctx, value),
    help="Colour: auto (on a terminal, unless NO_COLOR is set), always, never. Anywhere on the line.",
)
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
    obj: dict[str, Any] = {} if clock is None else {"clock": clock}
    debug = False
    try:
        front, rest = split_global_options(args)
        debug = "--debug" in front
        result = cli.main(args=[*front, *rest], prog_name="eksaccess", standalone_mode=False, obj=obj)
        if isinstance(result, int) and not isinstance(result, bool):
            sys.exit(result)  # ctx.exit(n) returns n when standalone_mode is off
        return result
    except click.exceptions.Abort:
        click.echo("eksaccess: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare ``eksaccess``: the help, on stderr
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:
        report_usage_error(exc)
        # plan --detailed-exitcode keeps Terraform's codes: 2 means changes, so bad input is 1 there
        sys.exit(1 if "--detailed-exitcode" in args else 2)
    except click.ClickException as exc:
        report_error(_our_case(exc.format_message()))
        sys.exit(exc.exit_code)
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


GLOBAL_FLAGS = ("--debug",)
GLOBAL_VALUED = ("--color",)


def split_global_options(args: list[str]) -> tuple[list[str], list[str]]:
    """(the global options wherever they stand before ``--``, every other argument in its order).

    ``--debug`` and ``--color WHEN`` / ``--color=WHEN`` belong to ``eksaccess`` itself; the caller puts
    them before the subcommand, where click parses them. A value that merely looks like one of them (the
    argument of another option) is taken too, as the aws CLI takes its global options.
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif arg in GLOBAL_VALUED:
            if i + 1 >= len(args):
                raise click.UsageError(f"option '{arg}' requires an argument")
            front += [arg, args[i + 1]]
            i += 1
        elif arg.split("=", 1)[0] in GLOBAL_VALUED:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front, rest


def _set_color(ctx: click.Context, value: str | None) -> None:
    """The one colour switch: the root context's ``color``, which every child context and click.echo
    inherit and ``cli.output.console`` reads for rich."""
    ctx.color = color_setting(value, os.environ)


def _our_case(message: str) -> str:
    """click's sentence ("No such option: --x.") in the form of every other error: lower case, no stop."""
    if message.endswith(".") and not message.endswith(".."):
        message = message[:-1]
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def report_usage_error(exc: click.UsageError) -> None:
    """click's ``Usage:`` line, then the error in the one form, pointing at the command's help."""
    hint = None
    if exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True, color=False)
        hint = f"see '{exc.ctx.command_path} --help'"
    report_error(_our_case(exc.format_message()), hint)


def report_error(message: str, hint: str | None = None) -> None:
    """The one form of an error: ``eksaccess: error: MESSAGE (HINT)``, one line on stderr."""
    line = f"eksaccess: error: {message}" + (f" ({hint})" if hint else "")
    click.echo("; ".join(part.strip() for part in line.splitlines() if part.strip()), err=True)


if __name__ == "__main__":
    main()
