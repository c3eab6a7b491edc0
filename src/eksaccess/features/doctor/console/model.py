"""What doctor --console returns: the IAM answer, each console read's answer, the findings with their fixes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eksaccess.domain.console import IamDecision, ReadRequest
from eksaccess.domain.findings import Finding, Severity
from eksaccess.features.doctor.model import finding_json


class DecidedBy(StrEnum):
    """Where a read's answer came from."""

    STATE = "state"  # the cluster's access entries, aws-auth and RBAC, through the domain authorizer
    CLUSTER = "cluster"  # the cluster's SelfSubjectAccessReview to the principal's own token


@dataclass(frozen=True, kw_only=True)
class IamAnswer:
    """iam:SimulatePrincipalPolicy's answer for the console's actions (``decisions`` None: not asked or
    refused, ``why`` says which)."""

    source_arn: str | None
    decisions: Mapping[str, IamDecision] | None = None
    asked_as: str = ""  # "the principal" or "the administrator (profile P)"
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "policySourceArn": self.source_arn,
            "askedAs": self.asked_as,
            "decisions": {a: d.value for a, d in self.decisions.items()}
            if self.decisions is not None
            else None,
            "why": self.why or None,
        }


@dataclass(frozen=True, kw_only=True)
class ReadAnswer:
    request: ReadRequest
    allowed: bool
    decided_by: DecidedBy
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "verb": "list",
            "resource": self.request.read.name,
            "namespace": self.request.namespace or None,
            "pane": self.request.read.pane,
            "allowed": self.allowed,
            "decidedBy": self.decided_by.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class ConsoleReport:
    cluster: Mapping[str, Any]
    principal: Mapping[str, Any]
    namespaces: tuple[str, ...]
    iam: IamAnswer
    mapped: bool | None  # None: could not be told
    reads: tuple[ReadAnswer, ...]
    findings: tuple[Finding, ...]
    call_failures: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def exit_code(self) -> int:
        """doctor's: 1 problems found, 3 a call decided nothing (and no problem explains it), else 0."""
        if self.errors:
            return 1
        return 3 if self.call_failures else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": dict(self.cluster),
            "principal": dict(self.principal),
            "console": {
                "namespaces": list(self.namespaces) or None,
                "iam": self.iam.to_json(),
                "mapped": self.mapped,
                "reads": [r.to_json() for r in self.reads],
                "notes": list(self.notes),
            },
            "findings": [finding_json(f) for f in self.findings],
        }
