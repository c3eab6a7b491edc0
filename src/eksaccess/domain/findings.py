"""Findings: what a check found, with a stable code, a severity, where, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class LintCode(StrEnum):
    """Codes of `eksaccess lint aws-auth` (stable: scripts match on them)."""

    AWS_AUTH_MALFORMED = "AWS_AUTH_MALFORMED"
    AWS_AUTH_KEY_CASE = "AWS_AUTH_KEY_CASE"
    AWS_AUTH_UNKNOWN_KEY = "AWS_AUTH_UNKNOWN_KEY"
    AWS_AUTH_ASSUMED_ROLE_ARN = "AWS_AUTH_ASSUMED_ROLE_ARN"
    AWS_AUTH_ROLE_PATH = "AWS_AUTH_ROLE_PATH"
    AWS_AUTH_INVALID_ARN = "AWS_AUTH_INVALID_ARN"
    AWS_AUTH_WRONG_KEY = "AWS_AUTH_WRONG_KEY"
    AWS_AUTH_DUPLICATE = "AWS_AUTH_DUPLICATE"
    AWS_AUTH_MISSING_ARN = "AWS_AUTH_MISSING_ARN"
    AWS_AUTH_INVALID_ENTRY = "AWS_AUTH_INVALID_ENTRY"
    AWS_AUTH_SSO_UNSUPPORTED = "AWS_AUTH_SSO_UNSUPPORTED"
    AWS_AUTH_GROUPS_NOT_LIST = "AWS_AUTH_GROUPS_NOT_LIST"
    AWS_AUTH_GROUP_WHITESPACE = "AWS_AUTH_GROUP_WHITESPACE"
    AWS_AUTH_NOT_A_STRING = "AWS_AUTH_NOT_A_STRING"
    AWS_AUTH_UNKNOWN_FIELD = "AWS_AUTH_UNKNOWN_FIELD"
    AWS_AUTH_DUPLICATE_FIELD = "AWS_AUTH_DUPLICATE_FIELD"
    AWS_AUTH_UNKNOWN_TEMPLATE = "AWS_AUTH_UNKNOWN_TEMPLATE"
    AWS_AUTH_SESSION_NAME_TEMPLATE = "AWS_AUTH_SESSION_NAME_TEMPLATE"
    AWS_AUTH_SYSTEM_MASTERS = "AWS_AUTH_SYSTEM_MASTERS"
    AWS_AUTH_NODE_ROLE_GROUPS = "AWS_AUTH_NODE_ROLE_GROUPS"
    AWS_AUTH_INVALID_ACCOUNT = "AWS_AUTH_INVALID_ACCOUNT"


@dataclass(frozen=True, kw_only=True, slots=True)
class LintFinding:
    code: LintCode
    severity: Severity
    line: int | None  # 1-based; in the manifest when known, else within the key's YAML
    message: str
    fix: str
    key: str | None = None  # the ConfigMap data key (mapRoles, ...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
        }
