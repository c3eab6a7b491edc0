"""All sandbox state in one SQLite file (``<state-dir>/sandbox.db``): IAM principals and keys, clusters,
access entries and their policies. The Kubernetes side keeps its own tables in the same file.

Thread-safe: each thread gets its own connection (WAL journal, busy timeout) and writes are serialised by
one lock, so read-check-write sequences (create an entry unless it exists) are atomic within the process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eksaccess.domain.access import AccessEntry, AccessPolicyAssociation, AccessScope, EntryType, ScopeType
from eksaccess.domain.state import AuthenticationMode
from eksaccess.sandbox.private_files import FILE_MODE, private_file

DB_NAME = "sandbox.db"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS principals (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
    " kind TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, unique_id TEXT NOT NULL, allow TEXT,"
    " trusted_by TEXT NOT NULL, max_session_duration INTEGER NOT NULL, created_at REAL NOT NULL,"
    " trust_policy TEXT)",
    "CREATE TABLE IF NOT EXISTS access_keys (access_key_id TEXT PRIMARY KEY, secret TEXT NOT NULL,"
    " principal_arn TEXT NOT NULL, session_token TEXT, session_name TEXT, expiration REAL,"
    " chained INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS clusters (name TEXT PRIMARY KEY, region TEXT NOT NULL,"
    " account_id TEXT NOT NULL, arn TEXT NOT NULL, authentication_mode TEXT NOT NULL, creator_arn TEXT,"
    " endpoint TEXT NOT NULL, status TEXT NOT NULL, certificate_authority_data TEXT NOT NULL,"
    " version TEXT NOT NULL, bootstrap INTEGER NOT NULL, created_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cluster_updates (id TEXT PRIMARY KEY, cluster TEXT NOT NULL,"
    " body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS access_entries (cluster TEXT NOT NULL, principal_arn TEXT NOT NULL,"
    " type TEXT NOT NULL, username TEXT, groups TEXT NOT NULL, principal_id TEXT, entry_arn TEXT NOT NULL,"
    " tags TEXT NOT NULL, created_at REAL NOT NULL, modified_at REAL NOT NULL,"
    " PRIMARY KEY (cluster, principal_arn))",
    "CREATE TABLE IF NOT EXISTS access_policies (cluster TEXT NOT NULL, principal_arn TEXT NOT NULL,"
    " policy_arn TEXT NOT NULL, scope_type TEXT NOT NULL, namespaces TEXT NOT NULL,"
    " associated_at REAL NOT NULL, modified_at REAL NOT NULL,"
    " PRIMARY KEY (cluster, principal_arn, policy_arn))",
)


def _policy_column(allow: tuple[str, ...] | None, deny: tuple[str, ...]) -> str | None:
    """The ``allow`` column: a JSON list of allowed actions (NULL: all); with denied actions, an object
    ``{"allow": [...] | null, "deny": [...]}`` (rows written before Deny existed stay readable)."""
    if deny:
        return json.dumps({"allow": None if allow is None else list(allow), "deny": list(deny)})
    return None if allow is None else json.dumps(list(allow))


def _policy_from_column(value: object) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if value is None:
        return None, ()
    data = json.loads(str(value))
    if isinstance(data, dict):
        allow = data.get("allow")
        return (None if allow is None else tuple(allow)), tuple(data.get("deny") or ())
    return tuple(data), ()


class PrincipalType(StrEnum):
    USER = "user"
    ROLE = "role"


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalRecord:
    arn: str
    account_id: str
    kind: PrincipalType
    name: str
    path: str
    unique_id: str  # AIDA... / AROA...
    allow: tuple[str, ...] | None  # IAM actions allowed; None = all
    deny: tuple[str, ...] = ()  # IAM actions denied explicitly (beats allow)
    trusted_by: tuple[str, ...] = ()  # roles: principal ARNs (or account root ARNs) that may assume it
    trust_policy: str | None = None  # roles: a raw trust policy (JSON text); else trusted_by's is generated
    max_session_duration: int = 3600
    created_at: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessKeyRecord:
    access_key_id: str
    secret_access_key: str
    principal_arn: str
    session_token: str | None = None  # temporary (ASIA...) credentials only
    session_name: str | None = None
    expiration: float | None = None  # epoch seconds
    chained: bool = False  # a role session obtained with role-session credentials

    @property
    def temporary(self) -> bool:
        return self.session_token is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClusterRecord:
    name: str
    region: str
    account_id: str
    arn: str
    authentication_mode: AuthenticationMode
    creator_arn: str | None
    endpoint: str
    status: str
    certificate_authority_data: str
    version: str
    bootstrap_cluster_creator_admin_permissions: bool = True
    created_at: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class EntryRecord:
    """An access entry as EKS stores it: the domain entry plus its ARN, tags and times."""

    cluster: str
    entry: AccessEntry
    entry_arn: str
    tags: dict[str, str]
    created_at: float
    modified_at: float


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyRecord:
    policy_arn: str
    scope: AccessScope
    associated_at: float
    modified_at: float


def _private_database(path: Path) -> None:
    """The database file 0600 before SQLite opens it (its -wal and -shm files take the database file's
    mode); -wal and -shm files left with another mode are chmod-ed."""
    private_file(path)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.is_file():
            os.chmod(companion, FILE_MODE)


class SandboxStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        _private_database(path)
        self.lock = threading.RLock()
        self._local = threading.local()
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        with self.write() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
            columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(principals)")}
            if "trust_policy" not in columns:  # a store made before roles had raw trust policies
                conn.execute("ALTER TABLE principals ADD COLUMN trust_policy TEXT")

    @classmethod
    def in_dir(cls, state_dir: Path) -> SandboxStore:
        return cls(state_dir / DB_NAME)

    def connect(self) -> sqlite3.Connection:
        """A new connection to the database (callers keep one per thread)."""
        conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _borrowed(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection while it holds one (a read inside a write sees the write), else one
        from the idle ones, given back after: the servers answer each request on a new thread, and
        opening a connection costs more than most requests' queries."""
        held: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        conn = conn or self.connect()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            with self._idle_lock:
                self._idle.append(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction under the store's write lock."""
        with self.lock, self._borrowed() as conn, conn:
            yield conn

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._borrowed() as conn:
            return list(conn.execute(sql, args).fetchall())

    # meta -------------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # principals -------------------------------------------------------------------------------------------

    def put_principal(self, p: PrincipalRecord) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO principals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    p.arn,
                    p.account_id,
                    p.kind.value,
                    p.name,
                    p.path,
                    p.unique_id,
                    _policy_column(p.allow, p.deny),
                    json.dumps(list(p.trusted_by)),
                    p.max_session_duration,
                    p.created_at,
                    p.trust_policy,
                ),
            )

    @staticmethod
    def _principal(row: tuple[object, ...]) -> PrincipalRecord:
        allow, deny = _policy_from_column(row[6])
        return PrincipalRecord(
            arn=str(row[0]),
            account_id=str(row[1]),
            kind=PrincipalType(str(row[2])),
            name=str(row[3]),
            path=str(row[4]),
            unique_id=str(row[5]),
            allow=allow,
            deny=deny,
            trusted_by=tuple(json.loads(str(row[7]))),
            max_session_duration=int(str(row[8])),
            created_at=float(str(row[9])),
            trust_policy=None if len(row) < 11 or row[10] is None else str(row[10]),
        )

    def get_principal(self, arn: str) -> PrincipalRecord | None:
        rows = self._read("SELECT * FROM principals WHERE arn = ?", (arn,))
        return self._principal(rows[0]) if rows else None

    def find_principal(self, account_id: str, kind: PrincipalType, name: str) -> PrincipalRecord | None:
        """IAM names are unique per account and kind, whatever the path (case-insensitive)."""
        rows = self._read(
            "SELECT * FROM principals WHERE account_id = ? AND kind = ? AND lower(name) = lower(?)",
            (account_id, kind.value, name),
        )
        return self._principal(rows[0]) if rows else None

    def list_principals(self, account_id: str | None = None) -> list[PrincipalRecord]:
        if account_id is None:
            rows = self._read("SELECT * FROM principals ORDER BY kind, name")
        else:
            rows = self._read(
                "SELECT * FROM principals WHERE account_id = ? ORDER BY kind, name", (account_id,)
            )
        return [self._principal(row) for row in rows]

    # access keys ------------------------------------------------------------------------------------------

    def put_access_key(self, k: AccessKeyRecord) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO access_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    k.access_key_id,
                    k.secret_access_key,
                    k.principal_arn,
                    k.session_token,
                    k.session_name,
                    k.expiration,
                    int(k.chained),
                ),
            )

    def get_access_key(self, access_key_id: str) -> AccessKeyRecord | None:
        rows = self._read("SELECT * FROM access_keys WHERE access_key_id = ?", (access_key_id,))
        if not rows:
            return None
        row = rows[0]
        return AccessKeyRecord(
            access_key_id=str(row[0]),
            secret_access_key=str(row[1]),
            principal_arn=str(row[2]),
            session_token=None if row[3] is None else str(row[3]),
            session_name=None if row[4] is None else str(row[4]),
            expiration=None if row[5] is None else float(str(row[5])),
            chained=bool(row[6]),
        )

    def keys_of(self, principal_arn: str) -> list[AccessKeyRecord]:
        rows = self._read(
            "SELECT access_key_id FROM access_keys WHERE principal_arn = ? AND session_token IS NULL"
            " ORDER BY access_key_id",
            (principal_arn,),
        )
        return [k for (akid,) in rows if (k := self.get_access_key(str(akid))) is not None]

    # clusters ---------------------------------------------------------------------------------------------

    def put_cluster(self, c: ClusterRecord) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO clusters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.name,
                    c.region,
                    c.account_id,
                    c.arn,
                    c.authentication_mode.value,
                    c.creator_arn,
                    c.endpoint,
                    c.status,
                    c.certificate_authority_data,
                    c.version,
                    int(c.bootstrap_cluster_creator_admin_permissions),
                    c.created_at,
                ),
            )

    @staticmethod
    def _cluster(row: tuple[object, ...]) -> ClusterRecord:
        return ClusterRecord(
            name=str(row[0]),
            region=str(row[1]),
            account_id=str(row[2]),
            arn=str(row[3]),
            authentication_mode=AuthenticationMode(str(row[4])),
            creator_arn=None if row[5] is None else str(row[5]),
            endpoint=str(row[6]),
            status=str(row[7]),
            certificate_authority_data=str(row[8]),
            version=str(row[9]),
            bootstrap_cluster_creator_admin_permissions=bool(row[10]),
            created_at=float(str(row[11])),
        )

    def get_cluster(self, name: str) -> ClusterRecord | None:
        rows = self._read("SELECT * FROM clusters WHERE name = ?", (name,))
        return self._cluster(rows[0]) if rows else None

    def list_clusters(self) -> list[ClusterRecord]:
        return [self._cluster(row) for row in self._read("SELECT * FROM clusters ORDER BY name")]

    def delete_cluster(self, name: str) -> None:
        with self.write() as conn:
            for table in ("access_policies", "access_entries", "cluster_updates"):
                conn.execute(f"DELETE FROM {table} WHERE cluster = ?", (name,))
            conn.execute("DELETE FROM clusters WHERE name = ?", (name,))

    def put_update(self, update_id: str, cluster: str, body: dict[str, object]) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cluster_updates VALUES (?, ?, ?)",
                (update_id, cluster, json.dumps(body)),
            )

    def get_update(self, cluster: str, update_id: str) -> dict[str, object] | None:
        rows = self._read(
            "SELECT body FROM cluster_updates WHERE cluster = ? AND id = ?", (cluster, update_id)
        )
        return dict(json.loads(str(rows[0][0]))) if rows else None

    # access entries ---------------------------------------------------------------------------------------

    def put_entry(self, record: EntryRecord) -> None:
        """Insert or replace an entry row; its policy associations are left as they are."""
        e = record.entry
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO access_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.cluster,
                    e.principal_arn,
                    e.type.value,
                    e.username,
                    json.dumps(list(e.kubernetes_groups)),
                    e.principal_id,
                    record.entry_arn,
                    json.dumps(record.tags),
                    record.created_at,
                    record.modified_at,
                ),
            )

    def delete_entry(self, cluster: str, principal_arn: str) -> None:
        with self.write() as conn:
            args = (cluster, principal_arn)
            conn.execute("DELETE FROM access_policies WHERE cluster = ? AND principal_arn = ?", args)
            conn.execute("DELETE FROM access_entries WHERE cluster = ? AND principal_arn = ?", args)

    def put_policy(self, cluster: str, principal_arn: str, record: PolicyRecord) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO access_policies VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    cluster,
                    principal_arn,
                    record.policy_arn,
                    record.scope.type.value,
                    json.dumps(list(record.scope.namespaces)),
                    record.associated_at,
                    record.modified_at,
                ),
            )

    def delete_policy(self, cluster: str, principal_arn: str, policy_arn: str) -> None:
        with self.write() as conn:
            conn.execute(
                "DELETE FROM access_policies WHERE cluster = ? AND principal_arn = ? AND policy_arn = ?",
                (cluster, principal_arn, policy_arn),
            )

    def policies_of(self, cluster: str, principal_arn: str) -> list[PolicyRecord]:
        rows = self._read(
            "SELECT policy_arn, scope_type, namespaces, associated_at, modified_at FROM access_policies"
            " WHERE cluster = ? AND principal_arn = ? ORDER BY associated_at, policy_arn",
            (cluster, principal_arn),
        )
        return [
            PolicyRecord(
                policy_arn=str(row[0]),
                scope=AccessScope(type=ScopeType(str(row[1])), namespaces=tuple(json.loads(str(row[2])))),
                associated_at=float(str(row[3])),
                modified_at=float(str(row[4])),
            )
            for row in rows
        ]

    def get_entry(self, cluster: str, principal_arn: str) -> EntryRecord | None:
        rows = self._read(
            "SELECT * FROM access_entries WHERE cluster = ? AND principal_arn = ?", (cluster, principal_arn)
        )
        return self._entry(rows[0]) if rows else None

    def list_entry_records(self, cluster: str) -> list[EntryRecord]:
        rows = self._read("SELECT * FROM access_entries WHERE cluster = ? ORDER BY principal_arn", (cluster,))
        return [self._entry(row) for row in rows]

    def _entry(self, row: tuple[object, ...]) -> EntryRecord:
        cluster, principal_arn = str(row[0]), str(row[1])
        policies = tuple(
            AccessPolicyAssociation(policy_arn=p.policy_arn, scope=p.scope)
            for p in self.policies_of(cluster, principal_arn)
        )
        entry = AccessEntry(
            principal_arn=principal_arn,
            type=EntryType(str(row[2])),
            username=None if row[3] is None else str(row[3]),
            kubernetes_groups=tuple(json.loads(str(row[4]))),
            policies=policies,
            principal_id=None if row[5] is None else str(row[5]),
        )
        return EntryRecord(
            cluster=cluster,
            entry=entry,
            entry_arn=str(row[6]),
            tags=dict(json.loads(str(row[7]))),
            created_at=float(str(row[8])),
            modified_at=float(str(row[9])),
        )

    def list_access_entries(self, cluster: str) -> list[AccessEntry]:
        return [record.entry for record in self.list_entry_records(cluster)]
