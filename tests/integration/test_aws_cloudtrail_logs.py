"""CloudTrail LookupEvents, CloudWatch Logs FilterLogEvents and EKS's logging config in the sandbox, with
boto3 and the real aws CLI: the CreateCluster event of every cluster (a scenario's and one made through the
API), the 90-day window, the authenticator's lines once ``authenticator`` logging is on, the errors."""

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
from botocore.exceptions import ClientError

from eksaccess.domain.authenticator_log import parse_line
from eksaccess.domain.cluster_creator import creation_from_event
from eksaccess.sandbox.testing import RunningSandbox

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
GROUP = "/aws/eks/demo/cluster"
ON = {"clusterLogging": [{"types": ["authenticator"], "enabled": True}]}
MakeSandbox = Callable[..., RunningSandbox]


def _aws_cli() -> str:
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _cli(sandbox: RunningSandbox, profile: str, *args: str) -> Any:
    env = {**os.environ, **sandbox.env_for(profile), "HOME": str(sandbox.state_dir)}
    done = subprocess.run(
        [_aws_cli(), *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _kubectl_whoami(sandbox: RunningSandbox, context: str) -> subprocess.CompletedProcess[str]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kubectl is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip("kubectl is not installed")
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, **sandbox.env, "HOME": str(sandbox.state_dir), "PATH": path}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [kubectl, "--context", context, "auth", "whoami"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lookup_events_names_the_creator_of_a_scenario_cluster(sandbox: RunningSandbox) -> None:
    trail = sandbox.client("cloudtrail", "admin", region="us-west-2")
    out = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]
    )
    [event] = out["Events"]
    assert event["EventName"] == "CreateCluster"
    assert event["EventSource"] == "eks.amazonaws.com"
    assert event["Username"] == "admin"
    record = json.loads(event["CloudTrailEvent"])
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["arn"] == ADMIN
    creation = creation_from_event(event["CloudTrailEvent"], "demo", event_time=0.0)
    assert creation is not None and creation.principal_arn == ADMIN
    # another region's history is its own
    other = sandbox.client("cloudtrail", "admin", region="eu-west-1").lookup_events()
    assert other["Events"] == []


def test_lookup_events_through_the_aws_cli(sandbox: RunningSandbox) -> None:
    out = _cli(
        sandbox,
        "admin",
        "cloudtrail",
        "lookup-events",
        "--region",
        "us-west-2",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=CreateCluster",
    )
    assert [e["Username"] for e in out["Events"]] == ["admin"]


def test_a_cluster_created_through_the_api_has_its_event(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "eks-admin")
    eks.create_cluster(
        name="fresh",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    trail = sandbox.client("cloudtrail", "admin")
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "fresh"}]
    )["Events"]
    [event] = events
    creation = creation_from_event(event["CloudTrailEvent"], "fresh", event_time=0.0)
    assert creation is not None
    assert creation.principal_arn == f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
    assert creation.caller_arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/")


def test_lookup_events_refusals(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("baseline")
    trail = sandbox.client("cloudtrail", "alice")  # alice may only assume roles and read EKS
    with pytest.raises(ClientError) as err:
        trail.lookup_events()
    assert _code(err) == "AccessDeniedException"
    admin = sandbox.client("cloudtrail", "admin")
    two = [{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}] * 2
    with pytest.raises(ClientError) as err:
        admin.lookup_events(LookupAttributes=two)
    assert _code(err) == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as err:
        admin.lookup_events(MaxResults=51)
    assert _code(err) == "InvalidMaxResultsException"


def test_the_event_of_a_cluster_created_long_ago_is_gone(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("creator-deleted-config-map")
    out = sandbox.client("cloudtrail", "admin").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]
    )
    names = {json.loads(e["CloudTrailEvent"])["requestParameters"]["name"] for e in out["Events"]}
    assert names == {"demo"}  # 'legacy' was created 400 days ago: beyond the 90 days of event history


