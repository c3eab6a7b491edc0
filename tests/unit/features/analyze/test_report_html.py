"""The HTML report's Python half: the page data carries every field the script shows (decoded here the way
script.js decodes it), embedded JSON no name can break out of, every report string escaped in the static
sections, and no empty section. What the browser renders is tests/e2e/test_audit_html.py."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.features.analyze.report_html import Provenance, render_html
from eksaccess.features.analyze.report_html.data import page_data, script_json

A = "111122223333"
HOSTILE = '</script><xss onclick="x">&amp;\'</xss><!--'


def principal(arn: str, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "arn": arn,
        "principalArn": arn,
        "kind": "role",
        "source": "accessEntry",
        "via": "access entry",
        "username": "dev",
        "groups": ["team-a", "system:authenticated"],
        "level": "edit",
        "reach": ["dev"],
        "namespaces": {"dev": "edit", "*": "view"},
        "opaquePolicies": [],
        "accessPolicies": ["AmazonEKSEditPolicy (namespaces dev)"],
        "userBindings": ['RoleBinding "own/dev"'],
        "reachableBy": [
            {"arn": f"arn:aws:iam::{A}:user/alice", "kind": "user", "via": [], "conditional": False}
        ],
    }
    found.update(changes)
    return found


def report(
    principals: list[dict[str, Any]] | None = None,
    *,
    risks: list[dict[str, Any]] | None = None,
    failures: list[dict[str, Any]] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """A report shaped as ``AuditReport.to_json()`` (the fields the page reads)."""
    found = principals if principals is not None else [principal(f"arn:aws:iam::{A}:role/dev")]
    levels = dict.fromkeys(("cluster-admin", "admin", "edit", "view", "custom", "none"), 0)
    for p in found:
        levels[p["level"]] += 1
    risks = risks or []
    return {
        "summary": {
            "clusters": 1,
            "clustersFailed": len(failures or []),
            "principals": len(found),
            "levels": levels,
            "risks": len(risks),
            "risksBySeverity": {
                s: sum(r["severity"] == s for r in risks) for s in ("error", "warning", "info")
            },
            "clusterAdminUsers": 0,
            "people": 0,
        },
        "levelRule": [{"level": "view", "adds": ["get pods"]}],
        "iamRead": True,
        "clusters": [
            {
                "name": "prod",
                "region": "eu-west-1",
                "accountId": A,
                "authenticationMode": "API",
                "principals": found,
                "bindings": {
                    'RoleBinding "own/dev"': 'ClusterRole "edit"',
                    'RoleBinding "t/dev"': 'Role "r"',
                },
                "groupBindings": {"team-a": ['RoleBinding "t/dev"']},
                "clusterAdminUsers": [],
                "notes": [],
            }
        ],
        "risks": risks,
        "failures": failures or [],
        "notes": notes or [],
    }


def decode(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows back as the report's principals, by the layout data.py documents (as script.js reads it)."""
    s = data["strings"]
    at = {name: i for i, name in enumerate(data["row"])}
    rows = []
    for r in data["rows"]:
        pairs = r[at["namespaces"]]
        rows.append(
            {
                "arn": s[r[at["arn"]]],
                "principalArn": s[r[at["principalArn"]]],
                "kind": s[r[at["kind"]]],
                "source": s[r[at["source"]]],
                "via": s[r[at["via"]]],
                "username": None if r[at["username"]] < 0 else s[r[at["username"]]],
                "groups": [s[i] for i in r[at["groups"]]],
                "level": s[r[at["level"]]],
                "reach": [s[i] for i in r[at["reach"]]],
                "namespaces": {s[pairs[i]]: s[pairs[i + 1]] for i in range(0, len(pairs), 2)},
                "opaquePolicies": [s[i] for i in r[at["opaquePolicies"]]],
                "accessPolicies": [s[i] for i in r[at["accessPolicies"]]],
                "userBindings": [s[i] for i in r[at["userBindings"]]],
                "reachableBy": [
                    {"arn": s[c[0]], "kind": s[c[1]], "via": [s[i] for i in c[3:]], "conditional": bool(c[2])}
                    for c in r[at["reachableBy"]]
                ],
            }
        )
    return rows


names = st.text(min_size=0, max_size=30)


@given(name=names, group=names, hop=names)
def test_page_data_carries_every_field(name: str, group: str, hop: str) -> None:
    found = [
        principal(f"arn:aws:iam::{A}:role/{name}", groups=[group, "system:authenticated"]),
        principal(
            f"arn:aws:iam::{A}:user/{name}x",
            kind="user",
            username=None,
            groups=[],
            level="none",
            reach=[],
            namespaces={},
            accessPolicies=[],
            userBindings=[],
            opaquePolicies=["AmazonEKSACKPolicy"],
            reachableBy=[
                {"arn": "*", "kind": "anyone", "via": [f"arn:aws:iam::{A}:role/{hop}"], "conditional": True}
            ],
        ),
    ]
    data = page_data(report(found))
    assert decode(data) == found
    assert len(data["strings"]) == len(set(data["strings"]))  # each string once
    (cluster,) = data["clusters"]
    s = data["strings"]
    assert {s[b]: s[r] for b, r in cluster[4]} == report(found)["clusters"][0]["bindings"]
    assert {s[g]: [s[b] for b in bs] for g, bs in cluster[5]} == {"team-a": ['RoleBinding "t/dev"']}


