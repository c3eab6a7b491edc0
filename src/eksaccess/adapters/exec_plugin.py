"""Running a kubeconfig's exec plugin as kubectl runs it, and the token of its ExecCredential (standard library
only: doctor starts the plugin before it loads the rest of itself)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping

from eksaccess.adapters.ports import ExecRun
from eksaccess.domain.kubeconfig import ExecConfig

EXEC_TIMEOUT_S = 10.0


def run_exec(
    config: ExecConfig, stop: threading.Event, *, env: Mapping[str, str], which: Callable[[str], str | None]
) -> ExecRun:
    """Run the exec plugin as kubectl does (its env over ours, KUBERNETES_EXEC_INFO, no stdin) until it
    ends, ``stop`` is set or EXEC_TIMEOUT_S passes. Its CPU time is the measure: wall time would say
    more about this machine's load than about the plugin. The ExecCredential it prints holds the token
    kubectl would send: kept in memory (never rendered) when the plugin finished and succeeded."""
    command = which(config.command) or config.command
    info = {"kind": "ExecCredential", "apiVersion": config.api_version, "spec": {"interactive": False}}
    plugin_env = {**env, **dict(config.env), "KUBERNETES_EXEC_INFO": json.dumps(info)}
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [command, *config.args],
            env=plugin_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return ExecRun(cpu_seconds=0.0, wall_seconds=0.0, finished=True, ok=False)
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else b""))
    out: list[bytes] = []
    reader.start()
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaped here, with its CPU usage
    finished = True
    while pid == 0:
        if stop.wait(0.01) or time.monotonic() - start > EXEC_TIMEOUT_S:
            finished = False
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    reader.join()
    if proc.stdout is not None:
        proc.stdout.close()
    cpu = usage.ru_utime + usage.ru_stime
    token = _exec_token(out[0] if out else b"") if finished and code == 0 else None
    ok = token is not None
    out.clear()
    return ExecRun(cpu_seconds=cpu, wall_seconds=wall, finished=finished, ok=ok or not finished, token=token)


def _exec_token(stdout: bytes) -> str | None:
    """The token of an ExecCredential (None when the output is not one)."""
    try:
        doc = json.loads(stdout)
        token = doc.get("status", {}).get("token") if doc.get("kind") == "ExecCredential" else None
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) and token else None
