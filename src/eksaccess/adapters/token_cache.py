"""The token cache of ``eksaccess token``: one small JSON file per cache key, mode 0600.

A file is trusted only after checks made on the opened descriptor (no race between check and read): a
regular file (symlinks refused through ``O_NOFOLLOW``), owned by the current user, no permission beyond
0600, at most 64 KiB of JSON naming the very key it is read for. Anything else is reported as a refusal
and never served; the caller mints a new token, which replaces the file atomically (a private temporary
file in the same directory renamed over it). The directory is made 0700 on every write, whatever mode it
had. ``clear`` removes only files this module wrote: a cache file's name (40 hex digits, ``.json``) and
content (a cache document), or a temporary file's name. Standard library only: this is on the fast path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

CACHE_DIR_ENV = "EKSACCESS_CACHE_DIR"
FILE_SUFFIX = ".json"
TEMP_PREFIX = ".token-"
FORMAT_VERSION = 1
MAX_BYTES = 64 * 1024
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_CACHE_FILE = re.compile(r"[0-9a-f]{40}\.json")
_TEMP_FILE = re.compile(r"\.token-[A-Za-z0-9_]+\.tmp")


class Refusal(StrEnum):
    """Why a cache file was not trusted."""

    NOT_REGULAR = "not a regular file"
    FOREIGN_OWNER = "not owned by the current user"
    WIDE_MODE = "permissions wider than 0600"
    CORRUPTED = "corrupted"
    OTHER_KEY = "written for another key"


class CacheKey(NamedTuple):
    """What a cached token is bound to: one file per key."""

    partition: str
    region: str
    cluster: str  # the x-k8s-aws-id value: cluster name, or cluster id on Outposts
    role_arn: str  # "" without --role-arn
    access_key_id: str  # the caller's access key id (see adapters/aws_credentials_light.py)

    def as_dict(self) -> dict[str, str]:
        return {
            "partition": self.partition,
            "region": self.region,
            "cluster": self.cluster,
            "roleArn": self.role_arn,
            "accessKeyId": self.access_key_id,
        }

    def file_name(self) -> str:
        digest = hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode("utf-8")).hexdigest()
        return digest[:40] + FILE_SUFFIX


class CachedToken(NamedTuple):
    token: str
    expiration: datetime  # the expirationTimestamp kubectl was given (UTC)
    fingerprint: str  # the identity fingerprint the token was minted under
    signing_key_id: str | None = None  # the access key id inside the token (X-Amz-Credential)


class CacheRead(NamedTuple):
    path: str
    token: CachedToken | None = None
    refusal: Refusal | None = None  # set when a file was there but is not trusted


def default_cache_dir(env: Mapping[str, str]) -> str:
    """``$EKSACCESS_CACHE_DIR``, else ``platformdirs.user_cache_dir("eksaccess")/tokens``.

    On Linux that is platformdirs' XDG rule (``$XDG_CACHE_HOME`` or ``~/.cache``), computed here without
    importing platformdirs; elsewhere platformdirs itself answers.
    """
    override = env.get(CACHE_DIR_ENV)
    if override:
        return os.path.expanduser(override)
    if sys.platform.startswith("linux"):
        base = env.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "eksaccess", "tokens")
    from platformdirs import user_cache_dir

    return os.path.join(user_cache_dir("eksaccess"), "tokens")


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z", re.ASCII)
_AMZ_DATE = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z", re.ASCII)


def _parse(pattern: re.Pattern[str], text: str) -> datetime:
    """A UTC time in one fixed layout; ``datetime.strptime`` would import _strptime, calendar and locale."""
    match = pattern.fullmatch(text)
    if match is None:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def parse_time(text: str) -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` (expirationTimestamp)."""
    return _parse(_TIMESTAMP, text)


def parse_amz_date(text: str) -> datetime:
    """``YYYYMMDDTHHMMSSZ`` (X-Amz-Date)."""
    return _parse(_AMZ_DATE, text)


def _decode(raw: bytes, key: CacheKey) -> CachedToken | Refusal:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            return Refusal.CORRUPTED
        token, expiration, fingerprint = data["token"], data["expirationTimestamp"], data["fingerprint"]
        signing = data.get("signingKeyId")
        if not all(isinstance(v, str) for v in (token, expiration, fingerprint)):
            return Refusal.CORRUPTED
        if signing is not None and not isinstance(signing, str):
            return Refusal.CORRUPTED
        if data.get("key") != key.as_dict():
            return Refusal.OTHER_KEY
        return CachedToken(
            token=token, expiration=parse_time(expiration), fingerprint=fingerprint, signing_key_id=signing
        )
    except (ValueError, KeyError, UnicodeDecodeError):
        return Refusal.CORRUPTED


class TokenCache:
    """The directory of cached tokens."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)

    def path(self, key: CacheKey) -> str:
        return os.path.join(self.directory, key.file_name())

    def read(self, key: CacheKey) -> CacheRead:
        path = self.path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return CacheRead(path=path)
        except OSError:  # a symlink (ELOOP), a directory, no permission
            return CacheRead(path=path, refusal=Refusal.NOT_REGULAR)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return CacheRead(path=path, refusal=Refusal.NOT_REGULAR)
            if info.st_uid != os.getuid():
                return CacheRead(path=path, refusal=Refusal.FOREIGN_OWNER)
            if stat.S_IMODE(info.st_mode) & ~0o600:
                return CacheRead(path=path, refusal=Refusal.WIDE_MODE)
            raw = os.read(fd, MAX_BYTES + 1)
        finally:
            os.close(fd)
        if len(raw) > MAX_BYTES:
            return CacheRead(path=path, refusal=Refusal.CORRUPTED)
        decoded = _decode(raw, key)
        if isinstance(decoded, Refusal):
            return CacheRead(path=path, refusal=decoded)
        return CacheRead(path=path, token=decoded)

    def write(self, key: CacheKey, cached: CachedToken) -> str:
        """Write atomically with mode 0600; the directory is created with mode 0700."""
        import tempfile
        from pathlib import Path

        from eksaccess.adapters.files import private_directory

        private_directory(Path(self.directory))
        document = {
            "version": FORMAT_VERSION,
            "key": key.as_dict(),
            "fingerprint": cached.fingerprint,
            "signingKeyId": cached.signing_key_id,
            "expirationTimestamp": _format_time(cached.expiration),
            "token": cached.token,
        }
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=TEMP_PREFIX, suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path(key))
        except BaseException:
            _unlink(temp)
            raise
        return self.path(key)

    def remove(self, key: CacheKey) -> None:
        _unlink(self.path(key))

    def clear(self) -> int:
        """Remove every cached token (and leftover temporary files); how many files went.

        Only files this cache wrote go: anything else in the directory (a ``package.json``, a file named
        like a cache file that holds something else, a symlink, another user's file) stays."""
        if not os.path.isdir(self.directory):
            return 0
        removed = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if _written_here(entry):
                    _unlink(entry.path)
                    removed += 1
        return removed


def _written_here(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a file this cache wrote: recognised by its name and, for a cache file, its
    content (a regular file of the current user holding a cache document)."""
    if _TEMP_FILE.fullmatch(entry.name):
        return entry.is_file(follow_symlinks=False)
    if not _CACHE_FILE.fullmatch(entry.name):
        return False
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return False
        raw = os.read(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    return _is_cache_document(raw)


def _is_cache_document(raw: bytes) -> bool:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and {"version", "key", "token", "expirationTimestamp"} <= data.keys()


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
