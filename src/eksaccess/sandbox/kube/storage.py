"""The Kubernetes objects of every sandbox cluster, in the sandbox's SQLite file (tables of their own).

One row per object, keyed by (cluster, API group, kind, namespace, name); the body is the object's JSON.
``resourceVersion`` is one global increasing integer (as etcd's revision), bumped by every write; the
current value is :meth:`KubeObjects.revision`, which readers use to invalidate caches (aws-auth, RBAC).
"""

from __future__ import annotations

import builtins
import copy
import json
import sqlite3
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from eksaccess.sandbox.kube.controllers import aggregate_cluster_roles_in
from eksaccess.sandbox.kube.selectors import parse_selector

Obj = dict[str, Any]

DEFAULT_NAMESPACES: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kube_objects (cluster TEXT NOT NULL, grp TEXT NOT NULL, kind TEXT NOT NULL, "
    "namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL, "
    "PRIMARY KEY (cluster, grp, kind, namespace, name))",
    "CREATE TABLE IF NOT EXISTS kube_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rv INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO kube_revision (id, rv) VALUES (1, 1000)",
)


_WHERE_ONE = "WHERE cluster=? AND grp=? AND kind=? AND namespace=? AND name=?"
_SELECT_ONE = f"SELECT body FROM kube_objects {_WHERE_ONE}"
_DELETE_ONE = f"DELETE FROM kube_objects {_WHERE_ONE}"


class StoreLike(Protocol):
    def connect(self) -> sqlite3.Connection: ...


class KubeStorageError(Exception):
    """Base of the storage outcomes the API layer turns into Status bodies."""


class NotFoundError(KubeStorageError):
    pass


class AlreadyExistsError(KubeStorageError):
    pass


