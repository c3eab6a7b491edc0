"""doctor --node-role / --nodegroup end to end: nodes that cannot join, and the printed fix pasted.

For each node scenario, in a fresh sandbox and HOME, as the administrator (the scenario's admin profile):
1. a "kubelet" fails: the aws CLI assumes the node role with the session name EC2 gives it (the instance
   id; a Fargate node's name), ``eksaccess token`` mints its token, and the real kubectl registers the
   node's Node object (``kubectl create``) and reads it (``kubectl get node``), as a kubelet does;
2. doctor names the cause (its code) and exits 1;
3. every command of the fix is pasted literally into ``bash -c``, once the eksaccess form, once the plain
   aws/kubectl form;
4. the kubelet registers and reads its Node, and doctor exits 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksaccess.sandbox.aws.nodegroups import private_dns_name
from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_env, require, run

ACCOUNT = "111122223333"
REGION = "us-west-2"
INSTANCE = "i-0a1b2c3d4e5f60718"
OTHER_INSTANCE = "i-0fedcba9876543210"
# kubectl's 401 text: newer versions, older ones
UNAUTHORIZED = ("the server has asked for the client to provide credentials", "(Unauthorized)")
FARGATE_NODE = "fargate-ip-10-0-7-42.us-west-2.compute.internal"


@dataclass(frozen=True)
class Kubelet:
    """A kubelet's calls to the API server with its node role's credentials."""

    role_arn: str
    session: str  # EC2: the instance id; Fargate: the node name
    node: str  # the Node object it registers

    def token(self, env: Mapping[str, str]) -> str:
        done = run(
            env,
            [
                require("aws"),
                "sts",
                "assume-role",
                "--role-arn",
                self.role_arn,
                "--role-session-name",
                self.session,
                "--profile",
                "admin",
                "--output",
                "json",
            ],
        )
        assert done.returncode == 0, done.stderr
        creds = json.loads(done.stdout)["Credentials"]
        node_env = {k: v for k, v in env.items() if k != "AWS_PROFILE"}
        node_env |= {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }
        minted = run(
            node_env,
            [require("eksaccess"), "token", "--cluster-name", "demo", "--region", REGION, "--no-cache"],
        )
        assert minted.returncode == 0, minted.stderr
        token: str = json.loads(minted.stdout)["status"]["token"]
        return token

    def register_and_get(self, env: Mapping[str, str], name: str | None = None) -> tuple[int, str]:
        """``kubectl create`` of its Node (an existing one counts), then ``kubectl get node``: (exit, stderr)."""
        token, node = self.token(env), name or self.node
        kubectl = [require("kubectl"), "--token", token]
        manifest = json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
        created = run(env, [*kubectl, "create", "--validate=false", "-f", "-"], stdin=manifest)
        if created.returncode != 0 and "AlreadyExists" not in created.stderr:
            return created.returncode, created.stderr
        got = run(env, [*kubectl, "get", "node", node, "-o", "name"])
        if got.returncode == 0:
            assert got.stdout.strip() == f"node/{node}"
        return got.returncode, got.stderr


def _ec2(role: str) -> Kubelet:
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    return Kubelet(role_arn=arn, session=INSTANCE, node=private_dns_name(INSTANCE, REGION))


@dataclass(frozen=True)
class Case:
    scenario: str
    args: tuple[str, ...]
    code: str
    kubelet: Kubelet
    refusal: tuple[str, ...]  # what the kubelet sees before the fix (kubectl's words, any of them)


CASES = [
    Case(
        "node-entry-standard-type",
        ("--nodegroup", "workers"),
        "NODE_ENTRY_WRONG_TYPE",
        _ec2("eks-node"),
        ("Forbidden",),
    ),
    Case(
        "node-row-session-name",
        ("--nodegroup", "workers"),
        "NODE_ROW_WRONG_IDENTITY",
        _ec2("eks-node"),
        (f'node "{INSTANCE}" is not allowed to modify node "{private_dns_name(INSTANCE, REGION)}"',),
    ),
    Case(
        "node-role-unmapped-after-migration",
        ("--nodegroup", "workers"),
        "NODE_ROLE_NOT_MAPPED",
        _ec2("eks-node"),
        UNAUTHORIZED,
    ),
    Case(
        "karpenter-role-unmapped",
        ("--node-role", f"arn:aws:iam::{ACCOUNT}:role/KarpenterNodeRole-demo"),
        "NODE_ROLE_NOT_MAPPED",
        _ec2("KarpenterNodeRole-demo"),
        UNAUTHORIZED,
    ),
    Case(
        "fargate-role-wrong-type",
        ("--node-role", f"arn:aws:iam::{ACCOUNT}:role/eks-fargate-pods"),
        "FARGATE_ROLE_WRONG_TYPE",
        Kubelet(
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/eks-fargate-pods", session=FARGATE_NODE, node=FARGATE_NODE
        ),
        UNAUTHORIZED,
    ),
]


def _doctor(env: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    return doctor_json(env, "--profile", "admin", *args)


def _commands(report: Mapping[str, Any], form: str) -> list[str]:
    out: list[str] = []
    for finding in report["findings"]:
        for step in finding["fix"]:
            out.extend(step[form] or step["plain"])
    return out


@pytest.mark.parametrize("form", ["eksaccess", "plain"])
@pytest.mark.parametrize("case", CASES, ids=[c.scenario for c in CASES])
def test_a_node_role_that_cannot_join_is_fixed_by_pasting(case: Case, form: str, tmp_path: Path) -> None:
    require("aws")
    require("kubectl")
    with running_sandbox(tmp_path / "sb", case.scenario) as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, stderr = case.kubelet.register_and_get(env)
        assert code != 0 and any(text in stderr for text in case.refusal), stderr
        code, report = _doctor(env, *case.args)
        assert code == 1
        assert [f["code"] for f in report["findings"]] == [case.code], report["findings"]
        assert report["kubelet"]["joins"] is False
        commands = _commands(report, form)
        assert commands
        for command in commands:
            done = run(env, ["bash", "-c", command])
            assert done.returncode == 0, (command, done.stdout, done.stderr)
        code, stderr = case.kubelet.register_and_get(env)
        assert code == 0, stderr
        code, report = _doctor(env, *case.args)
        assert (code, report["findings"], report["kubelet"]["joins"]) == (0, [], True)


def test_a_node_writes_only_its_own_node(tmp_path: Path) -> None:
    """NodeRestriction: a kubelet mapped as a node may read any Node, but not register another's."""
    require("aws")
    require("kubectl")
    with running_sandbox(tmp_path / "sb", "fargate-role-wrong-type") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        mine = _ec2("eks-fargate-pods")  # an EC2_LINUX entry: a node for EC2 instances
        assert mine.register_and_get(env) == (0, "")
        other = Kubelet(
            role_arn=mine.role_arn, session=OTHER_INSTANCE, node=private_dns_name(OTHER_INSTANCE, REGION)
        )
        token = other.token(env)
        read = run(env, [require("kubectl"), "--token", token, "get", "node", mine.node, "-o", "name"])
        assert read.returncode == 0, read.stderr  # reading another node's object: allowed
        manifest = json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ip-10-9-9-9.x"}})
        created = run(env, [require("kubectl"), "--token", token, "create", "-f", "-"], stdin=manifest)
        assert created.returncode != 0
        assert (
            f'nodes "ip-10-9-9-9.x" is forbidden: node "{other.node}" is not allowed to modify node '
            '"ip-10-9-9-9.x"'
        ) in created.stderr


