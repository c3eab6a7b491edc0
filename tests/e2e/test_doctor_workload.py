"""doctor --service-account / --pod end to end: a workload's identity chain, and the printed fix pasted.

For each IRSA and Pod Identity scenario, in a fresh sandbox and HOME, as the scenario's admin:
1. the pod's credential call, with the real clients: ``kubectl create token web -n apps --audience ...``
   then ``aws sts assume-role-with-web-identity`` (IRSA) or boto3's ``eks-auth``
   ``assume_role_for_pod_identity`` signed by the node role (Pod Identity);
2. doctor names the cause (its code), with its exit code;
3. every command of the fix is pasted literally into ``bash -c``;
4. the credential call works and doctor exits 0 with no finding.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox
from support.cli import doctor_json, run_cli
from support.clients import client_env, one_finding, require, run, run_shell

ACCOUNT = "111122223333"
IRSA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-irsa"
POD_IDENTITY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-pod-identity"
STS_AUDIENCE = "sts.amazonaws.com"
POD_AUDIENCE = "pods.eks.amazonaws.com"
HOST = "oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"
SUB = "system:serviceaccount:apps:web"


def _token(env: Mapping[str, str], audience: str, *extra: str) -> str:
    done = run(
        env, [require("kubectl"), "create", "token", "web", "-n", "apps", "--audience", audience, *extra]
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def irsa_call(sb: RunningSandbox, env: Mapping[str, str]) -> tuple[bool, str]:
    """The IRSA pod's call: its token to STS with the aws CLI; (worked, the CLI's stderr)."""
    token = _token(env, STS_AUDIENCE)
    argv = [require("aws"), "sts", "assume-role-with-web-identity", "--role-arn", IRSA_ROLE]
    argv += ["--role-session-name", "doctor-e2e", "--web-identity-token", token, "--output", "json"]
    done = run(env, argv)
    if done.returncode == 0:
        assert json.loads(done.stdout)["AssumedRoleUser"]["Arn"].endswith("assumed-role/web-irsa/doctor-e2e")
    return done.returncode == 0, done.stderr


def pod_identity_call(sb: RunningSandbox, env: Mapping[str, str]) -> tuple[bool, str]:
    """The Pod Identity agent's call for the pod: boto3's eks-auth client, signed by the node role."""
    token = _token(env, POD_AUDIENCE, "--bound-object-kind", "Pod", "--bound-object-name", "web-0")
    try:
        answer = sb.client("eks-auth", "node").assume_role_for_pod_identity(clusterName="demo", token=token)
    except ClientError as err:
        return False, str(err)
    assert "/web-pod-identity/eks-demo-web-0-" in answer["assumedRoleUser"]["arn"]
    return True, ""


def _irsa_trust(equals: Mapping[str, str]) -> dict[str, Any]:
    """An IRSA trust policy for the demo cluster's provider with these StringEquals conditions."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": dict(equals)},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


@dataclass(frozen=True)
class Case:
    scenario: str
    code: str
    exit_code: int  # doctor's, before the fix
    call: Any  # irsa_call or pod_identity_call
    refused: str  # in the call's error before the fix ("" when the call works already)
    setup: tuple[str, ...] = ()  # shell commands that break a healthy scenario, run first


