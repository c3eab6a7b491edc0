"""The one reader of user files (adapters/files.py): what it refuses, in one line, and what it reads."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from eksaccess.adapters.files import (
    MAX_INPUT_BYTES,
    MAX_NESTING,
    check_existing_input,
    nesting_depth,
    private_directory,
    read_text,
)
from eksaccess.errors import InputError


def _write(content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "input.yaml"
        path.write_bytes(content)
        return path

    return make


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def _sparse(size: int) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "big.yaml"
        with path.open("wb") as handle:
            handle.truncate(size)
        return path

    return make


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda tmp: tmp / "absent.yaml", "no such file"),
    "directory": (lambda tmp: tmp, "is a directory, expected a file"),
    "fifo": (_fifo, "not a regular file"),
    "device": (lambda tmp: Path(os.devnull), "not a regular file"),
    "oversized": (_sparse(MAX_INPUT_BYTES + 1), "larger than 16 MiB"),
    "nul byte": (_write(b"a: b\x00\n"), "a binary file"),
    "latin-1": (_write("caf\xe9: 1\n".encode("latin-1")), "not UTF-8 text (byte 3"),
    "nested json": (_write(b"[" * 65 + b"]" * 65), "nested more than 64 levels"),
    "nested yaml": (_write("".join(" " * i + "k:\n" for i in range(70)).encode()), "nested more than 64"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_in_one_line_naming_the_file(case: str, tmp_path: Path) -> None:
    make, expected = REFUSED[case]
    path = make(tmp_path)
    with pytest.raises(InputError) as caught:
        read_text(path)
    message = caught.value.message
    assert expected in message and "\n" not in message
    assert message.startswith(str(path))


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads a mode-000 file")
    path = _write(b"a: 1\n")(tmp_path)
    path.chmod(0)
    with pytest.raises(InputError, match="cannot read: Permission denied"):
        read_text(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"a: 1\n",
        "name: caf\u00e9\n".encode(),
        b"[" * 64 + b"]" * 64,  # exactly the limit
        b"x" * 1000,
    ],
)
def test_reads_text_up_to_the_limits(content: bytes, tmp_path: Path) -> None:
    assert read_text(_write(content)(tmp_path)) == content.decode()


def test_reads_a_file_of_exactly_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "cap.yaml"
    path.write_bytes(b"#" * MAX_INPUT_BYTES)
    assert len(read_text(path)) == MAX_INPUT_BYTES


def test_symlinks_to_files_are_followed(tmp_path: Path) -> None:
    target = _write(b"a: 1\n")(tmp_path)
    (tmp_path / "link.yaml").symlink_to(target)
    assert read_text(tmp_path / "link.yaml") == "a: 1\n"


class _Stdin(io.TextIOWrapper):
    pass


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a: 1\n", None),
        (b"#" * (MAX_INPUT_BYTES + 1), "stdin: larger than 16 MiB"),
        (b"\xff\xfe", "stdin: not UTF-8 text"),
        (b"{" * 100, "stdin: nested more than 64 levels"),
    ],
)
def test_stdin_is_read_up_to_the_cap(
    content: bytes, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(io.BytesIO(content), encoding="utf-8"))
    if expected is None:
        assert read_text("-") == content.decode()
        return
    with pytest.raises(InputError) as caught:
        read_text("-")
    assert caught.value.message.startswith(expected)


def test_check_existing_input_ignores_a_missing_file_and_refuses_a_bad_one(tmp_path: Path) -> None:
    check_existing_input(tmp_path / "absent")
    check_existing_input(None)
    with pytest.raises(InputError, match="is a directory"):
        check_existing_input(tmp_path)


# --- the nesting estimate: never below the real depth, so nothing accepted can exhaust a parser's stack --


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


scalars = st.one_of(
    st.integers(), st.booleans(), st.text(alphabet="ab:#-[]{}'\" |>\n", max_size=8), st.none()
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(alphabet="abk", min_size=1, max_size=3), inner)
    ),
    max_leaves=40,
)


def _yaml(value: Any, flow: bool) -> str:
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.dump(value, out)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(["json", "json-indent", "yaml-block", "yaml-flow"]))
def test_the_estimate_is_never_below_the_real_depth(value: Any, form: str) -> None:
    text = {
        "json": lambda: json.dumps(value),
        "json-indent": lambda: json.dumps(value, indent=2),
        "yaml-block": lambda: _yaml(value, flow=False),
        "yaml-flow": lambda: _yaml(value, flow=True),
    }[form]()
    assert nesting_depth(text) >= _depth(value)


@pytest.mark.parametrize(
    "text",
    [
        "".join("  " * i + "- k:\n" for i in range(64)),  # compact sequences of mappings
        "a:\n" + "".join("  " * i + "- b:\n" for i in range(64)),
        "- " * 65 + "x\n",
        "a: " + "{b: " * 64 + "c" + "}" * 64 + "\n",
    ],
)
def test_deep_forms_are_caught_before_the_parser(text: str) -> None:
    assert nesting_depth(text) > MAX_NESTING


@pytest.mark.parametrize(
    "text",
    [
        "script: |\n  if [ -f x ]; then\n    echo '[[[[{{{{\"\n  fi\nnext: 1\n",  # a block scalar is text
        "key: \"a [quoted { string\"\nother: '[[['\n",
        "# [[[[[[ a comment\nurl: http://x/#[[[[\n",
        "word: don't [stop\n",
    ],
)
def test_text_that_only_looks_nested_is_shallow(text: str) -> None:
    assert nesting_depth(text) <= 3


# --- private directories ---------------------------------------------------------------------------------


def test_private_directory_creates_every_level_0700_and_tightens_existing_ones(tmp_path: Path) -> None:
    outside = tmp_path / "state"
    top = outside / "history"
    top.mkdir(parents=True)
    outside.chmod(0o755)
    top.chmod(0o755)
    leaf = top / "acct" / "region" / "cluster"
    private_directory(leaf, top=top)
    for level in (top, top / "acct", top / "acct" / "region", leaf):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755  # above the top: not eksaccess's to change
