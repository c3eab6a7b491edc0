"""No secret leaves through output, logs or files: every registered command, with --debug, on a sandbox.

The module runs each command of the CLI registry (``cli.main.COMMANDS``) with ``--debug`` through
``cli.main.main`` (output captured at the file-descriptor level, children included) against a sandbox, with HOME and the XDG directories in a temporary directory. Then
every test scans one command's stdout and stderr, and all files written under the temporary directory (the
sandbox's log and client files included, except the credentials file and the database that hold the keys by
design), for the sandbox's secret access keys, session tokens and any ``k8s-aws-v1.`` token. The one
exemption is ``eksaccess token``'s stdout, whose purpose is the token.

A command added to the registry without an invocation here fails ``test_every_registered_command_is_run``;
a command registered but not built yet is skipped.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eksaccess.cli.main import COMMANDS, main
from eksaccess.domain.state import dump_cluster_state
from eksaccess.sandbox.config_files import AWS_CREDENTIALS
from eksaccess.sandbox.scenarios.model import load_scenario
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
DEVELOPER = f"arn:aws:iam::{ACCT}:role/developer"
NEWCOMER = f"arn:aws:iam::{ACCT}:role/eks-admin"
TOKEN_PREFIX = "k8s-aws-v1."
LIVE = ["--cluster", "demo", "--region", "us-west-2"]
SLOW_COMMANDS = {"demo"}  # ~50 s (kubectl retries its exec plugin): in the slow run only
STDOUT_IS_THE_SECRET = {"token"}


@dataclass(frozen=True, kw_only=True)
class Run:
    argv: tuple[str, ...]
    profile: str | None = "admin"
    stdin: str | None = None
    ok_codes: tuple[int, ...] = (0, 1)
    slow: bool = False  # an extra invocation, run in the slow run only (make test stays fast)


def invocations(sb: RunningSandbox, work: Path) -> dict[str, list[Run]]:
    """A sensible invocation (or a few) of every command against the sandbox, in run order per command."""
    snapshot = work / "snapshot.yaml"
    cluster = load_scenario("baseline").clusters[0]
    state = cluster.cluster_state()
    snapshot.write_text(dump_cluster_state(state), encoding="utf-8")
    aws_auth = work / "aws-auth.yaml"
    aws_auth.write_text(
        f"mapRoles: |\n  - rolearn: {NEWCOMER}\n    username: admin:{{{{SessionName}}}}\n    groups: [system:masters]\n",
        encoding="utf-8",
    )
    desired = work / "access.yaml"  # written by `export` before plan/apply run
    kube = str(sb.kubeconfig)
    snap = ("--snapshot", str(snapshot))
    kc = ("--kubeconfig", str(work / "kubeconfig"))
    return {
        "whoami": [Run(argv=("whoami", *snap, "--arn", DEVELOPER), profile=None)],
        "lint": [Run(argv=("lint", "aws-auth", str(aws_auth)), profile=None)],
        "can-i": [
            Run(argv=("can-i", "get", "pods", "-n", "dev", "--arn", DEVELOPER, *LIVE)),
            Run(argv=("can-i", "get", "secrets", "--arn", DEVELOPER, *snap), profile=None, slow=True),
        ],
        "who-can": [Run(argv=("who-can", "get", "secrets", "-n", "dev", *LIVE))],
        "who-can-assume": [Run(argv=("who-can-assume", "arn:aws:iam::111122223333:role/any", *LIVE))],
        "sandbox": [
            Run(argv=("sandbox", "status", "--state-dir", str(sb.state_dir)), profile=None),
            Run(argv=("sandbox", "env", "--state-dir", str(sb.state_dir)), profile=None, slow=True),
            Run(argv=("sandbox", "scenarios"), profile=None, slow=True),
        ],
        "schema": [Run(argv=("schema",), profile=None)],
        "doctor": [
            Run(argv=("doctor", "--kubeconfig", kube, "--context", "developer"), profile=None),
            Run(argv=("doctor", "--kubeconfig", kube, "--verb", "get", "--resource", "secrets"), slow=True),
            Run(
                argv=("doctor", "--kubeconfig", kube, "--as-arn", DEVELOPER, "--admin-profile", "admin"),
                slow=True,
            ),
        ],
        "kubeconfig": [
            Run(argv=("kubeconfig", *LIVE, "--exec", "eksaccess", *kc)),
            Run(argv=("kubeconfig", *LIVE, "--profile", "admin", *kc), slow=True),
        ],
        "list": [Run(argv=("list", *LIVE, "-o", "json"))],
        "export": [Run(argv=("export", *LIVE))],
        "plan": [Run(argv=("plan", "-f", str(desired), "--region", "us-west-2"))],
        "apply": [Run(argv=("apply", "-f", str(desired), "--region", "us-west-2", "--auto-approve"))],
        "grant": [Run(argv=("grant", NEWCOMER, *LIVE, "--policy", "view", "--namespace", "dev"))],
        "revoke": [Run(argv=("revoke", NEWCOMER, *LIVE, "--via", "access-entry"))],
        "repair": [Run(argv=("repair", "aws-auth", *LIVE, "--dry-run"))],
        "migrate": [
            Run(argv=("migrate", *LIVE, "--dry-run"), slow=True),
            Run(argv=("migrate", *LIVE, "--accept-differences")),
        ],
        "history": [Run(argv=("history", *LIVE, "-o", "json"))],
        "rollback": [
            Run(argv=("rollback", *LIVE, "--dry-run"), slow=True),
            Run(argv=("rollback", *LIVE), stdin="yes\n"),
        ],
        "token": [  # the second run is served from the token cache
            Run(argv=("token", "--cluster-name", "demo", "--region", "us-west-2")),
            Run(argv=("token", "--cluster-name", "demo", "--region", "us-west-2")),
        ],
        "snapshot": [Run(argv=("snapshot", *LIVE, "-o", "json"))],
        "audit": [Run(argv=("audit", *LIVE, "-o", "html", "--out", str(work / "audit.html")))],
        "demo": [Run(argv=("demo",), profile=None)],
        "completion": [Run(argv=("completion", "bash"), profile=None)],
    }


# the commands that change the cluster run last, in this order
WRITERS = ["export", "plan", "apply", "grant", "revoke", "repair", "migrate", "history", "rollback"]


def built(name: str) -> bool:
    return importlib.util.find_spec(COMMANDS[name][0]) is not None


@dataclass(kw_only=True)
class Outcome:
    run: Run
    code: int
    stdout: str
    stderr: str
    seconds: float


def _env(sb: RunningSandbox, home: Path, profile: str | None) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
        **sb.env_for(profile),
    }
    if profile is None:
        env.pop("AWS_PROFILE", None)
    return env


def _execute(sb: RunningSandbox, home: Path, run: Run, work: Path) -> Outcome:
    """Run one command in this process (fast: imports are paid once) with its own environment, stdin,
    and stdout/stderr captured at the file-descriptor level (so what child processes print is caught)."""
    env = _env(sb, home, run.profile)
    saved_env = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_cwd = Path.cwd()
    start = time.monotonic()
    with tempfile.TemporaryFile() as out_fd, tempfile.TemporaryFile() as err_fd:
        saved_fds = (os.dup(1), os.dup(2))
        out, err = io.StringIO(), io.StringIO()
        try:
            os.environ.clear()
            os.environ.update(env)
            os.chdir(work)
            os.dup2(out_fd.fileno(), 1)
            os.dup2(err_fd.fileno(), 2)
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(run.stdin or ""), out, err
            try:
                main(["--debug", *run.argv])
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            for fd in saved_fds:
                os.close(fd)
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        out_fd.seek(0)
        err_fd.seek(0)
        stdout = out.getvalue() + out_fd.read().decode("utf-8", "replace")
        stderr = err.getvalue() + err_fd.read().decode("utf-8", "replace")
    if run.argv[:1] == ("export",) and code == 0:
        (work / "access.yaml").write_text(out.getvalue(), encoding="utf-8")
    return Outcome(run=run, code=code, stdout=stdout, stderr=stderr, seconds=time.monotonic() - start)


def _secrets(sb: RunningSandbox) -> set[str]:
    """Every secret access key and session token the sandbox issued (static keys and STS sessions)."""
    conn = sqlite3.connect(sb.state_dir / "sandbox.db")
    try:
        rows = conn.execute("SELECT secret, session_token FROM access_keys").fetchall()
    finally:
        conn.close()
    found = {value for row in rows for value in row if value}
    assert found, "the sandbox issued no keys"
    return found


@dataclass(kw_only=True)
class World:
    sb: RunningSandbox
    root: Path
    outcomes: dict[str, list[Outcome]]
    secrets: set[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[World]:
    root = tmp_path_factory.mktemp("secrets")
    home, work = root / "home", root / "work"
    home.mkdir()
    work.mkdir()
    with running_sandbox(root, "baseline", state_dir=root / "sandbox") as sb:
        table = invocations(sb, work)
        slow = "not slow" not in str(request.config.getoption("markexpr") or "")
        names = [n for n in COMMANDS if n in table and built(n) and (slow or n not in SLOW_COMMANDS)]
        outcomes: dict[str, list[Outcome]] = {}
        order = [n for n in names if n not in WRITERS] + [n for n in WRITERS if n in names]
        for name in order:  # one at a time: each run owns the process's environment and file descriptors
            outcomes[name] = [_execute(sb, home, r, work) for r in table[name] if slow or not r.slow]
        yield World(sb=sb, root=root, outcomes=outcomes, secrets=_secrets(sb))


def _leaks(text: str, secrets: set[str], *, tokens_allowed: bool = False) -> list[str]:
    found = [f"secret ...{s[-4:]}" for s in secrets if s in text]
    if TOKEN_PREFIX in text and not tokens_allowed:
        at = text.index(TOKEN_PREFIX)
        found.append(f"token at {at}: {text[max(0, at - 40) : at + 20]!r}")
    return found


def _written_files(root: Path) -> Iterator[Path]:
    keys_by_design = {AWS_CREDENTIALS, "sandbox.db", "sandbox.db-wal", "sandbox.db-shm", "sandbox.db-journal"}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not (path.parent.name == "sandbox" and path.name in keys_by_design):
            yield path


def test_every_registered_command_is_run(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "baseline") as sb:
        table = invocations(sb, tmp_path)
    missing = sorted(set(COMMANDS) - set(table))
    assert not missing, f"add an invocation for {missing} to tests/integration/test_secrets.py"


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_COMMANDS else n for n in COMMANDS]
)
def test_command_output_holds_no_secret(world: World, name: str) -> None:
    if not built(name):
        pytest.skip(f"{name} is registered but not built yet")
    runs = world.outcomes[name]
    for outcome in runs:
        where = " ".join(outcome.run.argv)
        assert outcome.code in outcome.run.ok_codes, f"{where}: exit {outcome.code}\n{outcome.stderr[-2000:]}"
        assert "Traceback" not in outcome.stderr, f"{where}: a traceback\n{outcome.stderr[-2000:]}"
        assert not _leaks(outcome.stderr, world.secrets), (
            f"{where}: stderr leaks {_leaks(outcome.stderr, world.secrets)}"
        )
        if name in STDOUT_IS_THE_SECRET:
            assert TOKEN_PREFIX in outcome.stdout  # the command's purpose
            assert not [s for s in world.secrets if s in outcome.stdout], f"{where}: stdout leaks a key"
        else:
            assert not _leaks(outcome.stdout, world.secrets), (
                f"{where}: stdout leaks {_leaks(outcome.stdout, world.secrets)}"
            )


def test_no_written_file_holds_a_secret(world: World) -> None:
    """Only the token cache may hold a token (it is what it is for; it must be private, see below); the
    aws CLI's own credential cache is not eksaccess's file (see _is_aws_cli_cache)."""
    leaks = {
        str(p.relative_to(world.root)): _leaks(
            p.read_text("utf-8", "replace"), world.secrets, tokens_allowed=_is_token_cache(p, world.root)
        )
        for p in _written_files(world.root)
        if not _is_aws_cli_cache(p, world.root)
    }
    assert not {p: found for p, found in leaks.items() if found}


def _is_aws_cli_cache(path: Path, root: Path) -> bool:
    """The aws CLI's own cache of assumed-role credentials (~/.aws/cli/cache), written by `aws eks
    get-token` when doctor runs the kubeconfig's exec plugin as kubectl would: the aws CLI's file, not
    ours; it must still be private (test_files_holding_credentials_are_private checks it)."""
    return path.is_relative_to(root / "home" / ".aws" / "cli" / "cache")


def _is_token_cache(path: Path, root: Path) -> bool:
    parts = path.relative_to(root / "home").parts if path.is_relative_to(root / "home") else ()
    return ".cache" in parts and "tokens" in parts


def test_files_holding_credentials_are_private(world: World) -> None:
    """The sandbox's credentials file, history records and any token cache: 0600 (directories 0700)."""
    credentials = world.sb.state_dir / AWS_CREDENTIALS
    private = [credentials]
    home = world.root / "home"
    for area in ("history", "token", "cache"):
        private += [p for p in home.rglob("*") if p.is_file() and area in str(p.relative_to(home)).lower()]
    if "token" in world.outcomes:
        assert [p for p in private if _is_token_cache(p, world.root)], "token ran twice but cached nothing"
    for path in private:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(world.root)} has mode {oct(mode)}"
    history = [p for p in private if "history" in str(p)]
    if "grant" in world.outcomes:
        assert history, "grant/revoke ran but no history file was written under HOME"
