"""The page: static sections written here, the principal table and each principal's chain drawn by the
inline script from the embedded data (5,000 rows as HTML would be megabytes the browser lays out before
anything shows; the script renders one page of rows, sorts and filters in memory, and draws one principal's
chain as a small SVG when it is clicked). Style and script are package files, inlined: no fetch of any kind.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from eksaccess.features.analyze.report_html import sections
from eksaccess.features.analyze.report_html.data import page_data, script_json
from eksaccess.features.analyze.report_html.sections import LEVELS, Provenance, e

MAPPINGS = {
    "accessEntry": "access entry",
    "mapRoles": "aws-auth mapRoles",
    "mapUsers": "aws-auth mapUsers",
    "mapAccounts": "aws-auth mapAccounts",
    "clusterCreator": "cluster creator",
    "none": "not mapped",
}
# (sort key, heading); "cluster" only when the report has more than one cluster
COLUMNS = (
    ("cluster", "cluster"),
    ("principal", "principal"),
    ("kind", "kind"),
    ("mapping", "mapped by"),
    ("level", "level"),
    ("reach", "reach"),
    ("identity", "Kubernetes user and groups"),
    ("reachable", "reachable from (IAM)"),
)


@cache
def _resource(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _options(values: list[tuple[str, str]], everything: str) -> str:
    return f'<option value="">{everything}</option>' + "".join(
        f'<option value="{e(v)}">{e(label)}</option>' for v, label in values
    )


def _principals(report: dict[str, Any]) -> str:
    principals = [p for c in report["clusters"] for p in c["principals"]]
    if not principals:
        return ""
    many = len(report["clusters"]) > 1
    levels = [(level, level) for level in LEVELS]
    sources = sorted({p["source"] for p in principals})
    mappings = [(s, MAPPINGS.get(s, s)) for s in sources]
    cluster_filter = ""
    if many:
        names = [(str(i), f"{c['region']}/{c['name']}") for i, c in enumerate(report["clusters"])]
        cluster_filter = f'<label>cluster <select id="f-cluster">{_options(names, "any")}</select></label>'
    heads = "".join(
        f'<th scope="col"><button type="button" class="sort" data-sort="{key}">{label}</button></th>'
        for key, label in COLUMNS
        if many or key != "cluster"
    )
    return (
        '<section id="principals-section"><h2>Principals</h2>'
        '<form id="filters" class="filters" role="search">'
        '<label>search <input type="search" id="f-text" placeholder="ARN, user, group, namespace"></label>'
        f'<label>level <select id="f-level">{_options(levels, "any")}</select></label>'
        f'<label>mapped by <select id="f-source">{_options(mappings, "any")}</select></label>'
        '<label>namespace <input id="f-ns" list="ns-list" placeholder="any"></label>'
        f'<datalist id="ns-list"></datalist>{cluster_filter}'
        '<button type="reset">clear</button></form>'
        '<p id="table-status" aria-live="polite"></p>'
        f'<div class="table-wrap"><table id="principals"><thead><tr>{heads}</tr></thead><tbody></tbody>'
        "</table></div>"
        '<nav class="pager" aria-label="pages"><button type="button" data-page="first">first</button>'
        '<button type="button" data-page="prev">previous</button><span id="page-info"></span>'
        '<button type="button" data-page="next">next</button><button type="button" data-page="last">last'
        '</button><label>rows per page <select id="page-size"><option>50</option><option selected>100'
        "</option><option>500</option><option>1000</option></select></label></nav>"
        "<noscript><p>The principal table is drawn by the page's script; <code>-o json</code> has every "
        "principal.</p></noscript></section>"
        '<dialog id="chain" aria-labelledby="chain-title"><div class="dialog-head">'
        '<h2 id="chain-title"></h2><button type="button" id="chain-close">close</button></div>'
        '<p id="chain-facts"></p><div id="chain-graph" class="graph"></div><dl id="chain-text"></dl></dialog>'
    )


def _nav(parts: dict[str, str]) -> str:
    names = {
        "summary": "summary",
        "failures": "failures",
        "risks": "risks",
        "principals-section": "principals",
        "workload": "workload identity",
        "levels": "levels",
        "notes": "notes",
    }
    links = "".join(f'<a href="#{key}">{label}</a>' for key, label in names.items() if parts.get(key))
    return f'<nav class="toc">{links}</nav>'


def render_html(report: dict[str, Any], provenance: Provenance | None = None) -> str:
    """The report (``AuditReport.to_json()``) as one self-contained HTML document."""
    parts = {
        "summary": sections.summary(report),
        "failures": sections.failures(report),
        "risks": sections.risks(report),
        "principals-section": _principals(report),
        "workload": sections.workload(report),
        "levels": sections.level_rule(report),
        "notes": sections.notes(report),
    }
    data = script_json(page_data(report))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>eksaccess audit</title><style>{_resource('style.css')}</style></head><body>"
        f"{sections.header(report, provenance or Provenance())}{_nav(parts)}<main>{''.join(parts.values())}"
        f'</main><script type="application/json" id="report-data">{data}</script>'
        f"<script>{_resource('script.js')}</script></body></html>\n"
    )
