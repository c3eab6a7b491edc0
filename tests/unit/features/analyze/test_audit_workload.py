"""Audit's workload-identity risks on purpose-built v2 snapshots: each fires on its case and stays quiet on
the look-alike that is fine."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, audit
from eksaccess.features.analyze.risks.workload_wide_reach import WIDE_REACH
from support.workload_state import ACCOUNT, binding, irsa_trust, role, role_arn, rule, workload_state

WEB = role_arn("web")
WORKLOAD_CODES = {
    FindingCode.WORKLOAD_ADMIN_ROLE_WIDE_REACH,
    FindingCode.TRUST_ANY_SERVICE_ACCOUNT,
    FindingCode.TRUST_NO_AUDIENCE,
    FindingCode.TRUST_PROVIDER_GONE,
}


def workload_risks(state: ClusterState, iam: list[Any] | None = None) -> list[tuple[FindingCode, str]]:
    report = audit([AuditInput(state=state)], iam=iam)
    return [(r.code, r.subject) for r in report.risks if r.code in WORKLOAD_CODES]


@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        pytest.param(irsa_trust("system:serviceaccount:apps:web"), [], id="the-user-guide-policy"),
        pytest.param(
            irsa_trust("system:serviceaccount:apps:*", operator="StringLike"), [], id="one-namespace"
        ),
        pytest.param(
            irsa_trust("*", operator="StringLike"), [FindingCode.TRUST_ANY_SERVICE_ACCOUNT], id="like-star"
        ),
        pytest.param(
            irsa_trust("system:serviceaccount:*", operator="StringLike"),
            [FindingCode.TRUST_ANY_SERVICE_ACCOUNT],
            id="like-any-namespace",
        ),
        pytest.param(irsa_trust(None), [FindingCode.TRUST_ANY_SERVICE_ACCOUNT], id="no-sub"),
        pytest.param(
            irsa_trust("system:serviceaccount:apps:web", aud=None),
            [FindingCode.TRUST_NO_AUDIENCE],
            id="no-aud",
        ),
        pytest.param(
            irsa_trust(None, aud=None),
            [FindingCode.TRUST_ANY_SERVICE_ACCOUNT, FindingCode.TRUST_NO_AUDIENCE],
            id="no-condition-at-all",
        ),
        pytest.param(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "pods.eks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            },
            [],
            id="pod-identity-trust-is-not-web-identity",
        ),
    ],
)
def test_trust_conditions(trust: dict[str, Any], expected: list[FindingCode]) -> None:
    state = workload_state(service_accounts=[("apps", "web", {})], trust={WEB: trust})
    assert workload_risks(state) == [(code, WEB) for code in expected]


def test_provider_gone_only_when_the_providers_were_read() -> None:
    trust = {WEB: irsa_trust("system:serviceaccount:apps:web")}
    gone = workload_state(trust=trust, providers=["oidc.eks.us-west-2.amazonaws.com/id/SOMEOTHERCLUSTER"])
    assert workload_risks(gone) == [(FindingCode.TRUST_PROVIDER_GONE, WEB)]
    assert workload_risks(workload_state(trust=trust)) == []  # the provider exists
    unread = workload_state(trust=trust).model_dump(by_alias=True)
    unread["workloadIdentity"]["oidcProviders"] = None
    assert workload_risks(ClusterState.model_validate(unread)) == []


def _iam(actions: list[str]) -> list[Any]:
    policy = {
        "PolicyName": "p",
        "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]},
    }
    role_detail = {
        "RoleName": "web",
        "RoleId": "AROAWEB",
        "Arn": WEB,
        "AssumeRolePolicyDocument": irsa_trust("system:serviceaccount:apps:web"),
        "RolePolicyList": [policy],
    }
    return [parse_authorization_details({"RoleDetailList": [role_detail]}, account=ACCOUNT)]


def _deployers(count: int) -> ClusterState:
    users = [{"kind": "User", "name": f"dev-{i}"} for i in range(count)]
    return workload_state(
        service_accounts=[("apps", "web", {"eks.amazonaws.com/role-arn": WEB})],
        trust={WEB: irsa_trust("system:serviceaccount:apps:web")},
        kubernetes=[
            role("deploy", "apps", [rule(["create"], ["deployments"], ["apps"])]),
            binding("devs", "apps", "deploy", users),
        ],
    )


@pytest.mark.parametrize(
    ("actions", "subjects", "fires"),
    [
        pytest.param(["*"], WIDE_REACH, True, id="admin-wide"),
        pytest.param(["iam:*"], WIDE_REACH, True, id="iam-star-wide"),
        pytest.param(["*"], WIDE_REACH - 1, False, id="admin-few"),
        pytest.param(["s3:GetObject"], WIDE_REACH + 3, False, id="narrow-wide"),
    ],
)
def test_admin_like_role_wide_reach(actions: list[str], subjects: int, fires: bool) -> None:
    found = workload_risks(_deployers(subjects), _iam(actions))
    assert found == ([(FindingCode.WORKLOAD_ADMIN_ROLE_WIDE_REACH, WEB)] if fires else [])


def test_wide_reach_needs_iam() -> None:
    assert workload_risks(_deployers(WIDE_REACH + 3)) == []


def test_the_per_role_summary_names_the_service_accounts_and_who_reaches_them() -> None:
    from eksaccess.cli.audit_text import render_text
    from eksaccess.features.analyze.report_html import render_html

    other = role_arn("unheld")
    state = workload_state(
        service_accounts=[("apps", "web", {"eks.amazonaws.com/role-arn": WEB}), ("apps", "db", {})],
        trust={
            WEB: irsa_trust("system:serviceaccount:apps:web"),
            other: irsa_trust("system:serviceaccount:x:y"),
        },
        kubernetes=[
            role("deploy", "apps", [rule(["create"], ["deployments"], ["apps"])]),
            binding("devs", "apps", "deploy", [{"kind": "User", "name": "dev-1"}]),
        ],
    )
    report = audit([AuditInput(state=state)])
    (cluster,) = report.clusters
    (reach,) = cluster.workload  # the role no service account holds is left out
    assert reach.role_arn == WEB and reach.namespaces == ("apps",)
    assert any("apps/web" in sa for sa in reach.service_accounts)
    assert 'User "dev-1"' in reach.subjects
    assert 'User "dev-2"' not in reach.subjects
    (line,) = report.to_json()["clusters"][0]["workloadIdentity"]
    assert line["roleArn"] == WEB and 'User "dev-1"' in line["subjects"]
    assert f"role {WEB} <- held by" in render_text(report)
    page = render_html(report.to_json())
    assert '<section id="workload">' in page and "dev-1" in page
    assert (
        audit([AuditInput(state=_deployers(0).model_copy(update={"workload_identity": None}))])
        .clusters[0]
        .workload
        == ()
    )
