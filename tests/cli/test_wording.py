"""One set of words in text output (issue 19, "Human output"): doctor, lint and audit print a severity as the
lower-case word their JSON carries, and counts with their plural ("1 problem", "2 problems", "0 info")."""

from __future__ import annotations

import pytest

from eksaccess.cli.audit_text import render_text
from eksaccess.cli.wording import plural, severity_counts, severity_word
from eksaccess.domain.findings import Severity
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, audit

A = "111122223333"


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "problem", "0 problems"),
        (1, "problem", "1 problem"),
        (2, "problem", "2 problems"),
        (1, "error", "1 error"),
        (3, "error", "3 errors"),
        (0, "info", "0 info"),
        (5, "info", "5 info"),
        (2, "entry", "2 entries"),  # an irregular plural is given
    ],
)
def test_plural(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun, "entries" if noun == "entry" else None) == expected


@pytest.mark.parametrize(
    ("severities", "keep_zero", "expected"),
    [
        ([Severity.ERROR, Severity.ERROR, Severity.WARNING], False, "2 errors, 1 warning"),
        ([Severity.INFO, Severity.ERROR], False, "1 error, 1 info"),  # always error, warning, info
        (["warning"], True, "0 errors, 1 warning, 0 info"),
        ([], False, ""),
    ],
)
def test_severity_counts(severities: list[Severity | str], keep_zero: bool, expected: str) -> None:
    assert severity_counts(severities, keep_zero=keep_zero) == expected


def test_severity_word_is_the_json_value() -> None:
    assert [severity_word(s) for s in Severity] == ["error", "warning", "info"]
    assert severity_word("warning") == "warning"


def test_audit_prints_the_same_words() -> None:
    state = ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": A},
            "authenticationMode": "API",
            "accessEntries": [
                {
                    "principalArn": f"arn:aws:iam::{A}:user/admin",
                    "accessPolicies": [
                        {
                            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                            "accessScope": {"type": "cluster"},
                        }
                    ],
                }
            ],
            "awsAuth": {
                "mapRoles": f"- rolearn: arn:aws:iam::{A}:role/dev\n  username: dev\n  groups: [x]\n"
            },
        }
    )
    lines = render_text(audit([AuditInput(state=state)])).splitlines()
    assert lines[0] == (
        f"Audit of 1 cluster (account {A}): 2 principals, 1 risk (0 errors, 1 warning, 0 info)"
    )
    assert lines[lines.index("Risks by code (1):") + 1].split()[:2] == ["warning", "AWS_AUTH_SHADOWED"]
