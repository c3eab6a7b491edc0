"""Reading the user's input files (or stdin, named ``-``) as text."""

from __future__ import annotations

import sys
from pathlib import Path

from eksaccess.errors import InputError

STDIN = "-"


def read_text(path: str | Path) -> str:
    """The whole file as UTF-8 text; ``-`` reads stdin. InputError when it cannot be read."""
    if str(path) == STDIN:
        try:
            return sys.stdin.read()
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read stdin: {err}") from None
    file = Path(path).expanduser()
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a directory, expected a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text") from None
    except OSError as err:
        raise InputError(f"{file}: cannot read: {err.strerror or err}") from None


def source_name(path: str | Path) -> str:
    """How error messages name the input."""
    return "stdin" if str(path) == STDIN else str(path)