def test_logging_update_and_describe(sandbox: RunningSandbox) -> None:
    eks = sandbox.client("eks", "admin")
    before = eks.describe_cluster(name="demo")["cluster"]["logging"]["clusterLogging"]
    assert before == [
        {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": False}
    ]
    logs = sandbox.client("logs", "admin")
    with pytest.raises(ClientError) as err:
        logs.filter_log_events(logGroupName=GROUP)
    assert _code(err) == "ResourceNotFoundException"
    update = eks.update_cluster_config(name="demo", logging=ON)["update"]
    assert update["type"] == "LoggingUpdate"
    assert update["params"] == [{"type": "ClusterLogging", "value": json.dumps(ON, separators=(",", ":"))}]
    assert eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == "Successful"
    after = eks.describe_cluster(name="demo")["cluster"]["logging"]["clusterLogging"]
    assert after == [
        {"types": ["authenticator"], "enabled": True},
        {"types": ["api", "audit", "controllerManager", "scheduler"], "enabled": False},
    ]
    assert logs.filter_log_events(logGroupName=GROUP)["events"] == []  # the group exists, no backfill
    with pytest.raises(ClientError) as err:
        eks.update_cluster_config(name="demo", logging=ON)
    assert _code(err) == "InvalidParameterException"  # no change
    with pytest.raises(ClientError) as err:
        eks.update_cluster_config(
            name="demo", logging={"clusterLogging": [{"types": ["kubelet"], "enabled": True}]}
        )
    assert _code(err) == "InvalidParameterException"


def test_the_authenticator_lines_of_granted_and_refused_tokens(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("baseline")
    _cli(
        sandbox,
        "admin",
        "eks",
        "update-cluster-config",
        "--name",
        "demo",
        "--region",
        "us-west-2",
        "--logging",
        json.dumps(ON),
    )
    assert _kubectl_whoami(sandbox, "developer").returncode == 0
    logs = sandbox.client("logs", "admin")
    role = f"arn:aws:iam::{ACCOUNT}:role/developer"
    out = logs.filter_log_events(
        logGroupName=GROUP, logStreamNamePrefix="authenticator-", filterPattern=f'"access granted" "{role}"'
    )
    assert out["events"]  # one per token the API server did not have in its cache
    event = out["events"][-1]
    assert event["logStreamName"].startswith("authenticator-")
    line = parse_line(event["message"])
    assert line is not None and line.granted and line.arn == role
    assert line.username is not None and line.groups == ()
    assert 'level=info msg="access granted"' in event["message"]
    assert "method=POST path=/authenticate" in event["message"]
    # the aws CLI reads the same lines
    cli = _cli(
        sandbox,
        "admin",
        "logs",
        "filter-log-events",
        "--region",
        "us-west-2",
        "--log-group-name",
        GROUP,
        "--filter-pattern",
        '"STS response"',
    )
    assert cli["events"] and all('msg="STS response"' in e["message"] for e in cli["events"])
    assert all("accesskeyid=ASIA" in e["message"] for e in cli["events"])
    # a refused token: access denied with its reason; other patterns
    denied = logs.filter_log_events(logGroupName=GROUP, filterPattern='"access denied"')["events"]
    assert denied == []
    alone = logs.filter_log_events(logGroupName=GROUP, filterPattern="?granted ?nothing-like-this")
    assert alone["events"] == out["events"]
    assert (
        logs.filter_log_events(logGroupName=GROUP, filterPattern='-"STS response"')["events"] == out["events"]
    )
    page = logs.filter_log_events(logGroupName=GROUP, limit=1)
    assert len(page["events"]) == 1 and page["nextToken"]
    rest = logs.filter_log_events(logGroupName=GROUP, limit=1, nextToken=page["nextToken"])
    assert rest["events"] and rest["events"][0]["eventId"] != page["events"][0]["eventId"]
    with pytest.raises(ClientError) as err:
        logs.filter_log_events(logGroupName=GROUP, logStreamNamePrefix="a", logStreamNames=["b"])
    assert _code(err) == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        sandbox.client("logs", "alice").filter_log_events(logGroupName=GROUP)
    assert _code(err) == "AccessDeniedException"


def test_a_refused_token_is_logged_with_its_reason(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox("authenticator-log-on")
    assert _kubectl_whoami(sandbox, "developer").returncode != 0
    logs = sandbox.client("logs", "admin")
    role = f"arn:aws:iam::{ACCOUNT}:role/developer"
    [event] = logs.filter_log_events(logGroupName=GROUP, filterPattern=f'"access denied" "{role}"')["events"][
        :1
    ]
    line = parse_line(event["message"])
    assert line is not None and line.denied and line.arn == role
    assert line.error == "identity is not mapped"
