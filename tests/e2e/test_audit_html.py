"""The HTML audit report in a real browser (headless Chromium): it renders, its script runs, its counts
match the JSON report, the principal table sorts, and it fetches nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, ClusterFailure, audit
from eksaccess.features.analyze.report_html import render_html

A = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI=true: the HTML report test needs it)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


def dump_dom(html: Path, tmp_path: Path, fragment: str = "") -> str:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", html.as_uri() + fragment]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Dom(HTMLParser):
    """Just enough of the dumped DOM: elements by id, rows and cells of the principal table, risk items."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self.rows: list[list[dict[str, str]]] = []
        self.items: dict[str, int] = {}
        self.svg_nodes = 0
        self.body: dict[str, str] = {}
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.stack.append((tag, found))
        ids = [a.get("id", "") for _, a in self.stack]
        if "id" in found:
            self.attrs[found["id"]] = found
            self.text[found["id"]] = ""
        if tag == "body":
            self.body = found
        if tag == "tr" and "principals" in ids and any(t == "tbody" for t, _ in self.stack):
            self.rows.append([])
        if tag == "td" and "principals" in ids and self.rows:
            self.rows[-1].append({"sort": found.get("data-sort", ""), "text": ""})
        if tag == "li" and ids[-2:-1]:
            parent = ids[-2]
            self.items[parent] = self.items.get(parent, 0) + 1
        if tag == "g" and "node" in found.get("class", ""):
            self.svg_nodes += 1
        for key in ("src", "href"):
            if key in found:
                self.urls.append(found[key])

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, attrs in self.stack:
            if "id" in attrs:
                self.text[attrs["id"]] += data
        if self.stack and self.stack[-1][0] == "td" and self.rows and self.rows[-1]:
            self.rows[-1][-1]["text"] += data


def parse(text: str) -> Dom:
    dom = Dom()
    dom.feed(text)
    return dom


def entry(arn: str, policy: str, scope: Any = None) -> dict[str, Any]:
    return {
        "principalArn": arn,
        "accessPolicies": [{"policyArn": POLICY + policy, "accessScope": scope or {"type": "cluster"}}],
    }


def build_report() -> dict[str, Any]:
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
            "awsAuth": {
                "mapRoles": f"- rolearn: arn:aws:iam::{A}:role/break-glass\n  groups: [system:masters]\n"
            },
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


def test_report_renders_with_counts_matching_the_json(tmp_path: Path) -> None:
    report = build_report()
    html = tmp_path / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    (tmp_path / "report.json").write_text(json.dumps(report))
    dom = parse(dump_dom(html, tmp_path))

    assert dom.body.get("data-rendered") == "true"  # the inline script ran to its end
    principals = sum(len(c["principals"]) for c in report["clusters"])
    assert principals == report["summary"]["principals"] == 5
    assert len(dom.rows) == principals
    assert dom.text["js-principal-count"] == str(principals)
    assert dom.items.get("risks", 0) == len(report["risks"]) == report["summary"]["risks"] > 3
    assert dom.text["js-risk-count"] == str(len(report["risks"]))
    assert dom.items.get("failures", 0) == len(report["failures"]) == 1
    assert dom.text["js-failure-count"] == "1"
    codes = {r["code"] for r in report["risks"]}
    assert {"SYSTEM_MASTERS_OUTSIDE_CREATOR", "USER_KEYS_CLUSTER_ADMIN", "SCOPE_NAMESPACE_MISSING"} <= codes
    assert json.loads(dom.attrs["summary"]["data-summary"]) == report["summary"]
    assert dom.svg_nodes >= 8  # alice, roles, principals, usernames, groups, bindings and policies drawn
    assert not [u for u in dom.urls if re.match(r"^[a-z]+:", u)]  # no src/href to anywhere


def test_principal_table_sorts_by_level(tmp_path: Path) -> None:
    report = build_report()
    html = tmp_path / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    dom = parse(dump_dom(html, tmp_path, "#sort=4"))
    ranks = [int(row[4]["sort"]) for row in dom.rows]
    assert (
        ranks == sorted(ranks) and ranks[0] < ranks[-1]
    )  # ascending after one click (the report is descending)
    assert [r[4]["sort"] for r in parse(dump_dom(html, tmp_path)).rows] == [
        str(x) for x in sorted(ranks, reverse=True)
    ]


def test_html_is_self_contained_and_escaped() -> None:
    text = render_html(build_report())
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert text.count("<script>") == 1
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)
    assert "@import" not in text and "url(" not in text
