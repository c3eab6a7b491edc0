"""Allow lists (IAM action patterns) and IAM-style ids."""

from __future__ import annotations

import re

import pytest

from eksaccess.sandbox.aws.identity import is_allowed, new_access_key_id, unique_id


@pytest.mark.parametrize(
    ("allow", "action", "expected"),
    [
        (None, "eks:DeleteCluster", True),
        ((), "eks:DescribeCluster", False),
        (("eks:*",), "eks:CreateAccessEntry", True),
        (("eks:Describe*",), "eks:DescribeCluster", True),
        (("eks:Describe*",), "eks:ListClusters", False),
        (("eks:describecluster",), "eks:DescribeCluster", True),
        (("*",), "iam:GetRole", True),
        (("sts:AssumeRole",), "sts:AssumeRoleWithSAML", False),
        (("eks:List*", "iam:Get*"), "iam:GetUser", True),
    ],
)
def test_is_allowed(allow: tuple[str, ...] | None, action: str, expected: bool) -> None:
    assert is_allowed(allow, action) is expected


def test_ids_have_aws_shapes() -> None:
    assert unique_id("AROA", "x").startswith("AROA") and len(unique_id("AROA", "x")) == 21
    assert unique_id("AROA", "x") == unique_id("AROA", "x") != unique_id("AROA", "y")
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", new_access_key_id("ASIA"))
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", unique_id("AIDA", "user"))
