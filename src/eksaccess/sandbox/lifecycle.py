"""The sandbox's life: initialise a state directory from a scenario, start the background server, report
its status, stop it, reset it. Used by ``eksaccess sandbox ...`` and by ``sandbox.testing``.

State directory contents: ``sandbox.db`` (all state; survives down/up), ``ca.crt``/``ca.key`` and the
serving certificate (made once), ``aws-config``, ``aws-credentials``, ``kubeconfig`` (0600),
``ports.json``, ``sandbox.pid`` (while running) and ``sandbox.log``. The directory is 0700 and every
file 0600, whatever existed before (see ``private_files``).
"""

from __future__ import annotations

import os
import signal
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from eksaccess.errors import EksAccessError, InputError
from eksaccess.sandbox.aws.logs import LOG_DB
from eksaccess.sandbox.aws.routing import HEALTH_PATH
from eksaccess.sandbox.certs import (
    CLUSTERS_DIR,
    CertPaths,
    ca_data,
    ensure_certificates,
    ensure_cluster_certificates,
    foreign_ca_data,
)
from eksaccess.sandbox.config_files import (
    AWS_CONFIG,
    AWS_CREDENTIALS,
    CREDENTIAL_PROCESS,
    KUBECONFIG,
    client_env,
)
from eksaccess.sandbox.context import FaultSettings
from eksaccess.sandbox.private_files import restrict
from eksaccess.sandbox.scenarios.model import Scenario, load_scenario
from eksaccess.sandbox.scenarios.seed import (
    check_sandbox_id,
    seed_scenario,
    stored_sandbox_id,
    stored_scenario,
)
from eksaccess.sandbox.server import HOST, LOG_FILE, PID_FILE, PORTS_FILE, read_ports
from eksaccess.sandbox.store import DB_NAME, SandboxStore

DEFAULT_SCENARIO = "baseline"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class SandboxError(EksAccessError):
    """The sandbox could not be started or stopped."""


def default_state_dir() -> Path:
    return Path(platformdirs.user_state_dir("eksaccess")) / "sandbox"


@dataclass(frozen=True, kw_only=True, slots=True)
class SandboxStatus:
    state_dir: Path
    initialized: bool
    running: bool
    pid: int | None = None
    aws_endpoint: str | None = None
    scenario: str | None = None
    clusters: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stateDir": str(self.state_dir),
            "initialized": self.initialized,
            "running": self.running,
            "pid": self.pid,
            "awsEndpoint": self.aws_endpoint,
            "scenario": self.scenario,
            "clusters": self.clusters,
        }


def is_initialized(state_dir: Path) -> bool:
    return (state_dir / DB_NAME).exists() and stored_scenario(SandboxStore.in_dir(state_dir)) is not None


def sandbox_files() -> tuple[str, ...]:
    """The names of the files the sandbox keeps directly in its state directory."""
    certs = CertPaths.in_dir(Path())
    cert_names = (certs.ca_cert.name, certs.ca_key.name, certs.server_cert.name, certs.server_key.name)
    database = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", LOG_DB)
    clients = (AWS_CONFIG, AWS_CREDENTIALS, KUBECONFIG, CREDENTIAL_PROCESS)
    return (*database, *cert_names, *clients, PORTS_FILE, PID_FILE, LOG_FILE)


def restrict_state_dir(state_dir: Path) -> None:
    """The state directory 0700 and the sandbox's files in it 0600, whatever their modes were."""
    restrict(state_dir, sandbox_files(), trees=(CLUSTERS_DIR,))


def initialize(
    state_dir: Path, scenario_ref: str | None = None, *, sandbox_id: str | None = None
) -> Scenario:
    """Load the scenario into ``state_dir`` unless it already holds one (then the same name is required).

    ``sandbox_id``: reuse another sandbox's id (its key ids and role session names), only to reproduce
    what clients do with credentials cached for it; default: a new random id."""
    if sandbox_id is not None:
        check_sandbox_id(sandbox_id)  # before anything is written
    initialized = is_initialized(state_dir)
    # A new sandbox's scenario is read (and refused, if it must be) before the state directory exists.
    scenario = None if initialized else load_scenario(scenario_ref or DEFAULT_SCENARIO)
    restrict_state_dir(state_dir)
    if scenario is None:
        existing = stored_scenario(SandboxStore.in_dir(state_dir))
        assert existing is not None
        if sandbox_id is not None and sandbox_id != stored_sandbox_id(SandboxStore.in_dir(state_dir)):
            raise InputError(
                f"the sandbox in {state_dir} has another id",
                hint="run 'eksaccess sandbox reset' to start over",
            )
        if scenario_ref is not None:
            wanted = load_scenario(scenario_ref)
            if wanted.name != existing.name:
                raise InputError(
                    f"the sandbox in {state_dir} holds scenario {existing.name!r}",
                    hint=f"run 'eksaccess sandbox reset --scenario {scenario_ref}' to start over",
                )
        return existing
    certs = ensure_certificates(state_dir)
    store = SandboxStore.in_dir(state_dir)
    own = {
        c.cluster.name: ca_data(ensure_cluster_certificates(state_dir, c.cluster.name))
        for c in scenario.clusters
    }
    seed_scenario(
        store,
        scenario,
        ca_data=ca_data(certs),
        foreign_ca_data=foreign_ca_data(),
        now=time.time(),
        cluster_ca=own,
        sandbox_id=sandbox_id,
    )
    return scenario


def wipe(state_dir: Path) -> None:
    """Forget all state but the CA (so trust in it survives a reset)."""
    database = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", LOG_DB)
    for name in (*database, AWS_CONFIG, AWS_CREDENTIALS, KUBECONFIG):
        (state_dir / name).unlink(missing_ok=True)


