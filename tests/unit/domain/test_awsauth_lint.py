"""The aws-auth linter: one table row per pitfall in shared/facts (authenticator.md 3, users-and-peers.md C)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eksaccess.domain.awsauth.lint import lint_aws_auth
from eksaccess.domain.awsauth.reader import split_manifest_lines
from eksaccess.domain.findings import FindingCode, Severity

C = FindingCode
ACCT = "111122223333"
NODE = f"arn:aws:iam::{ACCT}:role/eks-nodes-NodeInstanceRole-1A2B"
NODE_ENTRY = f"- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "aws-auth"

CASES: list[tuple[str, dict[str, str], set[FindingCode]]] = [
    ("clean", {"mapRoles": NODE_ENTRY, "mapAccounts": f'- "{ACCT}"'}, set()),
    (
        "malformed",
        {"mapRoles": NODE_ENTRY + "- rolearn: x\n   username: y\n  groups: []\n"},
        {C.AWS_AUTH_MALFORMED},
    ),
    ("not a list", {"mapUsers": f"userarn: arn:aws:iam::{ACCT}:user/a\n"}, {C.AWS_AUTH_MALFORMED}),
    ("key case", {"maproles": NODE_ENTRY}, {C.AWS_AUTH_KEY_CASE}),
    ("key typo", {"mapRole": NODE_ENTRY}, {C.AWS_AUTH_KEY_CASE}),
    ("unknown key", {"notes": "hello"}, {C.AWS_AUTH_UNKNOWN_KEY}),
    (
        "assumed role",
        {"mapRoles": f"- rolearn: arn:aws:sts::{ACCT}:assumed-role/Dev/jane\n  groups: [devs]\n"},
        {C.AWS_AUTH_ASSUMED_ROLE_ARN},
    ),
    (
        "role path",
        {"mapRoles": f"- rolearn: arn:aws:iam::{ACCT}:role/service-role/Build\n  groups: [devs]\n"},
        {C.AWS_AUTH_ROLE_PATH},
    ),
    (
        "wildcard",
        {"mapRoles": f"- rolearn: arn:aws:iam::{ACCT}:role/*\n  groups: [devs]\n"},
        {C.AWS_AUTH_INVALID_ARN},
    ),
    (
        "duplicate",
        {"mapRoles": f"- rolearn: {NODE}\n  groups: [a]\n" + NODE_ENTRY.replace("eks-nodes", "EKS-nodes")},
        {C.AWS_AUTH_DUPLICATE},
    ),
    ("missing arn", {"mapRoles": "- username: x\n  groups: [a]\n"}, {C.AWS_AUTH_MISSING_ARN}),
    (
        "user in roles field",
        {"mapUsers": f"- rolearn: arn:aws:iam::{ACCT}:user/a\n"},
        {C.AWS_AUTH_MISSING_ARN},
    ),
    ("scalar item", {"mapRoles": "- just text\n"}, {C.AWS_AUTH_INVALID_ENTRY}),
    (
        "sso",
        {"mapRoles": f"- sso: {{permissionSetName: Admin, accountID: '{ACCT}'}}\n"},
        {C.AWS_AUTH_SSO_UNSUPPORTED},
    ),
    (
        "groups string",
        {"mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  groups: devs\n"},
        {C.AWS_AUTH_GROUPS_NOT_LIST},
    ),
    (
        "space slip",
        {"mapRoles": NODE_ENTRY.replace("    - system:nodes", "     - system:nodes")},
        {C.AWS_AUTH_GROUP_WHITESPACE, C.AWS_AUTH_NODE_ROLE_GROUPS},
    ),
    (
        "boolean username",
        {"mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  username: no\n"},
        {C.AWS_AUTH_NOT_A_STRING},
    ),
    (
        "number group",
        {"mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  groups: [devs, 42]\n"},
        {C.AWS_AUTH_NOT_A_STRING},
    ),
    (
        "unknown field",
        {"mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  group: [devs]\n"},
        {C.AWS_AUTH_UNKNOWN_FIELD},
    ),
    (
        "duplicate field",
        {"mapRoles": f"- rolearn: {NODE}\n  roleArn: {NODE}\n  groups: [a]\n"},
        {C.AWS_AUTH_DUPLICATE_FIELD},
    ),
    (
        "unknown template",
        {
            "mapRoles": f"- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSNameShort}}}}\n  groups: [system:bootstrappers, system:nodes]\n"
        },
        {C.AWS_AUTH_UNKNOWN_TEMPLATE},
    ),
    (
        "session name",
        {
            "mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  username: '{{{{SessionName}}}}'\n  groups: [devs]\n"
        },
        {C.AWS_AUTH_SESSION_NAME_TEMPLATE},
    ),
    (
        "fargate-style node name is fine",
        {
            "mapRoles": f"- rolearn: {NODE.replace('eks-nodes', 'x')}\n  username: system:node:{{{{SessionName}}}}\n  groups: [system:bootstrappers, system:nodes, system:node-proxier]\n"
        },
        set(),
    ),
    (
        "masters",
        {"mapUsers": f"- userarn: arn:aws:iam::{ACCT}:user/a\n  groups: [system:masters]\n"},
        {C.AWS_AUTH_SYSTEM_MASTERS},
    ),
    (
        "node groups",
        {"mapRoles": NODE_ENTRY.replace("    - system:bootstrappers\n", "")},
        {C.AWS_AUTH_NODE_ROLE_GROUPS},
    ),
    (
        "role in mapUsers",
        {"mapUsers": f"- userarn: arn:aws:iam::{ACCT}:role/Dev\n  groups: [devs]\n"},
        {C.AWS_AUTH_WRONG_KEY},
    ),
    (
        "user in mapRoles",
        {"mapRoles": f"- rolearn: arn:aws:iam::{ACCT}:user/dev\n  groups: [devs]\n"},
        {C.AWS_AUTH_WRONG_KEY},
    ),
    ("bad account", {"mapAccounts": "- 1234\n- {a: b}\n"}, {C.AWS_AUTH_INVALID_ACCOUNT}),
]


@pytest.mark.parametrize(("name", "data", "codes"), CASES, ids=[c[0] for c in CASES])
def test_lint_codes(name: str, data: dict[str, str], codes: set[FindingCode]) -> None:
    assert {f.code for f in lint_aws_auth(data)} == codes


SEVERITY = {
    C.AWS_AUTH_MALFORMED: Severity.ERROR,
    C.AWS_AUTH_KEY_CASE: Severity.ERROR,
    C.AWS_AUTH_ASSUMED_ROLE_ARN: Severity.ERROR,
    C.AWS_AUTH_ROLE_PATH: Severity.ERROR,
    C.AWS_AUTH_DUPLICATE: Severity.WARNING,
    C.AWS_AUTH_MISSING_ARN: Severity.ERROR,
    C.AWS_AUTH_GROUPS_NOT_LIST: Severity.ERROR,
    C.AWS_AUTH_UNKNOWN_TEMPLATE: Severity.WARNING,
    C.AWS_AUTH_SESSION_NAME_TEMPLATE: Severity.WARNING,
    C.AWS_AUTH_SYSTEM_MASTERS: Severity.WARNING,
    C.AWS_AUTH_NODE_ROLE_GROUPS: Severity.ERROR,
}


@pytest.mark.parametrize(("name", "data", "codes"), CASES, ids=[c[0] for c in CASES])
def test_severities_follow_the_issue(name: str, data: dict[str, str], codes: set[FindingCode]) -> None:
    for finding in lint_aws_auth(data):
        if finding.code in SEVERITY and finding.key != "mapAccounts":
            assert finding.severity is SEVERITY[finding.code], finding


def test_malformed_says_what_the_authenticator_drops() -> None:
    broken = NODE_ENTRY * 2 + f"- rolearn: {NODE}x\n   username: y\n  groups: []\n- rolearn: z\n"
    (finding,) = lint_aws_auth({"mapRoles": broken, "mapUsers": ""})
    assert "all 4 entries of mapRoles stop working, node roles included" in finding.detail
    assert finding.line == 12 and finding.key == "mapRoles"


def test_fixes_give_the_arn_to_use() -> None:
    sso = f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
    data = {
        "mapRoles": f"- rolearn: {sso}\n  groups: [a]\n- rolearn: arn:aws:sts::{ACCT}:assumed-role/Dev/jane\n  groups: [a]\n"
    }
    fixes = {f.code: f.advice for f in lint_aws_auth(data)}
    assert (
        fixes[C.AWS_AUTH_ROLE_PATH]
        == f"use rolearn: arn:aws:iam::{ACCT}:role/AWSReservedSSO_Admin_0123456789abcdef"
    )
    assert fixes[C.AWS_AUTH_ASSUMED_ROLE_ARN] == f"use rolearn: arn:aws:iam::{ACCT}:role/Dev"


def test_duplicate_says_which_one_wins() -> None:
    users = f"- userarn: arn:aws:iam::{ACCT}:user/a\n- userarn: arn:aws:iam::{ACCT}:user/A\n"
    roles = f"- rolearn: {NODE}\n  username: first\n- rolearn: {NODE.upper().replace('ARN:AWS:IAM', 'arn:aws:iam')}\n  username: second\n"
    findings = {f.key: f for f in lint_aws_auth({"mapRoles": roles, "mapUsers": users})}
    assert "keeps only the last one (line 3: username second" in findings["mapRoles"].detail
    assert "at random" in findings["mapUsers"].detail


def test_lines_are_manifest_lines_when_offsets_are_known() -> None:
    data, offsets = split_manifest_lines((EXAMPLES / "wrong-arns.yaml").read_text())
    by_code: dict[FindingCode, Any] = {f.code: f.line for f in lint_aws_auth(data, line_offsets=offsets)}
    lines = (EXAMPLES / "wrong-arns.yaml").read_text().splitlines()
    assert "aws-reserved/sso.amazonaws.com" in lines[by_code[C.AWS_AUTH_ROLE_PATH] - 1]
    assert "assumed-role/Developers" in lines[by_code[C.AWS_AUTH_ASSUMED_ROLE_ARN] - 1]
    assert "userarn: arn:aws:iam::111122223333:role/Deployer" in lines[by_code[C.AWS_AUTH_WRONG_KEY] - 1]


@pytest.mark.parametrize(
    ("example", "codes"),
    [
        ("good.yaml", set()),
        ("broken-yaml.yaml", {C.AWS_AUTH_MALFORMED}),
        (
            "wrong-arns.yaml",
            {
                C.AWS_AUTH_ROLE_PATH,
                C.AWS_AUTH_ASSUMED_ROLE_ARN,
                C.AWS_AUTH_WRONG_KEY,  # admin:{{SessionName}} is the README's prefix pattern: not reported
            },
        ),
        ("space-out-of-place.yaml", {C.AWS_AUTH_GROUP_WHITESPACE, C.AWS_AUTH_NODE_ROLE_GROUPS}),
        (
            "silent-mistakes.yaml",
            {C.AWS_AUTH_KEY_CASE, C.AWS_AUTH_GROUPS_NOT_LIST, C.AWS_AUTH_DUPLICATE, C.AWS_AUTH_NOT_A_STRING},
        ),
    ],
)
def test_examples(example: str, codes: set[FindingCode]) -> None:
    data, offsets = split_manifest_lines((EXAMPLES / example).read_text())
    assert {f.code for f in lint_aws_auth(data, line_offsets=offsets)} == codes


# A key written twice in one item: YAML allows it; sigs.k8s.io/yaml (go-yaml v2, non-strict) keeps the later
# value, so the earlier one is silently lost (for rolearn/userarn: that principal is not mapped by the item).
DEV, OPS = f"arn:aws:iam::{ACCT}:role/dev", f"arn:aws:iam::{ACCT}:role/ops"
REPEATED = [
    # name, data, (severity, lost value or None, first line) of the finding; None: no finding
    ("two rolearns", {"mapRoles": f"- rolearn: {DEV}\n  rolearn: {OPS}\n  groups: [a]\n"}, ("error", DEV, 1)),
    (
        "two rolearns in the second item",
        {"mapRoles": f"- rolearn: {OPS}\n  groups: [a]\n- groups: [b]\n  rolearn: {DEV}\n  rolearn: {OPS}\n"},
        ("error", DEV, 4),
    ),
    ("two userarns", {"mapUsers": f"- userarn: {DEV}\n  userarn: {OPS}\n"}, ("error", DEV, 1)),
    ("quoted keys", {"mapRoles": f"- \"rolearn\": {DEV}\n  'rolearn': {OPS}\n"}, ("error", DEV, 1)),
    (
        "JSON form",
        {"mapRoles": f'[{{"rolearn": "{DEV}", "rolearn": "{OPS}", "groups": ["a"]}}]'},
        ("error", DEV, 1),
    ),
    ("flow mapping", {"mapRoles": f"- {{rolearn: {DEV}, groups: [a], rolearn: {OPS}}}\n"}, ("error", DEV, 1)),
    (
        "same value twice",
        {"mapRoles": f"- rolearn: {DEV}\n  rolearn: {DEV}\n  groups: [a]\n"},
        ("warning", None, 1),
    ),
    (
        "two usernames",
        {"mapRoles": f"- rolearn: {DEV}\n  username: first\n  groups: [a]\n  username: second\n"},
        ("warning", "first", 2),
    ),
    (
        "two group lists",
        {"mapRoles": f"- rolearn: {DEV}\n  groups: [a]\n  groups: [b]\n"},
        ("warning", "[a]", 2),
    ),
    ("one rolearn per item", {"mapRoles": f"- rolearn: {DEV}\n  groups: [a]\n- rolearn: {OPS}\n"}, None),
    ("an unknown field twice is only unknown", {"mapRoles": f"- rolearn: {DEV}\n  x: 1\n  x: 2\n"}, None),
    ("a value that looks like a key", {"mapRoles": f"- rolearn: {DEV}\n  username: 'rolearn: x'\n"}, None),
    (
        "a merge key is not a repeat",
        {"mapRoles": f"- &a {{rolearn: {DEV}}}\n- <<: *a\n  rolearn: {OPS}\n"},
        None,
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), REPEATED, ids=[c[0] for c in REPEATED])
def test_a_key_repeated_in_one_item(
    name: str, data: dict[str, str], expected: tuple[str, str | None, int] | None
) -> None:
    repeated = [f for f in lint_aws_auth(data) if f.code is C.AWS_AUTH_DUPLICATE_FIELD]
    if expected is None:
        assert repeated == []
        return
    severity, lost, line = expected
    (finding,) = repeated
    assert (finding.severity.value, finding.line) == (severity, line)
    assert "keeps only the last" in finding.detail
    if lost is None:
        assert "drops" not in finding.detail and "does not map" not in finding.detail
    else:
        assert finding.detail.endswith(lost)


def test_a_repeated_rolearn_says_which_role_is_unmapped_and_how_to_fix_it() -> None:
    (finding,) = lint_aws_auth({"mapRoles": f"- rolearn: {DEV}\n  rolearn: {OPS}\n  groups: [a]\n"})
    assert finding.detail == (
        f"mapRoles[0] sets rolearn 2 times (lines 1, 2); the authenticator keeps only the last ({OPS}), "
        f"so this entry does not map {DEV}"
    )
    assert finding.advice.startswith("give each rolearn its own entry")


def test_a_repeated_key_is_reported_at_manifest_lines() -> None:
    data = {"mapRoles": f"- rolearn: {DEV}\n  groups: [a]\n  rolearn: {OPS}\n"}
    (finding,) = lint_aws_auth(data, line_offsets={"mapRoles": 10})
    assert finding.line == 11 and "(lines 11, 13)" in finding.detail
