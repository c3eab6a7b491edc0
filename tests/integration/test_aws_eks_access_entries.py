"""The nine access entry operations against the sandbox with real boto3: results, EKS's errors, paging."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
DEVELOPER = f"arn:aws:iam::{ACCOUNT}:role/developer"
EKS_ADMIN = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
NO_VALIDATION = Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})
MakeSandbox = Callable[..., RunningSandbox]


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


@pytest.fixture
def eks(sandbox: RunningSandbox) -> Any:
    return sandbox.client("eks", "admin", config=NO_VALIDATION)


def test_create_describe_update_delete(sandbox: RunningSandbox, eks: Any) -> None:
    created = eks.create_access_entry(
        clusterName="demo", principalArn=EKS_ADMIN, kubernetesGroups=["ops"], tags={"team": "platform"}
    )["accessEntry"]
    assert created["principalArn"] == EKS_ADMIN and created["type"] == "STANDARD"
    assert created["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/{{{{SessionName}}}}"
    assert created["accessEntryArn"].startswith(
        f"arn:aws:eks:us-west-2:{ACCOUNT}:access-entry/demo/role/{ACCOUNT}/eks-admin/"
    )
    assert created["tags"] == {"team": "platform"} and created["kubernetesGroups"] == ["ops"]
    described = eks.describe_access_entry(clusterName="demo", principalArn=EKS_ADMIN)["accessEntry"]
    assert described["accessEntryArn"] == created["accessEntryArn"]
    role_id = sandbox.client("iam", "admin").get_role(RoleName="eks-admin")["Role"]["RoleId"]
    assert sandbox.store.get_entry("demo", EKS_ADMIN).entry.principal_id == role_id  # type: ignore[union-attr]

    updated = eks.update_access_entry(
        clusterName="demo", principalArn=EKS_ADMIN, username="ops:{{SessionName}}"
    )
    assert updated["accessEntry"]["username"] == "ops:{{SessionName}}"
    assert updated["accessEntry"]["kubernetesGroups"] == ["ops"]  # omitted: kept
    cleared = eks.update_access_entry(clusterName="demo", principalArn=EKS_ADMIN, kubernetesGroups=[])
    assert cleared["accessEntry"]["kubernetesGroups"] == []

    eks.delete_access_entry(clusterName="demo", principalArn=EKS_ADMIN)
    with pytest.raises(ClientError) as err:
        eks.describe_access_entry(clusterName="demo", principalArn=EKS_ADMIN)
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    again = eks.create_access_entry(clusterName="demo", principalArn=EKS_ADMIN)["accessEntry"]
    assert again["accessEntryArn"] != created["accessEntryArn"]


def test_duplicate_entry_is_resource_in_use(eks: Any) -> None:
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName="demo", principalArn=DEVELOPER)
    assert _error(err) == (
        "ResourceInUseException",
        409,
        "The specified access entry resource is already in use on this cluster.",
    )


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (
            {"principalArn": EKS_ADMIN, "kubernetesGroups": ["system:masters"]},
            "The kubernetes group name system:masters is invalid, it cannot start with system:",
        ),
        ({"principalArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/me"}, "temporary principal"),
        ({"principalArn": EKS_ADMIN, "username": "system:admin"}, "system:"),
        ({"principalArn": EKS_ADMIN, "username": "admin{{SessionName}}"}, "':'"),
        ({"principalArn": f"arn:aws:iam::{ACCOUNT}:role/ghost"}, "The specified principalArn is invalid"),
        ({"principalArn": EKS_ADMIN, "type": "EC2_LINUX", "kubernetesGroups": ["nodes"]}, "EC2_LINUX"),
        ({"principalArn": EKS_ADMIN, "type": "NOT_A_TYPE"}, "NOT_A_TYPE"),
        ({"principalArn": "not-an-arn"}, "not-an-arn"),
    ],
)
def test_create_validation(eks: Any, kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName="demo", **kwargs)
    code, status, message = _error(err)
    assert (code, status) == ("InvalidParameterException", 400)
    assert needle in message


def test_unknown_cluster(eks: Any) -> None:
    with pytest.raises(ClientError) as err:
        eks.list_access_entries(clusterName="nope")
    assert _error(err) == ("ResourceNotFoundException", 404, "No cluster found for name: nope.")


def test_associate_list_disassociate(eks: Any) -> None:
    view, edit = POLICY + "AmazonEKSViewPolicy", POLICY + "AmazonEKSEditPolicy"
    out = eks.associate_access_policy(
        clusterName="demo",
        principalArn=DEVELOPER,
        policyArn=view,
        accessScope={"type": "namespace", "namespaces": ["dev", "team-*"]},
    )
    assert out["clusterName"] == "demo" and out["principalArn"] == DEVELOPER
    assert out["associatedAccessPolicy"]["accessScope"] == {
        "type": "namespace",
        "namespaces": ["dev", "team-*"],
    }
    first_at = out["associatedAccessPolicy"]["associatedAt"]
    # associating again replaces the scope
    again = eks.associate_access_policy(
        clusterName="demo", principalArn=DEVELOPER, policyArn=view, accessScope={"type": "cluster"}
    )["associatedAccessPolicy"]
    assert again["accessScope"] == {"type": "cluster", "namespaces": []}
    assert again["associatedAt"] == first_at
    listed = eks.list_associated_access_policies(clusterName="demo", principalArn=DEVELOPER)
    assert {p["policyArn"] for p in listed["associatedAccessPolicies"]} == {view, edit}
    assert eks.list_access_entries(clusterName="demo", associatedPolicyArn=view)["accessEntries"] == [
        DEVELOPER
    ]
    eks.disassociate_access_policy(clusterName="demo", principalArn=DEVELOPER, policyArn=view)
    with pytest.raises(ClientError) as err:
        eks.disassociate_access_policy(clusterName="demo", principalArn=DEVELOPER, policyArn=view)
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    assert eks.list_access_entries(clusterName="demo", associatedPolicyArn=view)["accessEntries"] == []


@pytest.mark.parametrize(
    ("policy", "scope", "needle"),
    [
        (POLICY + "AmazonEKSViewPolicy", {"type": "namespace", "namespaces": []}, "namespace"),
        (POLICY + "AmazonEKSViewPolicy", {"type": "cluster", "namespaces": ["dev"]}, "cluster"),
        (POLICY + "AmazonEKSViewPolicy", {"type": "galaxy"}, "galaxy"),
        (POLICY + "NoSuchPolicy", {"type": "cluster"}, "NoSuchPolicy"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", {"type": "cluster"}, "AdministratorAccess"),
    ],
)
def test_associate_validation(eks: Any, policy: str, scope: dict[str, Any], needle: str) -> None:
    with pytest.raises(ClientError) as err:
        eks.associate_access_policy(
            clusterName="demo", principalArn=DEVELOPER, policyArn=policy, accessScope=scope
        )
    code, _, message = _error(err)
    assert code == "InvalidParameterException" and needle in message


def test_delete_entry_removes_its_policies(eks: Any) -> None:
    eks.delete_access_entry(clusterName="demo", principalArn=DEVELOPER)
    eks.create_access_entry(clusterName="demo", principalArn=DEVELOPER)
    listed = eks.list_associated_access_policies(clusterName="demo", principalArn=DEVELOPER)
    assert listed["associatedAccessPolicies"] == []


def test_node_entries_take_no_policies(eks: Any) -> None:
    eks.create_access_entry(clusterName="demo", principalArn=EKS_ADMIN, type="EC2_LINUX")
    described = eks.describe_access_entry(clusterName="demo", principalArn=EKS_ADMIN)["accessEntry"]
    assert described["type"] == "EC2_LINUX" and described["username"] == "system:node:{{EC2PrivateDNSName}}"
    not_standard = 'This operation can only be performed on Access Entries with a type of "STANDARD".'
    with pytest.raises(ClientError) as err:
        eks.associate_access_policy(
            clusterName="demo",
            principalArn=EKS_ADMIN,
            policyArn=POLICY + "AmazonEKSViewPolicy",
            accessScope={"type": "cluster"},
        )
    assert _error(err) == ("InvalidParameterException", 400, not_standard)
    with pytest.raises(ClientError) as err:
        eks.list_associated_access_policies(clusterName="demo", principalArn=EKS_ADMIN)
    assert _error(err) == ("InvalidParameterException", 400, not_standard)
    with pytest.raises(ClientError) as err:
        eks.update_access_entry(clusterName="demo", principalArn=EKS_ADMIN, kubernetesGroups=["x"])
    assert _error(err)[0] == "InvalidParameterException"


def test_list_access_policies_pages(eks: Any) -> None:
    first = eks.list_access_policies(maxResults=5)
    assert len(first["accessPolicies"]) == 5 and "nextToken" in first
    names = [
        p["name"]
        for page in eks.get_paginator("list_access_policies").paginate(PaginationConfig={"PageSize": 7})
        for p in page["accessPolicies"]
    ]
    assert "AmazonEKSClusterAdminPolicy" in names and "AmazonEKSViewPolicy" in names
    assert len(names) == len(set(names)) >= 30
    every = eks.list_access_policies()["accessPolicies"]
    assert [p["name"] for p in every] == sorted(names, key=lambda n: POLICY + n)
    assert all(p["arn"] == POLICY + p["name"] for p in every)


@pytest.mark.parametrize("value", [0, 101, -1])
def test_max_results_bounds(eks: Any, value: int) -> None:
    with pytest.raises(ClientError) as err:
        eks.list_access_entries(clusterName="demo", maxResults=value)
    assert _error(err)[:2] == ("InvalidParameterException", 400)


def test_bad_next_token(eks: Any) -> None:
    with pytest.raises(ClientError) as err:
        eks.list_access_entries(clusterName="demo", nextToken="garbage!")
    assert _error(err)[0] == "InvalidParameterException"


def _many_roles_scenario(tmp_path: Path, count: int) -> Path:
    roles = "\n".join(f"      - name: r{i:02d}\n        path: /teams/app{i % 3}/" for i in range(count))
    entries = "\n".join(
        f"      - principalArn: arn:aws:iam::{ACCOUNT}:role/teams/app{i % 3}/r{i:02d}" for i in range(count)
    )
    text = f"""apiVersion: eksaccess/v1
