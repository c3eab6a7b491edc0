"""IAM reads in the sandbox: users, roles, trust policies (URL-encoded JSON, decoded by botocore), paging."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox


@pytest.fixture
def sandbox(shared_sandbox: Callable[[str], RunningSandbox]) -> RunningSandbox:
    """The baseline sandbox, shared by this module's tests: they only read it."""
    return shared_sandbox("baseline")


ACCOUNT = "111122223333"


def test_get_user_without_name_is_the_caller(sandbox: RunningSandbox) -> None:
    user = sandbox.client("iam", "admin").get_user()["User"]
    assert user["UserName"] == "admin" and user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert user["UserId"].startswith("AIDA") and user["Path"] == "/"


def test_get_user_from_a_role_session_needs_a_name(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("iam", "eks-admin").get_user()
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert sandbox.client("iam", "eks-admin").get_user(UserName="alice")["User"]["UserName"] == "alice"


def test_get_role_has_the_trust_policy(sandbox: RunningSandbox) -> None:
    role = sandbox.client("iam", "admin").get_role(RoleName="developer")["Role"]
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def test_role_id_matches_the_assumed_role_user_id(sandbox: RunningSandbox) -> None:
    role_id = sandbox.client("iam", "admin").get_role(RoleName="developer")["Role"]["RoleId"]
    user_id = sandbox.client("sts", "developer").get_caller_identity()["UserId"]
    assert user_id.split(":")[0] == role_id


def test_missing_role_is_no_such_entity(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("iam", "admin").get_role(RoleName="ghost")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_roles_pages_with_marker(sandbox: RunningSandbox) -> None:
    iam = sandbox.client("iam", "admin")
    first = iam.list_roles(MaxItems=1)
    assert first["IsTruncated"] is True and len(first["Roles"]) == 1
    names = [
        r["RoleName"]
        for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1})
        for r in page["Roles"]
    ]
    assert sorted(names) == ["developer", "eks-admin"]
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    assert sorted(users) == ["admin", "alice"]


def test_account_authorization_details(sandbox: RunningSandbox) -> None:
    details = sandbox.client("iam", "admin").get_account_authorization_details(Filter=["Role"])
    assert details["UserDetailList"] == []
    roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
    trust = roles["eks-admin"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert trust == f"arn:aws:iam::{ACCOUNT}:root"
    everything = sandbox.client("iam", "admin").get_account_authorization_details()
    assert {u["UserName"] for u in everything["UserDetailList"]} == {"admin", "alice"}


def test_allow_list_denies_iam(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("iam", "alice").list_roles()
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:ListRoles on resource:"
    )
