"""``eksaccess whoami``'s modes: with --arn, a principal resolved in a snapshot (or the live cluster);
without, you, live. What does not go together is one line and exit 2, before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "examples" / "snapshot.yaml")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--snapshot", SNAPSHOT], "--snapshot needs --arn"),
        (["--session-name", "s"], "--session-name and --access-key-id go with --arn"),
        (
            ["--snapshot", SNAPSHOT, "--arn", "arn:aws:iam::111122223333:user/a", "--context", "c"],
            "give exactly one of --snapshot FILE or a live cluster",
        ),
        (["--kubeconfig", "/nonexistent/kubeconfig"], "does not exist"),
    ],
)
def test_what_does_not_go_together(tmp_path: Path, argv: list[str], message: str) -> None:
    done = run_cli({"HOME": str(tmp_path), "PATH": ""}, "whoami", *argv)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_a_snapshot_and_an_arn_still_answer_offline(tmp_path: Path) -> None:
    done = run_cli(
        {"HOME": str(tmp_path), "PATH": ""},
        "whoami", "--snapshot", SNAPSHOT, "--arn", "arn:aws:iam::111122223333:user/nobody", "-o", "yaml",
    )  # fmt: skip
    assert done.returncode == 1
    assert "authenticated: false" in done.stdout
