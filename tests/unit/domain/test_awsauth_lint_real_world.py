"""Lint on real-world shapes: the lock-outs seen in public aws-auth files, and the quieter reports.

Facts: the authenticator's pkg/server/server.go ``renderTemplates`` (``{{EC2PrivateDNSName}}`` needs a
session name that is an instance id; an empty username is rendered as it is), its README's mapRoles examples
(``admin:{{SessionName}}``, ``aws:{{AccountID}}:instance:{{SessionName}}``), pkg/mapper/configmap
``isSkippable`` (``''``, ``""`` and a backquote pair are nothing), and Kubernetes' request-header
authenticator (staging/src/k8s.io/apiserver/pkg/authentication/request/headerrequest/requestheader.go:
an empty user name is not authenticated, so aggregated APIs answer 401). The fixtures in tests/data/aws-auth
were written for these tests, in the shapes real files come in.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eksaccess.domain.awsauth.lint import lint_aws_auth, lint_document
from eksaccess.domain.awsauth.lint_grants import is_prefixed_session_name, placeholder_in
from eksaccess.domain.awsauth.manifest import find_aws_auth
from eksaccess.domain.findings import FindingCode, Severity

C = FindingCode
DATA = Path(__file__).resolve().parents[2] / "data" / "aws-auth"
ACCT = "111122223333"
NODE_GROUPS = "[system:bootstrappers, system:nodes]"


def role(name: str, username: str | None, groups: str) -> str:
    user = f"  username: {username}\n" if username is not None else ""
    return f"- rolearn: arn:aws:iam::{ACCT}:role/{name}\n{user}  groups: {groups}\n"


EC2 = "system:node:{{EC2PrivateDNSName}}"
FARGATE = "system:node:{{SessionName}}"
CASES: list[tuple[str, dict[str, str], set[FindingCode]]] = [
    # {{EC2PrivateDNSName}} outside node roles
    ("node role", {"mapRoles": role("eks-NodeInstanceRole-1A", EC2, NODE_GROUPS)}, set()),
    ("karpenter node role", {"mapRoles": role("KarpenterNodeRole-prod", EC2, NODE_GROUPS)}, set()),
    (
        "SSO role",
        {"mapRoles": role("AWSReservedSSO_Admin_0123", EC2, "[ops]")},
        {C.AWS_AUTH_EC2_NAME_NOT_NODE},
    ),
    (
        "CodeBuild role with node groups",
        {"mapRoles": role("codebuild-app-service-role", EC2, NODE_GROUPS)},
        {C.AWS_AUTH_EC2_NAME_NOT_NODE},
    ),
    ("CI role", {"mapRoles": role("gitlab-ci", EC2, NODE_GROUPS)}, {C.AWS_AUTH_EC2_NAME_NOT_NODE}),
    (
        "a role without node groups",
        {"mapRoles": role("Developers", EC2, "[devs]")},
        {C.AWS_AUTH_EC2_NAME_NOT_NODE},
    ),
    (
        "a node role without its groups is a node role lacking groups",
        {"mapRoles": role("eks-NodeInstanceRole-1A", EC2, "[]")},
        {C.AWS_AUTH_NODE_ROLE_GROUPS},
    ),
    (
        "an IAM user has no session name",
        {"mapUsers": f"- userarn: arn:aws:iam::{ACCT}:user/a\n  username: '{EC2}'\n  groups: [a]\n"},
        {C.AWS_AUTH_EC2_NAME_NOT_NODE},
    ),
    (
        "in a group too",
        {"mapRoles": role("Developers", "dev", "['node-{{EC2PrivateDNSName}}']")},
        {C.AWS_AUTH_EC2_NAME_NOT_NODE},
    ),
    # Fargate
    (
        "Fargate by its group",
        {"mapRoles": role("eks-pods", EC2, "[system:bootstrappers, system:nodes, system:node-proxier]")},
        {C.AWS_AUTH_FARGATE_EC2_USERNAME},
    ),
    (
        "Fargate by its name",
        {"mapRoles": role("AmazonEKSFargatePodExecutionRole", EC2, NODE_GROUPS)},
        {C.AWS_AUTH_FARGATE_EC2_USERNAME},
    ),
    (
        "Fargate as EKS maps it",
        {
            "mapRoles": role(
                "AmazonEKSFargatePodExecutionRole", FARGATE, NODE_GROUPS[:-1] + ", system:node-proxier]"
            )
        },
        set(),
    ),
    # placeholders
    (
        "placeholder group",
        {"mapRoles": role("eks-NodeInstanceRole-1A", EC2, "[system:bootstrappers, <system:nodes>]")},
        {C.AWS_AUTH_PLACEHOLDER, C.AWS_AUTH_NODE_ROLE_GROUPS},
    ),
    (
        "placeholder account",
        {"mapRoles": "- rolearn: arn:aws:iam::<ACCOUNT_ID>:role/a\n  groups: [a]\n"},
        {C.AWS_AUTH_PLACEHOLDER},
    ),
    (
        "bare ACCOUNT_ID",
        {"mapRoles": "- rolearn: arn:aws:iam::ACCOUNT_ID:role/a\n  groups: [a]\n"},
        {C.AWS_AUTH_PLACEHOLDER},
    ),
    ("Terraform interpolation", {"mapRoles": role("${var.role}", "a", "[a]")}, {C.AWS_AUTH_PLACEHOLDER}),
    (
        "shell variable",
        {"mapRoles": "- rolearn: arn:aws:iam::$AWS_ACCOUNT_ID:role/a\n  groups: [a]\n"},
        {C.AWS_AUTH_PLACEHOLDER},
    ),
    ("Helm value", {"mapRoles": role("a", "'{{ .Values.user }}'", "[a]")}, {C.AWS_AUTH_PLACEHOLDER}),
    ("Helm include", {"mapRoles": role("a", "a", "['{{ include \"x\" . }}']")}, {C.AWS_AUTH_PLACEHOLDER}),
    ("placeholder account item", {"mapAccounts": "- '<ACCOUNT_ID>'\n"}, {C.AWS_AUTH_PLACEHOLDER}),
    (
        "templates are not placeholders",
        {"mapRoles": role("a", "'a:{{AccountID}}:{{AccessKeyID}}'", "[a]")},
        set(),
    ),
    (
        "an unknown template stays unknown",
        {"mapRoles": role("a", "'{{Session}}'", "[a]")},
        {C.AWS_AUTH_UNKNOWN_TEMPLATE},
    ),
    # empty username
    ("empty username", {"mapRoles": role("a", '""', "[a]")}, {C.AWS_AUTH_EMPTY_USERNAME}),
    ("null username", {"mapRoles": role("a", "", "[a]")}, {C.AWS_AUTH_EMPTY_USERNAME}),
    ("no username field", {"mapRoles": role("a", None, "[a]")}, set()),
    (
        "a number is not empty but not a string",
        {"mapRoles": role("a", "0", "[a]")},
        {C.AWS_AUTH_NOT_A_STRING},
    ),
    # keys holding a quoted empty string, or null
    ("mapRoles ''", {"mapRoles": "''"}, {C.AWS_AUTH_QUOTED_EMPTY}),
    ('mapUsers ""', {"mapUsers": '""'}, {C.AWS_AUTH_QUOTED_EMPTY}),
    ("mapAccounts ``", {"mapAccounts": "``"}, {C.AWS_AUTH_QUOTED_EMPTY}),
    ("mapRoles null", {"mapRoles": "null\n"}, {C.AWS_AUTH_QUOTED_EMPTY}),
    ("mapRoles ~", {"mapRoles": "~"}, {C.AWS_AUTH_QUOTED_EMPTY}),
    ("an empty value is simply empty", {"mapRoles": "", "mapUsers": "[]"}, set()),
]


@pytest.mark.parametrize(("name", "data", "codes"), CASES, ids=[c[0] for c in CASES])
def test_new_lock_outs(name: str, data: dict[str, str], codes: set[FindingCode]) -> None:
    assert {f.code for f in lint_aws_auth(data)} == codes


@pytest.mark.parametrize(("name", "data", "codes"), CASES, ids=[c[0] for c in CASES])
def test_each_lock_out_fails_the_gate(name: str, data: dict[str, str], codes: set[FindingCode]) -> None:
    for finding in lint_aws_auth(data):
        if finding.code in (C.AWS_AUTH_QUOTED_EMPTY,) and finding.key != "mapRoles":
            assert finding.severity is Severity.WARNING  # a missing user or account locks out fewer
        elif finding.code is not C.AWS_AUTH_UNKNOWN_TEMPLATE:
            assert finding.severity is Severity.ERROR, finding


def test_the_empty_username_finding_says_what_happens() -> None:
    (finding,) = lint_aws_auth({"mapRoles": role("a", '""', "[a]")})
    assert 'username ""' in finding.detail and "401" in finding.detail and finding.line == 2


@pytest.mark.parametrize(
    ("username", "prefixed"),
    [
        ("admin:{{SessionName}}", True),  # README
        ("aws:{{AccountID}}:instance:{{SessionName}}", True),  # README
        ("sso:{{SessionNameRaw}}", True),
        ("{{SessionName}}", False),  # README too, but with no prefix: it may take any name
        (":{{SessionName}}", False),
        ("admin-{{SessionName}}", False),
        ("{{SessionName}}:admin", False),
        ("{{SessionName}}:{{SessionName}}", False),
    ],
)
def test_the_readme_prefix_pattern(username: str, prefixed: bool) -> None:
    assert is_prefixed_session_name(username) is prefixed
    codes = {f.code for f in lint_aws_auth({"mapRoles": role("Federated", f"'{username}'", "[devs]")})}
    assert (C.AWS_AUTH_SESSION_NAME_TEMPLATE in codes) is not prefixed


def test_the_session_name_in_groups_is_reported_even_with_a_prefixed_username() -> None:
    data = {"mapRoles": role("Federated", "'admin:{{SessionName}}'", "['team-{{SessionName}}']")}
    assert [f.code for f in lint_aws_auth(data)] == [C.AWS_AUTH_SESSION_NAME_TEMPLATE]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("arn:aws:iam::111122223333:role/a", None),
        ("system:node:{{EC2PrivateDNSName}}", None),
        ("<system:nodes>", "<system:nodes>"),
        ("arn:aws:iam::${account}:role/x", "${account}"),
        ("{{ .Values.a }}", "{{ .Values.a }}"),
        ("{{- $x -}}", "{{- $x -}}"),
        ("REPLACE_ME", "REPLACE_ME"),
        ("account-id-team", None),
    ],
)
def test_placeholders(text: str, found: str | None) -> None:
    assert placeholder_in(text) == found


def test_system_masters_is_reported_once_per_map_with_its_rows() -> None:
    roles = "".join(role(f"Admin{i}", f"admin{i}", "[system:masters]") for i in range(5))
    users = f"- userarn: arn:aws:iam::{ACCT}:user/a\n  groups: [system:masters, devs]\n"
    findings = [
        f
        for f in lint_aws_auth({"mapRoles": roles, "mapUsers": users})
        if f.code is C.AWS_AUTH_SYSTEM_MASTERS
    ]
    assert [(f.key, f.evidence["count"], f.severity) for f in findings] == [
        ("mapRoles", 5, Severity.WARNING),
        ("mapUsers", 1, Severity.WARNING),
    ]
    assert [r["line"] for r in findings[0].evidence["rows"]] == [3, 6, 9, 12, 15]
    assert (
        "5 entries grant system:masters" in findings[0].detail
        and "role/Admin4 (line 15)" in findings[0].detail
    )


def test_many_system_masters_rows_are_one_finding_of_one_short_line() -> None:
    roles = "".join(role(f"Admin{i}", f"admin{i}", "[system:masters]") for i in range(500))
    (finding,) = lint_aws_auth({"mapRoles": roles})
    assert finding.evidence["count"] == 500 and len(finding.evidence["rows"]) == 500
    assert finding.detail.endswith("role/Admin9 (line 30), and 490 more") and len(finding.detail) < 1000


def test_a_flag_makes_system_masters_fail_the_gate() -> None:
    data = {"mapRoles": role("Admin", "admin", "[system:masters]")}
    (finding,) = lint_aws_auth(data, fail_on_system_masters=True)
    assert finding.severity is Severity.ERROR


# Each fixture: the findings it must give (code: how many), at the lines asserted below.
FIXTURES = {
    "multi-document.yaml": {
        C.AWS_AUTH_EC2_NAME_NOT_NODE: 2,  # the SSO role, the CodeBuild role
        C.AWS_AUTH_FARGATE_EC2_USERNAME: 1,
        C.AWS_AUTH_PLACEHOLDER: 1,  # <system:nodes>
        C.AWS_AUTH_NODE_ROLE_GROUPS: 1,  # ... so that Windows node role lacks system:nodes
        C.AWS_AUTH_EMPTY_USERNAME: 1,
        C.AWS_AUTH_SYSTEM_MASTERS: 2,  # 3 rows in mapRoles, 2 in mapUsers: once per map
    },
    "list.yaml": {C.AWS_AUTH_WRONG_NAMESPACE: 1, C.AWS_AUTH_QUOTED_EMPTY: 1},
    "terraform-yamlencode.yaml": {
        C.AWS_AUTH_PLACEHOLDER: 4,  # <ACCOUNT_ID>, ${var...}, {{ .Values... }}, mapAccounts ACCOUNT_ID
        C.AWS_AUTH_EC2_NAME_NOT_NODE: 1,  # the GitHub Actions role
        C.AWS_AUTH_QUOTED_EMPTY: 1,  # mapUsers: "''"
        C.AWS_AUTH_SYSTEM_MASTERS: 1,
    },
    "eksctl.yaml": {C.AWS_AUTH_FARGATE_EC2_USERNAME: 1, C.AWS_AUTH_SYSTEM_MASTERS: 1},
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixtures(name: str) -> None:
    text = (DATA / name).read_text()
    (document,) = find_aws_auth(text)
    findings = lint_document(document)
    assert Counter(f.code for f in findings) == Counter(FIXTURES[name])
    lines = text.splitlines()
    for finding in findings:
        if finding.line is not None:  # each points at the line it is about (a group: at its list)
            shown = (
                lines[finding.line - 1 : finding.line + 2]
                if finding.key
                else lines[finding.line - 1 : finding.line]
            )
            assert any(_about(finding.code, line) for line in shown), (finding.code, shown)
    # the quieter ones: no session-name noise on prefix:{{SessionName}} rows
    assert C.AWS_AUTH_SESSION_NAME_TEMPLATE not in {f.code for f in findings}


def _about(code: FindingCode, line: str) -> bool:
    expected = {
        C.AWS_AUTH_EC2_NAME_NOT_NODE: "{{EC2PrivateDNSName}}",
        C.AWS_AUTH_FARGATE_EC2_USERNAME: "{{EC2PrivateDNSName}}",
        C.AWS_AUTH_EMPTY_USERNAME: "username",
        C.AWS_AUTH_WRONG_NAMESPACE: "namespace",
        C.AWS_AUTH_SYSTEM_MASTERS: "system:masters",
    }.get(code)
    if code is C.AWS_AUTH_PLACEHOLDER:
        return any(p in line for p in ("<", "${", "{{ .", "ACCOUNT_ID"))
    if code is C.AWS_AUTH_NODE_ROLE_GROUPS:
        return "groups" in line or line.strip().startswith("-")
    return expected is None or expected in line