CASES = [
    Case("irsa-wrong-sub", "TRUST_SUB_MISMATCH", 1, irsa_call, "AccessDenied"),
    Case("irsa-stringequals-wildcard", "TRUST_STRINGEQUALS_WILDCARD", 1, irsa_call, "AccessDenied"),
    Case("irsa-no-oidc-provider", "OIDC_PROVIDER_MISSING", 1, irsa_call, "No OpenIDConnect provider found"),
    Case("irsa-missing-aud", "TRUST_NO_AUDIENCE", 0, irsa_call, ""),
    Case("pod-identity-no-tagsession", "POD_IDENTITY_NO_TAG_SESSION", 1, pod_identity_call, "AccessDenied"),
    Case("pod-identity-and-irsa", "WORKLOAD_BOTH_MECHANISMS", 0, pod_identity_call, ""),
    Case("pod-identity-pod-before-association", "POD_OLDER_THAN_ASSOCIATION", 1, pod_identity_call, ""),
    Case(
        "irsa-healthy",
        "OIDC_AUDIENCE_MISSING",
        1,
        irsa_call,
        "Incorrect token audience",
        (
            f"aws iam remove-client-id-from-open-id-connect-provider --open-id-connect-provider-arn {PROVIDER} "
            "--client-id sts.amazonaws.com --profile admin",
        ),
    ),
    Case(
        "irsa-healthy",
        "TRUST_CONDITION_FAILS",
        1,
        irsa_call,
        "AccessDenied",
        (
            "aws iam update-assume-role-policy --role-name web-irsa --profile admin --policy-document "
            + shlex.quote(json.dumps(_irsa_trust({f"{HOST}:sub": SUB, f"{HOST}:aud": "sts.amazon.com"}))),
        ),
    ),
    Case(
        "pod-identity-healthy",
        "POD_IDENTITY_TRUST_MISSING",
        1,
        pod_identity_call,
        "AccessDenied",
        (
            "aws iam update-assume-role-policy --role-name web-pod-identity --profile admin --policy-document "
            + shlex.quote(json.dumps(_irsa_trust({f"{HOST}:sub": SUB}))),
        ),
    ),
]

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web-0", "namespace": "apps"},
    "spec": {"serviceAccountName": "web", "containers": [{"name": "web", "image": "aws-cli"}]},
}


def _fix_commands(report: Mapping[str, Any]) -> list[str]:
    return [command for f in report["findings"] for step in f["fix"] for command in step["plain"]]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.scenario}-{c.code}" for c in CASES])
def test_a_broken_workload_chain_is_fixed_by_pasting(case: Case, tmp_path: Path) -> None:
    require("aws")
    require("kubectl")
    with running_sandbox(tmp_path / "sb", case.scenario) as sb:
        env = client_env(sb, tmp_path / "home")
        for command in case.setup:
            done = run_shell(env, command)
            assert done.returncode == 0, (command, done.stderr)
        worked, stderr = case.call(sb, env)
        assert worked is not bool(case.refused) and case.refused in stderr, stderr
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert code == case.exit_code
        assert [f["code"] for f in report["findings"]] == [case.code], report["findings"]
        commands = _fix_commands(report)
        assert commands
        for command in commands:
            done = run_shell(env, command)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
        if case.code == "POD_OLDER_THAN_ASSOCIATION":  # its controller would recreate it: created now
            created = run(env, [require("kubectl"), "create", "-f", "-"], stdin=json.dumps(POD))
            assert created.returncode == 0, created.stderr
        worked, stderr = case.call(sb, env)
        assert worked, stderr
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert (code, report["findings"]) == (0, [])


