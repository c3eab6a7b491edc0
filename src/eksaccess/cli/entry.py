"""The console entry point of ``eksaccess`` and ``kubectl-eksaccess``: the token fast path, then the CLI.

``eksaccess token OPTIONS`` on a servable cache hit prints the cached ExecCredential and exits 0 before
click is imported (``eksaccess.token_fast.serve_hit``); everything else (other commands, a miss, --help,
bad options) runs ``eksaccess.cli.main.main`` with the same arguments and clock.

Start-up is what the fast path saves: this module imports only the standard library and token_fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from eksaccess.token_fast import Clock, serve_hit, system_clock


def console(argv: Sequence[str] | None = None, *, clock: Clock = system_clock) -> object:
    """Run ``eksaccess ARGS``: a token cache hit is served here; anything else goes to the CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["token"]:
        code = serve_hit(args[1:], clock=clock)
        if code is not None:
            sys.exit(code)
    from eksaccess.cli.main import main as cli_main

    return cli_main(args, clock=clock)


def token_main() -> None:  # pragma: no cover - exercised through subprocesses
    """``python -m eksaccess.cli.entry [token] OPTIONS``: the fast path, then the full token command."""
    args = sys.argv[1:]
    console(args if args[:1] == ["token"] else ["token", *args])


if __name__ == "__main__":
    token_main()
