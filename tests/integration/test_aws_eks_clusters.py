"""EKS clusters in the sandbox: create (modes, creator bootstrap), describe, list, mode transitions, delete,
region and account isolation, allow lists."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox, https_request

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VPC = {"subnetIds": ["subnet-1", "subnet-2"]}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster"
MakeSandbox = Callable[..., RunningSandbox]


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def _create(eks: Any, name: str, **access: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"name": name, "roleArn": ROLE, "resourcesVpcConfig": VPC}
    if access:
        kwargs["accessConfig"] = access
    return dict(eks.create_cluster(**kwargs)["cluster"])


def test_describe_cluster(sandbox: RunningSandbox) -> None:
    cluster = sandbox.client("eks", "admin").describe_cluster(name="demo")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["arn"] == f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/demo"
    assert cluster["endpoint"].startswith("https://127.0.0.1:")
    # each scenario cluster has a CA of its own (not the AWS endpoint's)
    assert base64.b64decode(cluster["certificateAuthority"]["data"]) == (
        sandbox.cluster_ca_bundle("demo").read_bytes()
    )
    assert sandbox.cluster_ca_bundle("demo") != sandbox.ca_bundle
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is True
    assert cluster["accessConfig"] == {
        "bootstrapClusterCreatorAdminPermissions": True,
        "authenticationMode": "API_AND_CONFIG_MAP",
    }
    assert cluster["version"] == "1.31"


def test_cluster_is_invisible_from_another_region(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("eks", "admin", region="eu-west-1").describe_cluster(name="demo")
    assert _error(err) == ("ResourceNotFoundException", 404, "No cluster found for name: demo.")
    assert sandbox.client("eks", "admin", region="eu-west-1").list_clusters()["clusters"] == []


def test_create_cluster_defaults_to_config_map(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    created = _create(eks, "cm")
    assert created["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    assert created["status"] == "ACTIVE"
    with pytest.raises(ClientError) as err:
        eks.list_access_entries(clusterName="cm")
    assert _error(err) == (
        "InvalidRequestException",
        400,
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this "
        "operation.",
    )
    assert sandbox.store.get_cluster("cm") is not None
    assert sandbox.store.get_cluster("cm").creator_arn == ADMIN  # type: ignore[union-attr]


def test_config_map_without_bootstrap_is_refused(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        _create(
            sandbox.client("eks", "admin"),
            "x",
            authenticationMode="CONFIG_MAP",
            bootstrapClusterCreatorAdminPermissions=False,
        )
    assert _error(err) == (
        "InvalidParameterException",
        400,
        "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP",
    )


def test_api_mode_bootstraps_the_creator_entry(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    _create(eks, "api", authenticationMode="API")
    assert eks.list_access_entries(clusterName="api")["accessEntries"] == [ADMIN]
    policies = eks.list_associated_access_policies(clusterName="api", principalArn=ADMIN)
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in policies["associatedAccessPolicies"]] == [
        (CLUSTER_ADMIN, "cluster")
    ]
    _create(eks, "api-bare", authenticationMode="API", bootstrapClusterCreatorAdminPermissions=False)
    assert eks.list_access_entries(clusterName="api-bare")["accessEntries"] == []


def test_creator_of_an_assumed_role_is_the_role(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "eks-admin")
    _create(eks, "by-role", authenticationMode="API_AND_CONFIG_MAP")
    assert eks.list_access_entries(clusterName="by-role")["accessEntries"] == [
        f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
    ]


def test_created_cluster_serves_its_own_endpoint(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    endpoint = _create(eks, "fresh", authenticationMode="API")["endpoint"]
    assert endpoint.startswith("https://127.0.0.1:") and endpoint != sandbox.cluster_endpoint("demo")
    status, _, _ = https_request(sandbox, endpoint + "/version")  # TLS with the sandbox CA
    assert status in (200, 401, 403, 503)
    assert eks.describe_cluster(name="fresh")["cluster"]["endpoint"] == endpoint


def test_duplicate_and_invalid_cluster_names(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    with pytest.raises(ClientError) as err:
        _create(eks, "demo")
    assert _error(err)[:2] == ("ResourceInUseException", 409)
    with pytest.raises(ClientError) as err:
        _create(eks, "-bad")
    assert _error(err)[:2] == ("InvalidParameterException", 400)


def test_list_clusters_pages(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    for name in ("a1", "a2", "a3"):
        _create(eks, name, authenticationMode="API")
    first = eks.list_clusters(maxResults=2)
    assert first["clusters"] == ["a1", "a2"] and "nextToken" in first
    second = eks.list_clusters(maxResults=2, nextToken=first["nextToken"])
    assert second["clusters"] == ["a3", "demo"] and "nextToken" not in second
    everything = [c for page in eks.get_paginator("list_clusters").paginate() for c in page["clusters"]]
    assert everything == ["a1", "a2", "a3", "demo"]


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("CONFIG_MAP", "API", "Unsupported authentication mode update from CONFIG_MAP to API"),
        ("CONFIG_MAP", "CONFIG_MAP", "Unsupported authentication mode update from CONFIG_MAP to CONFIG_MAP"),
        (
            "API_AND_CONFIG_MAP",
            "API_AND_CONFIG_MAP",
            "Unsupported authentication mode update from API_AND_CONFIG_MAP to API_AND_CONFIG_MAP",
        ),
        (
            "API_AND_CONFIG_MAP",
            "CONFIG_MAP",
            "Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP",
        ),
        (
            "API",
            "API_AND_CONFIG_MAP",
            "Unsupported authentication mode update from API to API_AND_CONFIG_MAP",
        ),
    ],
)
def test_refused_mode_transitions(sandbox: RunningSandbox, start: str, target: str, message: str) -> None:
    eks = sandbox.client("eks", "admin")
    _create(eks, "m", authenticationMode=start)
    with pytest.raises(ClientError) as err:
        eks.update_cluster_config(name="m", accessConfig={"authenticationMode": target})
    assert _error(err) == ("InvalidParameterException", 400, message)


def test_allowed_mode_transitions_take_effect_at_once(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    _create(eks, "m")
    update = eks.update_cluster_config(name="m", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})[
        "update"
    ]
    assert update["type"] == "AccessConfigUpdate"
    assert update["params"] == [{"type": "AuthenticationMode", "value": "API_AND_CONFIG_MAP"}]
    assert eks.describe_update(name="m", updateId=update["id"])["update"]["status"] == "Successful"
    assert (
        eks.describe_cluster(name="m")["cluster"]["accessConfig"]["authenticationMode"]
        == "API_AND_CONFIG_MAP"
    )
    # the creator's hidden CONFIG_MAP admin shows up as an access entry
    assert eks.list_access_entries(clusterName="m")["accessEntries"] == [ADMIN]
    eks.update_cluster_config(name="m", accessConfig={"authenticationMode": "API"})
    assert eks.describe_cluster(name="m")["cluster"]["accessConfig"]["authenticationMode"] == "API"


def test_delete_cluster(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    endpoint = _create(eks, "gone", authenticationMode="API")["endpoint"]
    assert eks.delete_cluster(name="gone")["cluster"]["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        eks.describe_cluster(name="gone")
    assert _error(err)[0] == "ResourceNotFoundException"
    assert "gone" not in eks.list_clusters()["clusters"]
    with pytest.raises(OSError):
        https_request(sandbox, endpoint + "/version")


def test_allow_list_gives_access_denied_exception(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        _create(sandbox.client("eks", "alice"), "nope")
    assert _error(err) == (
        "AccessDeniedException",
        403,
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: eks:CreateCluster on resource: "
        f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/nope",
    )
    assert sandbox.client("eks", "alice").describe_cluster(name="demo")["cluster"]["name"] == "demo"
    with pytest.raises(ClientError) as err:
        sandbox.client("eks", "developer").list_access_entries(clusterName="demo")
    code, _, message = _error(err)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/developer/")
    assert "eks:ListAccessEntries" in message
