"""docs/lint-findings.md, generated from lint's catalogue (``LINT`` in domain/awsauth/findings.py); a test
keeps the committed page in sync (scripts/generate.py)."""

from __future__ import annotations

from eksaccess.domain.awsauth.findings import LINT
from eksaccess.domain.findings import Reporter


def lint_findings_reference() -> str:
    lines = [
        "# lint findings",
        "",
        "Generated from `LINT` in `src/eksaccess/domain/awsauth/findings.py` (regenerate with `make generate`).",
        "`eksaccess lint aws-auth FILE` reads a ConfigMap manifest (YAML or JSON), its bare data, or a file of",
        "several objects (`---` documents, `kind: List` items): each ConfigMap named aws-auth among them is",
        "linted, the other objects are not read, and the text output names the document and line linted.",
        "A file without an aws-auth ConfigMap is an input error (one line, exit 2).",
        "",
        "The codes are stable: scripts may rely on them. Exit code 1 when any finding has severity error;",
        "warnings and info do not fail. `AWS_AUTH_SYSTEM_MASTERS` is reported once per map (mapRoles,",
        "mapUsers) with its rows and their count, as a warning; `--fail-on-system-masters` makes it an error.",
        "YAML syntax errors (`AWS_AUTH_MALFORMED`) are given in go-yaml v2's words and line count, as the",
        "authenticator logs them (`yaml: line 2: did not find expected key`); the finding's own line is the",
        "line of the problem in the file. A severity below is the usual one; a finding may be weighed lower",
        "where the case is milder (a quoted empty mapUsers is a warning, a quoted empty mapRoles an error).",
        "Codes marked doctor are also reported by `eksaccess doctor` (docs/doctor-findings.md), from the same",
        "definition.",
        "",
        "| code | severity | title | why | fix |",
        "|---|---|---|---|---|",
    ]
    for definition in LINT.values():
        also = " (doctor too)" if Reporter.DOCTOR in definition.reporters else ""
        lines.append(
            f"| `{definition.code.value}`{also} | {LINT.severity(definition.code).value} | {definition.title} "
            f"| {_cell(definition.why)} | {_cell(definition.fix)} |"
        )
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
