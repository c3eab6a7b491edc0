"""The flags every command shares, walked over the whole click command tree (issue 19, "Defaults and
flags"): which of --cluster, --context, --kubeconfig, -n, -o, --output-file, --region, --profile each
command has, that -o offers only the one vocabulary (and still takes -o table), that --cluster is never
required where the kubeconfig context can say it, and that every command's help shows Examples.

kubectl's own flags are the model: https://kubernetes.io/docs/reference/kubectl/kubectl/ (--context,
--kubeconfig, -n/--namespace on every command; -o json|yaml).
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from eksaccess.cli.main import cli
from eksaccess.cli.options import OUTPUT_ALIASES, OUTPUT_FORMATS
from support.cli import run_cli

SHARED = ("--cluster", "--context", "--kubeconfig", "-n", "-o", "--output-file", "--region", "--profile")
LIVE = {"--cluster", "--context", "--kubeconfig", "--region", "--profile"}

# command path -> (the shared flags it has, the -o choices it offers)
EXPECTED: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "apply": (LIVE - {"--cluster"} | {"-o"}, ("text", "json", "yaml")),  # the cluster is the file's
    "audit": (LIVE | {"-o", "--output-file"}, ("text", "json", "yaml", "html")),
    "can-i": (LIVE | {"-n", "-o"}, ("text", "json", "yaml")),
    "completion": (set(), ()),
    "demo": (set(), ()),
    "doctor": (LIVE | {"-n", "-o"}, ("text", "json", "yaml")),
    "export": (LIVE | {"-o", "--output-file"}, ("yaml", "json")),
    "grant": (LIVE | {"-n", "-o"}, ("text", "json", "yaml")),
    "history": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "kubeconfig": ({"--cluster", "--kubeconfig", "--region", "--profile", "-o"}, ("text", "json", "yaml")),
    "lint aws-auth": ({"-o"}, ("text", "json", "yaml")),
    "list": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "migrate": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "plan": (LIVE - {"--cluster"} | {"-o"}, ("text", "json", "yaml")),
    "repair": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "revoke": (LIVE | {"-n", "-o"}, ("text", "json", "yaml")),
    "rollback": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "sandbox down": ({"-o"}, ("text", "json", "yaml")),
    "sandbox env": ({"-o", "--profile"}, ("text", "json", "yaml")),
    "sandbox reset": ({"-o"}, ("text", "json", "yaml")),
    "sandbox scenarios": ({"-o"}, ("text", "json", "yaml")),
    "sandbox status": ({"-o"}, ("text", "json", "yaml")),
    "sandbox up": ({"-o", "--profile"}, ("text", "json", "yaml")),
    "schema": (set(), ()),
    "snapshot": (LIVE | {"-o", "--output-file"}, ("yaml", "json")),
    "token": ({"--region", "--profile", "-o"}, ("text", "json", "yaml")),  # -o: for --inspect
    "who-can": (LIVE | {"-n", "-o"}, ("text", "json", "yaml")),
    "who-can-assume": (LIVE | {"-o"}, ("text", "json", "yaml")),
    "whoami": (LIVE | {"-o"}, ("text", "json", "yaml")),
}
# Commands whose help has no Examples section yet.
NO_EXAMPLES_YET: set[str] = set()


def _walk(command: click.Command, path: tuple[str, ...], ctx: click.Context) -> dict[str, click.Command]:
    if not isinstance(command, click.Group):
        return {" ".join(path): command}
    found: dict[str, click.Command] = {}
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None, name
        if path:
            found[" ".join(path)] = command
        found.update(_walk(sub, (*path, name), ctx))
    return found


COMMANDS = _walk(cli, (), click.Context(cli))
LEAVES = {path: cmd for path, cmd in COMMANDS.items() if not isinstance(cmd, click.Group)}


def _option(command: click.Command, flag: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and flag in param.opts:
            return param
    return None


def test_the_table_covers_every_command() -> None:
    assert set(LEAVES) == set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_shared_flags(path: str) -> None:
    command = LEAVES[path]
    flags, choices = EXPECTED[path]
    opts = {o for p in command.params for o in p.opts}
    assert {f for f in SHARED if f in opts} == flags
    output = _option(command, "-o")
    if output is None:
        assert choices == ()
        return
    assert isinstance(output.type, click.Choice)
    assert tuple(output.type.choices) == choices
    assert set(choices) <= set(OUTPUT_FORMATS)
    assert output.opts == ["-o", "--output"]
    cluster = _option(command, "--cluster")
    if cluster is not None and "--context" in opts:
        assert not cluster.required  # the kubeconfig context can say it


@pytest.mark.parametrize("path", sorted(p for p, (_, c) in EXPECTED.items() if "text" in c))
def test_output_table_is_still_text(path: str) -> None:
    output = _option(LEAVES[path], "-o")
    assert output is not None
    ctx = click.Context(LEAVES[path])
    for alias, meant in OUTPUT_ALIASES.items():
        assert output.type.convert(alias, output, ctx) == meant


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_help_shows_examples(path: str) -> None:
    command = COMMANDS[path]
    ctx = click.Context(command, info_name=path)
    has = "\nExamples:\n" in command.get_help(ctx).replace("  Examples:", "\nExamples:")
    assert has == (path not in NO_EXAMPLES_YET)


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["export"],
        ["snapshot"],
        ["history"],
        ["grant", "arn:aws:iam::111122223333:role/x", "--policy", "view"],
    ],
)
def test_no_cluster_anywhere_is_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    """No --cluster and no kubeconfig context that names one: one clear line, exit 2, no AWS call."""
    done = run_cli({"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path) + "/none", "PATH": ""}, *argv)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "no cluster: pass --cluster NAME" in done.stderr
    assert done.stdout == ""


def test_unknown_context_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_cli({"HOME": str(tmp_path), "PATH": ""}, "who-can", "get", "pods", "--context", "nope")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("context 'nope' does not exist in the kubeconfig")
