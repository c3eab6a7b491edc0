"""The parts of the page written here, as static HTML: the header, the summary, the risks grouped by code,
the clusters that could not be read, how levels are computed and the notes. Every value from the report
is escaped; a section with nothing in it is left out (the caller gets an empty string)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape
from typing import Any

from eksaccess.domain.findings import Severity

LEVELS = ("cluster-admin", "admin", "edit", "view", "custom", "none")
SEVERITIES = tuple(str(s) for s in Severity)
SEVERITY_WORDS = {"error": "errors", "warning": "warnings", "info": "info"}
SHOWN = 5  # items of a long list shown before its "N more"
RISKS_SHOWN = 20  # risks of one code listed before the rest are folded


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where the report came from, given by the caller (features have no clock and read no argv)."""

    generated: str | None = None  # "2026-12-05 11:09:03 UTC"
    version: str | None = None
    command: str | None = None


def e(value: Any) -> str:
    return escape(str(value), quote=True)


def number(value: int) -> str:
    return f"{value:,}"


def folded(items: list[str], shown: int = SHOWN, css: str = "") -> str:
    """The first ``shown`` items, the rest behind an "N more" that opens in place (no script needed)."""
    cls = f' class="{css}"' if css else ""
    head = ", ".join(f"<span{cls}>{e(i)}</span>" for i in items[:shown])
    rest = items[shown:]
    if not rest:
        return head
    tail = ", ".join(f"<span{cls}>{e(i)}</span>" for i in rest)
    return f'{head} <details class="more"><summary>{number(len(rest))} more</summary>{tail}</details>'


def header(report: dict[str, Any], provenance: Provenance) -> str:
    clusters = report["clusters"]
    accounts = sorted({c["accountId"] for c in clusters})
    names = [f"{c['region']}/{c['name']} ({c['authenticationMode']})" for c in clusters]
    facts: list[tuple[str, str]] = []
    if accounts:
        facts.append(("account" if len(accounts) == 1 else "accounts", folded(accounts, css="code")))
    if names:
        facts.append(("cluster" if len(names) == 1 else "clusters", folded(names)))
    if provenance.generated:
        facts.append(("generated", e(provenance.generated)))
    if provenance.version:
        facts.append(("eksaccess", e(provenance.version)))
    if provenance.command:
        facts.append(("command", f"<code>{e(provenance.command)}</code>"))
    facts.append(("IAM", "read (trust chains and IAM checks)" if report["iamRead"] else "not read"))
    rows = "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in facts)
    return f'<header><h1>eksaccess audit</h1><dl class="meta">{rows}</dl></header>'


def _card(key: str, value: int, label: str, extra: str = "") -> str:
    return (
        f'<div class="card" data-key="{key}"><span class="num" data-count="{key}">{number(value)}</span>'
        f' <span class="label">{label}</span>{extra}</div>'
    )


def summary(report: dict[str, Any]) -> str:
    s = report["summary"]
    admins = sorted({u for c in report["clusters"] for u in c["clusterAdminUsers"]})
    who = f'<div class="who">{folded(admins, css="code")}</div>' if admins else ""
    cards = [_card("principals", s["principals"], "principals")]
    if s["clustersFailed"]:
        cards.append(_card("clustersFailed", s["clustersFailed"], "clusters could not be read"))
    cards.append(
        _card("clusterAdminUsers", s["clusterAdminUsers"], "IAM users who can become cluster-admin", who)
    )
    risks = "".join(
        f'<li class="sev-{sev}"><span class="num" data-count="{sev}">{number(s["risksBySeverity"][sev])}</span>'
        f" {SEVERITY_WORDS[sev]}</li>"
        for sev in SEVERITIES
    )
    cards.append(_card("risks", s["risks"], "risks", f'<ul class="sevs">{risks}</ul>'))
    total = max(s["principals"], 1)
    levels = "".join(
        f'<li><button type="button" class="level-filter" data-level="{e(level)}">'
        f'<span class="badge level-{e(level)}">{e(level)}</span>'
        f'<span class="num" data-count="level-{e(level)}">{number(count)}</span>'
        f'<span class="bar"><span style="width:{100 * count / total:.1f}%"></span></span></button></li>'
        for level, count in s["levels"].items()
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="cards">{"".join(cards)}</div>'
        f'<h3>Principals by level</h3><ul class="levels">{levels}</ul></section>'
    )


