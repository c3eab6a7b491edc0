"""The options of eksaccess itself, anywhere on the line (--debug, --color), the one colour switch
(NO_COLOR: https://no-color.org), and the one error style of usage errors."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.cli.main import cli, main, split_global_options
from eksaccess.cli.output import color_setting, console
from support.cli import run_cli

MISSING = "/nonexistent/kubeconfig.yaml"


@pytest.mark.parametrize(
    ("argv", "front", "rest"),
    [
        (["lint", "aws-auth", "f", "--debug"], ["--debug"], ["lint", "aws-auth", "f"]),
        (["--debug", "doctor"], ["--debug"], ["doctor"]),
        (["doctor", "--color", "never", "-o", "json"], ["--color", "never"], ["doctor", "-o", "json"]),
        (["doctor", "--color=always"], ["--color=always"], ["doctor"]),
        # after "--" every word is an argument, as POSIX has it
        (["lint", "aws-auth", "--", "--debug"], [], ["lint", "aws-auth", "--", "--debug"]),
        (["--debug", "x", "--debug"], ["--debug", "--debug"], ["x"]),
    ],
)
def test_global_options_are_taken_anywhere(argv: list[str], front: list[str], rest: list[str]) -> None:
    assert split_global_options(argv) == (front, rest)


WORDS = st.sampled_from(["doctor", "-o", "json", "--debug", "--color", "never", "--color=auto", "--", "x"])


@given(st.lists(WORDS, max_size=12))
def test_splitting_keeps_every_word_once(argv: list[str]) -> None:
    try:
        front, rest = split_global_options(argv)
    except click.UsageError:
        assert argv[-1] == "--color"  # only a --color with no value after it is refused
        return
    assert sorted(front + rest) == sorted(argv)
    before = rest[: rest.index("--")] if "--" in rest else rest
    assert not any(w in ("--debug", "--color") or w.startswith("--color=") for w in before)


def test_debug_after_the_subcommand_shows_the_traceback(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    quiet = run_cli(env, "lint", "aws-auth", str(tmp_path / "missing.yaml"))
    loud = run_cli(env, "lint", "aws-auth", str(tmp_path / "missing.yaml"), "--debug")
    assert quiet.returncode == loud.returncode == 2
    assert "Traceback" not in quiet.stderr and "Traceback" in loud.stderr
    assert loud.stderr.splitlines()[-1] == quiet.stderr.strip()


@pytest.mark.parametrize(
    ("flag", "no_color", "expected"),
    [
        (None, None, None),  # auto: click decides by whether the stream is a terminal
        ("auto", None, None),
        (None, "1", False),  # NO_COLOR present and not empty
        (None, "", None),  # NO_COLOR empty: as if unset (no-color.org)
        ("auto", "yes", False),
        ("always", "1", True),  # a command-line argument overrides NO_COLOR (no-color.org)
        ("never", None, False),
        ("always", None, True),
    ],
)
def test_color_setting(flag: str | None, no_color: str | None, expected: bool | None) -> None:
    environ = {} if no_color is None else {"NO_COLOR": no_color}
    assert color_setting(flag, environ) is expected


def _doctor(tmp_path: Path, *args: str, env: dict[str, str] | None = None, tty: bool = True) -> str:
    """doctor's text report on a missing kubeconfig (no call leaves the machine), run as on a terminal
    (``tty``: click's test runner keeps colour) or into a pipe."""
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"), **(env or {})}
    runner = CliRunner()
    with runner.isolation(env=environ, color=tty) as (out, err, _):
        with pytest.raises(SystemExit):
            main(["doctor", "--kubeconfig", MISSING, *args])
        return out.getvalue().decode() + err.getvalue().decode()


@pytest.mark.parametrize(
    ("args", "env", "tty", "colored"),
    [
        ((), {}, True, True),
        ((), {}, False, False),
        ((), {"NO_COLOR": "1"}, True, False),
        (("--color", "always"), {"NO_COLOR": "1"}, False, True),
        (("--color=never",), {}, True, False),
        (("-o", "text", "--color", "always"), {}, False, True),
    ],
)
def test_click_output_obeys_the_switch(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], tty: bool, colored: bool
) -> None:
    text = _doctor(tmp_path, *args, env=env, tty=tty)
    assert "broken" in text
    assert ("\x1b[" in text) is colored


@pytest.mark.parametrize(("setting", "styled"), [(True, True), (False, False)])
def test_rich_obeys_the_switch(setting: bool, styled: bool) -> None:
    with click.Context(cli, color=setting):
        rich = console()
        assert (rich.color_system is not None) is styled
        if setting:
            assert rich.is_terminal  # --color always: colour into a pipe too


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frobnicate"], "no such command 'frobnicate'"),
        (["doctor", "--bogus"], "no such option '--bogus'"),
        (["rollback", "--to", "abc"], "invalid value for '--to': 'abc' is not a valid integer"),
        (["completion"], "missing argument 'SHELL'"),
        (["schema", "nope"], "invalid value for '[cluster-access|cluster-state|scenario]': 'nope'"),
        (["completion", "bash", "extra"], "got unexpected extra argument (extra)"),
        (["--color"], "option '--color' requires an argument"),
    ],
)
def test_usage_errors_have_the_one_form(tmp_path: Path, argv: list[str], message: str) -> None:
    done = run_cli({"HOME": str(tmp_path)}, *argv)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[-1].startswith(f"eksaccess: error: {message}"), done.stderr
    assert "Error:" not in done.stderr and "Traceback" not in done.stderr
    if len(lines) == 2:  # click's usage line, then the error pointing at the command's help
        assert lines[0].startswith("Usage: eksaccess")
        assert lines[-1].endswith("--help')")
    else:
        assert len(lines) == 1