class ConflictError(KubeStorageError):
    """A write carried a stale resourceVersion."""


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def now_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeObjects:
    """CRUD over the cluster objects; thread-safe: one connection shared under a lock (the sandbox's HTTP
    listener runs every request on a new thread, so per-thread connections would be opened per request)."""

    def __init__(self, store: StoreLike) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._writes = 0
        with self._lock:
            conn = self._conn()
            with conn:
                for statement in _SCHEMA:
                    conn.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._store.connect()
        return self._connection

    def change_marker(self) -> tuple[int, int]:
        """Changes whenever anything in the database changed: a commit by another connection (SQLite's
        ``data_version``: access entries, clusters) or a write through this object."""
        with self._lock:
            row = self._conn().execute("PRAGMA data_version").fetchone()
            return int(row[0]), self._writes

    # reads ---------------------------------------------------------------------------------------------

    def revision(self) -> int:
        """The global resourceVersion: changes whenever any object of any cluster changes."""
        with self._lock:
            row = self._conn().execute("SELECT rv FROM kube_revision WHERE id = 1").fetchone()
        return int(row[0])

    def get(self, cluster: str, api_version: str, kind: str, namespace: str, name: str) -> Obj:
        with self._lock:
            row = (
                self._conn()
                .execute(
                    _SELECT_ONE,
                    (cluster, group_of(api_version), kind, namespace, name),
                )
                .fetchone()
            )
        if row is None:
            raise NotFoundError(name)
        obj: Obj = json.loads(row[0])
        return obj

    def list(
        self,
        cluster: str,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str = "",
    ) -> list[Obj]:
        """Objects of one kind, optionally in one namespace and matching a label selector, by name."""
        sql = "SELECT body FROM kube_objects WHERE cluster=? AND grp=? AND kind=?"
        args: list[str] = [cluster, group_of(api_version), kind]
        if namespace:
            sql += " AND namespace=?"
            args.append(namespace)
        with self._lock:
            rows = self._conn().execute(sql + " ORDER BY namespace, name", args).fetchall()
        objects = [json.loads(row[0]) for row in rows]
        if label_selector:
            matcher = parse_selector(label_selector)
            objects = [o for o in objects if matcher((o.get("metadata") or {}).get("labels") or {})]
        return objects

    def list_all(self, cluster: str, api_versions_kinds: Sequence[tuple[str, str]]) -> builtins.list[Obj]:
        out: builtins.list[Obj] = []
        for api_version, kind in api_versions_kinds:
            out.extend(self.list(cluster, api_version, kind))
        return out

    def aws_auth_data(self, cluster: str) -> dict[str, str] | None:
        """The data of kube-system/aws-auth, or None when the ConfigMap does not exist."""
        try:
            obj = self.get(cluster, "v1", "ConfigMap", "kube-system", "aws-auth")
        except NotFoundError:
            return None
        return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}

    # writes --------------------------------------------------------------------------------------------

    def _bump(self, conn: sqlite3.Connection) -> int:
        self._writes += 1
        conn.execute("UPDATE kube_revision SET rv = rv + 1 WHERE id = 1")
        return int(conn.execute("SELECT rv FROM kube_revision WHERE id = 1").fetchone()[0])

    def _existing(self, conn: sqlite3.Connection, key: tuple[str, str, str, str, str]) -> Obj | None:
        row = conn.execute(
            _SELECT_ONE,
            key,
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    @staticmethod
    def _key(cluster: str, obj: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
        meta = obj.get("metadata") or {}
        return (
            cluster,
            group_of(str(obj.get("apiVersion", ""))),
            str(obj.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )

    def _write(
        self, conn: sqlite3.Connection, key: tuple[str, str, str, str, str], obj: Obj, rv: int
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO kube_objects (cluster, grp, kind, namespace, name, rv, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key, rv, json.dumps(obj, separators=(",", ":"))),
        )

    def create(self, cluster: str, obj: Mapping[str, Any], *, keep_creation_timestamp: bool = False) -> Obj:
        """Store a new object: uid, creationTimestamp and resourceVersion are set here (a scenario's
        object may bring its own creationTimestamp: ``keep_creation_timestamp``)."""
        new: Obj = copy.deepcopy(dict(obj))
        meta = new.setdefault("metadata", {})
        key = self._key(cluster, new)
        with self._lock:
            conn = self._conn()
            with conn:
                rv = self._bump(conn)
                if self._existing(conn, key) is not None:
                    raise AlreadyExistsError(key[4])
                meta.pop("resourceVersion", None)
                meta["uid"] = str(uuid.uuid4())
                given = meta.get("creationTimestamp") if keep_creation_timestamp else None
                meta["creationTimestamp"] = str(given) if given else now_timestamp()
                meta["resourceVersion"] = str(rv)
                self._write(conn, key, new, rv)
        return new

    def update(self, cluster: str, obj: Mapping[str, Any]) -> Obj:
        """Replace an object. A set resourceVersion must be the stored one (else :class:`ConflictError`)."""
        new: Obj = copy.deepcopy(dict(obj))
        meta = new.setdefault("metadata", {})
        key = self._key(cluster, new)
        with self._lock:
            conn = self._conn()
            with conn:
                rv = self._bump(conn)
                old = self._existing(conn, key)
                if old is None:
                    raise NotFoundError(key[4])
                old_meta = old.get("metadata") or {}
                given = meta.get("resourceVersion")
                if given and str(given) != str(old_meta.get("resourceVersion")):
                    raise ConflictError(key[4])
                meta["uid"] = old_meta.get("uid")
                meta["creationTimestamp"] = old_meta.get("creationTimestamp")
                meta["resourceVersion"] = str(rv)
                self._write(conn, key, new, rv)
        return new

    def delete(self, cluster: str, api_version: str, kind: str, namespace: str, name: str) -> Obj:
        """Remove an object (a Namespace takes its contents with it); returns what was stored."""
        key = (cluster, group_of(api_version), kind, namespace, name)
        with self._lock:
            conn = self._conn()
            with conn:
                old = self._existing(conn, key)
                if old is None:
                    raise NotFoundError(name)
                self._bump(conn)
                conn.execute(
                    _DELETE_ONE,
                    key,
                )
                if key[1:3] == ("", "Namespace"):
                    conn.execute("DELETE FROM kube_objects WHERE cluster=? AND namespace=?", (cluster, name))
        return old

    # seeding -------------------------------------------------------------------------------------------

    def seed(
        self,
        cluster: str,
        *,
        manifests: Sequence[Mapping[str, Any]],
        aws_auth: Mapping[str, str] | None,
    ) -> None:
        """Create the default namespaces (each with its ``default`` ServiceAccount), the aws-auth ConfigMap
        (when given), the default RBAC roles and bindings, and the scenario's manifests; then aggregate.

        Objects that already exist are replaced (seeding twice is harmless).
        """
        from eksaccess.domain.authz.bootstrap import bootstrap_manifests

        wanted: list[Obj] = []
        for ns in DEFAULT_NAMESPACES:
            wanted.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            wanted.append(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": ns},
                }
            )
        if aws_auth is not None:
            wanted.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                    "data": {str(k): str(v) for k, v in aws_auth.items()},
                }
            )
        for manifest in [*bootstrap_manifests(), *manifests]:
            wanted.append(copy.deepcopy(dict(manifest)))
        for obj in wanted:
            meta = obj.setdefault("metadata", {})
            meta.pop("resourceVersion", None)
            try:
                self.create(cluster, obj, keep_creation_timestamp=True)
            except AlreadyExistsError:
                self.update(cluster, obj)
        aggregate_cluster_roles_in(self, cluster)
