"""CloudWatch Logs (JSON 1.1, ``Logs_20140328``): the log groups of the sandbox's clusters and their
events, and FilterLogEvents over them. EKS writes a cluster's control-plane logs to the group
``/aws/eks/NAME/cluster`` once a log type is enabled; the sandbox writes the authenticator's lines there
(``authenticator-<hex>`` streams, see ``sandbox/kube/mapping.py``).

FilterLogEvents takes ``logGroupName`` (or ``logGroupIdentifier``: the name or the group's ARN),
``logStreamNamePrefix`` or ``logStreamNames`` (not both), ``startTime``/``endTime`` (ms), ``limit`` (1-10000),
``nextToken`` and ``filterPattern``. Supported patterns: terms (``ERROR``; ``"access denied"`` quoted
when they hold anything but letters, digits and ``_``), all of which must occur (case-sensitive);
``?term`` (at least one of them), ``-term`` (none), ``%regex%``. JSON (``{ ... }``) and space-delimited
(``[ ... ]``) patterns are refused with InvalidParameterException. The caller needs ``logs:FilterLogEvents``.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eksaccess.sandbox.aws.errors import AwsError, ErrorKind
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, amz_json_response
from eksaccess.sandbox.private_files import private_file
from eksaccess.sandbox.store import SandboxStore

TARGET_PREFIX = "Logs_20140328."
MAX_LIMIT = 10000
LOG_DB = "logs.db"
_TABLES = (
    "CREATE TABLE IF NOT EXISTS log_groups (account_id TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (account_id, region, name))",
    "CREATE TABLE IF NOT EXISTS log_events (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL,"
    " region TEXT NOT NULL, log_group TEXT NOT NULL, stream TEXT NOT NULL, timestamp INTEGER NOT NULL,"
    " ingestion_time INTEGER NOT NULL, message TEXT NOT NULL)",
)
_GROUP_NAME = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
_TERM = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|%[^%]*%|\S+)')


_LOCK = threading.Lock()


@contextmanager
def _database(store: SandboxStore) -> Iterator[sqlite3.Connection]:
    """One transaction on the log database, a file of its own beside the store's (``logs.db``): a log line
    written while a token is checked must not look like a change of the cluster's state (the API server's
    authentication cache is keyed on the store's ``data_version``)."""
    path = store.path.with_name(LOG_DB)
    with _LOCK:
        private_file(path)
        conn = sqlite3.connect(path, timeout=10.0)
        try:
            with conn:
                for statement in _TABLES:
                    conn.execute(statement)
                yield conn
        finally:
            conn.close()


def ensure_group(store: SandboxStore, *, account: str, region: str, name: str, at: float) -> None:
    """The log group exists (EKS creates the cluster's group when a log type is first enabled)."""
    with _database(store) as conn:
        conn.execute("INSERT OR IGNORE INTO log_groups VALUES (?, ?, ?, ?)", (account, region, name, at))


def put_event(
    store: SandboxStore, *, account: str, region: str, group: str, stream: str, message: str, at: float
) -> None:
    """Append one event (``at``: epoch seconds) to ``group``/``stream``, creating the group if needed."""
    ms = int(at * 1000)
    with _database(store) as conn:
        conn.execute("INSERT OR IGNORE INTO log_groups VALUES (?, ?, ?, ?)", (account, region, group, at))
        conn.execute(
            "INSERT INTO log_events (account_id, region, log_group, stream, timestamp, ingestion_time, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (account, region, group, stream, ms, ms, message),
        )


# filter patterns ------------------------------------------------------------------------------------------


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message, status=400)


@dataclass(frozen=True, kw_only=True, slots=True)
class FilterPattern:
    all_of: tuple[str | re.Pattern[str], ...] = ()
    any_of: tuple[str | re.Pattern[str], ...] = ()
    none_of: tuple[str | re.Pattern[str], ...] = ()

    def matches(self, message: str) -> bool:
        def found(term: str | re.Pattern[str]) -> bool:
            return term.search(message) is not None if isinstance(term, re.Pattern) else term in message

        return (
            all(found(t) for t in self.all_of)
            and (not self.any_of or any(found(t) for t in self.any_of))
            and not any(found(t) for t in self.none_of)
        )


