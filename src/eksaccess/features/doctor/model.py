"""What doctor returns: findings with fixes (the domain's ``Finding``), the state of each link of the chain, the
report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eksaccess.domain.findings import SEVERITY_RANK, Finding, Link, Severity


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
