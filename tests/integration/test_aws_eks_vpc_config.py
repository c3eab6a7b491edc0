"""UpdateClusterConfig's resourcesVpcConfig and DescribeCluster's, with boto3 and the aws CLI against the
sandbox: EKS's rules and texts (domain/endpoint_access.py), DescribeUpdate's params, the cluster's API
server refusing or serving as the settings say, and the sandbox's check-IP service."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox, https_request

MakeSandbox = Callable[..., RunningSandbox]
ME = "203.0.113.10"  # the scenarios' clientIp (the default)


def _aws_cli() -> str:
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _cli(sandbox: RunningSandbox, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **sandbox.env_for("admin"), "HOME": str(sandbox.state_dir)}
    return subprocess.run(
        [_aws_cli(), *args, "--region", "us-west-2", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _vpc(sandbox: RunningSandbox) -> dict[str, Any]:
    return dict(sandbox.client("eks", "admin").describe_cluster(name="demo")["cluster"]["resourcesVpcConfig"])


def _serves(sandbox: RunningSandbox) -> bool:
    """Whether the cluster's API server port takes a TCP connection (refused: it does not)."""
    url = urlsplit(sandbox.cluster_endpoint("demo"))
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 443), timeout=5):
            return True
    except ConnectionRefusedError:
        return False


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_describe_cluster_returns_the_scenarios_settings(make_sandbox: MakeSandbox) -> None:
    vpc = _vpc(make_sandbox("public-access-off-cidrs-set"))
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"]) == (False, True)
    assert vpc["publicAccessCidrs"] == ["198.51.100.0/24"]  # kept and returned while public access is off
    assert {"subnetIds", "securityGroupIds", "clusterSecurityGroupId", "vpcId"} <= set(vpc)


def test_the_cidrs_decide_whether_the_api_server_takes_connections(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("public-cidrs-exclude-you")
    endpoint = sandbox.cluster_endpoint("demo")
    assert not _serves(sandbox)
    eks = sandbox.client("eks", "admin")
    update = eks.update_cluster_config(
        name="demo", resourcesVpcConfig={"publicAccessCidrs": ["198.51.100.0/24", f"{ME}/32"]}
    )["update"]
    assert update["type"] == "EndpointAccessUpdate" and update["status"] == "InProgress"
    assert update["params"] == [
        {"type": "EndpointPublicAccess", "value": "true"},
        {"type": "EndpointPrivateAccess", "value": "false"},
        {"type": "PublicAccessCidrs", "value": json.dumps(["198.51.100.0/24", f"{ME}/32"])},
    ]
    described = eks.describe_update(name="demo", updateId=update["id"])["update"]
    assert described["status"] == "Successful" and described["params"] == update["params"]
    assert _vpc(sandbox)["publicAccessCidrs"] == ["198.51.100.0/24", f"{ME}/32"]
    assert _serves(sandbox) and sandbox.cluster_endpoint("demo") == endpoint  # same port: same kubeconfig
    eks.update_cluster_config(name="demo", resourcesVpcConfig={"publicAccessCidrs": ["198.51.100.0/24"]})
    assert not _serves(sandbox) and sandbox.cluster_endpoint("demo") == endpoint
    status, _, body = https_request(sandbox, sandbox.aws_endpoint + "/__sandbox/health")
    assert status == 200, body


def test_public_access_on_and_off(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("private-endpoint-only")
    eks = sandbox.client("eks", "admin")
    assert not _serves(sandbox)
    eks.update_cluster_config(name="demo", resourcesVpcConfig={"endpointPublicAccess": True})
    assert _vpc(sandbox)["publicAccessCidrs"] == ["0.0.0.0/0"] and _serves(sandbox)
    eks.update_cluster_config(name="demo", resourcesVpcConfig={"endpointPublicAccess": False})
    assert not _serves(sandbox)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"endpointPublicAccess": False, "endpointPrivateAccess": False},
            "Both private and public endpoint access cannot be false",
        ),
        (
            {"endpointPublicAccess": False, "endpointPrivateAccess": True},
            "Cluster is already at the desired configuration with endpointPrivateAccess: true , "
            "endpointPublicAccess: false, and Public Endpoint Restrictions: [0.0.0.0/0]",
        ),
        (
            {"publicAccessCidrs": ["203.0.113.5", "10.0.0.1/8"]},
            "The following CIDRs are invalid in publicAccessCidrs: [203.0.113.5,10.0.0.1/8]",
        ),
        ({"publicAccessCidrs": [f"198.51.100.{i}/32" for i in range(41)]}, "at most 40"),
        ({"subnetIds": ["subnet-1"]}, "The sandbox updates only endpointPublicAccess"),
    ],
)
def test_what_eks_refuses(make_sandbox: MakeSandbox, config: dict[str, Any], message: str) -> None:
    sandbox = make_sandbox("private-endpoint-only")
    with pytest.raises(ClientError) as err:
        sandbox.client("eks", "admin").update_cluster_config(name="demo", resourcesVpcConfig=config)
    code, text = _error(err)
    assert code == "InvalidParameterException" and message in text, text
    assert _vpc(sandbox)["endpointPublicAccess"] is False  # nothing changed


def test_the_aws_cli_shorthand_with_several_cidrs(make_sandbox: MakeSandbox) -> None:
    """What doctor prints: endpointPublicAccess=true,publicAccessCidrs=a,b,c (the list last)."""
    sandbox = make_sandbox("public-access-off-cidrs-set")
    option = f"endpointPublicAccess=true,publicAccessCidrs=198.51.100.0/24,{ME}/32"
    done = _cli(sandbox, "eks", "update-cluster-config", "--name", "demo", "--resources-vpc-config", option)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["update"]["type"] == "EndpointAccessUpdate"
    vpc = json.loads(_cli(sandbox, "eks", "describe-cluster", "--name", "demo").stdout)["cluster"]
    assert vpc["resourcesVpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24", f"{ME}/32"]
    assert vpc["resourcesVpcConfig"]["endpointPublicAccess"] is True
    assert _serves(sandbox)
    again = _cli(sandbox, "eks", "update-cluster-config", "--name", "demo", "--resources-vpc-config", option)
    assert again.returncode != 0 and "already at the desired configuration" in again.stderr


def test_the_check_ip_service_answers_the_scenarios_client_ip(make_sandbox: MakeSandbox) -> None:
    from eksaccess.adapters.check_ip import egress_ip

    sandbox = make_sandbox("baseline")
    url = sandbox.env["EKSACCESS_CHECKIP_URL"]
    status, headers, body = https_request(sandbox, url)  # unsigned, as checkip.amazonaws.com is
    assert (status, body) == (200, f"{ME}\n".encode())
    assert headers["Content-Type"].startswith("text/plain")
    assert egress_ip(sandbox.env) == ME  # the client side: the variable, and AWS_CA_BUNDLE for the CA
