"""``audit --iam FILE``: IAM details read by the one data loader, as JSON (what ``aws iam
get-account-authorization-details`` writes by default) or as YAML (``--output yaml``), to the same report;
a broken file is one line with its place, exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cli import run_cli

SNAPSHOT = Path(__file__).resolve().parents[2] / "examples" / "snapshot.yaml"
ACCOUNT = "111122223333"
DETAILS: dict[str, Any] = {
    "UserDetailList": [{"UserName": "bob", "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "UserPolicyList": []}],
    "RoleDetailList": [
        {
            "RoleName": "platform-admin",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/platform-admin",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        }
    ],
}


def audit_with(tmp_path: Path, name: str, text: str) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    done = run_cli(env, "audit", "--snapshot", str(SNAPSHOT), "--iam", str(path), "-o", "json")
    return done.returncode, done.stdout, done.stderr


def test_json_and_yaml_iam_details_give_the_same_report(tmp_path: Path) -> None:
    code, from_json, _ = audit_with(tmp_path, "iam.json", json.dumps(DETAILS, indent=4))
    yaml_code, from_yaml, _ = audit_with(tmp_path, "iam.yaml", yaml.safe_dump(DETAILS))
    assert (code, from_json) == (yaml_code, from_yaml)
    report = json.loads(from_json)
    assert report["iamRead"] is True
    assert f"arn:aws:iam::{ACCOUNT}:user/bob" in from_json  # reached through the role's trust


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"UserDetailList": [}', "iam.json: not valid YAML or JSON at line 1, column 21: "),
        ("[1, 2]", "iam.json: not the output of aws iam get-account-authorization-details"),
        ('{"Users": []}', "iam.json: not the output of aws iam get-account-authorization-details"),
    ],
)
def test_a_file_that_is_not_iam_details_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    code, out, err = audit_with(tmp_path, "iam.json", text)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
