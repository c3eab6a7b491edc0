"""A live audit on the sandbox reads IAM as it would on AWS: identity policies (the scenario's ``allow``
lists, listed inline by GetAccountAuthorizationDetails) decide who can assume a role that trusts the account
root, and ListAccessKeys tells which users hold long-term keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from eksaccess.cli.main import main
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
BASELINE = resources.files("eksaccess.sandbox.scenarios").joinpath("baseline.yaml").read_text()
ALICE_ALLOW = 'allow: ["sts:AssumeRole", "eks:Describe*", "eks:List*"]'


def _audit(sb: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    for key, value in sb.env_for("admin").items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit):
        main(["audit", "--cluster", "demo", "--region", "us-west-2", "-o", "json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("allow", "alice_is_admin"), [(ALICE_ALLOW, True), ('allow: ["eks:Describe*"]', False)]
)
def test_who_can_become_cluster_admin_follows_identity_policies(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    allow: str,
    alice_is_admin: bool,
) -> None:
    assert ALICE_ALLOW in BASELINE
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(BASELINE.replace(ALICE_ALLOW, allow))
    report = _audit(make_sandbox(str(scenario)), monkeypatch, capsys)
    assert report["iamRead"] is True
    (cluster,) = report["clusters"]
    # eks-admin trusts the account root and is system:masters in aws-auth: who may assume it is decided by
    # each principal's own identity policy
    assert (ALICE in cluster["clusterAdminUsers"]) is alice_is_admin
    assert ADMIN in cluster["clusterAdminUsers"]  # directly, and (allowed everything) through eks-admin
    keyed = {r["message"].split()[0] for r in report["risks"] if r["code"] == "USER_KEYS_CLUSTER_ADMIN"}
    assert keyed == ({ADMIN, ALICE} if alice_is_admin else {ADMIN})
    assert not [n for n in report["notes"] + cluster["notes"] if "access keys unknown" in n]


def test_identity_policies_and_access_keys_on_the_wire(sandbox: RunningSandbox) -> None:
    iam = sandbox.client("iam", "admin")
    users = {
        u["UserName"]: u for u in iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    }
    (alice_policy,) = users["alice"]["UserPolicyList"]
    assert alice_policy["PolicyDocument"] == {  # botocore decodes the URL-encoded JSON, as for AWS
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "eks:Describe*", "eks:List*"], "Resource": "*"}
        ],
    }
    assert users["admin"]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == ["*"]
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["Status"] for k in keys] == ["Active"] and keys[0]["AccessKeyId"].startswith("AKIA")
    assert "SecretAccessKey" not in keys[0]
    assert iam.list_access_keys()["AccessKeyMetadata"][0]["UserName"] == "admin"  # the caller's own


def test_keys_that_cannot_be_listed_are_unknown_for_everyone(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = tmp_path / "scenario.yaml"
    admin_line = "      - name: admin\n"
    assert admin_line in BASELINE
    limited = '      - name: admin\n        allow: ["eks:*", "sts:*", "iam:GetAccountAuthorizationDetails"]\n'
    scenario.write_text(BASELINE.replace(admin_line, limited, 1))
    report = _audit(make_sandbox(str(scenario)), monkeypatch, capsys)
    assert report["iamRead"] is True
    notes = report["notes"] + report["clusters"][0]["notes"]
    assert [n for n in notes if "access keys unknown" in n and "ListAccessKeys" in n], notes
    assert not [r for r in report["risks"] if r["code"] == "USER_KEYS_CLUSTER_ADMIN"]
