"""The sandbox server: one process, one loopback HTTPS listener for AWS (EKS, STS, IAM) and one per
cluster for its Kubernetes API, each a threaded werkzeug server in a thread of its own.

A cluster this machine cannot reach (CREATING, FAILED, deleted, or a private endpoint only) gets a
loopback port that is bound but never listens: connecting to it is refused at once, as kubectl sees a
closed endpoint, and no other program can take the port while the sandbox runs. Each scenario cluster
serves with the certificate of its own CA (certs.py), or that of a TLS-inspecting proxy if it says so.

Ports are recorded in ``ports.json`` and reused on the next start when free, so cluster endpoints (and the
kubeconfig) stay the same across ``down`` / ``up``; a taken port is replaced and the client files are
rewritten. Run as ``python -m eksaccess.sandbox.server --state-dir DIR`` (``sandbox up`` does that).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from eksaccess.sandbox.certs import (
    CertPaths,
    ca_data,
    cluster_cert_dir,
    ensure_certificates,
    ensure_cluster_certificates,
    server_ssl_context,
)
from eksaccess.sandbox.config_files import write_client_files, write_private
from eksaccess.sandbox.context import FaultInjector, FaultSettings, SandboxContext
from eksaccess.sandbox.private_files import private_file
from eksaccess.sandbox.scenarios.model import ServingCertificate
from eksaccess.sandbox.scenarios.seed import (
    META_FOREIGN_CA,
    role_session_name,
    serves_api,
    stored_credentials,
    stored_sandbox_id,
    stored_scenario,
)
from eksaccess.sandbox.store import ClusterRecord, SandboxStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOST = "127.0.0.1"
PORTS_FILE = "ports.json"
PID_FILE = "sandbox.pid"
LOG_FILE = "sandbox.log"

_listener_log = logging.getLogger("eksaccess.sandbox.listener")


class SandboxNotInitializedError(RuntimeError):
    pass


class _QuietHandler(WSGIRequestHandler):
    """No request lines in any log: presigned URLs carry session tokens in their query."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log(self, type: str, message: str, *args: Any) -> None:  # werkzeug's signature
        if type == "error":
            _listener_log.warning("listener error (%s)", self.command or "no request")


def _handler(offset: timedelta) -> type[_QuietHandler]:
    """The request handler whose Date header (http.server writes it) tells the sandbox's clock."""
    if not offset:
        return _QuietHandler
    seconds = offset.total_seconds()

    class _OffsetHandler(_QuietHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return super().date_time_string(time.time() + seconds if timestamp is None else timestamp)

    return _OffsetHandler


def _bind(preferred: int | None) -> socket.socket:
    """A listening loopback socket on ``preferred`` if it is free, else on a port the kernel picks."""
    for port in ([preferred] if preferred else []) + [0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        return sock
    raise OSError("could not bind a loopback port")


def _reserve(preferred: int | None) -> socket.socket:
    """A loopback port bound without listening: connections to it are refused (RST) at once. SO_REUSEADDR:
    the port of a listener just stopped (its connections in TIME_WAIT) can be taken at once."""
    for port in ([preferred] if preferred else []) + [0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            sock.close()
            continue
        return sock
    raise OSError("could not bind a loopback port")


@dataclass(kw_only=True)
class Listener:
    name: str
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.port)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"


def _start_listener(
    name: str,
    app: WSGIApplication,
    ssl_ctx: ssl.SSLContext,
    preferred: int | None,
    offset: timedelta = timedelta(0),
) -> Listener:
    sock = _bind(preferred)
    try:
        server = make_server(
            HOST,
            sock.getsockname()[1],
            app,
            threaded=True,
            request_handler=_handler(offset),
            ssl_context=ssl_ctx,
            fd=sock.fileno(),
        )
    finally:
        sock.close()
    server.daemon_threads = True  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"sandbox-{name}"
    )
    thread.daemon = True
    thread.start()
    return Listener(name=name, server=server, thread=thread)


def _unavailable_app(reason: str) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": reason,
                "reason": "ServiceUnavailable",
                "code": 503,
            }
        ).encode()
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [body]

    return app


