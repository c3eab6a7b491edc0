"""docs/doctor-findings.md, generated from the catalogue: the ENTRIES each check module declares (a test
keeps the committed page in sync)."""

from __future__ import annotations

from eksaccess.domain.findings import Link, Reporter
from eksaccess.features.doctor.catalog import CATALOG


def findings_reference() -> str:
    lines = [
        "# doctor findings",
        "",
        "Generated from the `ENTRIES` of each check in `src/eksaccess/features/doctor/checks/` (one module per",
        "link or family of codes; `eksaccess schema` does not cover this page;",
        "regenerate with `make generate`).",
        "The codes are stable: scripts may rely on them. Exit code 1 when any finding of severity error.",
        "Each fix prints two forms, the eksaccess command and the plain aws/kubectl one; both are pasted literally",
        "in `tests/e2e/test_doctor_fix_paste.py`, then kubectl must work and doctor exit 0.",
        "",
    ]
    for link in Link:
        entries = [e for e in CATALOG.values() if e.link is link]
        if not entries:
            continue
        lines += [
            f"## {link.value}",
            "",
            "| code | severity | title | why | fix printed |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{e.code.value}` | {e.severity_for(Reporter.DOCTOR).value} | {e.title} | {e.why} | {e.fix} |"
            for e in entries
        ]
        lines.append("")
    return "\n".join(lines)
