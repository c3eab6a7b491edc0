"""What doctor returns: findings with fixes (the domain's ``Finding``), the state of each link of the chain, the
report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eksaccess.domain.findings import SEVERITY_RANK, Finding, FindingCode, Link, Severity
from eksaccess.domain.iam.principal import InvalidArnError, same_principal


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding as doctor prints it."""
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "link": finding.link.value,
        "title": finding.title,
        "detail": finding.detail,
        "evidence": dict(finding.evidence),
        "fix": [step.to_json() for step in finding.fix],
    }


class LinkStatus(StrEnum):
    OK = "ok"
    BROKEN = "broken"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


# The summaries of a link doctor did not judge: one it could not read, one after a broken link.
COULD_NOT_CHECK = "could not be checked"
NOT_CHECKED_AFTER_BREAK = "not checked: an earlier link is broken"


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainLink:
    link: Link
    status: LinkStatus
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"link": self.link.value, "status": self.status.value, "summary": self.summary}


@dataclass(frozen=True, kw_only=True)
class Report:
    cluster: Mapping[str, Any]
    principal: Mapping[str, Any]
    chain: tuple[ChainLink, ...]
    findings: tuple[Finding, ...]
    call_failures: int = 0  # AWS/Kubernetes calls that failed after retries (not explained by a finding)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 1
        if self.call_failures:
            return 3
        return 0

    def codes(self, *severities: Severity) -> set[str]:
        wanted = severities or (Severity.ERROR, Severity.WARNING)
        return {f.code.value for f in self.findings if f.severity in wanted}

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": dict(self.cluster),
            "principal": dict(self.principal),
            "chain": [link.to_json() for link in self.chain],
            "findings": [finding_json(f) for f in self.findings],
        }


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    order = {link: i for i, link in enumerate(Link)}
    return tuple(sorted(findings, key=lambda f: (order[f.link], SEVERITY_RANK[f.severity])))


# --- text helpers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainRow:
    """One row of the chain as text shows it: a link, or a run of links not judged after a broken one."""

    links: tuple[Link, ...]
    status: LinkStatus
    summary: str


def chain_rows(chain: Sequence[ChainLink]) -> tuple[ChainRow, ...]:
    """The chain with each run of links left unjudged after a broken link folded into one row ("mapping,
    authorization: not checked (the token link is broken)"); a link skipped for another reason (--as-arn)
    keeps its own row."""
    rows: list[ChainRow] = []
    broken: Link | None = None
    run: list[Link] = []

    def close_run() -> None:
        if run and broken is not None:
            summary = f"not checked (the {broken.value} link is broken)"
            rows.append(ChainRow(links=tuple(run), status=LinkStatus.SKIPPED, summary=summary))
        run.clear()

    for link in chain:
        if broken is not None and _unjudged(link):
            run.append(link.link)
            continue
        close_run()
        rows.append(ChainRow(links=(link.link,), status=link.status, summary=_lower_first(link.summary)))
        if link.status is LinkStatus.BROKEN:
            broken = link.link
    close_run()
    return tuple(rows)


def _unjudged(link: ChainLink) -> bool:
    if link.status is LinkStatus.UNKNOWN:
        return True
    return link.status is LinkStatus.SKIPPED and link.summary == NOT_CHECKED_AFTER_BREAK


def _lower_first(text: str) -> str:
    """A finding's title as a row's summary: lower case like the others, an acronym kept ("STS ...")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


# Info findings that are advice rather than a diagnosis: text shows each as one line unless --verbose.
TIP_CODES = frozenset({FindingCode.EXEC_PLUGIN_SLOW})


def tips(report: Report) -> tuple[Finding, ...]:
    """The report's tips: the slow exec plugin, and "who can fix this" when the principal diagnosed is one
    of the administrators it lists (the fixes then run as you)."""
    return tuple(f for f in report.findings if f.code in TIP_CODES or _admin_is_you(f, report))


def _admin_is_you(finding: Finding, report: Report) -> bool:
    if finding.code is not FindingCode.ADMIN_CANDIDATES:
        return False
    mine = report.principal.get("arn")
    admins = finding.evidence.get("admins")
    if not isinstance(mine, str) or not isinstance(admins, list):
        return False
    try:
        return any(
            isinstance(a, Mapping) and isinstance(a.get("arn"), str) and same_principal(a["arn"], mine)
            for a in admins
        )
    except InvalidArnError:  # an ARN that does not parse is nobody's
        return False
