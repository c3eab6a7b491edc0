"""``eksaccess lint aws-auth FILE|-``: what the authenticator drops, ignores or grants too widely.

FILE may hold several objects (``---`` documents, ``kind: List`` items), as files for ``kubectl apply -f``
do: each aws-auth ConfigMap among them is linted, the others are not read. Exit 1 if any finding has severity
error, else 0 (system:masters is a warning unless ``--fail-on-system-masters``); an unreadable file, input
without an aws-auth ConfigMap, or input Kubernetes would refuse is an input error: one line on stderr, exit 2.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import click

from eksaccess.adapters.files import read_text
from eksaccess.cli.options import output_option
from eksaccess.cli.output import emit_json
from eksaccess.domain.awsauth.lint import lint_document, lint_json
from eksaccess.domain.awsauth.manifest import (
    AWS_AUTH_NAME,
    AWS_AUTH_NAMESPACE,
    AwsAuthDocument,
    find_aws_auth,
)
from eksaccess.domain.findings import Finding, Severity

Linted = tuple[AwsAuthDocument, tuple[Finding, ...]]


@click.group(name="lint")
def lint() -> None:
    """Lint access configuration."""


@lint.command(name="aws-auth")
@click.argument("source", metavar="FILE|-")
@click.option(
    "--fail-on-system-masters",
    is_flag=True,
    help="Report aws-auth entries that grant system:masters as an error (exit 1), not a warning.",
)
@output_option()
def aws_auth(source: str, fail_on_system_masters: bool, output: str) -> None:
    """Lint an aws-auth ConfigMap, e.g. from `kubectl get cm aws-auth -n kube-system -o yaml`.

    FILE is a ConfigMap manifest (YAML or JSON), its bare data, or a file of several objects (the aws-auth
    ConfigMaps among them are linted); `-` reads standard input.
    """
    linted = [
        (document, lint_document(document, fail_on_system_masters=fail_on_system_masters))
        for document in find_aws_auth(read_text(source))
    ]
    if output == "json":
        emit_json(report_json(linted))
    else:
        click.echo(render_report(linted))
    if any(f.severity is Severity.ERROR for _, findings in linted for f in findings):
        sys.exit(1)


def report_json(linted: Sequence[Linted]) -> dict[str, Any]:
    """``{"findings": [...], "documents": [...]}``: each finding names its document's position."""
    return {
        "findings": [{**lint_json(f), "document": d.position} for d, findings in linted for f in findings],
        "documents": [
            {
                "position": d.position,
                "objects": d.objects,
                "place": d.place,
                "line": d.line,
                "namespace": d.namespace,
            }
            for d, _ in linted
        ],
    }


def render_report(linted: Sequence[Linted]) -> str:
    """Each aws-auth ConfigMap's findings; a header naming it when the file holds more than it."""
    blocks = []
    for document, findings in linted:
        header = _header(document) if document.objects > 1 or len(linted) > 1 else []
        blocks.append("\n".join([*header, *_notes(document), render_text(findings, document.offsets)]))
    blocks.extend(_replaced(linted))
    return "\n".join(blocks)


def _header(document: AwsAuthDocument) -> list[str]:
    where = f", line {document.line}" if document.line is not None else ""
    others = document.objects - 1
    rest = f" ({others} other object{'s' if others != 1 else ''} in the file, not read)" if others else ""
    return [f"aws-auth: {document.place}{where}{rest}"]


def _notes(document: AwsAuthDocument) -> list[str]:
    if not document.namespace_decided_by_apply:
        return []
    return [
        "note: no metadata.namespace: `kubectl apply -n` (or the context's namespace) decides where it lands; "
        f"the authenticator reads only {AWS_AUTH_NAMESPACE}/{AWS_AUTH_NAME}"
    ]


def _replaced(linted: Sequence[Linted]) -> list[str]:
    """Several aws-auth ConfigMaps for one namespace: `kubectl apply -f` leaves the last one."""
    by_namespace: dict[str, list[AwsAuthDocument]] = {}
    for document, _ in linted:
        by_namespace.setdefault(document.namespace or "(namespace of apply)", []).append(document)
    return [
        f"note: {len(same)} aws-auth ConfigMaps for {namespace}: `kubectl apply -f` leaves the last one "
        f"({same[-1].place})"
        for namespace, same in by_namespace.items()
        if len(same) > 1
    ]


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
    if finding.key in offsets or finding.key is None:
        return f"line {finding.line}"
    return f"{finding.key} line {finding.line}"


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}{'' if count == 1 else 's'}"