def test_the_most_used_strings_get_the_smallest_indices() -> None:
    found = [principal(f"arn:aws:iam::{A}:role/r-{i}") for i in range(30)]
    strings = page_data(report(found))["strings"]
    assert strings.index("edit") < strings.index(f"arn:aws:iam::{A}:role/r-0")


@given(st.text())
def test_embedded_json_cannot_end_its_script_element(text: str) -> None:
    embedded = script_json({"name": text, "list": [text]})
    assert not re.search("[<>&\u2028\u2029]", embedded)
    assert json.loads(embedded) == {"name": text, "list": [text]}


def hostile_report() -> dict[str, Any]:
    risk = {
        "code": "WILDCARD_RULE",
        "severity": "warning",
        "cluster": HOSTILE,
        "subject": HOSTILE,
        "title": HOSTILE,
        "message": HOSTILE,
        "fix": HOSTILE,
    }
    failure = {"name": HOSTILE, "region": HOSTILE, "profile": HOSTILE, "kind": "other", "error": HOSTILE}
    found = report(
        [principal(f"arn:aws:iam::{A}:role/x", username=HOSTILE, groups=[HOSTILE], source=HOSTILE)],
        risks=[risk, {**risk, "cluster": "other"}],
        failures=[failure],
        notes=[HOSTILE],
    )
    cluster = found["clusters"][0]
    cluster.update(name=HOSTILE, region=HOSTILE, accountId=HOSTILE, authenticationMode=HOSTILE)
    cluster["clusterAdminUsers"] = [HOSTILE]
    cluster["notes"] = [HOSTILE]
    found["levelRule"] = [{"level": HOSTILE, "adds": [HOSTILE]}]
    return found


def test_every_report_string_is_escaped() -> None:
    html = render_html(hostile_report(), Provenance(generated=HOSTILE, version=HOSTILE, command=HOSTILE))
    assert "<xss" not in html and "<!--" not in html
    assert html.count("</script>") == 2 and html.count("<script") == 2
    escaped = "&lt;/script&gt;&lt;xss onclick=&quot;x&quot;&gt;&amp;amp;&#x27;&lt;/xss&gt;&lt;!--"
    # header (account, cluster, time, version, command), who can become cluster-admin, the risk (cluster,
    # title, message, fix), the failure, the level rule, the notes; and the mapping filter's option
    assert html.count(escaped) >= 12


def test_sections_with_nothing_in_them_are_left_out() -> None:
    html = render_html(report())
    for section in ("risks", "failures", "notes"):
        assert f'id="{section}"' not in html and f'href="#{section}"' not in html
    assert 'id="summary"' in html and 'id="principals-section"' in html
    empty = render_html(report([]))
    assert 'id="principals-section"' not in empty and 'href="#principals-section"' not in empty
    assert 'data-count="principals">0<' in empty  # the summary is always there


@pytest.mark.parametrize(
    ("failures", "cards"),
    [
        ([], ["principals", "clusterAdminUsers", "risks"]),
        (
            [{"name": "b", "region": "r", "profile": None, "kind": "other", "error": "x"}],
            ["principals", "clustersFailed", "clusterAdminUsers", "risks"],
        ),
    ],
)
def test_summary_cards(failures: list[dict[str, Any]], cards: list[str]) -> None:
    html = render_html(report(failures=failures))
    assert re.findall(r'class="card" data-key="(\w+)"', html) == cards


def test_risks_are_grouped_by_code_severity_first() -> None:
    def risk(code: str, severity: str, n: int) -> dict[str, Any]:
        return {
            "code": code,
            "severity": severity,
            "cluster": "c",
            "subject": "s",
            "title": code,
            "fix": "f",
        } | {"message": f"m{n}"}

    risks = [risk("B", "warning", 1), risk("A", "error", 2), risk("B", "warning", 3)]
    risks += [risk("C", "info", n) for n in range(25)]
    html = render_html(report(risks=risks))
    assert re.findall(r'<details class="risk sev-\w+" data-code="(\w)"', html) == ["A", "B", "C"]
    assert re.findall(r'<span class="count">(\d+)</span>', html) == ["1", "2", "25"]
    assert html.count("<li>m") == 28  # every risk is in the page, 20 per code shown, the rest folded
    assert "<summary>5 more</summary>" in html


def test_style_and_script_are_inlined_and_cannot_end_their_elements() -> None:
    package = files("eksaccess.features.analyze.report_html")
    style = package.joinpath("style.css").read_text(encoding="utf-8")
    script = package.joinpath("script.js").read_text(encoding="utf-8")
    assert "</style" not in style.lower() and "</script" not in script.lower()
    html = render_html(report())
    assert style in html and script in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|data:)""", html)
    assert "@import" not in html and "url(" not in html
