"""iam:SimulatePrincipalPolicy and iam:PutRolePolicy/PutUserPolicy in the sandbox, with boto3 and the aws CLI.

The simulated decision is the one the sandbox authorizes real calls by: what it says allowed succeeds,
what it says denied fails with AccessDenied (explicitly, when a Deny statement decided).
"""

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

from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
VENV_BIN = Path(sys.executable).parent
ACCOUNT = "111122223333"
DEVELOPER = f"arn:aws:iam::{ACCOUNT}:role/developer"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def _aws() -> str:
    found = shutil.which("aws", path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the aws CLI is not installed (CI=true: these tests need the real client)")
        pytest.skip("the aws CLI is not installed")
    return found


def _run_aws(sb: RunningSandbox, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    env = {**keep, **sb.env, "HOME": str(home), "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]])}
    argv = [_aws(), *args, "--output", "json"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


def _decisions(answer: dict[str, Any]) -> dict[str, str]:
    return {r["EvalActionName"]: r["EvalDecision"] for r in answer["EvaluationResults"]}


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_allowed_and_implicit_deny_as_the_role_policy_says(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    iam = sb.client("iam", "admin")
    answer = iam.simulate_principal_policy(
        PolicySourceArn=DEVELOPER, ActionNames=["eks:DescribeCluster", "eks:AccessKubernetesApi"]
    )
    assert _decisions(answer) == {"eks:DescribeCluster": "allowed", "eks:AccessKubernetesApi": "implicitDeny"}
    allowed, denied = answer["EvaluationResults"]
    assert (
        allowed["EvalResourceName"] == "*" and allowed["MatchedStatements"][0]["SourcePolicyType"] == "role"
    )
    assert denied["MatchedStatements"] == []
    assert answer["IsTruncated"] is False


def test_an_explicit_deny_is_simulated_and_enforced_alike(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("describe-cluster-denied")
    answer = sb.client("iam", "admin").simulate_principal_policy(
        PolicySourceArn=ALICE, ActionNames=["eks:DescribeCluster", "eks:ListClusters"]
    )
    assert _decisions(answer) == {"eks:DescribeCluster": "explicitDeny", "eks:ListClusters": "allowed"}
    eks = sb.client("eks", "alice", region="us-west-2")
    assert eks.list_clusters()["clusters"] == ["demo"]
    with pytest.raises(ClientError) as err:
        eks.describe_cluster(name="demo")
    assert "explicit deny" in str(err.value)


def test_each_resource_gets_a_result(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    cluster = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/demo"
    answer = sb.client("iam", "admin").simulate_principal_policy(
        PolicySourceArn=DEVELOPER, ActionNames=["eks:DescribeCluster"], ResourceArns=[cluster, "*"]
    )
    assert [r["EvalResourceName"] for r in answer["EvaluationResults"]] == [cluster, "*"]


def test_results_page_with_max_items_and_marker(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    iam = sb.client("iam", "admin")
    actions = ["eks:DescribeCluster", "eks:ListClusters", "eks:AccessKubernetesApi"]
    first = iam.simulate_principal_policy(PolicySourceArn=DEVELOPER, ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    rest = iam.simulate_principal_policy(
        PolicySourceArn=DEVELOPER, ActionNames=actions, MaxItems=2, Marker=first["Marker"]
    )
    assert rest["IsTruncated"] is False
    assert [r["EvalActionName"] for r in first["EvaluationResults"] + rest["EvaluationResults"]] == actions
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=DEVELOPER, ActionNames=actions, PaginationConfig={"PageSize": 1}
    )
    assert [r["EvalActionName"] for page in pages for r in page["EvaluationResults"]] == actions


def test_the_caller_needs_simulate_principal_policy(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    with pytest.raises(ClientError) as err:
        sb.client("iam", "alice").simulate_principal_policy(
            PolicySourceArn=DEVELOPER, ActionNames=["eks:DescribeCluster"]
        )
    assert _code(err) == "AccessDenied"
    assert "iam:SimulatePrincipalPolicy" in str(err.value)


@pytest.mark.parametrize(
    ("arn", "code"),
    [
        (f"arn:aws:iam::{ACCOUNT}:role/ghost", "NoSuchEntity"),
        (f"arn:aws:iam::{ACCOUNT}:user/ghost", "NoSuchEntity"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/session", "InvalidInput"),
        ("not-an-arn-at-all-really", "InvalidInput"),
    ],
)
def test_an_unknown_or_wrong_source_is_refused_as_iam_does(
    make_sandbox: MakeSandbox, arn: str, code: str
) -> None:
    sb = make_sandbox("baseline")
    with pytest.raises(ClientError) as err:
        sb.client("iam", "admin").simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["eks:DescribeCluster"]
        )
    assert _code(err) == code


def test_put_role_policy_adds_what_the_simulation_then_allows(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    iam = sb.client("iam", "admin")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["eks:AccessKubernetesApi"], "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="developer", PolicyName="console", PolicyDocument=json.dumps(document))
    answer = iam.simulate_principal_policy(
        PolicySourceArn=DEVELOPER,
        ActionNames=["eks:AccessKubernetesApi", "eks:DescribeCluster", "iam:ListRoles"],
    )
    assert _decisions(answer) == {
        "eks:AccessKubernetesApi": "allowed",
        "eks:DescribeCluster": "allowed",
        "iam:ListRoles": "implicitDeny",
    }


def test_put_policy_refuses_what_the_sandbox_cannot_model(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("baseline")
    iam = sb.client("iam", "admin")
    scoped = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "arn:aws:eks:*:*:cluster/x"}],
    }
    with pytest.raises(ClientError) as err:
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=json.dumps(scoped))
    assert _code(err) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as err:
        iam.put_role_policy(RoleName="ghost", PolicyName="p", PolicyDocument=json.dumps(scoped))
    assert _code(err) == "NoSuchEntity"
    with pytest.raises(ClientError) as err:  # alice may not change IAM
        sb.client("iam", "alice").put_user_policy(UserName="alice", PolicyName="p", PolicyDocument="{}")
    assert _code(err) == "AccessDenied"


def test_the_aws_cli_simulates_and_puts(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = make_sandbox("baseline")
    home = tmp_path / "home"
    simulate = (
        "iam",
        "simulate-principal-policy",
        "--policy-source-arn",
        DEVELOPER,
        "--action-names",
        "eks:AccessKubernetesApi",
        "eks:ListClusters",
        "--profile",
        "admin",
    )
    done = _run_aws(sb, home, *simulate)
    assert done.returncode == 0, done.stderr
    assert _decisions(json.loads(done.stdout)) == {
        "eks:AccessKubernetesApi": "implicitDeny",
        "eks:ListClusters": "allowed",
    }
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]}
    )
    put = ("iam", "put-role-policy", "--role-name", "developer", "--policy-name", "eks", "--policy-document")
    done = _run_aws(sb, home, *put, document, "--profile", "admin")
    assert done.returncode == 0, done.stderr
    done = _run_aws(sb, home, *simulate)
    assert _decisions(json.loads(done.stdout))["eks:AccessKubernetesApi"] == "allowed"
    denied = _run_aws(sb, home, *simulate[:-1], "alice")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
