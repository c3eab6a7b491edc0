"""The sandbox's files hold every secret key and session token it issued: its directories are 0700 and
its files 0600, whatever existed before (a ``--state-dir`` made 0755 by hand, files left by an older
version, a umask of 022).

SQLite creates ``sandbox.db-wal`` and ``-shm`` with the mode of ``sandbox.db`` itself (its unix VFS
copies the database file's permissions to them), so creating the database file 0600 before SQLite opens
it is enough for all three; files that already exist are chmod-ed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and any missing parent) as a directory of mode 0700; an existing one is chmod-ed."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file of mode 0600, created empty if missing (its content is left as it is)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 (atomically: a temp file renamed over it)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)


def restrict(state_dir: Path, names: Iterable[str], trees: Iterable[str] = ()) -> None:
    """Make ``state_dir`` 0700, its files ``names`` 0600 where they exist, and everything under its
    sub-directories ``trees`` 0700/0600. Only the sandbox's own names: a state directory given by a
    user may hold files of theirs, which are left alone. Symbolic links are not followed."""
    private_dir(state_dir)
    for name in names:
        _chmod_if_file(state_dir / name, FILE_MODE)
    for tree in trees:
        root = state_dir / tree
        if root.is_symlink() or not root.is_dir():
            continue
        os.chmod(root, DIR_MODE)
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                _chmod_if_dir(Path(folder) / name)
            for name in files:
                _chmod_if_file(Path(folder) / name, FILE_MODE)


def _chmod_if_file(path: Path, mode: int) -> None:
    if path.is_file() and not path.is_symlink():
        os.chmod(path, mode)


def _chmod_if_dir(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        os.chmod(path, DIR_MODE)