def _risk_groups(risks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Risks by code, the codes in the report's order (severity first, then the catalogue's order)."""
    order = {sev: i for i, sev in enumerate(SEVERITIES)}
    groups: dict[str, list[dict[str, Any]]] = {}
    for risk in sorted(risks, key=lambda r: order.get(r["severity"], len(order))):
        groups.setdefault(risk["code"], []).append(risk)
    return list(groups.values())


def _risk_item(risk: dict[str, Any], with_cluster: bool, with_fix: bool) -> str:
    cluster = f'<span class="where">{e(risk["cluster"])}</span> ' if with_cluster else ""
    fix = f"<br><small>fix: {e(risk['fix'])}</small>" if with_fix else ""
    return f"<li>{cluster}{e(risk['message'])}{fix}</li>"


def risks(report: dict[str, Any]) -> str:
    found = report["risks"]
    if not found:
        return ""
    with_cluster = len({r["cluster"] for r in found}) > 1
    parts = []
    for group in _risk_groups(found):
        first = group[0]
        fixes = Counter(r["fix"] for r in group)
        shared = len(fixes) == 1
        items = [_risk_item(r, with_cluster, not shared) for r in group]
        listed = f'<ul class="risk-items">{"".join(items[:RISKS_SHOWN])}</ul>'
        if len(items) > RISKS_SHOWN:
            listed += (
                f'<details class="more"><summary>{number(len(items) - RISKS_SHOWN)} more</summary>'
                f'<ul class="risk-items">{"".join(items[RISKS_SHOWN:])}</ul></details>'
            )
        fix = f'<p class="fix">fix: {e(first["fix"])}</p>' if shared else ""
        parts.append(
            f'<details class="risk sev-{e(first["severity"])}" data-code="{e(first["code"])}">'
            f'<summary><span class="sev">{e(first["severity"])}</span> <code>{e(first["code"])}</code> '
            f'<span class="count">{number(len(group))}</span> <span class="title">{e(first["title"])}</span>'
            f"</summary>{fix}{listed}</details>"
        )
    return f'<section id="risks"><h2>Risks by code</h2>{"".join(parts)}</section>'


def failures(report: dict[str, Any]) -> str:
    items = [
        f"<li><b>{e(f['region'])}/{e(f['name'])}</b> (profile {e(f['profile'] or 'default')}): "
        f"{e(f['kind'])}: {e(f['error'])}</li>"
        for f in report["failures"]
    ]
    if not items:
        return ""
    return (
        f'<section id="failures"><h2>Clusters that could not be read</h2><ul>{"".join(items)}</ul></section>'
    )


def workload(report: dict[str, Any]) -> str:
    """Per cluster, the IAM roles its service accounts hold, and who reaches each: the chain from IAM into
    Kubernetes and back into IAM."""
    rows = [
        f"<tr><td>{e(c['region'])}/{e(c['name'])}</td><td>{e(w['roleArn'])}</td>"
        f"<td>{folded([*w['serviceAccounts']])}</td><td>{folded([*w['subjects']])}</td>"
        f"<td>{folded([*w['principals']])}</td></tr>"
        for c in report["clusters"]
        for w in c.get("workloadIdentity", [])
    ]
    if not rows:
        return ""
    return (
        '<section id="workload"><h2>Workload identity</h2><p>IAM roles that service accounts hold (IRSA or '
        "Pod Identity), and the Kubernetes subjects and IAM principals that can obtain them: as the service "
        "account, by creating pods or workloads in its namespace, by creating its token, or by impersonating "
        "it.</p><table><thead><tr><th>cluster</th><th>role</th><th>service accounts</th><th>subjects</th>"
        f"<th>IAM principals</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def level_rule(report: dict[str, Any]) -> str:
    rule = "".join(f"<li><b>{e(r['level'])}</b>: {e(', '.join(r['adds']))}</li>" for r in report["levelRule"])
    if not rule:
        return ""
    return (
        '<section id="levels"><details><summary>How levels are computed</summary>'
        f"<p>Each level adds these probes to the one below it:</p><ul>{rule}</ul></details></section>"
    )


def notes(report: dict[str, Any]) -> str:
    found = [*report["notes"]]
    for c in report["clusters"]:
        found += [f"{c['region']}/{c['name']}: {n}" for n in c["notes"]]
    if not found:
        return ""
    return (
        f'<section id="notes"><h2>Notes</h2><ul>{"".join(f"<li>{e(n)}</li>" for n in found)}</ul></section>'
    )
