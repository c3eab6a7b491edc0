"""The audit as one self-contained HTML file: summary, sortable principal table, risks, failures, and per
cluster a graph laid out here as inline SVG (no fetch of any kind: styles and the small script inline).

Graph columns: IAM sources (users, other accounts, anyone) -> roles on the way -> the mapped principal ->
its Kubernetes username -> its groups -> the bindings and access policies that grant it something.
Rendered from the report's JSON, so what the page counts is what ``-o json`` says. Columns sort on a click;
``#sort=N`` in the URL sorts by column N on load (a link to a sorted view).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from typing import Any

MAX_GRAPH_PRINCIPALS = 40
COLUMN_WIDTH = 250
ROW_HEIGHT = 24
LABEL_CHARS = 36
COLUMNS = ("IAM source", "via role", "mapped principal", "Kubernetes user", "group", "binding / policy")
IMPLICIT = "system:authenticated"

STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;
vertical-align:top;font-size:13px}th{background:#eee;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
.level-cluster-admin{background:#fdd}.level-admin{background:#fed}.level-edit{background:#ffd}
.sev-error{color:#a00}.sev-warning{color:#a60}.sev-info{color:#555}
.summary span{display:inline-block;margin-right:1.5em}.code{font-family:monospace}
svg text{font:11px monospace}svg .node rect{fill:#f4f7fb;stroke:#789}svg .edge{fill:none;stroke:#9ab}
"""

SCRIPT = r"""
(function(){
  function key(td){var v=td.getAttribute('data-sort');return v!==null?v:td.textContent.trim();}
  document.querySelectorAll('table.sortable').forEach(function(table){
    table.querySelectorAll('th').forEach(function(th,col){
      th.addEventListener('click',function(){
        var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        var desc=th.classList.contains('sorted-asc');
        table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
        th.classList.add(desc?'sorted-desc':'sorted-asc');
        rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
          var n=parseFloat(x)-parseFloat(y);var c=isNaN(n)?x.localeCompare(y):n;return desc?-c:c;});
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  var wanted=/^#sort=(\d+)$/.exec(location.hash);
  if(wanted){var th=document.querySelectorAll('#principals th')[+wanted[1]];if(th){th.click();}}
  document.getElementById('js-principal-count').textContent=
    document.querySelectorAll('#principals tbody tr').length;
  document.getElementById('js-risk-count').textContent=document.querySelectorAll('#risks li').length;
  document.getElementById('js-failure-count').textContent=document.querySelectorAll('#failures li').length;
  document.body.setAttribute('data-rendered','true');
})();
"""

RANK = {"cluster-admin": 5, "admin": 4, "edit": 3, "view": 2, "custom": 1, "none": 0}


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _short(text: str) -> str:
    """Long labels keep their end (an ARN's name, a binding's role), the full text is in the title."""
    return text if len(text) <= LABEL_CHARS else "…" + text[-(LABEL_CHARS - 1) :]


@dataclass
class Graph:
    """Nodes per column (in first-seen order) and edges between node keys."""

    bindings: dict[str, str] = field(default_factory=dict)  # the cluster's: binding name -> its role
    group_bindings: dict[str, list[str]] = field(default_factory=dict)  # the cluster's: group -> bindings
    columns: list[dict[str, str]] = field(default_factory=lambda: [{} for _ in COLUMNS])
    edges: set[tuple[str, str]] = field(default_factory=set)

    def node(self, column: int, key: str, label: str) -> str:
        self.columns[column].setdefault(key, label)
        return key

    def edge(self, a: str, b: str) -> None:
        self.edges.add((a, b))

    def add(self, p: dict[str, Any]) -> None:
        principal = self.node(2, "p:" + p["arn"], p["arn"])
        for reach in p["reachableBy"]:
            arns = [reach["arn"], *reach["via"], p["arn"]]
            keys = [self.node(0, "s:" + arns[0], arns[0])]
            keys += [self.node(1, "r:" + arn, arn) for arn in arns[1:-1]]
            for a, b in zip(keys, [*keys[1:], principal], strict=True):
                self.edge(a, b)
        if p["username"] is None:
            return
        user = self.node(3, "u:" + p["username"], p["username"] or '""')
        self.edge(principal, user)
        for policy in p["accessPolicies"]:
            self.edge(user, self.node(5, "a:" + policy, "policy " + policy))
        for name in p["userBindings"]:
            self.edge(user, self._binding(name))
        for group in p["groups"]:
            if group != IMPLICIT:
                key = self.node(4, "g:" + group, group)
                self.edge(user, key)
                for name in self.group_bindings.get(group, ()):
                    self.edge(key, self._binding(name))

    def _binding(self, name: str) -> str:
        return self.node(5, "b:" + name, f"{name} -> {self.bindings.get(name, '?')}")

    def svg(self) -> str:
        positions: dict[str, tuple[int, int]] = {}
        height = max(len(c) for c in self.columns) * ROW_HEIGHT + 40
        parts: list[str] = []
        for col, nodes in enumerate(self.columns):
            x = col * COLUMN_WIDTH + 4
            parts.append(f'<text x="{x}" y="14" font-weight="bold">{_e(COLUMNS[col])}</text>')
            for row, (key, label) in enumerate(nodes.items()):
                y = 30 + row * ROW_HEIGHT
                positions[key] = (x, y)
                parts.append(
                    f'<g class="node" data-key="{_e(key)}"><title>{_e(label)}</title>'
                    f'<rect x="{x}" y="{y}" width="{COLUMN_WIDTH - 30}" height="{ROW_HEIGHT - 6}" rx="3"/>'
                    f'<text x="{x + 4}" y="{y + 13}">{_e(_short(label))}</text></g>'
                )
        edges = []
        for a, b in sorted(self.edges):
            if a not in positions or b not in positions:
                continue
            (x1, y1), (x2, y2) = positions[a], positions[b]
            x1, y1, y2 = x1 + COLUMN_WIDTH - 30, y1 + 9, y2 + 9
            mid = (x1 + x2) // 2
            edges.append(f'<path class="edge" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>')
        width = len(COLUMNS) * COLUMN_WIDTH
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">{"".join(edges)}{"".join(parts)}</svg>'
        )


