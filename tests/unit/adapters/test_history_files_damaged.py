"""A damaged history directory: one unreadable record is skipped (and named), never the whole history;
rollback still reaches every intact version; directories are private whatever mode they had."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eksaccess.adapters.history_files import HistoryFiles
from eksaccess.errors import InputError
from eksaccess.features.manage.history import list_history, recorded_state

ACCT = "111122223333"
STATE: dict[str, Any] = {"authenticationMode": "API", "awsAuth": None, "accessEntries": []}


def history_with_three(tmp_path: Path) -> HistoryFiles:
    files = HistoryFiles(tmp_path / "h", account=ACCT, region="us-west-2", cluster="demo")
    for number in range(1, 4):
        files.create({"command": f"grant {number}", "status": "applied", "before": STATE, "after": STATE})
    return files


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": _truncate,
    "empty": lambda path: path.write_bytes(b""),
    "binary": lambda path: path.write_bytes(bytes(range(256))),
    "not a record": lambda path: path.write_text("[1, 2, 3]\n"),
    "directory": lambda path: (path.unlink(), path.mkdir()),  # type: ignore[func-returns-value]
    "fifo": _fifo,  # would hang a blocking read
    "nested": lambda path: path.write_text("[" * 2000 + "]" * 2000),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_history_lists_the_intact_records_and_names_the_damaged_one(damage: str, tmp_path: Path) -> None:
    files = history_with_three(tmp_path)
    broken = files.directory / "000002.json"
    DAMAGE[damage](broken)
    listing = list_history(files)
    assert [item.version for item in listing.items] == [1, 3]
    (skipped,) = listing.skipped
    assert skipped.startswith("history version 2 is unreadable: ") and str(broken) in skipped
    assert "\n" not in skipped


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_rollback_reaches_intact_versions_past_a_damaged_one(damage: str, tmp_path: Path) -> None:
    files = history_with_three(tmp_path)
    DAMAGE[damage](files.directory / "000002.json")
    assert recorded_state(files, None)[0] == 3  # the latest is intact: undo it
    assert recorded_state(files, 1)[0] == 1
    assert recorded_state(files, 3)[0] == 3
    assert recorded_state(files, 0)[0] == 0
    with pytest.raises(InputError, match="history version 2 is unreadable"):
        recorded_state(files, 2)


def test_a_damaged_latest_record_says_which_version_can_be_restored(tmp_path: Path) -> None:
    files = history_with_three(tmp_path)
    _truncate(files.directory / "000003.json")
    with pytest.raises(InputError) as caught:
        recorded_state(files, None)
    assert caught.value.message.startswith("history version 3 is unreadable")
    assert caught.value.hint == "'eksaccess rollback --to 2' restores the state version 2 left"


def test_a_stray_file_is_not_a_version(tmp_path: Path) -> None:
    files = history_with_three(tmp_path)
    (files.directory / "notes.txt").write_text("mine")
    (files.directory / "000004.json.bak").write_text("{")
    assert files.versions() == [1, 2, 3]
    assert list_history(files).skipped == ()


def test_new_records_never_reuse_the_number_of_a_damaged_one(tmp_path: Path) -> None:
    files = history_with_three(tmp_path)
    _truncate(files.directory / "000003.json")
    assert files.create({"command": "next"}) == 4


@pytest.mark.parametrize("mode", [0o755, 0o775, 0o750])
def test_every_history_directory_is_made_0700(mode: int, tmp_path: Path) -> None:
    root = tmp_path / "h"
    files = HistoryFiles(root, account=ACCT, region="us-west-2", cluster="demo")
    files.directory.mkdir(parents=True)
    for level in (root, root / ACCT, root / ACCT / "us-west-2", files.directory):
        level.chmod(mode)
    files.create({"command": "grant"})
    for level in (root, root / ACCT, root / ACCT / "us-west-2", files.directory):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    for record in files.directory.iterdir():
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