def test_doctor_names_the_role_of_a_nodegroup_that_does_not_exist(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "node-entry-standard-type") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        from support.cli import run_cli

        done = run_cli(env, "doctor", "--profile", "admin", "--nodegroup", "nope")
        assert done.returncode == 2
        assert "no node group 'nope'" in done.stderr and "Traceback" not in done.stderr
        both = run_cli(env, "doctor", "--nodegroup", "workers", "--node-role", "arn:aws:iam::1:role/x")
        assert both.returncode == 2 and "give one of them" in both.stderr
        fix = run_cli(env, "doctor", "--nodegroup", "workers", "--fix")
        assert fix.returncode == 2 and "--fix: not with --node-role" in fix.stderr
        user = run_cli(env, "doctor", "--node-role", f"arn:aws:iam::{ACCOUNT}:user/admin")
        assert user.returncode == 2 and "is not an IAM role ARN" in user.stderr
        text = run_cli(env, "doctor", "--nodegroup", "workers")  # the context's profile reads
        assert text.returncode == 1, text.stderr
        assert "error NODE_ENTRY_WRONG_TYPE" in text.stdout and text.stdout.endswith("1 problem found.\n")
        assert "--type EC2_LINUX --region us-west-2 --profile admin" in text.stdout
        data = run_cli(env, "doctor", "--nodegroup", "workers", "-o", "yaml")
        report = yaml.safe_load(data.stdout)
        assert data.returncode == 1 and report["nodeRole"]["source"] == "node group workers"
        assert (
            report["kubelet"]["username"]
            == f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-node/i-0123456789abcdef0"
        )
