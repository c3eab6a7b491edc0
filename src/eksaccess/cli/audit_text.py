"""``eksaccess audit -o table``: the summary first (counts, levels, who can become cluster-admin), the
risks by code with a few of each, the clusters that could not be read, then per cluster one line per
principal. Long lists are folded ("and N more") so that no line runs past ``WIDTH`` characters; ``-o json``
and ``-o html`` have everything."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from eksaccess.cli.wording import plural, severity_word
from eksaccess.domain.findings import Finding
from eksaccess.features.analyze.audit import AuditReport, ClusterAudit

WIDTH = 200  # the longest line (a longer text is wrapped; only an ARN over ~150 characters exceeds it)
ARN_WIDTH = 110  # the principal column; a longer ARN is printed whole, its line's other columns after it
RISKS_SHOWN = 5  # risks of one code listed before "and N more"
REACH_SHOWN = 4  # namespaces of a principal's reach listed before "+N more"


def fold(items: Sequence[str], budget: int, sep: str = ", ") -> str:
    """As many ``items`` as fit in ``budget`` characters (at least one), then "and N more"."""
    if not items:
        return ""
    whole = sep.join(items)
    if len(whole) <= budget:
        return whole
    taken: list[str] = []
    for item in items:
        rest = len(items) - len(taken) - 1
        candidate = sep.join([*taken, item]) + f" and {rest} more"
        if taken and len(candidate) > budget:
            break
        taken.append(item)
    left = len(items) - len(taken)
    return sep.join(taken) + (f" and {left} more" if left else "")


def shorten(text: str, width: int) -> str:
    """``text`` within ``width`` characters, its start and end kept."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def _summary(report: AuditReport) -> list[str]:
    s = report.summary()
    sev = s["risksBySeverity"]
    accounts = sorted({c.account for c in report.clusters})
    clusters = f"{s['clusters']} cluster{'s' if s['clusters'] != 1 else ''}"
    lines = [
        shorten(
            f"Audit of {clusters} (account{'s' if len(accounts) != 1 else ''} {', '.join(accounts) or '-'}): "
            f"{plural(s['principals'], 'principal')}, {plural(s['risks'], 'risk')} "
            f"({', '.join(plural(n, severity_word(k)) for k, n in sev.items())})",
            WIDTH,
        ),
        "Levels: " + ", ".join(f"{level} {count}" for level, count in s["levels"].items()),
    ]
    admins = sorted({u for c in report.clusters for u in c.cluster_admin_users})
    head = f"IAM users who can become cluster-admin ({len(admins)}): "
    lines.append(head + (fold(admins, WIDTH - len(head)) if admins else "(none known)"))
    if report.failures:
        lines.append(f"Clusters that could not be read: {len(report.failures)} (listed below)")
    return lines


def _risks(risks: Sequence[Finding], many_clusters: bool) -> list[str]:
    if not risks:
        return ["Risks: (none)"]
    groups: dict[str, list[Finding]] = {}
    for risk in risks:
        groups.setdefault(str(risk.code), []).append(risk)
    width = max(len(code) for code in groups)
    lines = [f"Risks by code ({len(risks)}):"]
    for code, found in groups.items():
        first = found[0]
        lines.append(
            shorten(
                f"  {severity_word(first.severity):<7} {code:<{width}} {len(found):>5}  {first.title}", WIDTH
            )
        )
    for code, found in groups.items():
        lines.append("")
        lines.append(f"{code} ({len(found)}):")
        first = found[0]
        fixes = {r.advice for r in found}
        for risk in found[:RISKS_SHOWN]:
            where = f"[{risk.cluster}] " if many_clusters else ""
            lines += wrapped(f"  {where}{risk.detail}")
            if len(fixes) > 1:
                lines += wrapped(f"    fix: {risk.advice}")
        if len(found) > RISKS_SHOWN:
            lines.append(f"  and {len(found) - RISKS_SHOWN} more (-o json or -o html lists every one)")
        if len(fixes) == 1:
            lines += wrapped(f"  fix: {first.advice}")
    return lines


def _reach(reach: Sequence[str]) -> str:
    if not reach:
        return "-"
    shown = ",".join(reach[:REACH_SHOWN])
    return shown + (f" +{len(reach) - REACH_SHOWN} more" if len(reach) > REACH_SHOWN else "")


def wrapped(text: str, lead: str = "") -> list[str]:
    """``lead`` then ``text``, whole, over as many lines as it needs: continued under ``text`` when the
    lead leaves room, else indented. Words are not split (an ARN longer than a line stays one)."""
    indent = " " * len(lead) if len(lead) < WIDTH - 60 else "      "
    found = textwrap.wrap(
        lead + text,
        WIDTH,
        subsequent_indent=indent if lead else "    ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return found or [lead + text]


def _cluster(cluster: ClusterAudit, many: bool) -> list[str]:
    lines = [f"Cluster {cluster.region}/{cluster.name} (account {cluster.account}, {cluster.mode})"]
    width = min(max([len(p.arn) for p in cluster.principals] + [9]), ARN_WIDTH)
    reach_width = min(max([len(_reach(p.access.reach)) for p in cluster.principals] + [5]), 40)
    lines.append(f"  {'PRINCIPAL':<{width}}  {'LEVEL':<13}  {'REACH':<{reach_width}}  VIA")
    for p in cluster.principals:
        lead = f"  {p.arn:<{width}}  {p.access.label:<13}  {_reach(p.access.reach):<{reach_width}}  "
        lines += [lead + p.via] if len(lead) + len(p.via) <= WIDTH else wrapped(p.via, lead)
        users = [c.source for c in p.reachable_by if c.kind.value == "user"]
        if users:
            lead = f"  {'':<{width}}  reachable by "
            lines.append(lead + fold(users, WIDTH - len(lead)))
    if not cluster.principals:
        lines.append("  (no principal)")
    for reach in cluster.workload:
        lead = f"  role {reach.role_arn} <- "
        held = f"held by {', '.join(reach.service_accounts)}; reached by " + (
            fold(list(reach.principals or reach.subjects), WIDTH) if reach.subjects else "no subject"
        )
        lines += wrapped(held, lead)
    if many:
        admins = cluster.cluster_admin_users
        head = f"  IAM users who can become cluster-admin ({len(admins)}): "
        lines.append(head + (fold(admins, WIDTH - len(head)) if admins else "(none known)"))
    return lines


def render_text(report: AuditReport) -> str:
    lines = _summary(report)
    lines += ["", *_risks(report.risks, len(report.clusters) > 1)]
    if report.failures:
        lines.append("")
        for f in report.failures:
            lines += wrapped(f"FAILED {f.region}/{f.name} (profile {f.profile or 'default'}): {f.error}")
    for cluster in report.clusters:
        lines += ["", *_cluster(cluster, len(report.clusters) > 1)]
    notes = [f"Note: {n}" for n in report.notes]
    for cluster in report.clusters:
        notes += [f"Note: {cluster.region}/{cluster.name}: {n}" for n in cluster.notes]
    if notes:
        lines += ["", *(line for note in notes for line in wrapped(note))]
    return "\n".join(lines)
