"""``eksaccess lint aws-auth`` text: one line per finding as linters print them (issue 19, "Human output"):
``FILE:LINE: SEVERITY CODE message`` when the finding has a line of the file, ``FILE: SEVERITY CODE ...``
when it has none (the whole key, or a line inside a JSON string, which is no line of the file); ``<stdin>``
for ``-``, as gcc names standard input. JSON is unchanged (tests/cli/test_lint.py)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from eksaccess.cli.commands.lint import file_label, finding_line
from eksaccess.cli.main import main
from eksaccess.domain.awsauth.findings import lint_finding
from eksaccess.domain.findings import FindingCode, Severity

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "aws-auth"


@pytest.mark.parametrize(
    ("key", "line", "offsets", "expected"),
    [
        (
            "mapRoles",
            12,
            {"mapRoles": 8},
            "cm.yaml:12: error AWS_AUTH_MALFORMED mapRoles does not parse. Fix: f",
        ),
        (None, 22, {}, "cm.yaml:22: error AWS_AUTH_MALFORMED mapRoles does not parse. Fix: f"),
        # a JSON manifest: the line is inside the key's string, not a line of the file
        (
            "mapRoles",
            1,
            {},
            "cm.yaml: error AWS_AUTH_MALFORMED mapRoles line 1: mapRoles does not parse. Fix: f",
        ),
        (
            "mapRoles",
            None,
            {"mapRoles": 8},
            "cm.yaml: error AWS_AUTH_MALFORMED mapRoles does not parse. Fix: f",
        ),
        (None, None, {}, "cm.yaml: error AWS_AUTH_MALFORMED mapRoles does not parse. Fix: f"),
    ],
)
def test_finding_line(key: str | None, line: int | None, offsets: dict[str, int], expected: str) -> None:
    found = lint_finding(
        FindingCode.AWS_AUTH_MALFORMED, Severity.ERROR, key, line, "mapRoles does not parse", "f"
    )
    assert finding_line(found, offsets, "cm.yaml") == expected


@pytest.mark.parametrize(
    ("source", "label"), [("-", "<stdin>"), ("cm.yaml", "cm.yaml"), ("./a/b.yml", "./a/b.yml")]
)
def test_file_label(source: str, label: str) -> None:
    assert file_label(source) == label


def lint_text(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    with pytest.raises(SystemExit) as done:
        main(["lint", "aws-auth", *args])
    code = done.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().out.splitlines()


def test_a_file_of_silent_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "silent-mistakes.yaml")
    code, lines = lint_text(capsys, path)
    assert code == 1
    assert [line.split(" ", 2)[:2] for line in lines[:-1]] == [
        [f"{path}:10:", "warning"],
        [f"{path}:12:", "error"],
        [f"{path}:14:", "error"],
        [f"{path}:17:", "error"],
    ]
    assert lines[-1] == "aws-auth: 3 errors, 1 warning"


def test_standard_input_is_named(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO((EXAMPLES / "broken-yaml.yaml").read_text()))
    code, lines = lint_text(capsys, "-")
    assert code == 1
    assert lines[0].startswith("<stdin>:16: error AWS_AUTH_MALFORMED ")
    assert lines[-1] == "aws-auth: 1 error"
