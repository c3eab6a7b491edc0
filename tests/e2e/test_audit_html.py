"""The HTML audit report as a person sees it: rendered by headless Chromium (the system's, driven by
Playwright), read through what is visible (``innerText``, element boxes, clicks), not the DOM text.

A small hand-built report checks the counts against the JSON report, sorting, hostile names and that the
page fetches nothing; the bench generator's 5,000 principals / 2,000 roles / 20,000 bindings check load
time, the summary numbers (each shown once), filters, folded lists and a click on a principal that draws
its chain. The issue asks for "opens in 2 s or less" (measured: docs/audit.md); on this shared machine the
test asserts a generous bound only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, ClusterFailure, audit
from eksaccess.features.analyze.report_html import Provenance, render_html
from support.bench_report import bench_report

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

A = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_USER = "</script><script>document.body.dataset.pwned='1'</script>"
HOSTILE_GROUP = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
LOAD_BOUND_MS = 10_000  # the goal is 2 s (docs/audit.md has the figure); this machine is shared


def missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: the HTML report test needs it)")
    pytest.skip(what)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        missing("chromium is not installed (apt-get install -y chromium)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium()
    if importlib.util.find_spec("playwright") is None:
        missing("playwright is not installed (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=path, args=FLAGS)
        yield launched
        launched.close()


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_report(browser: Browser, html: Path, *, width: int = 1280, fragment: str = "") -> Opened:
    page = browser.new_page(viewport={"width": width, "height": 900})
    opened = Opened(page)
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.goto(html.as_uri() + fragment)
    page.wait_for_selector("body[data-rendered=true]", state="attached")
    return opened


def entry(arn: str, policy: str, scope: Any = None) -> dict[str, Any]:
    return {
        "principalArn": arn,
        "accessPolicies": [{"policyArn": POLICY + policy, "accessScope": scope or {"type": "cluster"}}],
    }


def build_report() -> dict[str, Any]:
    map_roles = (
        f"- rolearn: arn:aws:iam::{A}:role/break-glass\n  groups: [system:masters]\n"
        f"- rolearn: arn:aws:iam::{A}:role/hostile\n  username: {json.dumps(HOSTILE_USER)}\n"
        f"  groups: [{json.dumps(HOSTILE_GROUP)}]\n"
    )
    state = ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "prod", "region": "eu-west-1", "accountId": A},
            "authenticationMode": "API_AND_CONFIG_MAP",
            "accessEntries": [
                entry(f"arn:aws:iam::{A}:role/admin", "AmazonEKSClusterAdminPolicy"),
                entry(
                    f"arn:aws:iam::{A}:role/dev",
                    "AmazonEKSEditPolicy",
                    {"type": "namespace", "namespaces": ["dev", "gone"]},
                ),
                entry(f"arn:aws:iam::{A}:user/viewer", "AmazonEKSViewPolicy"),
                {"principalArn": f"arn:aws:iam::{A}:role/teams", "kubernetesGroups": ["team-a", "team-b"]},
            ],
            "awsAuth": {"mapRoles": map_roles},
            "kubernetes": [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}},
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": "team-a-view", "namespace": "dev"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "view",
                    },
                    "subjects": [
                        {"kind": "Group", "name": "team-a"},
                        {"kind": "Group", "name": "<script>x</script>"},
                        {"kind": "Group", "name": HOSTILE_GROUP},
                    ],
                },
            ],
        }
    )
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    iam = parse_authorization_details(
        {
            "UserDetailList": [
                {
                    "UserName": "alice",
                    "Arn": f"arn:aws:iam::{A}:user/alice",
                    "AccessKeyMetadata": [{"Status": "Active"}],
                }
            ],
            "RoleDetailList": [
                {
                    "RoleName": "admin",
                    "Arn": f"arn:aws:iam::{A}:role/admin",
                    "AssumeRolePolicyDocument": trust,
                },
                {"RoleName": "dev", "Arn": f"arn:aws:iam::{A}:role/dev", "AssumeRolePolicyDocument": trust},
            ],
        }
    )
    failure = ClusterFailure(
        name="staging", region="eu-west-1", profile="ops", error="AccessDenied", kind="access-denied"
    )
    return audit([AuditInput(state=state)], iam=[iam], failures=[failure]).to_json()


PROVENANCE = Provenance(
    generated="2026-12-05 10:00:00 UTC",
    version="9.9.9",
    command="eksaccess audit --snapshot 'a b.yaml' -o html",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    report = build_report()
    html = tmp_path_factory.mktemp("small") / "report.html"
    html.write_text(render_html(report, PROVENANCE), encoding="utf-8")
    return report, html


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The bench's generated cluster (5,000 principals, 2,000 roles, 20,000 bindings), audited, rendered."""
    report = bench_report().to_json()
    html = tmp_path_factory.mktemp("big") / "report.html"
    html.write_text(render_html(report, PROVENANCE), encoding="utf-8")
    return report, html


