"""The one error family of eksaccess, mapped to exit codes in one place (cli.main).

Exit codes (shared/DESIGN.md): 0 success, 1 problems found, 2 usage or input error,
3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations


class EksAccessError(Exception):
    """Base of every error eksaccess reports to a user. ``str(err)`` is one line."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(EksAccessError, ValueError):
    """Bad input from the user: a malformed ARN, an unreadable or invalid file."""

    exit_code = 2


class RemoteError(EksAccessError):
    """An AWS or Kubernetes call failed after retries."""

    exit_code = 3
