"""``eksaccess audit -o table``: the summary first, long lists folded, no line past 200 characters (issue
18: at 5,000 principals the summary was at line 8,892 of 9,906 and lines ran to 18,443 characters)."""

from __future__ import annotations

import json
import re
from functools import cache
from html import escape
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess import __version__
from eksaccess.cli.audit_text import WIDTH, fold, render_text, wrapped
from eksaccess.features.analyze.audit import AuditReport
from support.bench_report import bench_report
from support.cli import run_cli


@pytest.mark.parametrize(
    ("items", "budget", "expected"),
    [
        ([], 50, ""),
        (["a", "b", "c"], 50, "a, b, c"),
        (["alice", "bob", "carol", "dave"], 20, "alice and 3 more"),
        (["alice", "bob", "carol", "dave"], 22, "alice, bob and 2 more"),
        (["a-very-long-name-indeed"], 5, "a-very-long-name-indeed"),  # one item always, whole
        (["a-very-long-name-indeed", "b"], 5, "a-very-long-name-indeed and 1 more"),
    ],
)
def test_fold(items: list[str], budget: int, expected: str) -> None:
    assert fold(items, budget) == expected


@given(st.lists(st.text(alphabet="abc:/-", min_size=1, max_size=40), min_size=1, max_size=60))
def test_fold_keeps_within_its_budget(items: list[str]) -> None:
    folded = fold(items, 120)
    assert len(folded) <= 120 or folded.startswith(items[0])
    assert folded.startswith(items[0])


@given(st.lists(st.text(alphabet="abcdefgh:/-", min_size=1, max_size=60), min_size=1, max_size=80))
def test_wrapped_keeps_every_word_within_the_width(words: list[str]) -> None:
    lines = wrapped(" ".join(words), lead="  arn:aws:iam::111122223333:role/x  edit  ")
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(lines).split() == ["arn:aws:iam::111122223333:role/x", "edit", *words]


@cache
def big() -> AuditReport:
    return bench_report(600, 300, 3000, users=200, seed=3)


def test_summary_first_then_risks_then_principals() -> None:
    report = big()
    lines = render_text(report).splitlines()
    s = report.summary()
    assert lines[0].startswith("Audit of 1 cluster (account 111122223333): ")
    assert f"{s['principals']} principals, {s['risks']} risks" in lines[0]
    assert lines[1] == "Levels: " + ", ".join(f"{k} {v}" for k, v in s["levels"].items())
    assert lines[2].startswith("IAM users who can become cluster-admin")
    assert lines[4] == f"Risks by code ({s['risks']}):"
    cluster = next(i for i, line in enumerate(lines) if line.startswith("Cluster "))
    assert lines.index(f"Risks by code ({s['risks']}):") < cluster
    principal_lines = [line for line in lines[cluster:] if line.startswith("  arn:")]
    assert len(principal_lines) == s["principals"]


def test_long_lists_are_folded_and_lines_short() -> None:
    report = big()
    lines = render_text(report).splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    codes = {str(r.code) for r in report.risks}
    for code in codes:
        count = sum(str(r.code) == code for r in report.risks)
        if count > 5:  # five listed, then the count of the rest
            assert f"  and {count - 5} more (-o json or -o html lists every one)" in lines
    assert any(" more" in line and "reachable by" in line for line in lines)  # users folded
    assert any("+" in line and " more  " in line for line in lines)  # a long reach folded


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "snapshot.yaml"


def test_html_header_names_the_command_version_and_time(tmp_path: Path) -> None:
    out = tmp_path / "audit report.html"
    done = run_cli({}, "audit", "--snapshot", str(EXAMPLE), "--no-iam", "-o", "html", "--out", str(out))
    assert done.returncode == 1  # the example has a system:masters row (severity error)
    header = re.search(r"<header>.*?</header>", out.read_text(encoding="utf-8"))
    assert header is not None
    command = f"audit --snapshot {EXAMPLE} --no-iam --output html --out '{out}'"
    assert f"<code>{escape(command)}</code>" in header.group(0).replace("<code>eksaccess ", "<code>")
    assert f"<dd>{escape(__version__)}</dd>" in header.group(0)
    assert re.search(r"<dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>", header.group(0))


def test_json_output_is_the_report(tmp_path: Path) -> None:
    done = run_cli({}, "audit", "--snapshot", str(EXAMPLE), "--no-iam", "-o", "json")
    report = json.loads(done.stdout)
    assert list(report) == ["apiVersion", "kind", "summary", "levelRule", "iamRead", "clusters", "risks"] + [
        "people",
        "failures",
        "notes",
    ]
