"""A sandbox for tests: ``running_sandbox(tmp_path, scenario="baseline", **knobs)``.

In-process by default (the listeners run in threads of the test process: fast, no fork), or the real
background process with ``process=True`` (what ``eksaccess sandbox up`` starts). Either way the yielded
object tells the state directory, the environment real clients need, and the AWS endpoint::

    with running_sandbox(tmp_path, "developer-locked-out") as sb:
        env = {**os.environ, **sb.env_for("admin")}
        subprocess.run(["aws", "sts", "get-caller-identity"], env=env, check=True)
        eks = sb.client("eks", "admin")
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.certs import CertPaths, cluster_cert_dir
from eksaccess.sandbox.config_files import AWS_CONFIG, AWS_CREDENTIALS, KUBECONFIG, client_env
from eksaccess.sandbox.context import FaultSettings
from eksaccess.sandbox.private_files import private_file
from eksaccess.sandbox.scenarios.seed import stored_sandbox_id
from eksaccess.sandbox.server import LOG_FILE, SandboxServer
from eksaccess.sandbox.store import SandboxStore

_counter = itertools.count()
_LOADER: list[Any] = []


def _shared_loader() -> Any:
    """One botocore data loader for every session this process makes (loading models is the slow part)."""
    if not _LOADER:
        from botocore.loaders import create_loader

        _LOADER.append(create_loader())
    return _LOADER[0]


@dataclass(kw_only=True)
class RunningSandbox:
    state_dir: Path
    aws_endpoint: str
    env: dict[str, str]
    server: SandboxServer | None = None  # None when it runs as a separate process

    @property
    def ca_bundle(self) -> Path:
        return CertPaths.in_dir(self.state_dir).ca_cert

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / KUBECONFIG

    @property
    def store(self) -> SandboxStore:
        return SandboxStore.in_dir(self.state_dir)

    @property
    def sandbox_id(self) -> str:
        """This sandbox's id: pass it as ``running_sandbox(..., sandbox_id=...)`` to make a sandbox that
        hands out the same key ids and role session names (what a stale client cache needs to match)."""
        return stored_sandbox_id(self.store)

    def cluster_ca_bundle(self, name: str) -> Path:
        """The CA a cluster's API server is verified with (its own; the sandbox CA for clusters made
        with CreateCluster)."""
        own = cluster_cert_dir(self.state_dir, name) / "ca.crt"
        return own if own.exists() else self.ca_bundle

    def env_for(self, profile: str | None = None) -> dict[str, str]:
        return client_env(self.state_dir, endpoint=self.aws_endpoint, profile=profile)

    def cluster_endpoint(self, name: str) -> str:
        record = self.store.get_cluster(name)
        if record is None:
            raise KeyError(name)
        return record.endpoint

    def boto_session(self, profile: str | None = None, region: str | None = None) -> Any:
        """A boto3 Session reading only the sandbox's files (the process environment is not consulted
        for the files or profile)."""
        import boto3
        import botocore.session

        core = botocore.session.Session()
        core.register_component("data_loader", _shared_loader())  # service models parsed once per process
        core.set_config_variable("config_file", str(self.state_dir / AWS_CONFIG))
        core.set_config_variable("credentials_file", str(self.state_dir / AWS_CREDENTIALS))
        core.set_config_variable("ca_bundle", str(self.ca_bundle))  # beats an AWS_CA_BUNDLE of the machine
        if profile:
            core.set_config_variable("profile", profile)
        if region:
            core.set_config_variable("region", region)
        return boto3.Session(botocore_session=core)

    def client(
        self, service: str, profile: str | None = None, *, region: str | None = None, **kwargs: Any
    ) -> Any:
        from botocore.config import Config

        config = kwargs.pop("config", None) or Config(retries={"total_max_attempts": 1, "mode": "standard"})
        return self.boto_session(profile, region).client(service, config=config, **kwargs)


def _logger(state_dir: Path) -> tuple[logging.Logger, logging.Handler]:
    log = logging.getLogger(f"eksaccess.sandbox.inprocess.{next(_counter)}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(private_file(state_dir / LOG_FILE), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log, handler


@contextmanager
def running_sandbox(
    tmp_path: Path,
    scenario: str = "baseline",
    *,
    process: bool = False,
    state_dir: Path | None = None,
    latency_ms: int = 0,
    fault_rate: float = 0.0,
    throttle_rate: float = 0.0,
    seed: int = 0,
    clock: Callable[[], datetime] | None = None,
    home: Path | None = None,
    sandbox_id: str | None = None,
) -> Iterator[RunningSandbox]:
    """Start a sandbox with ``scenario`` in ``tmp_path/sandbox`` (or ``state_dir``); stop it at exit.

    ``clock`` (in-process only) replaces the AWS endpoint's clock, to test expiry of signatures.
    ``home`` (in-process only; default ``tmp_path``, which the tests give clients as HOME) receives
    what a scenario puts in the user's home: the SSO token cache of ``sso-expired`` profiles.
    ``env`` carries the scenario's ``shellProfile`` as AWS_PROFILE, as ``sandbox env`` prints it.
    ``sandbox_id``: another sandbox's id to reuse (see ``RunningSandbox.sandbox_id``); default: a new one.
    """
    directory = (state_dir or tmp_path / "sandbox").resolve()
    faults = FaultSettings(
        latency_ms=latency_ms, fault_rate=fault_rate, throttle_rate=throttle_rate, seed=seed
    )
    if process:
        lifecycle.up(directory, scenario, faults, sandbox_id=sandbox_id)
        try:
            endpoint = lifecycle.aws_endpoint(directory)
            assert endpoint is not None
            yield RunningSandbox(state_dir=directory, aws_endpoint=endpoint, env=lifecycle.env(directory))
        finally:
            lifecycle.down(directory)
        return
    lifecycle.initialize(directory, scenario, sandbox_id=sandbox_id)
    log, handler = _logger(directory)
    server = SandboxServer(directory, faults=faults, log=log, clock=clock, home=home or tmp_path)
    try:
        server.start()
        yield RunningSandbox(
            state_dir=directory,
            aws_endpoint=server.aws_endpoint,
            env=lifecycle.env(directory),
            server=server,
        )
    finally:
        server.stop()
        log.removeHandler(handler)
        handler.close()


# --- raw HTTPS helpers (what the authenticator and curl do) -----------------------------------------------


def https_request(
    sb: RunningSandbox,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTPS request verified against the sandbox CA; (status, headers, body) for any status."""
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=str(sb.ca_bundle))
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        with err:
            return int(err.code), dict(err.headers), err.read()


def presign_token_url(sb: RunningSandbox, profile: str, cluster: str, *, region: str = "us-west-2") -> str:
    """What ``aws eks get-token`` presigns: STS GetCallerIdentity with the signed header x-k8s-aws-id."""
    sts = sb.client("sts", profile, region=region)

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    return str(sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET"))


def get_caller_identity_by_url(sb: RunningSandbox, url: str, cluster: str) -> tuple[int, Any]:
    """GET a token's URL as the authenticator does (x-k8s-aws-id + Accept: application/json)."""
    import json

    status, _, body = https_request(sb, url, headers={"x-k8s-aws-id": cluster, "accept": "application/json"})
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode("utf-8", "replace")
