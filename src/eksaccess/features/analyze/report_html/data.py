"""The data the page's script renders the principal table and each principal's chain from: the report's
clusters and principals, with every string stored once (an IAM user that can reach 800 roles is one entry
of the string table, not 800 copies), embedded as JSON that no ``</script>`` in a name can end.

Layout (positions, to keep 5,000 rows small): ``strings``: the table, the most used first (small
indices); ``clusters``: ``[name, region, account, mode, bindings, groupBindings]`` where ``bindings`` is
``[[binding, role], ...]`` and ``groupBindings`` ``[[group, [binding, ...]], ...]``; ``rows``: one per
principal, the fields named in ``row`` in that order, each string an index into ``strings`` (``username``
-1 when the principal is not mapped), ``namespaces`` flat as ``[namespace, level, namespace, level, ...]``
and ``reachableBy`` as ``[[arn, kind, conditional, via...], ...]`` (conditional 0 or 1, then the roles
assumed on the way).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

ROW = (
    "cluster",
    "arn",
    "principalArn",
    "kind",
    "source",
    "via",
    "level",
    "reach",
    "namespaces",
    "username",
    "groups",
    "accessPolicies",
    "userBindings",
    "reachableBy",
    "opaquePolicies",
)

# Characters that could end the script element or confuse an HTML parser, as JSON escapes (the parsed
# strings are unchanged); U+2028/2029 are valid in JSON but were line ends in older JavaScript.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


class Strings:
    """Each distinct string once, referred to by its position."""

    def __init__(self, ranked: list[str] | None = None) -> None:
        self.table: list[str] = list(ranked or ())
        self._index: dict[str, int] = {v: i for i, v in enumerate(self.table)}

    def __call__(self, value: str) -> int:
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.table)
            self.table.append(value)
        return found

    def many(self, values: list[str]) -> list[int]:
        return [self(v) for v in values]


class Counting(Strings):
    """A first pass that counts how often each string is used (the table is then ordered by it)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def __call__(self, value: str) -> int:
        self.counts[value] += 1
        return 0


def _cluster(cluster: dict[str, Any], s: Strings) -> list[Any]:
    return [
        s(cluster["name"]),
        s(cluster["region"]),
        s(cluster["accountId"]),
        s(cluster["authenticationMode"]),
        [[s(name), s(role)] for name, role in cluster["bindings"].items()],
        [[s(group), s.many(names)] for group, names in cluster["groupBindings"].items()],
    ]


def _row(index: int, p: dict[str, Any], s: Strings) -> list[Any]:
    username = p["username"]
    return [
        index,
        s(p["arn"]),
        s(p["principalArn"]),
        s(p["kind"]),
        s(p["source"]),
        s(p["via"]),
        s(p["level"]),
        s.many(p["reach"]),
        [i for ns, level in p["namespaces"].items() for i in (s(ns), s(level))],
        -1 if username is None else s(username),
        s.many(p["groups"]),
        s.many(p["accessPolicies"]),
        s.many(p["userBindings"]),
        [[s(c["arn"]), s(c["kind"]), int(c["conditional"]), *s.many(c["via"])] for c in p["reachableBy"]],
        s.many(p.get("opaquePolicies", [])),
    ]


def _tables(report: dict[str, Any], s: Strings) -> tuple[list[Any], list[Any]]:
    clusters = [_cluster(c, s) for c in report["clusters"]]
    rows = [_row(i, p, s) for i, c in enumerate(report["clusters"]) for p in c["principals"]]
    return clusters, rows


def page_data(report: dict[str, Any]) -> dict[str, Any]:
    """The page's data from the report's JSON (``AuditReport.to_json()``)."""
    counting = Counting()
    _tables(report, counting)
    s = Strings([value for value, _ in counting.counts.most_common()])
    clusters, rows = _tables(report, s)
    return {"row": list(ROW), "clusters": clusters, "rows": rows, "strings": s.table}


def script_json(data: Any) -> str:
    """``data`` as JSON to put inside a ``<script type="application/json">`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)
