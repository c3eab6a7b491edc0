"""doctor starts kubectl's exec plugin as soon as the kubeconfig is read, and nothing it starts outlives it."""

from __future__ import annotations

import threading
from pathlib import Path

from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig, load
from eksaccess.adapters.ports import ExecRun
from eksaccess.domain.kubeconfig import ExecConfig
from eksaccess.features.doctor.start import start
from eksaccess.features.doctor.target import DoctorOptions

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: demo
  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Q0E=}
contexts:
- name: dev
  context: {cluster: demo, user: dev}
users:
- name: dev
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-west-2, eks, get-token, --cluster-name, demo]
"""


class HangingPlugin:
    """The outside world doctor starts with: a kubeconfig on disk and an exec plugin that never ends by
    itself (it stops when told to, as a killed process does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = threading.Event()

    def load_kubeconfig(self, explicit: str | None) -> LoadedKubeconfig:
        return load(str(self.path), {})

    def which(self, command: str) -> str | None:
        return f"/usr/bin/{command}"

    def run_exec(self, config: ExecConfig, stop: threading.Event) -> ExecRun:
        self.started.set()
        stop.wait(30)
        return ExecRun(cpu_seconds=0.0, wall_seconds=0.0, finished=False, ok=True)


def _ports(tmp_path: Path) -> HangingPlugin:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG, encoding="utf-8")
    return HangingPlugin(path)


def test_the_plugin_runs_once_the_kubeconfig_is_read_and_close_stops_it(tmp_path: Path) -> None:
    ports = _ports(tmp_path)
    started = start(DoctorOptions(kubeconfig=str(ports.path)), ports)  # type: ignore[arg-type]
    assert started.target.cluster_name == "demo"
    assert started.exec_run is not None
    assert ports.started.wait(10)
    assert not started.exec_run.done()
    started.close()
    assert started.exec_run.result(timeout=0).finished is False
    assert not any(t.name == "doctor-exec" for t in threading.enumerate())


def test_no_plugin_runs_for_a_principal_named_without_its_credentials(tmp_path: Path) -> None:
    ports = _ports(tmp_path)
    options = DoctorOptions(kubeconfig=str(ports.path), as_arn="arn:aws:iam::111122223333:role/dev")
    started = start(options, ports)  # type: ignore[arg-type]
    assert started.exec_run is None
    started.close()
    assert not ports.started.is_set()