@pytest.mark.parametrize("scenario", ["irsa-healthy", "pod-identity-healthy"])
def test_a_healthy_workload_chain(scenario: str, tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", scenario) as sb:
        env = client_env(sb, tmp_path / "home")
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert (code, report["findings"]) == (0, [])
        assert report["mechanism"] == ("irsa" if scenario == "irsa-healthy" else "pod-identity")
        assert report["serviceAccount"]["subject"] == "system:serviceaccount:apps:web"
        text = run_cli(env, "doctor", "--service-account", "apps/web")
        assert text.returncode == 0 and "credentials." in text.stdout


def test_a_pod_names_its_service_account(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "pod-identity-pod-before-association") as sb:
        env = client_env(sb, tmp_path / "home")
        code, report = doctor_json(env, "--pod", "apps/web-0")
        assert code == 1 and report["serviceAccount"]["name"] == "web"
        text = run_cli(env, "doctor", "--pod", "apps/web-0")
        assert text.returncode == 1 and "error POD_OLDER_THAN_ASSOCIATION" in text.stdout
        assert text.stdout.endswith("1 problem found.\n") and "aud pods.eks.amazonaws.com" in text.stdout
        found = one_finding(report, "POD_OLDER_THAN_ASSOCIATION")
        assert found["evidence"]["podCreatedAt"] == "2024-01-01T00:00:00Z"
        assert "delete pod web-0 -n apps" in found["fix"][0]["plain"][0]


def test_role_arn_names_the_role_of_an_unannotated_service_account(tmp_path: Path) -> None:
    """No annotation: --role-arn's role is checked, and the annotation command pasted makes IRSA work."""
    require("aws")
    require("kubectl")
    with running_sandbox(tmp_path / "sb", "irsa-healthy") as sb:
        env = client_env(sb, tmp_path / "home")
        removed = run(
            env, [require("kubectl"), "annotate", "sa", "web", "-n", "apps", "eks.amazonaws.com/role-arn-"]
        )
        assert removed.returncode == 0, removed.stderr
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert code == 1 and [f["code"] for f in report["findings"]] == ["WORKLOAD_NO_IDENTITY"]
        assert report["findings"][0]["fix"][0]["plain"] == []  # no role named: nothing to paste
        code, report = doctor_json(env, "--service-account", "apps/web", "--role-arn", IRSA_ROLE)
        assert code == 1 and [f["code"] for f in report["findings"]] == ["WORKLOAD_NO_IDENTITY"]
        for command in _fix_commands(report):
            done = run_shell(env, command)
            assert done.returncode == 0, (command, done.stderr)
        assert irsa_call(sb, env)[0]
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert (code, report["findings"]) == (0, [])


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (f"arn:aws:iam::{ACCOUNT}:role/nope", "WORKLOAD_ROLE_NOT_FOUND"),
        ("arn:aws:iam::444455556666:role/web", "WORKLOAD_ROLE_OTHER_ACCOUNT"),
    ],
)
def test_an_annotation_naming_a_role_doctor_cannot_check(role: str, code: str, tmp_path: Path) -> None:
    require("kubectl")
    with running_sandbox(tmp_path / "sb", "irsa-healthy") as sb:
        env = client_env(sb, tmp_path / "home")
        annotate = [require("kubectl"), "annotate", "sa", "web", "-n", "apps", "--overwrite"]
        done = run(env, [*annotate, f"eks.amazonaws.com/role-arn={role}"])
        assert done.returncode == 0, done.stderr
        exit_code, report = doctor_json(env, "--service-account", "apps/web")
        assert [f["code"] for f in report["findings"]] == [code]
        assert exit_code == (1 if code == "WORKLOAD_ROLE_NOT_FOUND" else 0)
        assert role in one_finding(report, code)["detail"]


def test_an_explicit_deny_of_the_role_is_named(tmp_path: Path) -> None:
    """irsa-healthy whose role also denies s3:*: the credentials work, the deny is named (info, exit 0)."""
    from eksaccess.sandbox.scenarios.model import load_scenario

    data = load_scenario("irsa-healthy").model_dump(by_alias=True, exclude_none=True, mode="json")
    role = next(r for r in data["accounts"][ACCOUNT]["roles"] if r["name"] == "web-irsa")
    role["deny"] = ["s3:*"]
    data["name"] = "irsa-role-denies-s3"
    scenario = tmp_path / "irsa-role-denies-s3.yaml"
    scenario.write_text(json.dumps(data))
    with running_sandbox(tmp_path / "sb", str(scenario)) as sb:
        env = client_env(sb, tmp_path / "home")
        code, report = doctor_json(env, "--service-account", "apps/web")
        assert code == 0 and [f["code"] for f in report["findings"]] == ["ROLE_BOUNDARY_OR_DENY"]
        assert "an explicit Deny of s3:*" in report["findings"][0]["detail"]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "irsa-healthy") as sb:
        env = client_env(sb, tmp_path / "home")
        for argv, text in [
            (("--service-account", "web"), "give NAMESPACE/NAME"),
            (("--service-account", "apps/web", "--pod", "apps/web-0"), "give one of them"),
            (("--service-account", "apps/nope"), 'serviceaccounts "nope" not found in namespace apps'),
            (("--pod", "apps/nope"), 'pods "nope" not found'),
            (("--service-account", "apps/web", "--fix"), "--fix: not with --service-account"),
            (("--pod", "apps/web-0", "--nodegroup", "workers"), "--nodegroup: not with --service-account"),
            (
                ("--service-account", "apps/web", "--role-arn", "arn:aws:iam::111122223333:user/x"),
                "not an IAM role ARN",
            ),
        ]:
            done = run_cli(env, "doctor", *argv)
            assert done.returncode == 2, (argv, done.stderr)
            assert text in done.stderr and "Traceback" not in done.stderr, done.stderr
