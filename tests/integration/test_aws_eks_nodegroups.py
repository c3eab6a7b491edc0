"""ListNodegroups, DescribeNodegroup, ListFargateProfiles and DescribeFargateProfile with boto3 and the aws CLI
against the sandbox: botocore's shapes, pagination, EKS's not-found texts; and the snapshot's node groups."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import Shape

from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ROLE = "arn:aws:iam::111122223333:role/nodes/eks-node"
PODS = "arn:aws:iam::111122223333:role/eks-fargate-pods"

SCENARIO = f"""\
apiVersion: eksaccess/v1
kind: Scenario
name: nodegroups
description: three node groups and two Fargate profiles
accounts:
  "111122223333":
    users: [{{name: admin}}, {{name: reader, allow: ["eks:DescribeCluster"]}}]
    roles: [{{name: eks-node, path: /nodes/}}, {{name: eks-fargate-pods}}]
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "111122223333",
               creatorArn: "arn:aws:iam::111122223333:user/admin"}}
    authenticationMode: API_AND_CONFIG_MAP
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:user/admin
        accessPolicies:
          - {{policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
              accessScope: {{type: cluster}}}}
    nodegroups:
      - {{nodegroupName: workers, nodeRole: "{ROLE}"}}
      - {{nodegroupName: gpu, nodeRole: "{ROLE}", amiType: AL2023_x86_64_NVIDIA}}
      - {{nodegroupName: win, nodeRole: "{ROLE}", amiType: WINDOWS_CORE_2022_x86_64}}
    fargateProfiles:
      - {{fargateProfileName: default, podExecutionRoleArn: "{PODS}"}}
      - {{fargateProfileName: batch, podExecutionRoleArn: "{PODS}"}}
  - cluster: {{name: empty, region: us-west-2, accountId: "111122223333"}}
    authenticationMode: API
profiles:
  - {{name: admin, user: "arn:aws:iam::111122223333:user/admin"}}
  - {{name: reader, user: "arn:aws:iam::111122223333:user/reader"}}
"""


@pytest.fixture
def nodes_sandbox(make_sandbox: MakeSandbox, tmp_path: Path) -> RunningSandbox:
    path = tmp_path / "nodegroups.yaml"
    path.write_text(SCENARIO)
    return make_sandbox(str(path))


def _check_shape(value: Any, shape: Shape, where: str = "") -> None:
    """Every key and type in ``value`` is one botocore's model declares."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        members = shape.members
        for key, item in value.items():
            assert key in members, f"{where}.{key} is not in {shape.name}"
            _check_shape(item, members[key], f"{where}.{key}")
    elif kind == "list":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _check_shape(item, shape.member, f"{where}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), where
    elif kind == "string":
        assert isinstance(value, str), where
        enum = shape.enum
        assert not enum or value in enum, f"{where}: {value} not in {enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int), where
    elif kind == "timestamp":
        assert value is not None, where


def _output(operation: str) -> Shape:
    model = botocore.session.get_session().get_service_model("eks")
    shape = model.operation_model(operation).output_shape
    assert shape is not None
    return shape


def test_node_groups_with_boto3(nodes_sandbox: RunningSandbox) -> None:
    eks = nodes_sandbox.client("eks", "admin")
    names = [n for page in eks.get_paginator("list_nodegroups").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 2}) for n in page["nodegroups"]]  # fmt: skip
    assert names == ["gpu", "win", "workers"]
    first = eks.list_nodegroups(clusterName="demo", maxResults=2)
    assert len(first["nodegroups"]) == 2 and first["nextToken"]
    group = eks.describe_nodegroup(clusterName="demo", nodegroupName="win")
    group.pop("ResponseMetadata")
    assert group["nodegroup"]["nodeRole"] == ROLE
    assert group["nodegroup"]["amiType"] == "WINDOWS_CORE_2022_x86_64"
    assert group["nodegroup"]["status"] == "ACTIVE"
    assert group["nodegroup"]["nodegroupArn"].startswith(
        "arn:aws:eks:us-west-2:111122223333:nodegroup/demo/win/"
    )
    assert eks.list_nodegroups(clusterName="empty")["nodegroups"] == []
    with pytest.raises(ClientError) as err:
        eks.describe_nodegroup(clusterName="demo", nodegroupName="nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["Error"]["Message"] == "No node group found for name: nope."
    with pytest.raises(ClientError) as err:
        eks.list_nodegroups(clusterName="gone")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_fargate_profiles_with_boto3(nodes_sandbox: RunningSandbox) -> None:
    eks = nodes_sandbox.client("eks", "admin")
    assert eks.list_fargate_profiles(clusterName="demo")["fargateProfileNames"] == ["batch", "default"]
    profile = eks.describe_fargate_profile(clusterName="demo", fargateProfileName="default")["fargateProfile"]
    assert profile["podExecutionRoleArn"] == PODS
    with pytest.raises(ClientError) as err:
        eks.describe_fargate_profile(clusterName="demo", fargateProfileName="nope")
    assert err.value.response["Error"]["Message"] == "No Fargate Profile found with name: nope."


def test_an_identity_without_the_action_is_denied(nodes_sandbox: RunningSandbox) -> None:
    eks = nodes_sandbox.client("eks", "reader")
    with pytest.raises(ClientError) as err:
        eks.list_nodegroups(clusterName="demo")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


def _aws_cli() -> str:
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _cli(sandbox: RunningSandbox, *args: str) -> Any:
    env = {**os.environ, **sandbox.env_for("admin"), "HOME": str(sandbox.state_dir)}
    done = subprocess.run(
        [_aws_cli(), "eks", *args, "--region", "us-west-2", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_answers_have_botocores_shapes_with_the_aws_cli(nodes_sandbox: RunningSandbox) -> None:
    listed = _cli(nodes_sandbox, "list-nodegroups", "--cluster-name", "demo")
    assert listed == {"nodegroups": ["gpu", "win", "workers"]}  # the CLI follows nextToken itself
    for name in listed["nodegroups"]:
        body = _cli(nodes_sandbox, "describe-nodegroup", "--cluster-name", "demo", "--nodegroup-name", name)
        _check_shape(body, _output("DescribeNodegroup"))
    profiles = _cli(nodes_sandbox, "list-fargate-profiles", "--cluster-name", "demo")
    _check_shape(profiles, _output("ListFargateProfiles"))
    body = _cli(
        nodes_sandbox, "describe-fargate-profile", "--cluster-name", "demo", "--fargate-profile-name", "batch"
    )
    _check_shape(body, _output("DescribeFargateProfile"))


def test_a_snapshot_records_the_node_roles(nodes_sandbox: RunningSandbox) -> None:
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.features.analyze.snapshot import take_snapshot

    session = AwsSession(session=nodes_sandbox.boto_session("admin"), region="us-west-2")
    state = take_snapshot(session, "demo", "us-west-2").state
    assert [(g.nodegroup_name, g.node_role, g.ami_type) for g in state.nodegroups or ()] == [
        ("gpu", ROLE, "AL2023_x86_64_NVIDIA"),
        ("win", ROLE, "WINDOWS_CORE_2022_x86_64"),
        ("workers", ROLE, "AL2023_x86_64_STANDARD"),
    ]
    assert [p.fargate_profile_name for p in state.fargate_profiles or ()] == ["batch", "default"]
