"""doctor's first step: read the kubeconfig and start kubectl's exec plugin at once.

The plugin (``aws eks get-token``) is the slowest single thing doctor waits for, and it needs nothing but the
kubeconfig. Started here, before the checks and the AWS and Kubernetes clients load, it runs while they load
and while the first calls are answered. This module stays light: the target, the ports' protocol, threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from eksaccess.adapters.ports import DoctorPorts, ExecRun
from eksaccess.domain.kubeconfig import ExecPlugin
from eksaccess.features.doctor.target import DoctorOptions, Target, resolve_target


@dataclass
class Started:
    """The resolved target and, when kubectl would run the aws CLI for a token, that run under way."""

    target: Target
    exec_run: Future[ExecRun] | None = None
    stop_exec: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def close(self) -> None:
        """Stop the plugin if it still runs and wait for its thread: nothing outlives doctor's run."""
        self.stop_exec.set()
        if self._thread is not None:
            self._thread.join()


def start(options: DoctorOptions, ports: DoctorPorts) -> Started:
    target = resolve_target(options, lambda: ports.load_kubeconfig(options.kubeconfig), ports.which)
    started = Started(target=target)
    config = target.exec_config
    if (
        not target.usable
        or target.static_token is not None
        or config is None
        or target.plugin is not ExecPlugin.AWS_CLI
        or options.as_arn
    ):
        return started
    future: Future[ExecRun] = Future()

    def run() -> None:
        try:
            future.set_result(ports.run_exec(config, started.stop_exec))
        except BaseException as err:  # handed to whoever waits for the result
            future.set_exception(err)

    started.exec_run = future
    started._thread = threading.Thread(target=run, name="doctor-exec", daemon=True)
    started._thread.start()
    return started