def _summary(report: dict[str, Any]) -> str:
    s = report["summary"]
    sev = s["risksBySeverity"]
    items = [
        ("clusters", s["clusters"]),
        ("clusters failed", f'{s["clustersFailed"]}<span id="js-failure-count" hidden></span>'),
        ("principals", f'{s["principals"]}<span id="js-principal-count" hidden></span>'),
        ("risks", f'{s["risks"]}<span id="js-risk-count" hidden></span>'),
        ("errors", sev["error"]),
        ("warnings", sev["warning"]),
        ("users who can become cluster-admin", s["clusterAdminUsers"]),
    ]
    spans = "".join(f"<span>{name}: <b>{value}</b></span>" for name, value in items)
    levels = ", ".join(f"{_e(k)} {v}" for k, v in s["levels"].items())
    return f'<div class="summary" id="summary" data-summary="{_e(json.dumps(s))}">{spans}<p>Levels: {levels}</p></div>'


def _principal_rows(report: dict[str, Any]) -> str:
    rows = []
    for cluster in report["clusters"]:
        name = f"{cluster['region']}/{cluster['name']}"
        for p in cluster["principals"]:
            users = sorted({c["arn"] for c in p["reachableBy"] if c["kind"] == "user"})
            reach = ", ".join(p["reach"]) or "-"
            rows.append(
                f'<tr class="level-{_e(p["level"])}"><td>{_e(name)}</td><td class="code">{_e(p["arn"])}</td>'
                f"<td>{_e(p['kind'])}</td><td>{_e(p['via'])}</td>"
                f'<td data-sort="{RANK.get(p["level"], 0)}">{_e(p["level"])}</td><td>{_e(reach)}</td>'
                f'<td data-sort="{len(users)}">{_e(", ".join(users)) or "-"}</td></tr>'
            )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("cluster", "principal", "kind", "via", "level", "reach", "users who can reach it")
    )
    return f'<table id="principals" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _risks(report: dict[str, Any]) -> str:
    items = [
        f'<li class="sev-{_e(r["severity"])}" data-code="{_e(r["code"])}"><b>{_e(r["severity"])}</b> '
        f'<span class="code">{_e(r["code"])}</span> [{_e(r["cluster"])}] {_e(r["message"])}'
        f"<br><small>fix: {_e(r['fix'])}</small></li>"
        for r in report["risks"]
    ]
    return f'<ul id="risks">{"".join(items)}</ul>' if items else '<ul id="risks"></ul><p>No risks found.</p>'


def _failures(report: dict[str, Any]) -> str:
    items = [
        f"<li>{_e(f['region'])}/{_e(f['name'])} (profile {_e(f['profile'] or 'default')}): "
        f"{_e(f['kind'])}: {_e(f['error'])}</li>"
        for f in report["failures"]
    ]
    return f'<ul id="failures">{"".join(items)}</ul>'


def _graphs(report: dict[str, Any]) -> str:
    parts = []
    for cluster in report["clusters"]:
        shown = [p for p in cluster["principals"] if p["level"] != "none"][:MAX_GRAPH_PRINCIPALS]
        graph = Graph(bindings=cluster["bindings"], group_bindings=cluster["groupBindings"])
        for p in shown:
            graph.add(p)
        note = ""
        hidden = len([p for p in cluster["principals"] if p["level"] != "none"]) - len(shown)
        if hidden > 0:
            note = f"<p>{hidden} more principals with access are in the table, not drawn.</p>"
        parts.append(
            f"<h3>{_e(cluster['region'])}/{_e(cluster['name'])}</h3>{note}"
            f'<div class="graph" style="overflow:auto">{graph.svg()}</div>'
        )
    return "".join(parts)


def render_html(report: dict[str, Any]) -> str:
    """The report (``AuditReport.to_json()``) as one HTML document."""
    notes = "".join(f"<li>{_e(n)}</li>" for n in report["notes"])
    rule = "".join(
        f"<li><b>{_e(r['level'])}</b>: {_e(', '.join(r['adds']))}</li>" for r in report["levelRule"]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>eksaccess audit</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>eksaccess audit</h1>"
        f"{_summary(report)}"
        f"<h2>Principals</h2>{_principal_rows(report)}"
        f"<h2>Risks</h2>{_risks(report)}"
        f"<h2>Clusters that could not be read</h2>{_failures(report)}"
        f"<h2>Access graph</h2>{_graphs(report)}"
        f"<h2>How levels are computed</h2><p>Each level adds these probes to the one below it:</p><ul>{rule}</ul>"
        f'<h2>Notes</h2><ul id="notes">{notes}</ul>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
