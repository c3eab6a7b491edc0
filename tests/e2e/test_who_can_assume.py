"""``eksaccess who-can-assume`` against the sandbox, with the real clients: the console script reads the live
cluster (v2 snapshot: service accounts, issuer, OIDC providers, associations, trust policies); a route it
lists is then walked with kubectl and the aws CLI (a token minted as the listed subject is exchanged for the
role's credentials), and a subject it does not list is refused by the API server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eksaccess.sandbox.testing import running_sandbox
from support.clients import client_env, require, run

ACCOUNT = "111122223333"
IRSA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-irsa"
POD_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-pod-identity"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
MINTER = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: token-minter, namespace: apps}
rules:
  - apiGroups: [""]
    resources: [serviceaccounts/token]
    resourceNames: [web]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-mints, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-minter}
subjects:
  - {kind: User, name: bob}
"""


def _who_can_assume(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = run(env, [require("eksaccess"), "who-can-assume", *args, "-o", "json"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_irsa_route_listed_is_walked_by_kubectl_and_the_aws_cli(tmp_path: Path) -> None:
    kubectl, aws = require("kubectl"), require("aws")
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        env = client_env(sb, tmp_path / "home")
        applied = run(env, [kubectl, "apply", "-f", "-"], stdin=MINTER)
        assert applied.returncode == 0, applied.stderr
        answer = _who_can_assume(env, IRSA_ROLE, "--cluster", "demo")
        assert [
            (s["namespace"], s["name"], s["mechanism"], s["annotated"]) for s in answer["serviceAccounts"]
        ] == [("apps", "web", "irsa", True)]
        routes = {(p["principalArn"], p["subject"], p["route"]) for p in answer["paths"]}
        assert (None, 'User "bob"', "createToken") in routes
        assert (None, 'ServiceAccount "apps/web"', "serviceAccount") in routes
        assert (ADMIN, f'User "{ADMIN}"', "createWorkload") in routes  # the cluster admin's access policy
        assert not any("carol" in p["subject"] for p in answer["paths"])

        minted = run(
            env,
            [
                kubectl,
                "create",
                "token",
                "web",
                "-n",
                "apps",
                "--audience",
                "sts.amazonaws.com",
                "--as",
                "bob",
            ],
        )
        assert minted.returncode == 0, minted.stderr
        assumed = run(
            env,
            [aws, "sts", "assume-role-with-web-identity", "--role-arn", IRSA_ROLE, "--role-session-name", "bob",
             "--web-identity-token", minted.stdout.strip(), "--output", "json"],
        )  # fmt: skip
        assert assumed.returncode == 0, assumed.stderr
        assert json.loads(assumed.stdout)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/web-irsa/bob")
        refused = run(env, [kubectl, "create", "token", "web", "-n", "apps", "--as", "carol"])
        assert refused.returncode != 0 and "forbidden" in refused.stderr.lower()


def test_pod_identity_and_the_snapshot_round_trip(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "pod-identity-healthy") as sb:
        env = client_env(sb, tmp_path / "home")
        live = _who_can_assume(env, POD_ROLE, "--cluster", "demo")
        assert [(s["name"], s["mechanism"]) for s in live["serviceAccounts"]] == [("web", "podIdentity")]
        snap = run(env, [require("eksaccess"), "snapshot", "--cluster", "demo", "-o", "yaml"])
        assert snap.returncode == 0, snap.stderr
        assert snap.stdout.startswith("apiVersion: eksaccess/v2")
        path = tmp_path / "state.yaml"
        path.write_text(snap.stdout, encoding="utf-8")
        offline = _who_can_assume(env, POD_ROLE, "--snapshot", str(path))
        assert offline == live
        target = _who_can_assume(env, f"arn:aws:iam::{ACCOUNT}:role/web-target", "--snapshot", str(path))
        assert target["serviceAccounts"] == [] and target["paths"] == []