kind: Scenario
name: many-roles
description: many roles with paths
accounts:
  "{ACCOUNT}":
    users:
      - name: admin
    roles:
{roles}
clusters:
  - cluster: {{name: big, region: us-west-2, accountId: "{ACCOUNT}", creatorArn: "{ADMIN}"}}
    authenticationMode: API
    accessEntries:
{entries}
profiles:
  - name: admin
    user: {ADMIN}
"""
    path = tmp_path / "many.yaml"
    path.write_text(text)
    return path


def test_pagination_of_entries_with_role_paths(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = make_sandbox(str(_many_roles_scenario(tmp_path, 23)))
    eks = sb.client("eks", "admin")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"clusterName": "big", "maxResults": 10}
        if token:
            kwargs["nextToken"] = token
        page = eks.list_access_entries(**kwargs)
        seen += page["accessEntries"]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3 and len(seen) == 23 == len(set(seen))
    pathed = f"arn:aws:iam::{ACCOUNT}:role/teams/app1/r01"
    assert pathed in seen
    assert (
        eks.describe_access_entry(clusterName="big", principalArn=pathed)["accessEntry"]["principalArn"]
        == pathed
    )
    assert eks.describe_access_entry(clusterName="big", principalArn=pathed)["accessEntry"]["username"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/r01/{{{{SessionName}}}}"
    )
    eks.associate_access_policy(
        clusterName="big",
        principalArn=pathed,
        policyArn=POLICY + "AmazonEKSViewPolicy",
        accessScope={"type": "cluster"},
    )
    eks.delete_access_entry(clusterName="big", principalArn=pathed)
    assert pathed not in eks.list_access_entries(clusterName="big")["accessEntries"]


def test_recreated_role_keeps_the_old_id_on_its_entry(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("recreated-role")
    role_id = sb.client("iam", "admin").get_role(RoleName="developer")["Role"]["RoleId"]
    bound = sb.store.get_entry("demo", DEVELOPER).entry.principal_id  # type: ignore[union-attr]
    assert bound and bound.startswith("AROA") and bound != role_id
    eks = sb.client("eks", "admin")
    eks.delete_access_entry(clusterName="demo", principalArn=DEVELOPER)
    eks.create_access_entry(clusterName="demo", principalArn=DEVELOPER)
    assert sb.store.get_entry("demo", DEVELOPER).entry.principal_id == role_id  # type: ignore[union-attr]
