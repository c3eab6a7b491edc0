"""Reading the user's input files (or stdin, named ``-``) as text: the one reader every command uses.

What it refuses, each with one line (``InputError``, exit 2), before any parser sees the input
(docs/input-limits.md):

- a path that is not a regular file: a directory, a FIFO, a socket or a device. The path is examined with
  ``stat`` first and opened non-blocking, so a FIFO never hangs the command and ``/dev/zero`` is never read;
- more than ``MAX_INPUT_BYTES`` (16 MiB) from a file or from stdin (stdin is read up to the cap plus one
  byte, never further);
- binary or undecodable text: a NUL byte, or bytes that are not UTF-8;
- YAML or JSON nested deeper than ``MAX_NESTING`` levels (the parsers would exhaust Python's stack).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from pathlib import Path

from eksaccess.domain.data_text import json_depth
from eksaccess.errors import InputError

STDIN = "-"
MAX_INPUT_BYTES = 16 * 1024 * 1024  # no access configuration, snapshot or scenario comes near this
MAX_NESTING = 64  # levels of mappings and sequences; real files stay under 15
_CHUNK = 1024 * 1024


def read_text(path: str | Path) -> str:
    """The whole file as UTF-8 text; ``-`` reads stdin. InputError when it cannot be read or is refused."""
    name = source_name(path)
    raw = _read_stdin() if str(path) == STDIN else _read_file(Path(path).expanduser())
    text = decode_text(raw, name)
    check_nesting(text, name)
    return text


def source_name(path: str | Path) -> str:
    """How error messages name the input."""
    return "stdin" if str(path) == STDIN else str(path)


def read_file_bytes(file: Path) -> bytes:
    """A regular file's bytes, at most ``MAX_INPUT_BYTES``; InputError for anything else."""
    return _read_file(file)


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 text without NUL bytes (a NUL means a binary file), else InputError."""
    if b"\x00" in raw:
        raise InputError(f"{name}: a binary file, expected text (YAML or JSON)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: not UTF-8 text (byte {err.start} cannot be decoded)") from None


def _too_big(name: str) -> InputError:
    return InputError(f"{name}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB, the most eksaccess reads")


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is not None:
            raw: bytes = stream.read(MAX_INPUT_BYTES + 1)
        else:
            raw = sys.stdin.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogateescape")
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read stdin: {err}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise _too_big("stdin")
    return raw


def _read_file(file: Path) -> bytes:
    _check_kind(file, _stat(file))
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise _unreadable(file, err) from None
    with os.fdopen(fd, "rb") as handle:
        _check_kind(file, os.fstat(handle.fileno()))  # the path may have changed since the stat
        try:
            raw = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as err:
            raise _unreadable(file, err) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise _too_big(str(file))
    return raw


def _stat(file: Path) -> os.stat_result:
    try:
        return file.stat()
    except OSError as err:
        raise _unreadable(file, err) from None


def _check_kind(file: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{file}: is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{file}: not a regular file (a FIFO, socket or device); save it to a file, or pipe it to -"
        )
    if info.st_size > MAX_INPUT_BYTES:
        raise _too_big(str(file))


def _unreadable(file: Path, err: OSError) -> InputError:
    if isinstance(err, FileNotFoundError):
        return InputError(f"{file}: no such file")
    if isinstance(err, IsADirectoryError):
        return InputError(f"{file}: is a directory, expected a file")
    return InputError(f"{file}: cannot read: {err.strerror or err}")


def check_nesting(text: str, name: str) -> None:
    """InputError when YAML or JSON text nests deeper than ``MAX_NESTING`` (JSON measured exactly and fast)."""
    depth = json_depth(text)
    if (nesting_depth(text) if depth is None else depth) > MAX_NESTING:
        raise InputError(f"{name}: nested more than {MAX_NESTING} levels deep, the most eksaccess reads")


def nesting_depth(text: str) -> int:
    """An upper estimate of how deep YAML or JSON text nests: indentation levels, ``- `` entries that open
    a sequence on the same line, and flow brackets outside quoted strings; block scalars (``|``, ``>``) are
    text, not structure. It errs high rather than low, so the parsers' stack limits (above 200 levels) stay
    far out of reach below ``MAX_NESTING``."""
    parents: list[_Parent] = []
    flow: list[str] = []
    quote, block, deepest = "", 0, 0
    scalar_indent: int | None = None  # inside a block scalar more indented than this
    for line in text.splitlines():
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if scalar_indent is not None and (not content or indent > scalar_indent):
            continue
        scalar_indent = None
        if not quote and not flow:
            if not content or content.startswith("#"):
                continue
            block, content = _block_depth(parents, indent, content)
        if quote or flow or _FLOW_OR_QUOTE.search(content):
            quote, line_deepest = _scan_flow(content, flow, quote)
        else:
            line_deepest = 0  # nothing on the line opens, closes or quotes: no need to scan it
        deepest = max(deepest, block + line_deepest)
        if not quote and not flow and _BLOCK_SCALAR.search(content):
            scalar_indent = indent
    return deepest


# A line that opened block structure: (indent, depth of the innermost collection it is in or opened,
# whether it is a plain ``key:`` whose value may be a sequence at the same indent).
_Parent = tuple[int, int, bool]
_COMPACT_KEY = re.compile(r"[^\s#][^#]*?:(\s|$)")  # "- key: ..." opens a mapping inside the entry
_OPENS_VALUE = re.compile(r":\s*(#.*)?$")  # "key:" with its value on the following lines
_BLOCK_SCALAR = re.compile(r"(^|[\s:])[|>][-+0-9]*\s*(#.*)?$")
_FLOW_OR_QUOTE = re.compile(r"[\[\]{}\"']")


def _block_depth(parents: list[_Parent], indent: int, content: str) -> tuple[int, str]:
    """The depth of the block collection a line sits in (``parents`` updated), and the line after its
    ``- `` markers."""
    dashes, rest = _leading_dashes(content)
    while parents and (
        parents[-1][0] > indent or (parents[-1][0] == indent and not (dashes and parents[-1][2]))
    ):
        parents.pop()
    base = parents[-1][1] if parents else 0
    if not dashes and rest[:1] in ("[", "{"):
        depth = base  # a flow collection: its bracket counts the level
    else:
        depth = base + max(dashes, 1) + (1 if dashes and _COMPACT_KEY.match(rest) else 0)
    parents.append((indent, depth, not dashes and bool(_OPENS_VALUE.search(rest))))
    return depth, rest


def _leading_dashes(content: str) -> tuple[int, str]:
    """How many ``- `` sequence entries open on this line, and what follows them."""
    count = 0
    while content == "-" or content.startswith(("- ", "-\t")):
        count += 1
        content = content[1:].lstrip(" \t")
    return count, content


def _scan_flow(content: str, flow: list[str], quote: str) -> tuple[str, int]:
    """Scan a line's flow collections: ``flow`` (the open brackets, ``[:`` for a sequence holding an
    implicit ``[a: b]`` mapping) is updated; returns the quote still open and the line's deepest depth.
    A quote opens a string only where a value starts (the line's start, after ``: ``, ``,``, ``[``, ``{``)."""
    deepest = _flow_depth(flow)
    value_start, opened = True, False
    index = 0
    while index < len(content):
        char = content[index]
        separator = content[index + 1 : index + 2] in ("", " ", "\t")
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in " \t":
            pass
        elif char in "\"'" and value_start:
            quote = char
        elif char == "#" and index and content[index - 1] in " \t":
            break
        elif char in "[{" and (flow or value_start):
            flow.append(char)
            opened = True
        elif char in "]}" and flow:
            flow.pop()
        elif char == ":" and flow and flow[-1] == "[" and separator:
            flow[-1] = "[:"
        if not quote and char not in " \t":
            value_start = opened or (char == "," and bool(flow)) or (char == ":" and separator)
        opened = False
        deepest = max(deepest, _flow_depth(flow))
        index += 1
    return quote, deepest


def _flow_depth(flow: list[str]) -> int:
    return len(flow) + flow.count("[:")


def private_directory(directory: Path, *, top: Path | None = None) -> None:
    """Create ``directory`` (and its missing parents) with mode 0700, and set 0700 on every existing level
    from ``top`` (default: ``directory`` itself) down to it that the current user owns, whatever mode it
    had: the files inside hold secrets or a record of who changed what."""
    missing = [level for level in (directory, *directory.parents) if not level.exists()]
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first: chmod below still applies
            level.mkdir(mode=0o700)
    levels = [directory]
    if top is not None and top != directory and top in directory.parents:
        levels.extend(directory.parents[: directory.parents.index(top) + 1])
    for level in {*levels, *missing}:
        _make_private(level)


def _make_private(level: Path) -> None:
    info = level.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(level, 0o700)


def check_existing_input(path: str | Path | None) -> None:
    """Refuse now, before any call is made, a file a command will read later, if it exists (a command may
    also create it, or report its absence as a finding): the same checks as ``read_text``."""
    if path is not None and str(path) != STDIN and Path(path).expanduser().exists():
        read_text(path)