def parse_pattern(text: str) -> FilterPattern:
    """The supported subset of CloudWatch Logs' filter pattern syntax (see the module's docstring)."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        raise _invalid("The sandbox supports term filter patterns only (no JSON or space-delimited patterns)")
    groups: dict[str, list[str | re.Pattern[str]]] = {"": [], "?": [], "-": []}
    position = 0
    for match in _TERM.finditer(stripped):
        if stripped[position : match.start()].strip():
            raise _invalid("Invalid filter pattern")
        position = match.end()
        sign, raw = match.group(1), match.group(2)
        term: str | re.Pattern[str]
        if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
            term = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif len(raw) >= 2 and raw.startswith("%") and raw.endswith("%"):
            try:
                term = re.compile(raw[1:-1])
            except re.error:
                raise _invalid("Invalid regex in filter pattern") from None
        elif '"' in raw:
            raise _invalid("Invalid filter pattern: unbalanced quotes")
        else:
            term = raw
        groups[sign].append(term)
    return FilterPattern(all_of=tuple(groups[""]), any_of=tuple(groups["?"]), none_of=tuple(groups["-"]))


# FilterLogEvents ------------------------------------------------------------------------------------------


def _group_name(body: Mapping[str, Any], region: str, account: str) -> str:
    name, identifier = body.get("logGroupName"), body.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise _invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier is not None:
        text = str(identifier)
        prefix = f"arn:aws:logs:{region}:{account}:log-group:"
        name = text[len(prefix) :].removesuffix(":*") if text.startswith(prefix) else text
    if not isinstance(name, str) or not _GROUP_NAME.match(name):
        raise _invalid(
            "1 validation error detected: Value at 'logGroupName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )
    return name


def _int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AwsError("SerializationException", f"{key} must be a number", status=400)
    return value


def _streams_filter(body: Mapping[str, Any]) -> tuple[str | None, list[str] | None]:
    prefix, names = body.get("logStreamNamePrefix"), body.get("logStreamNames")
    if prefix is not None and names is not None:
        raise _invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise AwsError("SerializationException", "logStreamNames must be a list of strings", status=400)
    return (str(prefix) if prefix is not None else None), names


def filter_log_events(req: ServiceRequest) -> AwsResponse:
    caller = req.caller
    body = req.json_body()
    group = _group_name(body, req.region, caller.account)
    ensure_allowed(
        caller,
        "logs:FilterLogEvents",
        f"arn:{caller.partition}:logs:{req.region}:{caller.account}:log-group:{group}:*",
    )
    prefix, names = _streams_filter(body)
    start, end, limit = _int(body, "startTime"), _int(body, "endTime"), _int(body, "limit")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise _invalid(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member "
            f"must have value between 1 and {MAX_LIMIT}"
        )
    pattern = parse_pattern(str(body.get("filterPattern") or ""))
    after = _after(body.get("nextToken"))
    with _database(req.ctx.store) as conn:
        exists = conn.execute(
            "SELECT 1 FROM log_groups WHERE account_id = ? AND region = ? AND name = ?",
            (caller.account, req.region, group),
        ).fetchone()
        rows = conn.execute(
            "SELECT id, stream, timestamp, ingestion_time, message FROM log_events WHERE account_id = ?"
            " AND region = ? AND log_group = ? AND id > ? ORDER BY timestamp, id",
            (caller.account, req.region, group, after),
        ).fetchall()
    if not exists:
        raise AwsError("ResourceNotFoundException", "The specified log group does not exist.", status=400)
    events: list[dict[str, Any]] = []
    last = after
    more = False
    for event_id, stream, timestamp, ingestion, message in rows:
        if len(events) >= (limit or MAX_LIMIT):
            more = True
            break
        last = int(event_id)
        if prefix is not None and not str(stream).startswith(prefix):
            continue
        if names is not None and stream not in names:
            continue
        if (start is not None and timestamp < start) or (end is not None and timestamp > end):
            continue
        if not pattern.matches(str(message)):
            continue
        events.append(
            {
                "logStreamName": stream,
                "timestamp": timestamp,
                "message": message,
                "ingestionTime": ingestion,
                "eventId": f"{int(timestamp):020d}{int(event_id):036d}"[:56],
            }
        )
    out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if more:
        out["nextToken"] = base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode("ascii")
    return amz_json_response(out, req.request_id)


def _after(token: object) -> int:
    if token is None:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))["after"])
    except (ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise _invalid("The specified nextToken is invalid.") from None


def handle(req: ServiceRequest) -> AwsResponse:
    target = req.http.headers.get("x-amz-target", "")
    if target == TARGET_PREFIX + "FilterLogEvents":
        return filter_log_events(req)
    raise AwsError.generic(
        ErrorKind.UNKNOWN_OPERATION, f"The sandbox does not serve {target or 'this operation'}"
    )
