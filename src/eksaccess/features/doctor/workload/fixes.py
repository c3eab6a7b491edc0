"""The fix commands of a workload's chain: each pasted as printed, as the identity doctor read with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eksaccess.domain.findings import FixStep
from eksaccess.features.doctor.fixes import Writer, cmd


def policy_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def update_trust_step(writer: Writer, role_arn: str, document: Mapping[str, Any], text: str) -> FixStep:
    """``aws iam update-assume-role-policy`` with the whole fixed trust policy (other statements kept)."""
    name = role_arn.rsplit("/", 1)[-1]
    return FixStep(
        text=f"As {writer.who}, {text}",
        plain=(
            cmd(
                "aws",
                "iam",
                "update-assume-role-policy",
                "--role-name",
                name,
                "--policy-document",
                policy_json(document),
                *writer.aws_flags(),
            ),
        ),
    )


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The trust policy's statements as a list of copies (a lone statement object counts as one)."""
    raw = document.get("Statement") or []
    items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    return [json.loads(json.dumps(s)) for s in items if isinstance(s, Mapping)]


def with_statements(document: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": document.get("Version", "2012-10-17"), "Statement": items}
