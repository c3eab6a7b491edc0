"""What doctor returns: findings with fixes, the state of each link of the chain, the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eksaccess.domain.findings import Severity
from eksaccess.features.doctor.catalog import CATALOG, Code, Link


@dataclass(frozen=True, kw_only=True, slots=True)
class FixStep:
    """One step of a fix: a sentence, the eksaccess command, and the plain aws/kubectl equivalent.

    Commands are pasted literally, in order: each must run without a prompt or an editor, as an identity
    that may make the change. ``by_hand`` marks the one kind of step that cannot: a person logs in or puts
    new credential material in place (the command names what to run; nobody can run it for them).
    """

    text: str
    eksaccess: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    by_hand: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "eksaccess": list(self.eksaccess),
            "plain": list(self.plain),
            "byHand": self.by_hand,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    code: Code
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: tuple[FixStep, ...] = ()

    @property
    def severity(self) -> Severity:
        return CATALOG[self.code].severity

    @property
    def link(self) -> Link:
        return CATALOG[self.code].link

    @property
    def title(self) -> str:
        return CATALOG[self.code].title

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "link": self.link.value,
            "title": self.title,
            "detail": self.detail,
            "evidence": dict(self.evidence),
            "fix": [step.to_json() for step in self.fix],
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
            "findings": [f.to_json() for f in self.findings],
        }


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    order = {link: i for i, link in enumerate(Link)}
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(sorted(findings, key=lambda f: (order[f.link], rank[f.severity])))
