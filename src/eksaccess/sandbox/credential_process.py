"""The ``credential_process`` of the sandbox's profiles: prints a user's access key as the AWS SDKs
expect (``{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...}``), or fails as a broken helper
does. Standard library only: the AWS CLI runs it for every command that needs credentials.

``python -m eksaccess.sandbox.credential_process STATE_DIR PROFILE [--fail]``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEYS_FILE = "credential-process.json"  # written by config_files.write_client_files (mode 0600)
FAILURE = "credential helper: no cached login for this profile; sign in with your company's tool first"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(
            "usage: python -m eksaccess.sandbox.credential_process STATE_DIR PROFILE [--fail]",
            file=sys.stderr,
        )
        return 2
    state_dir, profile = Path(args[0]), args[1]
    if "--fail" in args[2:]:
        print(FAILURE, file=sys.stderr)
        return 1
    try:
        keys = json.loads((state_dir / KEYS_FILE).read_text(encoding="utf-8"))
        found = keys[profile]
    except (OSError, ValueError, KeyError):
        print(f"credential helper: no credentials for profile {profile} in {state_dir}", file=sys.stderr)
        return 1
    out = {"Version": 1, "AccessKeyId": found["AccessKeyId"], "SecretAccessKey": found["SecretAccessKey"]}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
