"""Audit's workload-identity risks on the sandbox, each made real with the real clients: irsa-healthy is
clean; the aws CLI widens the role's trust (StringLike system:serviceaccount:*, no aud) and gives it an
admin policy, kubectl lets five users create deployments in its namespace, then the provider is deleted.
Each step's codes are asserted, and the widened trust is shown real: another namespace's service account
gets the role's credentials."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from eksaccess.sandbox.testing import running_sandbox
from support.clients import client_env, require, run

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-irsa"
HOST_PATH = "oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST_PATH}"
WORKLOAD = {
    "WORKLOAD_ADMIN_ROLE_WIDE_REACH",
    "TRUST_ANY_SERVICE_ACCOUNT",
    "TRUST_NO_AUDIENCE",
    "TRUST_PROVIDER_GONE",
}
WIDE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {f"{HOST_PATH}:sub": "system:serviceaccount:*"}},
        }
    ],
}
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DEPLOYERS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: apps}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployers, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
""" + "".join(f"  - {{kind: User, name: dev-{i}}}\n" for i in range(5))


def _codes(env: dict[str, str]) -> set[tuple[str, str]]:
    done = run(env, [require("eksaccess"), "audit", "--cluster", "demo", "-o", "json"])
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    risks = [r for cluster in report["clusters"] for r in cluster["risks"]]
    return {(r["code"], r["subject"]) for r in risks if r["code"] in WORKLOAD}


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr


def test_each_workload_risk_appears_when_the_real_clients_make_it_true(tmp_path: Path) -> None:
    aws, kubectl = require("aws"), require("kubectl")
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        env = client_env(sb, tmp_path / "home", AWS_PROFILE="admin")
        assert _codes(env) == set()

        trust = json.dumps(WIDE_TRUST)
        _ok(
            run(
                env,
                [
                    aws,
                    "iam",
                    "update-assume-role-policy",
                    "--role-name",
                    "web-irsa",
                    "--policy-document",
                    trust,
                ],
            )
        )
        assert _codes(env) == {("TRUST_ANY_SERVICE_ACCOUNT", ROLE), ("TRUST_NO_AUDIENCE", ROLE)}
        token = run(
            env, [kubectl, "create", "token", "default", "-n", "default", "--audience", "sts.amazonaws.com"]
        )
        _ok(token)
        assumed = run(
            env,
            [aws, "sts", "assume-role-with-web-identity", "--role-arn", ROLE, "--role-session-name", "other",
             "--web-identity-token", token.stdout.strip(), "--output", "json"],
        )  # fmt: skip
        _ok(assumed)  # default/default is not the workload's service account, and it gets the role

        policy = json.dumps(ADMIN_POLICY)
        _ok(
            run(
                env,
                [
                    aws,
                    "iam",
                    "put-role-policy",
                    "--role-name",
                    "web-irsa",
                    "--policy-name",
                    "admin",
                    "--policy-document",
                    policy,
                ],
            )
        )
        _ok(run(env, [kubectl, "apply", "-f", "-"], stdin=DEPLOYERS))
        assert ("WORKLOAD_ADMIN_ROLE_WIDE_REACH", ROLE) in _codes(env)

        _ok(
            run(
                env,
                [aws, "iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", PROVIDER],
            )
        )
        assert ("TRUST_PROVIDER_GONE", ROLE) in _codes(env)
