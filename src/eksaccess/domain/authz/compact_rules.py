"""The data files' compact notation for RBAC rules (domain/data/*.yaml), expanded to manifest rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def expand_grant(grant: Mapping[str, Any]) -> dict[str, Any]:
    """The data files' compact rule form -> a manifest rule.

    ``{verbs: "get list", group: "apps", resources: "deployments deployments/scale", names: "x"}``
    or ``{verbs: "get", urls: "/healthz /version"}``; ``group`` may also be ``groups`` (a list).
    """
    rule: dict[str, Any] = {"verbs": _words(grant["verbs"])}
    if "urls" in grant:
        rule["nonResourceURLs"] = _words(grant["urls"])
        return rule
    groups = grant.get("groups")
    rule["apiGroups"] = list(groups) if isinstance(groups, list) else [str(grant.get("group", ""))]
    rule["resources"] = _words(grant["resources"])
    if "names" in grant:
        rule["resourceNames"] = _words(grant["names"])
    return rule


def _words(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else str(value).split()
