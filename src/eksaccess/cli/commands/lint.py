"""``eksaccess lint aws-auth FILE|-``: what the authenticator drops, ignores or grants too widely.

Exit 1 if any finding has severity error, else 0; an unreadable file or input that is not a ConfigMap
(or its data) is an input error: one line on stderr, exit 2.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence

import click

from eksaccess.adapters.files import read_text
from eksaccess.cli.options import output_option
from eksaccess.cli.output import emit_json
from eksaccess.domain.awsauth.lint import lint_aws_auth, lint_json
from eksaccess.domain.awsauth.reader import split_manifest_lines
from eksaccess.domain.findings import Finding, Severity


@click.group(name="lint")
def lint() -> None:
    """Lint access configuration."""


@lint.command(name="aws-auth")
@click.argument("source", metavar="FILE|-")
@output_option()
def aws_auth(source: str, output: str) -> None:
    """Lint an aws-auth ConfigMap, e.g. from `kubectl get cm aws-auth -n kube-system -o yaml`.

    FILE is a ConfigMap manifest (YAML or JSON) or its bare data; `-` reads standard input.
    """
    data, offsets = split_manifest_lines(read_text(source))
    findings = lint_aws_auth(data, line_offsets=offsets)
    if output == "json":
        emit_json({"findings": [lint_json(f) for f in findings]})
    else:
        click.echo(render_text(findings, offsets))
    if any(f.severity is Severity.ERROR for f in findings):
        sys.exit(1)


def render_text(findings: Sequence[Finding], offsets: Mapping[str, int]) -> str:
    """One finding per line (severity, code, where, message, fix), then a summary line."""
    lines = []
    for f in findings:
        where = _where(f, offsets)
        lines.append(f"{f.severity.value:<7} {f.code.value} {where}: {f.detail}. Fix: {f.advice}")
    counts = Counter(f.severity for f in findings)
    if not findings:
        lines.append("aws-auth: no problems found")
    else:
        parts = [_plural(counts[s], s.value) for s in Severity if counts[s]]
        lines.append(f"aws-auth: {', '.join(parts)}")
    return "\n".join(lines)


def _where(finding: Finding, offsets: Mapping[str, int]) -> str:
    if finding.line is None:
        return finding.key or "aws-auth"
    if finding.key in offsets:
        return f"line {finding.line}"
    return f"{finding.key} line {finding.line}" if finding.key else f"line {finding.line}"


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}{'' if count == 1 else 's'}"