def read_ports(state_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((state_dir / PORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class SandboxServer:
    """All listeners of one sandbox; usable in-process (tests) or as the body of the server process."""

    def __init__(
        self,
        state_dir: Path,
        *,
        faults: FaultSettings | None = None,
        log: logging.Logger | None = None,
        clock: Callable[[], datetime] | None = None,
        home: Path | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.home = home  # where the clients' HOME is (the SSO token cache); None: this user's home
        self.clock = clock  # the AWS endpoint's clock (tests move it to expire signatures)
        self.faults = faults or FaultSettings()
        self.log = log or logging.getLogger("eksaccess.sandbox")
        self._lock = threading.RLock()
        self._aws: Listener | None = None
        self._clusters: dict[str, Listener] = {}
        self._closed: dict[str, socket.socket] = {}  # clusters this machine cannot reach: refused ports
        self._ssl: ssl.SSLContext | None = None
        self.ctx: SandboxContext | None = None

    @property
    def aws_endpoint(self) -> str:
        if self._aws is None:
            raise RuntimeError("sandbox server is not running")
        return self._aws.url

    def start(self) -> SandboxContext:
        from eksaccess.sandbox.aws.routing import make_aws_app

        certs = ensure_certificates(self.state_dir)
        store = SandboxStore.in_dir(self.state_dir)
        if stored_scenario(store) is None:
            raise SandboxNotInitializedError(f"no sandbox state in {self.state_dir}")
        self._ssl = server_ssl_context(certs)
        ports = read_ports(self.state_dir)
        ctx = SandboxContext(
            state_dir=self.state_dir,
            store=store,
            aws_endpoint="",
            ca_bundle=certs.ca_cert,
            faults=FaultInjector(self.faults),
            log=self.log,
            start_cluster_listener=self.start_cluster_listener,
            stop_cluster_listener=self.stop_cluster_listener,
            refresh_cluster_listener=self.refresh_cluster_listener,
        )
        scenario = stored_scenario(store)
        ctx.clock_offset = timedelta(seconds=scenario.clockOffsetSeconds if scenario else 0)
        self.ctx = ctx
        base = self.clock or (lambda: datetime.now(UTC))
        offset = ctx.clock_offset

        def aws_clock() -> datetime:
            return base() + offset

        app = make_aws_app(ctx, clock=aws_clock)
        self._aws = _start_listener("aws", app, self._ssl, ports.get("aws"), offset)
        ctx.aws_endpoint = self._aws.url
        preferred = ports.get("clusters") or {}
        for record in store.list_clusters():
            self._serve_cluster(record, preferred.get(record.name))
        self.write_files()
        self.log.info(
            "sandbox up: aws %s, clusters %s",
            ctx.aws_endpoint,
            ", ".join(f"{name}={lst.url}" for name, lst in self._clusters.items()) or "none",
        )
        return ctx

    def _cluster_ssl(self, record: ClusterRecord) -> ssl.SSLContext:
        """The cluster's own CA's serving certificate (a TLS-inspecting proxy's, if the scenario says so);
        a cluster with the AWS endpoint's CA (made by CreateCluster) shares its context."""
        assert self._ssl is not None and self.ctx is not None
        scenario = stored_scenario(self.ctx.store)
        spec = scenario.cluster(record.name) if scenario else None
        if spec is not None and spec.servingCertificate is ServingCertificate.FOREIGN:
            return server_ssl_context(ensure_cluster_certificates(self.state_dir, record.name, proxy=True))
        own = CertPaths.in_dir(cluster_cert_dir(self.state_dir, record.name))
        if own.ca_cert.exists() and ca_data(own) == record.certificate_authority_data:
            return server_ssl_context(ensure_cluster_certificates(self.state_dir, record.name))
        return self._ssl

    def _serve_cluster(self, record: ClusterRecord, preferred: int | None, *, created: bool = False) -> str:
        assert self.ctx is not None and self._ssl is not None
        if preferred is None and record.endpoint:
            preferred = int(record.endpoint.rsplit(":", 1)[1])
        if not created and not serves_api(self.ctx.store, record):
            sock = _reserve(preferred)
            with self._lock:
                self._closed[record.name] = sock
            url = f"https://{HOST}:{sock.getsockname()[1]}"
            self._set_endpoint(record, url)
            return url
        try:
            from eksaccess.sandbox.kube.app import make_kube_app

            app: WSGIApplication = make_kube_app(record.name, self.ctx)
        except ImportError as err:
            app = _unavailable_app(f"the sandbox Kubernetes API is not available: {err}")
        ssl_ctx = self._cluster_ssl(record)
        listener = _start_listener(record.name, app, ssl_ctx, preferred, self.ctx.clock_offset)
        with self._lock:
            self._clusters[record.name] = listener
        self._set_endpoint(record, listener.url)
        return listener.url

    def _set_endpoint(self, record: ClusterRecord, url: str) -> None:
        assert self.ctx is not None
        if record.endpoint != url:
            fields = {name: getattr(record, name) for name in ClusterRecord.__dataclass_fields__}
            self.ctx.store.put_cluster(ClusterRecord(**{**fields, "endpoint": url}))

    def start_cluster_listener(self, name: str) -> str:
        """Serve the Kubernetes API of a cluster just created (CreateCluster); returns its endpoint."""
        assert self.ctx is not None
        record = self.ctx.store.get_cluster(name)
        if record is None:
            raise KeyError(name)
        with self._lock:
            closed = self._closed.pop(name, None)  # a deleted scenario cluster's name, used again
        if closed is not None:
            closed.close()
        url = self._serve_cluster(record, None, created=True)
        self.write_ports()
        return url

    def refresh_cluster_listener(self, name: str) -> None:
        """Serve, or refuse on the same port, a cluster's API as its endpoint access now says (after
        UpdateClusterConfig changed public access or the public CIDRs)."""
        assert self.ctx is not None
        record = self.ctx.store.get_cluster(name)
        if record is None:
            return
        serves = serves_api(self.ctx.store, record)
        with self._lock:
            listening, closed = name in self._clusters, name in self._closed
            if serves == listening or not (listening or closed):
                return
            listener = self._clusters.pop(name, None)
            refused = self._closed.pop(name, None)
        port = listener.port if listener is not None else int(refused.getsockname()[1]) if refused else None
        if listener is not None:
            _shutdown(listener)
        if refused is not None:
            refused.close()
        self._serve_cluster(record, port)
        self.write_ports()

    def stop_cluster_listener(self, name: str) -> None:
        with self._lock:
            listener = self._clusters.pop(name, None)
            closed = self._closed.pop(name, None)
        if closed is not None:
            closed.close()
        if listener is not None:
            _shutdown(listener)  # another server's loop: no deadlock from a request thread
        self.write_ports()

    def write_ports(self) -> None:
        with self._lock:
            data = {
                "aws": self._aws.port if self._aws else None,
                "clusters": {
                    **{name: lst.port for name, lst in self._clusters.items()},
                    **{name: int(sock.getsockname()[1]) for name, sock in self._closed.items()},
                },
            }
        write_private(self.state_dir / PORTS_FILE, json.dumps(data, indent=2) + "\n")

    def write_files(self) -> None:
        """Rewrite ports, AWS config and credentials, and kubeconfig from the store."""
        assert self.ctx is not None
        store = self.ctx.store
        scenario = stored_scenario(store)
        assert scenario is not None
        self.write_ports()
        write_client_files(
            self.state_dir,
            scenario,
            credentials=stored_credentials(store),
            clusters={c.name: c for c in store.list_clusters()},
            endpoint=self.ctx.aws_endpoint,
            ca_bundle=CertPaths.in_dir(self.state_dir).ca_cert,
            foreign_ca_data=store.get_meta(META_FOREIGN_CA) or "",
            home=self.home,
            session_name=role_session_name(sandbox_id) if (sandbox_id := stored_sandbox_id(store)) else None,
        )

    def stop(self) -> None:
        with self._lock:
            listeners = list(self._clusters.values())
            self._clusters.clear()
            for sock in self._closed.values():
                sock.close()
            self._closed.clear()
            if self._aws is not None:
                listeners.append(self._aws)
            self._aws = None
        for listener in listeners:
            _shutdown(listener)
        self.log.info("sandbox stopped")


def _shutdown(listener: Listener) -> None:
    listener.server.shutdown()
    listener.thread.join(timeout=5)
    listener.server.server_close()


# --- the server process -----------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eksaccess.sandbox.server")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    state_dir: Path = args.state_dir.resolve()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(private_file(state_dir / LOG_FILE), encoding="utf-8")],
    )
    faults = FaultSettings(
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        throttle_rate=args.throttle_rate,
        seed=args.seed,
    )
    server = SandboxServer(state_dir, faults=faults)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    write_private(state_dir / PID_FILE, f"{os.getpid()}\n")
    while not stop.wait(0.5):
        pass
    server.stop()
    pid_file = state_dir / PID_FILE
    if pid_file.exists() and pid_file.read_text().strip() == str(os.getpid()):
        pid_file.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