def tokens(text: str) -> list[str]:
    return text.split()


def fmt(n: int) -> str:
    return f"{n:,}"


# ----------------------------------------------------------------------------------- the small report


def test_summary_shows_each_count_once_and_matches_the_json(
    browser: Browser, small: tuple[dict[str, Any], Path]
) -> None:
    report, html = small
    opened = open_report(browser, html)
    page, s = opened.page, report["summary"]
    assert s["principals"] == 6 and s["clustersFailed"] == 1 and s["risks"] > 3
    sev = s["risksBySeverity"]

    def card(key: str) -> str:  # what is visible of a summary card, one space between words
        return " ".join(tokens(page.locator(f'.card[data-key="{key}"]').inner_text()))

    assert card("principals") == "6 principals"
    assert card("clustersFailed") == "1 clusters could not be read"
    assert card("risks") == (
        f"{s['risks']} risks {sev['error']} errors {sev['warning']} warnings {sev['info']} info"
    )
    admins = card("clusterAdminUsers")
    assert admins.startswith(f"{s['clusterAdminUsers']} IAM users who can become cluster-admin ")
    assert f"arn:aws:iam::{A}:user/alice" in admins  # alice has keys and can assume role/admin
    for level, count in s["levels"].items():
        shown = page.locator(f'button.level-filter[data-level="{level}"]').inner_text()
        assert tokens(shown) == [level, str(count)]
    # the header says where the report comes from
    header = page.locator("header").inner_text()
    for text in (
        A,
        "eu-west-1/prod",
        "2026-12-05 10:00:00 UTC",
        "9.9.9",
        "eksaccess audit --snapshot 'a b.yaml'",
    ):
        assert text in header
    assert opened.errors == []


def test_table_risks_and_failures_match_the_json(
    browser: Browser, small: tuple[dict[str, Any], Path]
) -> None:
    report, html = small
    page = open_report(browser, html).page
    assert page.locator("#principals tbody tr").count() == report["summary"]["principals"]
    shown = page.locator("#principals tbody tr button.principal").evaluate_all("bs => bs.map(b => b.title)")
    arns = [p["arn"] for c in report["clusters"] for p in c["principals"]]
    assert [t.split(" (click")[0] for t in shown] == arns  # the report's order: level, then ARN
    by_code: dict[str, int] = {}
    for risk in report["risks"]:
        by_code[risk["code"]] = by_code.get(risk["code"], 0) + 1
    groups = page.locator("#risks details.risk")
    assert groups.count() == len(by_code)
    for code, count in by_code.items():
        group = page.locator(f'#risks details.risk[data-code="{code}"]')
        assert group.locator("summary .count").inner_text() == str(count)
        assert group.locator("li").count() == count
    assert {"SYSTEM_MASTERS_OUTSIDE_CREATOR", "USER_KEYS_CLUSTER_ADMIN", "SCOPE_NAMESPACE_MISSING"} <= set(
        by_code
    )
    assert page.locator("#failures li").inner_text().startswith("eu-west-1/staging (profile ops)")


def test_principal_table_sorts(browser: Browser, small: tuple[dict[str, Any], Path]) -> None:
    _, html = small
    rank = {"cluster-admin": 5, "admin": 4, "edit": 3, "view": 2, "custom": 1, "none": 0, "unknown": 1}

    def levels(page: Page) -> list[int]:
        found = page.locator("#principals tbody tr").evaluate_all("rs => rs.map(r => r.dataset.level)")
        return [rank[level] for level in found]

    page = open_report(browser, html).page
    first = levels(page)
    assert first == sorted(first, reverse=True) and first[0] > first[-1]  # the report's order
    page.locator('th button[data-sort="level"]').click()
    assert levels(page) == sorted(first)
    assert page.locator('th button[data-sort="level"]').get_attribute("data-dir") == "asc"
    page.locator('th button[data-sort="level"]').click()
    assert levels(page) == sorted(first, reverse=True)
    linked = open_report(browser, html, fragment="#sort=level:asc").page  # a link to a sorted view
    assert levels(linked) == sorted(first)


