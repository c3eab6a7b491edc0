"""The words text output shares across commands: severities, counts and plurals.

doctor, lint and audit print a finding's severity as the same lower-case word its JSON carries ("error",
"warning", "info"), and counts as "1 problem", "2 problems", "0 info".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import click

from eksaccess.domain.findings import Finding, Severity

SEVERITY_COLOR: Mapping[Severity, str] = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
# Nouns whose plural is the same word.
_UNCOUNTED = frozenset({"info"})


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless the count is one: "1 problem", "2 problems"."""
    if count == 1 or noun in _UNCOUNTED:
        return f"{count} {noun}"
    return f"{count} {many or noun + 's'}"


def severity_word(severity: Severity | str) -> str:
    """A finding's severity as text output prints it: its JSON value ("error", "warning", "info")."""
    return str(Severity(severity).value)


def severity_counts(severities: Iterable[Severity | str], *, keep_zero: bool = False) -> str:
    """ "2 errors, 1 warning" in the order error, warning, info (``keep_zero``: every severity)."""
    counted = [Severity(s) for s in severities]
    parts = [
        plural(counted.count(severity), severity_word(severity))
        for severity in Severity
        if keep_zero or severity in counted
    ]
    return ", ".join(parts)


def finding_block(finding: Finding) -> None:
    """One finding as doctor prints it: severity and code, the detail, each fix step with its commands (the
    eksaccess form first, then the plain aws/kubectl one), then a blank line."""
    click.echo(
        click.style(
            f"{severity_word(finding.severity)} {finding.code.value}",
            fg=SEVERITY_COLOR[finding.severity],
            bold=True,
        )
        + f": {finding.title}"
    )
    click.echo(f"  {finding.detail}")
    for step in finding.fix:
        click.echo(f"  fix: {step.text}")
        for command in step.eksaccess:
            click.echo(f"      $ {command}")
        for command in step.plain:
            click.echo(f"      $ {command}" + ("   # plain aws/kubectl" if step.eksaccess else ""))
    click.echo("")
