"""EKS Pod Identity associations against the sandbox with real boto3 and the aws CLI: create, describe, list
(filters, pages), update, delete; EKS's validation errors (facts: workload-identity.md §5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-pod-identity"
TARGET = f"arn:aws:iam::{ACCOUNT}:role/web-target"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-node"
NO_VALIDATION = Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})
MakeSandbox = Callable[..., RunningSandbox]
ARN_PREFIX = f"arn:aws:eks:us-west-2:{ACCOUNT}:podidentityassociation/demo/"


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox("pod-identity-healthy")


@pytest.fixture
def eks(sandbox: RunningSandbox) -> Any:
    return sandbox.client("eks", "admin", config=NO_VALIDATION)


def test_seeded_association(eks: Any) -> None:
    listed = eks.list_pod_identity_associations(clusterName="demo")["associations"]
    assert len(listed) == 1
    summary = listed[0]
    assert set(summary) == {"clusterName", "namespace", "serviceAccount", "associationArn", "associationId"}
    assert (summary["namespace"], summary["serviceAccount"]) == ("apps", "web")
    assert summary["associationArn"] == ARN_PREFIX + summary["associationId"]
    described = eks.describe_pod_identity_association(
        clusterName="demo", associationId=summary["associationId"]
    )
    association = described["association"]
    assert association["roleArn"] == ROLE and association["disableSessionTags"] is False
    assert (
        association["createdAt"].year == 2024
    )  # the scenario's createdAt, parsed by botocore as a timestamp


def test_create_describe_update_delete(eks: Any) -> None:
    created = eks.create_pod_identity_association(
        clusterName="demo", namespace="apps", serviceAccount="worker", roleArn=ROLE, tags={"team": "web"}
    )["association"]
    association_id = created["associationId"]
    assert association_id.startswith("a-") and len(association_id) == 19
    assert created["associationArn"] == ARN_PREFIX + association_id
    assert created["tags"] == {"team": "web"} and created["clusterName"] == "demo"
    assert "targetRoleArn" not in created and "externalId" not in created
    same = eks.describe_pod_identity_association(clusterName="demo", associationId=association_id)[
        "association"
    ]
    assert same == created

    chained = eks.update_pod_identity_association(
        clusterName="demo", associationId=association_id, targetRoleArn=TARGET
    )["association"]
    assert chained["targetRoleArn"] == TARGET
    assert chained["externalId"] == f"us-west-2/{ACCOUNT}/demo/apps/worker"
    assert chained["createdAt"] == created["createdAt"] and chained["modifiedAt"] >= created["modifiedAt"]
    untagged = eks.update_pod_identity_association(
        clusterName="demo",
        associationId=association_id,
        disableSessionTags=True,
        policy='{"Version":"2012-10-17"}',
    )["association"]
    assert untagged["disableSessionTags"] is True and untagged["targetRoleArn"] == TARGET
    cleared = eks.update_pod_identity_association(
        clusterName="demo", associationId=association_id, targetRoleArn=""
    )
    assert "targetRoleArn" not in cleared["association"] and "externalId" not in cleared["association"]

    deleted = eks.delete_pod_identity_association(clusterName="demo", associationId=association_id)
    assert deleted["association"]["associationId"] == association_id
    with pytest.raises(ClientError) as err:
        eks.describe_pod_identity_association(clusterName="demo", associationId=association_id)
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as err:
        eks.delete_pod_identity_association(clusterName="demo", associationId=association_id)
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_client_request_token_makes_create_idempotent(eks: Any) -> None:
    kwargs = {"clusterName": "demo", "namespace": "jobs", "serviceAccount": "batch", "roleArn": ROLE}
    first = eks.create_pod_identity_association(**kwargs, clientRequestToken="tok-1")["association"]
    again = eks.create_pod_identity_association(**kwargs, clientRequestToken="tok-1")["association"]
    assert again["associationId"] == first["associationId"]
    with pytest.raises(ClientError) as err:  # a new token: a second association for the same SA
        eks.create_pod_identity_association(**kwargs, clientRequestToken="tok-2")
    code, status, message = _error(err)
    assert (code, status) == ("ResourceInUseException", 409) and "jobs" in message


def test_duplicate_service_account_is_resource_in_use(eks: Any) -> None:
    with pytest.raises(ClientError) as err:
        eks.create_pod_identity_association(
            clusterName="demo", namespace="apps", serviceAccount="web", roleArn=ROLE
        )
    assert _error(err)[:2] == ("ResourceInUseException", 409)


CREATE_ERRORS = [
    (
        "role-missing",
        {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/nope"},
        ("InvalidParameterException", 400, "Role provided in the request does not exist."),
    ),
    (
        "role-other-account",
        {"roleArn": "arn:aws:iam::444455556666:role/web-pod-identity"},
        ("InvalidParameterException", 400, "Role provided in the request does not exist."),
    ),
    (
        "trust-without-pods-eks",  # the node role trusts only the user admin
        {"roleArn": NODE_ROLE},
        (
            "InvalidParameterException",
            400,
            "Trust policy of the role provided is invalid. Follow the official documentation to resolve the issue.",
        ),
    ),
    (
        "not-a-role",
        {"roleArn": f"arn:aws:iam::{ACCOUNT}:user/admin"},
        ("InvalidParameterException", 400, None),
    ),
    ("bad-target", {"targetRoleArn": "not-an-arn"}, ("InvalidParameterException", 400, None)),
    (
        "policy-needs-tags-off",
        {"policy": '{"Version":"2012-10-17"}'},
        ("InvalidParameterException", 400, None),
    ),
    (
        "policy-not-json",
        {"policy": "{", "disableSessionTags": True},
        ("InvalidParameterException", 400, None),
    ),
    ("no-namespace", {"namespace": ""}, ("InvalidParameterException", 400, None)),
    ("aws-tag", {"tags": {"aws:team": "x"}}, ("InvalidParameterException", 400, None)),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in CREATE_ERRORS], ids=[c[0] for c in CREATE_ERRORS]
)
def test_create_errors(eks: Any, change: dict[str, Any], expected: tuple[str, int, str | None]) -> None:
    kwargs = {
        "clusterName": "demo",
        "namespace": "apps",
        "serviceAccount": "other",
        "roleArn": ROLE,
        **change,
    }
    with pytest.raises(ClientError) as err:
        eks.create_pod_identity_association(**kwargs)
    code, status, message = _error(err)
    assert (code, status) == expected[:2]
    if expected[2] is not None:
        assert message == expected[2]


def test_unknown_cluster_and_id(eks: Any) -> None:
    with pytest.raises(ClientError) as err:
        eks.list_pod_identity_associations(clusterName="nope")
    assert _error(err) == ("ResourceNotFoundException", 404, "No cluster found for name: nope.")
    with pytest.raises(ClientError) as err:
        eks.describe_pod_identity_association(clusterName="demo", associationId="a-00000000000000000")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_update_needs_a_change_and_a_trusting_role(eks: Any) -> None:
    association_id = eks.list_pod_identity_associations(clusterName="demo")["associations"][0][
        "associationId"
    ]
    with pytest.raises(ClientError) as err:
        eks.update_pod_identity_association(clusterName="demo", associationId=association_id)
    assert _error(err)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as err:
        eks.update_pod_identity_association(
            clusterName="demo", associationId=association_id, roleArn=NODE_ROLE
        )
    assert _error(err)[0] == "InvalidParameterException" and "Trust policy" in _error(err)[2]


def test_caller_needs_create_permission_and_pass_role(make_sandbox: MakeSandbox) -> None:
    """The node role may not call eks:CreatePodIdentityAssociation; "platform" may, but not iam:PassRole."""
    sb = make_sandbox("pod-identity-healthy")
    kwargs = {"clusterName": "demo", "namespace": "a", "serviceAccount": "b", "roleArn": ROLE}
    for profile, action in (("node", "eks:CreatePodIdentityAssociation"), ("platform", "iam:PassRole")):
        with pytest.raises(ClientError) as err:
            sb.client("eks", profile, config=NO_VALIDATION).create_pod_identity_association(**kwargs)
        code, status, message = _error(err)
        assert (code, status) == ("AccessDeniedException", 403)
        assert f"is not authorized to perform: {action}" in message


def test_list_filters_and_pages(eks: Any) -> None:
    for n in range(5):
        eks.create_pod_identity_association(
            clusterName="demo", namespace="batch", serviceAccount=f"sa-{n}", roleArn=ROLE
        )
    everything = eks.list_pod_identity_associations(clusterName="demo")["associations"]
    assert len(everything) == 6
    in_batch = eks.list_pod_identity_associations(clusterName="demo", namespace="batch")["associations"]
    assert sorted(a["serviceAccount"] for a in in_batch) == [f"sa-{n}" for n in range(5)]
    one = eks.list_pod_identity_associations(clusterName="demo", namespace="batch", serviceAccount="sa-3")
    assert [a["serviceAccount"] for a in one["associations"]] == ["sa-3"] and "nextToken" not in one
    assert (
        eks.list_pod_identity_associations(clusterName="demo", serviceAccount="web")["associations"][0][
            "namespace"
        ]
        == "apps"
    )

    seen: list[str] = []
    kwargs: dict[str, Any] = {"clusterName": "demo", "maxResults": 2}
    while True:
        got = eks.list_pod_identity_associations(**kwargs)
        assert len(got["associations"]) <= 2
        seen += [a["associationId"] for a in got["associations"]]
        if "nextToken" not in got:
            break
        kwargs["nextToken"] = got["nextToken"]
    assert sorted(seen) == sorted(a["associationId"] for a in everything) and len(seen) == 6
    paginated = eks.get_paginator("list_pod_identity_associations").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 4}
    )
    assert sum(len(p["associations"]) for p in paginated) == 6
    with pytest.raises(ClientError) as err:
        eks.list_pod_identity_associations(clusterName="demo", maxResults=101)
    assert _error(err)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as err:
        eks.list_pod_identity_associations(clusterName="demo", nextToken="garbage")
    assert _error(err)[:2] == ("InvalidParameterException", 400)


def test_deleting_the_cluster_deletes_its_associations(sandbox: RunningSandbox, eks: Any) -> None:
    eks.delete_cluster(name="demo")
    eks.create_cluster(
        name="demo", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-node", resourcesVpcConfig={"subnetIds": []}
    )
    assert eks.list_pod_identity_associations(clusterName="demo")["associations"] == []


# --- the aws CLI -----------------------------------------------------------------------------------------


def _aws_cli() -> str:
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _cli(sandbox: RunningSandbox, *args: str, ok: bool = True) -> Any:
    env = {**os.environ, **sandbox.env_for("admin"), "HOME": str(sandbox.state_dir)}
    done = subprocess.run(
        [_aws_cli(), "eks", *args, "--region", "us-west-2", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if not ok:
        assert done.returncode != 0
        return done.stderr
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli_round_trip(sandbox: RunningSandbox) -> None:
    created = _cli(
        sandbox,
        "create-pod-identity-association",
        "--cluster-name",
        "demo",
        "--namespace",
        "cli",
        "--service-account",
        "tool",
        "--role-arn",
        ROLE,
        "--target-role-arn",
        TARGET,
        "--no-disable-session-tags",
    )["association"]
    association_id = created["associationId"]
    assert created["targetRoleArn"] == TARGET and created["disableSessionTags"] is False
    listed = _cli(sandbox, "list-pod-identity-associations", "--cluster-name", "demo", "--namespace", "cli")
    assert [a["associationId"] for a in listed["associations"]] == [association_id]
    described = _cli(
        sandbox,
        "describe-pod-identity-association",
        "--cluster-name",
        "demo",
        "--association-id",
        association_id,
    )
    assert described["association"]["externalId"] == f"us-west-2/{ACCOUNT}/demo/cli/tool"
    updated = _cli(
        sandbox,
        "update-pod-identity-association",
        "--cluster-name",
        "demo",
        "--association-id",
        association_id,
        "--disable-session-tags",
    )
    assert updated["association"]["disableSessionTags"] is True
    _cli(
        sandbox,
        "delete-pod-identity-association",
        "--cluster-name",
        "demo",
        "--association-id",
        association_id,
    )
    stderr = _cli(
        sandbox,
        "describe-pod-identity-association",
        "--cluster-name",
        "demo",
        "--association-id",
        association_id,
        ok=False,
    )
    assert "ResourceNotFoundException" in stderr
    stderr = _cli(
        sandbox,
        "create-pod-identity-association",
        "--cluster-name",
        "demo",
        "--namespace",
        "cli",
        "--service-account",
        "tool",
        "--role-arn",
        NODE_ROLE,
        ok=False,
    )
    assert "InvalidParameterException" in stderr and "Trust policy of the role provided is invalid" in stderr