def test_page_fetches_nothing(browser: Browser, small: tuple[dict[str, Any], Path]) -> None:
    _, html = small
    opened = open_report(browser, html)
    opened.page.locator("button.principal").first.click()
    opened.page.wait_for_selector("#chain svg")
    assert opened.requests == [html.as_uri()]
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|data:)""", text)
    assert "@import" not in text and "url(" not in text


def test_hostile_names_stay_text(browser: Browser, small: tuple[dict[str, Any], Path]) -> None:
    """A username ``</script><script>...`` and a group ``<img onerror=...>`` (aws-auth takes any
    string) are shown as written and run nothing."""
    _, html = small
    opened = open_report(browser, html)
    page = opened.page
    assert page.locator("script").count() == 2  # the data and the page's own script, nothing injected
    assert page.locator("img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    row = page.locator(
        "#principals tbody tr", has=page.locator('button[title^="arn:aws:iam::111122223333:role/hostile "]')
    )
    assert HOSTILE_USER in row.inner_text() and HOSTILE_GROUP in row.inner_text()
    row.locator("button.principal").click()
    assert page.locator('#chain-graph g[data-key="u"] title').text_content() == HOSTILE_USER
    assert HOSTILE_USER in page.locator("#chain-text").inner_text()
    assert HOSTILE_GROUP in page.locator("#chain-graph g.node title").all_text_contents()
    assert page.locator("img").count() == 0 and page.evaluate("document.body.dataset.pwned") is None
    assert opened.errors == []
    text = html.read_text(encoding="utf-8")
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert text.count("</script>") == 2


# ------------------------------------------------------------------------- 5,000 principals (the bench)


def test_big_report_opens_fast_with_the_summary_once(
    browser: Browser, big: tuple[dict[str, Any], Path], record_property: Callable[[str, object], None]
) -> None:
    report, html = big
    opened = open_report(browser, html)
    page, s = opened.page, report["summary"]
    ready = int(page.get_attribute("body", "data-render-ms") or "-1")
    loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    size = html.stat().st_size
    record_property("html_bytes", size)
    record_property("rendered_ms", ready)
    record_property("load_event_ms", loaded)
    print(
        f"\n5,000 principals: {size / 2**20:.1f} MiB, table rendered at {ready} ms, load event {loaded:.0f} ms"
    )
    assert 0 < ready < LOAD_BOUND_MS and 0 < loaded < LOAD_BOUND_MS
    assert s["principals"] == 5000
    # every number of the summary, in order, each once: nothing else numeric is visible there
    sev, levels = s["risksBySeverity"], s["levels"]
    expected = [
        s["principals"],
        s["clusterAdminUsers"],
        s["risks"],
        sev["error"],
        sev["warning"],
        sev["info"],
    ]
    expected += list(levels.values())
    summary = page.locator("#summary").inner_text()
    assert re.findall(r"\d[\d,]*", summary) == [fmt(n) for n in expected]
    assert summary.count("principals") == 1 and summary.count("risks") == 1
    assert page.locator("#principals tbody tr").count() == 100  # one page of rows
    assert f"of {fmt(5000)}" in page.locator("#page-info").inner_text()
    assert opened.errors == []


@pytest.mark.parametrize("width", [1280, 800])
def test_big_report_fits_the_window(browser: Browser, big: tuple[dict[str, Any], Path], width: int) -> None:
    """No fixed width: the page itself never scrolls sideways (the table scrolls inside its box)."""
    _, html = big
    page = open_report(browser, html, width=width).page
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def search(page: Page, text: str) -> None:
    """Type into the search box and wait for the table to be drawn again (the box waits for a pause)."""
    page.fill("#f-text", text)
    page.wait_for_function("document.querySelector('#table-status').textContent !== ''")


def expected_rows(report: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for c in report["clusters"] for p in c["principals"] if keep(p))


def reaches(p: dict[str, Any], namespace: str) -> bool:
    return any(
        ns in ("*", namespace) or (ns.endswith("*") and namespace.startswith(ns[:-1]))
        for ns in p["namespaces"]
    )


def mentions(p: dict[str, Any], word: str) -> bool:
    texts = [p["arn"], p["username"] or "", p["via"], *p["groups"], *p["reach"], *p["accessPolicies"]]
    texts += [a for c in p["reachableBy"] for a in (c["arn"], *c["via"])]
    return any(word in t for t in texts)


def test_big_report_filters(browser: Browser, big: tuple[dict[str, Any], Path]) -> None:
    report, html = big
    page = open_report(browser, html).page
    rows = page.locator("#principals tbody tr")
    info = page.locator("#page-info")

    page.select_option("#f-level", "admin")
    assert report["summary"]["levels"]["admin"] == 262
    assert info.inner_text().endswith(f"of {fmt(262)}")
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.level)")) == {"admin"}

    page.select_option("#f-level", "")
    page.fill("#f-ns", "ns-79")
    assert info.inner_text().endswith(f"of {fmt(expected_rows(report, lambda p: reaches(p, 'ns-79')))}")

    page.fill("#f-ns", "")
    page.select_option("#f-source", "mapUsers")
    assert info.inner_text().endswith(f"of {fmt(1000)}")
    page.select_option("#f-source", "")

    want = expected_rows(report, lambda p: mentions(p, "person-537"))
    assert 0 < want < 100
    search(page, "person-537")
    assert rows.count() == want
    assert f"{want} of {fmt(5000)} principals match" in page.locator("#table-status").inner_text()
    for row in rows.all():
        assert "person-537" in row.inner_text() or "more" in row.inner_text()


def test_big_report_folds_long_lists(browser: Browser, big: tuple[dict[str, Any], Path]) -> None:
    report, html = big
    page = open_report(browser, html).page
    principal = next(p for p in report["clusters"][0]["principals"] if len(p["reach"]) > 20)
    search(page, principal["arn"].split(":", 5)[5])
    button = page.locator(f'button.principal[title^="{principal["arn"]} "]')
    button.wait_for()
    cell = page.locator("#principals tbody tr", has=button).locator("td.reach")
    more = cell.locator("button.more")
    assert more.inner_text() == f"{len(principal['reach']) - 3} more"
    assert cell.locator(".item").count() == 3
    more.click()
    assert cell.locator(".item").all_inner_texts() == principal["reach"]


def test_big_report_click_shows_the_chain(browser: Browser, big: tuple[dict[str, Any], Path]) -> None:
    report, html = big
    page = open_report(browser, html).page
    principal = next(
        p
        for p in report["clusters"][0]["principals"]
        if len(p["reachableBy"]) > 15
        and any(c["via"] for c in p["reachableBy"][:15])
        and len(p["groups"]) > 2
    )
    search(page, principal["arn"].split(":", 5)[5])
    button = page.locator(f'button.principal[title^="{principal["arn"]} "]')
    button.click()
    dialog = page.locator("dialog#chain")
    assert dialog.is_visible()
    assert page.locator("#chain-title").inner_text() == principal["arn"]
    labels = page.locator("#chain-graph g.node text").all_text_contents()
    heads = page.locator("#chain-graph text.head").all_text_contents()
    assert heads == [
        "IAM source",
        "role on the way",
        "mapped principal",
        "Kubernetes user",
        "group",
        "binding / access policy",
    ]
    assert principal["arn"].split(":", 5)[5] in labels
    assert principal["username"] in labels
    assert {g for g in principal["groups"] if g != "system:authenticated"} <= set(labels)
    assert f"+{len(principal['reachableBy']) - 15} more" in labels
    via = principal["reachableBy"][0]["via"] or next(c["via"] for c in principal["reachableBy"] if c["via"])
    assert via[0].split(":", 5)[5] in labels
    # the graph is drawn whole: every box inside the SVG, the SVG inside its box, the dialog in the window
    fits = page.evaluate(
        """() => { const box = document.querySelector('#chain-graph'), svg = box.querySelector('svg');
                   const right = Math.max(...[...svg.querySelectorAll('rect')].map(r => r.x.baseVal.value + r.width.baseVal.value));
                   return [right <= svg.width.baseVal.value, svg.width.baseVal.value <= box.clientWidth]; }"""
    )
    assert fits == [True, True]
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280
    sources = page.locator("#chain-text dt").first.inner_text()
    assert sources == f"IAM sources ({len(principal['reachableBy'])})"
    page.locator("#chain-close").click()
    assert not dialog.is_visible()
