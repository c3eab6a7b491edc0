"""The bad-input battery: every command that reads a file or a value, fed what a user can get wrong.

Each case runs the CLI in-process (``eksaccess.cli.main.main`` under click's test isolation) and asserts
the contract of shared/DESIGN.md for bad input: exit 2, exactly one line on stderr, in the form
``eksaccess: error: ...`` (click's usage errors: the same line after click's ``Usage:`` line), no traceback,
and no file written.
No sandbox runs: AWS points at a closed local port, and every input is refused before any call.
The limits themselves (16 MiB, 64 levels) are in docs/input-limits.md and ``eksaccess.adapters.files``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from eksaccess.adapters.files import MAX_INPUT_BYTES
from eksaccess.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SNAPSHOT = EXAMPLES / "snapshot.yaml"
ALICE = "arn:aws:iam::111122223333:user/alice"
CREDENTIALS = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = secret\n"


# --- the bad inputs: each makes a path (or ``-``) and, for ``-``, what stdin carries --------------------


@dataclass(frozen=True)
class BadInput:
    path: str
    stdin: bytes | None = None


def _file(content: bytes, name: str = "input.yaml") -> Callable[[Path], BadInput]:
    def make(tmp: Path) -> BadInput:
        path = tmp / name
        path.write_bytes(content)
        return BadInput(str(path))

    return make


def _directory(tmp: Path) -> BadInput:
    (tmp / "a-directory.yaml").mkdir()
    return BadInput(str(tmp / "a-directory.yaml"))


def _fifo(tmp: Path) -> BadInput:
    path = tmp / "a-fifo.yaml"
    os.mkfifo(path)  # nobody ever writes to it: opening it for a blocking read would hang
    return BadInput(str(path))


def _oversized(tmp: Path) -> BadInput:
    path = tmp / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: nothing is written, the size is what is refused
    return BadInput(str(path))


def _stdin(content: bytes) -> Callable[[Path], BadInput]:
    return lambda tmp: BadInput("-", stdin=content)


NESTED_JSON = b"[" * 5000 + b"]" * 5000
NESTED_FLOW = b"a: " + b"{b: " * 1000 + b"c" + b"}" * 1000 + b"\n"
NESTED_BLOCK = "".join(" " * i + "k:\n" for i in range(400)).encode() + b" " * 400 + b"v\n"
NESTED_SEQUENCES = b"- " * 600 + b"x\n"
BINARY = bytes(range(256)) * 8
LATIN1 = "apiVersion: v1\nkind: ConfigMap\nname: caf\xe9\n".encode("latin-1")

FILE_INPUTS: dict[str, Callable[[Path], BadInput]] = {
    "nested-json": _file(NESTED_JSON, "nested.json"),
    "nested-flow-yaml": _file(NESTED_FLOW),
    "nested-block-yaml": _file(NESTED_BLOCK),
    "nested-sequences": _file(NESTED_SEQUENCES),
    "binary": _file(BINARY),
    "not-utf8": _file(LATIN1),
    "directory": _directory,
    "fifo": _fifo,
    "oversized": _oversized,
    "device": lambda tmp: BadInput(os.devnull.replace("null", "zero")),  # endless zeros: never read
    "missing": lambda tmp: BadInput(str(tmp / "no-such-file.yaml")),
    "empty": _file(b""),
}
STDIN_INPUTS: dict[str, Callable[[Path], BadInput]] = {
    "stdin-nested": _stdin(NESTED_JSON),
    "stdin-binary": _stdin(BINARY),
    "stdin-oversized": _stdin(b"#" * (MAX_INPUT_BYTES + 1)),
    "stdin-empty": _stdin(b""),
}

# --- the commands, with {} where the input goes ----------------------------------------------------------

FILE_COMMANDS: dict[str, list[str]] = {
    "whoami": ["whoami", "--snapshot", "{}", "--arn", ALICE],
    "can-i": ["can-i", "get", "pods", "--arn", ALICE, "--snapshot", "{}"],
    "who-can": ["who-can", "get", "pods", "--snapshot", "{}"],
    "who-can-assume": ["who-can-assume", "arn:aws:iam::111122223333:role/web", "--snapshot", "{}"],
    "audit": ["audit", "--snapshot", "{}", "--no-iam"],
    "audit --iam": ["audit", "--snapshot", str(SNAPSHOT), "--iam", "{}"],
    "plan": ["plan", "-f", "{}"],
    "apply": ["apply", "-f", "{}"],
    "lint aws-auth": ["lint", "aws-auth", "{}"],
    "doctor --kubeconfig": ["doctor", "--kubeconfig", "{}"],
    "kubeconfig --kubeconfig": ["kubeconfig", "--cluster", "demo", "--kubeconfig", "{}", "--dry-run"],
    "sandbox up --scenario": ["sandbox", "up", "--scenario", "{}", "--state-dir", "{state}"],
}
STDIN_COMMANDS = ("whoami", "audit", "plan", "lint aws-auth")

# What a command does with an input that is not bad for it (and so is not part of the battery).
NOT_BAD: dict[str, set[str]] = {
    # a missing kubeconfig is doctor's KUBECONFIG_NOT_FOUND finding; an empty one is a valid empty config
    "doctor --kubeconfig": {"missing", "empty"},
    # kubeconfig creates a missing file, and an empty file is an empty kubeconfig it fills in
    "kubeconfig --kubeconfig": {"missing", "empty"},
}


def _file_cases() -> Iterator[object]:
    for command in FILE_COMMANDS:
        for name in FILE_INPUTS:
            if name in NOT_BAD.get(command, set()):
                continue
            yield pytest.param(command, name, id=f"{command}/{name}")
    for command in STDIN_COMMANDS:
        for name in STDIN_INPUTS:
            yield pytest.param(command, name, id=f"{command}/{name}")


# --- running the CLI in-process ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private HOME with AWS files whose credentials sign locally; AWS itself is a closed port."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[default]\nregion = us-west-2\n")
    (home / ".aws" / "credentials").write_text(CREDENTIALS)
    return home


@pytest.fixture
def env(home: Path, tmp_path: Path) -> dict[str, str | None]:
    return {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: nothing answers
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
        "KUBECONFIG": str(home / ".kube" / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "EKSACCESS_CACHE_DIR": str(home / "cache" / "tokens"),
        "EKSACCESS_HISTORY_DIR": str(home / "history"),
    }


def run_cli(argv: list[str], env: dict[str, str | None], stdin: bytes | None = None) -> Run:
    with CliRunner().isolation(input=stdin, env=env) as (out, err, _):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Run(code=code, stdout=out.getvalue().decode(), stderr=err.getvalue().decode())


def files_under(*roots: Path) -> dict[str, int]:
    return {
        str(path): path.lstat().st_mtime_ns
        for root in roots
        if root.exists()
        for path in sorted(root.rglob("*"))
    }


def assert_refused(run: Run, *, click_usage: bool = False) -> None:
    assert run.code == 2, (run.code, run.stderr)
    lines = run.stderr.splitlines()
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    if click_usage:
        assert lines[0].startswith("Usage: eksaccess") and len(lines) == 2, run.stderr
        assert lines[-1].startswith("eksaccess: error: ") and "--help" in lines[-1], run.stderr
        return
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("eksaccess: error: "), run.stderr


# --- the battery -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "input_name"), list(_file_cases()))
def test_bad_input_is_refused_in_one_line(
    command: str, input_name: str, tmp_path: Path, home: Path, env: dict[str, str | None]
) -> None:
    bad = {**FILE_INPUTS, **STDIN_INPUTS}[input_name](tmp_path)
    state = tmp_path / "sandbox-state"
    state.mkdir()  # the user's --state-dir: what matters is that nothing is seeded into it
    argv = [part.replace("{}", bad.path).replace("{state}", str(state)) for part in FILE_COMMANDS[command]]
    before = files_under(tmp_path)
    run = run_cli(argv, env, bad.stdin)
    assert_refused(run)
    assert files_under(tmp_path) == before  # nothing written: no cache, no history, no state, no kubeconfig
    assert run.stdout == ""


# Values on the command line or in the environment. {cred} is a credentials file that signs locally.
VALUE_CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "token --profile nosuch": (["token", "--cluster-name", "demo", "--profile", "nosuch"], {}),
    "grant --profile nosuch": (
        ["grant", ALICE, "--cluster", "demo", "--group", "g", "--profile", "nosuch"],
        {},
    ),
    "revoke --profile nosuch": (["revoke", ALICE, "--cluster", "demo", "--profile", "nosuch"], {}),
    "history --profile nosuch": (["history", "--cluster", "demo", "--profile", "nosuch"], {}),
    "rollback --profile nosuch": (["rollback", "--cluster", "demo", "--profile", "nosuch"], {}),
    "export --profile nosuch": (["export", "--cluster", "demo", "--profile", "nosuch"], {}),
    "snapshot --profile nosuch": (["snapshot", "--cluster", "demo", "--profile", "nosuch"], {}),
    "audit --profile nosuch": (["audit", "--cluster", "demo", "--no-iam", "--profile", "nosuch"], {}),
    "list --profile nosuch": (["list", "--cluster", "demo", "--profile", "nosuch"], {}),
    "can-i --profile nosuch": (
        ["can-i", "get", "pods", "--arn", ALICE, "--cluster", "demo", "--profile", "nosuch"],
        {},
    ),
    "who-can --profile nosuch": (["who-can", "get", "pods", "--cluster", "demo", "--profile", "nosuch"], {}),
    "kubeconfig --profile nosuch": (["kubeconfig", "--cluster", "demo", "--profile", "nosuch"], {}),
    "doctor --profile nosuch": (["doctor", "--profile", "nosuch"], {}),
    "plan --profile nosuch": (["plan", "-f", "{plan}", "--profile", "nosuch"], {}),
    "token --role-arn not-an-arn": (["token", "--cluster-name", "demo", "--role-arn", "not-an-arn"], {}),
    "token --role-arn a user": (["token", "--cluster-name", "demo", "--role-arn", ALICE], {}),
    "kubeconfig --role-arn not-an-arn": (["kubeconfig", "--cluster", "demo", "--role-arn", "not-an-arn"], {}),
    "doctor --role-arn not-an-arn": (["doctor", "--role-arn", "not-an-arn"], {}),
    "token --region 'not a region'": (["token", "--cluster-name", "demo", "--region", "not a region"], {}),
    "history --region 'not a region'": (["history", "--cluster", "demo", "--region", "not a region"], {}),
    "token, AWS_CONFIG_FILE binary": (["token", "--cluster-name", "demo"], {"AWS_CONFIG_FILE": "{binary}"}),
    "grant, AWS_CONFIG_FILE binary": (
        ["grant", ALICE, "--cluster", "demo", "--group", "g"],
        {"AWS_CONFIG_FILE": "{binary}"},
    ),
    "history, AWS_CONFIG_FILE binary": (["history", "--cluster", "demo"], {"AWS_CONFIG_FILE": "{binary}"}),
    "doctor, AWS_CONFIG_FILE binary": (["doctor"], {"AWS_CONFIG_FILE": "{binary}"}),
    "token, AWS_SHARED_CREDENTIALS_FILE binary": (
        ["token", "--cluster-name", "demo"],
        {"AWS_SHARED_CREDENTIALS_FILE": "{binary}"},
    ),
    "whoami --arn not-an-arn": (["whoami", "--snapshot", str(SNAPSHOT), "--arn", "not-an-arn"], {}),
    "can-i --arn not-an-arn": (
        ["can-i", "get", "pods", "--arn", "arn:aws:s3:::bucket", "--snapshot", str(SNAPSHOT)],
        {},
    ),
}
USAGE_CASES: dict[str, list[str]] = {
    "rollback --to abc": ["rollback", "--cluster", "demo", "--to", "abc"],
    "audit --concurrency 0": ["audit", "--all", "--concurrency", "0"],
    "token --unknown": ["token", "--cluster-name", "demo", "--bogus"],
    "no such command": ["frobnicate"],
}


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_bad_value_is_refused_in_one_line(
    case: str, tmp_path: Path, home: Path, env: dict[str, str | None]
) -> None:
    argv, extra = VALUE_CASES[case]
    binary = tmp_path / "binary"
    binary.write_bytes(BINARY)
    plan = tmp_path / "access.yaml"
    plan.write_text(
        "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo, region: us-west-2}\n"
    )
    paths = {"{binary}": str(binary), "{plan}": str(plan)}
    argv = [paths.get(part, part) for part in argv]
    extra = {key: paths.get(value, value) for key, value in extra.items()}
    before = files_under(tmp_path)
    run = run_cli(argv, {**env, **extra})
    assert_refused(run)
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("case", list(USAGE_CASES))
def test_click_usage_errors_keep_exit_2(case: str, env: dict[str, str | None]) -> None:
    assert_refused(run_cli(USAGE_CASES[case], env), click_usage=True)


def test_a_garbage_eksaccess_now_is_not_read(tmp_path: Path, env: dict[str, str | None]) -> None:
    """The test clock of old is gone: production reads the machine's clock, whatever the environment says."""
    run = run_cli(["token", "--cluster-name", "demo"], {**env, "EKSACCESS_NOW": "not-a-time"})
    assert run.code == 0, run.stderr
    assert '"token": "k8s-aws-v1.' in run.stdout


def test_a_refused_scenario_creates_no_state_dir(tmp_path: Path, env: dict[str, str | None]) -> None:
    """`sandbox up` reads the scenario before it makes the state directory: a refusal leaves no trace."""
    state = tmp_path / "new-state"
    run = run_cli(["sandbox", "up", "--scenario", "no-such-scenario", "--state-dir", str(state)], env)
    assert_refused(run)
    assert not state.exists()
