"""The local record of every change eksaccess made to a cluster's access.

One JSON file per change under ``<root>/<account>/<region>/<cluster>/``, named by its version number
(``000001.json``, ...). ``root`` is ``$EKSACCESS_HISTORY_DIR`` when set, else
``platformdirs.user_state_dir("eksaccess")/history``. Files and directories are private (0600 / 0700)
and written atomically (a temporary file renamed over the target), so a crash never leaves half a record.
Every directory from the root down is made 0700 whatever mode it had, if the current user owns it.
A record that cannot be read (truncated, not JSON, a stray file under a version's name) is named in an
``InputError``; the features skip it where the other records still answer (``features.manage.history``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from eksaccess.adapters.files import private_directory, read_text
from eksaccess.errors import InputError

ENV_VAR = "EKSACCESS_HISTORY_DIR"
_VERSION_FILE = re.compile(r"^(\d{6})\.json$")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def default_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_state_dir("eksaccess")) / "history"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HistoryFiles:
    """The history directory of one cluster."""

    def __init__(self, root: Path, *, account: str, region: str, cluster: str) -> None:
        self.root = root
        self.directory = root / _SAFE.sub("_", account) / _SAFE.sub("_", region) / _SAFE.sub("_", cluster)

    def versions(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (_VERSION_FILE.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def read(self, version: int) -> dict[str, Any]:
        """The record of ``version``; InputError naming the file when it is missing or unreadable."""
        path = self._path(version)
        if not path.exists():
            raise InputError(f"no history version {version} for this cluster (see 'eksaccess history')")
        try:
            data = json.loads(read_text(path))
        except InputError as err:
            raise InputError(f"history version {version} is unreadable: {err.message}") from None
        except ValueError as err:
            raise InputError(f"history version {version} is unreadable: {path}: not JSON ({err})") from None
        if not isinstance(data, dict):
            raise InputError(f"history version {version} is unreadable: {path}: not a record")
        return data

    def create(self, record: Mapping[str, Any]) -> int:
        """Store a new record under the next version number (exclusive create: concurrent runs never
        share a number); returns the number."""
        self._ensure_dir()
        for _ in range(1000):
            version = (self.versions() or [0])[-1] + 1
            tmp = self._write_tmp({**record, "version": version})
            try:
                os.link(tmp, self._path(version))  # atomic and exclusive: never two records per number
            except FileExistsError:
                continue
            finally:
                Path(tmp).unlink(missing_ok=True)
            return version
        raise InputError(f"cannot allocate a history version in {self.directory}")

    def update(self, version: int, record: Mapping[str, Any]) -> None:
        """Replace a record atomically."""
        self._ensure_dir()
        tmp = self._write_tmp({**record, "version": version})
        try:
            os.replace(tmp, self._path(version))
        finally:
            Path(tmp).unlink(missing_ok=True)

    def discard(self, version: int) -> None:
        """Remove a record that turned out to record nothing (a change refused before any write)."""
        self._path(version).unlink(missing_ok=True)

    def _write_tmp(self, record: Mapping[str, Any]) -> str:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_dumps(record))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return tmp

    def _path(self, version: int) -> Path:
        return self.directory / f"{version:06d}.json"

    def _ensure_dir(self) -> None:
        try:
            private_directory(self.directory, top=self.root)
        except OSError as err:
            raise InputError(f"cannot create the history directory {self.directory}: {err}") from None


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