def _pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a recycled pid is not our server
        try:
            return b"eksaccess.sandbox.server" in cmdline.read_bytes()
        except OSError:
            return False
    return True


def running_pid(state_dir: Path) -> int | None:
    pid = _pid(state_dir)
    return pid if pid is not None and _alive(pid) else None


def aws_endpoint(state_dir: Path) -> str | None:
    port = read_ports(state_dir).get("aws")
    return f"https://{HOST}:{port}" if port else None


def healthy(endpoint: str, ca_bundle: Path, *, timeout: float = 2.0) -> bool:
    context = ssl.create_default_context(cafile=str(ca_bundle))
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, context=context, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def status(state_dir: Path) -> SandboxStatus:
    if not is_initialized(state_dir):
        return SandboxStatus(state_dir=state_dir, initialized=False, running=False)
    store = SandboxStore.in_dir(state_dir)
    scenario = stored_scenario(store)
    pid = running_pid(state_dir)
    endpoint = aws_endpoint(state_dir)
    clusters = [
        {
            "name": c.name,
            "region": c.region,
            "authenticationMode": c.authentication_mode.value,
            "endpoint": c.endpoint if pid else "",
        }
        for c in store.list_clusters()
    ]
    return SandboxStatus(
        state_dir=state_dir,
        initialized=True,
        running=pid is not None,
        pid=pid,
        aws_endpoint=endpoint if pid else None,
        scenario=scenario.name if scenario else None,
        clusters=clusters,
    )


def _server_args(state_dir: Path, faults: FaultSettings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "eksaccess.sandbox.server",
        "--state-dir",
        str(state_dir),
        "--latency-ms",
        str(faults.latency_ms),
        "--fault-rate",
        str(faults.fault_rate),
        "--throttle-rate",
        str(faults.throttle_rate),
        "--seed",
        str(faults.seed),
    ]


def _log_tail(state_dir: Path, lines: int = 5) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def up(
    state_dir: Path,
    scenario_ref: str | None = None,
    faults: FaultSettings | None = None,
    *,
    timeout: float = START_TIMEOUT,
    sandbox_id: str | None = None,
) -> SandboxStatus:
    """Start the server in the background (a no-op if it runs); return once it answers."""
    state_dir = state_dir.resolve()
    initialize(state_dir, scenario_ref, sandbox_id=sandbox_id)
    if running_pid(state_dir) is not None:
        return status(state_dir)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    pid = _spawn(state_dir, faults or FaultSettings())
    ca_bundle = CertPaths.in_dir(state_dir).ca_cert
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _exited(pid):
            raise SandboxError(
                f"the sandbox server exited during start (see {state_dir / LOG_FILE}): {_log_tail(state_dir)}"
            )
        endpoint = aws_endpoint(state_dir)
        if _pid(state_dir) == pid and endpoint and healthy(endpoint, ca_bundle):
            return status(state_dir)
        time.sleep(0.02)
    _terminate(pid)
    raise SandboxError(
        f"the sandbox server did not answer within {timeout:.0f}s (see {state_dir / LOG_FILE})"
    )


def _spawn(state_dir: Path, faults: FaultSettings) -> int:
    """Start the server detached (own session, stdin from /dev/null, output to the log); its pid."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = os.open(state_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return os.posix_spawn(
            sys.executable,
            _server_args(state_dir, faults),
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log)


def _exited(pid: int) -> bool:
    """True once our child ``pid`` has exited (it is reaped here)."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not _exists(pid)
    return finished == pid


def _terminate(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _exited(pid):
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][:1] != "Z"
        except (OSError, IndexError):
            return True
    return True


def down(state_dir: Path) -> bool:
    """Stop the server if it runs; True if it was running. State stays."""
    state_dir = state_dir.resolve()
    pid = running_pid(state_dir)
    if pid is None:
        (state_dir / PID_FILE).unlink(missing_ok=True)
        return False
    _terminate(pid)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    return True


def reset(
    state_dir: Path, scenario_ref: str | None = None, faults: FaultSettings | None = None
) -> SandboxStatus:
    """Forget every change: reload the scenario (the one given, else the current one); restart if running."""
    state_dir = state_dir.resolve()
    current = stored_scenario(SandboxStore.in_dir(state_dir)) if is_initialized(state_dir) else None
    ref = scenario_ref or (current.name if current else None)
    was_running = down(state_dir)
    wipe(state_dir)
    initialize(state_dir, ref)
    if was_running:
        return up(state_dir, None, faults)
    return status(state_dir)


def env(state_dir: Path, profile: str | None = None) -> dict[str, str]:
    state_dir = state_dir.resolve()
    if not is_initialized(state_dir):
        raise InputError(f"no sandbox in {state_dir}", hint="run 'eksaccess sandbox up' first")
    endpoint = aws_endpoint(state_dir)
    if endpoint is None:
        raise InputError(f"the sandbox in {state_dir} has never run", hint="run 'eksaccess sandbox up' first")
    scenario = stored_scenario(SandboxStore.in_dir(state_dir))
    if profile and scenario is not None and profile != "default" and scenario.profile(profile) is None:
        names = ", ".join(p.name for p in scenario.profiles)
        raise InputError(f"scenario {scenario.name!r} has no profile {profile!r} (profiles: {names})")
    if profile is None and scenario is not None:
        profile = scenario.shellProfile  # the scenario's shell: AWS_PROFILE already set to something
    return client_env(state_dir, endpoint=endpoint, profile=profile)
