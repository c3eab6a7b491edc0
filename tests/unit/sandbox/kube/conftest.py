"""A sandbox cluster's API server on loopback HTTPS, with a table of tokens standing in for STS."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from eksaccess.sandbox.certs import ensure_certificates, server_ssl_context
from eksaccess.sandbox.kube.app import KubeApp
from eksaccess.sandbox.kube.authn import AuthenticationError, KubeUser
from eksaccess.sandbox.kube.storage import KubeObjects

CLUSTER = "demo"
ADMIN = KubeUser(username="admin", uid="u-admin", groups=("system:masters", "system:authenticated"))
ALICE = KubeUser(username="alice", uid="u-alice", groups=("devs", "system:authenticated"))
TOKENS = {"admin-token": ADMIN, "alice-token": ALICE}


class FileStore:
    """The one method of SandboxStore that KubeObjects uses."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)


def table_authenticate(token: str) -> KubeUser:
    user = TOKENS.get(token)
    if user is None:
        raise AuthenticationError("identity is not mapped")
    return user


@dataclass
class Server:
    url: str
    ca: Path
    objects: KubeObjects
    app: KubeApp
    tmp: Path

    def kubeconfig(self, token: str | None, name: str = "config") -> Path:
        user = f"    token: {token}\n" if token else "    {}\n"
        text = (
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: demo\n  cluster:\n    server: {self.url}\n    certificate-authority: {self.ca}\n"
            f"users:\n- name: u\n  user:\n{user}"
            "contexts:\n- name: demo\n  context:\n    cluster: demo\n    user: u\n"
            "current-context: demo\n"
        )
        path = self.tmp / name
        path.write_text(text)
        return path


@pytest.fixture
def objects(tmp_path: Path) -> KubeObjects:
    return KubeObjects(FileStore(tmp_path / "sandbox.db"))


@pytest.fixture
def kube_server(tmp_path: Path, objects: KubeObjects) -> Iterator[Server]:
    objects.seed(CLUSTER, manifests=[], aws_auth={"mapRoles": "[]\n"})
    app = KubeApp(cluster=CLUSTER, objects=objects, authenticate=table_authenticate)
    paths = ensure_certificates(tmp_path / "certs")
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=server_ssl_context(paths))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"https://127.0.0.1:{server.port}", paths.ca_cert, objects, app, tmp_path)
    finally:
        server.shutdown()
        thread.join()
