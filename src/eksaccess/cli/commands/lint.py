"""``eksaccess lint aws-auth FILE|-``: what the authenticator drops, ignores or grants too widely.

FILE may hold several objects (``---`` documents, ``kind: List`` items), as files for ``kubectl apply -f``
do: each aws-auth ConfigMap among them is linted, the others are not read. Exit 1 if any finding has severity
error, else 0 (system:masters is a warning unless ``--fail-on-system-masters``); an unreadable file, input
without an aws-auth ConfigMap, or input Kubernetes would refuse is an input error: one line on stderr, exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from eksaccess.adapters.files import read_text
from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import output_option
from eksaccess.cli.wording import severity_counts, severity_word
from eksaccess.domain.findings import Finding, Severity

if TYPE_CHECKING:
    from eksaccess.domain.awsauth.manifest import AwsAuthDocument

Linted = tuple["AwsAuthDocument", tuple[Finding, ...]]


@click.group(
    name="lint",
    epilog="""\b
Examples:
  eksaccess lint aws-auth aws-auth.yaml
  kubectl get cm aws-auth -n kube-system -o yaml | eksaccess lint aws-auth -""",
)
def lint() -> None:
    """Lint access configuration."""


@lint.command(
    name="aws-auth",
    epilog="""\b
Examples:
  eksaccess lint aws-auth aws-auth.yaml
  kubectl get cm aws-auth -n kube-system -o yaml | eksaccess lint aws-auth -
  eksaccess lint aws-auth aws-auth.yaml --fail-on-system-masters -o json""",
)
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
    from eksaccess.domain.awsauth.lint import lint_document
    from eksaccess.domain.awsauth.manifest import find_aws_auth

    linted = [
        (document, lint_document(document, fail_on_system_masters=fail_on_system_masters))
        for document in find_aws_auth(read_text(source))
    ]
    if output != "text":
        emit_data(report_json(linted), output)
    else:
        click.echo(render_report(linted, file_label(source)))
    if any(f.severity is Severity.ERROR for _, findings in linted for f in findings):
        sys.exit(1)


def report_json(linted: Sequence[Linted]) -> dict[str, Any]:
    """``{"findings": [...], "documents": [...]}``: each finding names its document's position."""
    from eksaccess.domain.awsauth.lint import lint_json

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


def file_label(source: str) -> str:
    """The name findings are printed under: the path as given, ``<stdin>`` for ``-``."""
    return "<stdin>" if source == "-" else source


def render_report(linted: Sequence[Linted], file: str) -> str:
    """Each aws-auth ConfigMap's findings; a header naming it when the file holds more than it."""
    blocks = []
    for document, findings in linted:
        header = _header(document) if document.objects > 1 or len(linted) > 1 else []
        blocks.append("\n".join([*header, *_notes(document), render_text(findings, document.offsets, file)]))
    blocks.extend(_replaced(linted))
    return "\n".join(blocks)


def _header(document: AwsAuthDocument) -> list[str]:
    where = f", line {document.line}" if document.line is not None else ""
    others = document.objects - 1
    rest = f" ({others} other object{'s' if others != 1 else ''} in the file, not read)" if others else ""
    return [f"aws-auth: {document.place}{where}{rest}"]


def _notes(document: AwsAuthDocument) -> list[str]:
    from eksaccess.domain.awsauth.manifest import AWS_AUTH_NAME, AWS_AUTH_NAMESPACE

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


def render_text(findings: Sequence[Finding], offsets: Mapping[str, int], file: str) -> str:
    """One finding per line as linters print them (``FILE:LINE: SEVERITY CODE message. Fix: ...``, or
    ``FILE: SEVERITY CODE ...`` when the finding has no line of the file), then a summary line."""
    lines = [finding_line(f, offsets, file) for f in findings]
    if not findings:
        lines.append("aws-auth: no problems found")
    else:
        lines.append(f"aws-auth: {severity_counts(f.severity for f in findings)}")
    return "\n".join(lines)


def finding_line(finding: Finding, offsets: Mapping[str, int], file: str) -> str:
    """A finding's line of a file, when it has one, goes before the severity; otherwise its place (a key,
    or a line inside a key's text when the file is JSON and its strings have no lines of their own) starts
    the message."""
    head = f"{severity_word(finding.severity)} {finding.code.value}"
    message = f"{finding.detail}. Fix: {finding.advice}"
    if finding.line is not None and (finding.key is None or finding.key in offsets):
        return f"{file}:{finding.line}: {head} {message}"
    where = f"{finding.key} line {finding.line}: " if finding.line is not None else ""
    return f"{file}: {head} {where}{message}"
