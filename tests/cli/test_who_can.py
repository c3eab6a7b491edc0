"""``eksaccess who-can`` end to end on a snapshot file: text, the JSON contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eksaccess.cli.main import main

A = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
STATE: dict[str, Any] = {
    "apiVersion": "eksaccess/v1",
    "kind": "ClusterState",
    "cluster": {"name": "prod", "region": "eu-west-1", "accountId": A},
    "authenticationMode": "API_AND_CONFIG_MAP",
    "accessEntries": [
        {
            "principalArn": f"arn:aws:iam::{A}:role/Admin",
            "accessPolicies": [
                {"policyArn": POLICY + "AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}
            ],
        }
    ],
    "awsAuth": {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: ops\n  groups: [ops]\n"},
    "kubernetes": [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "ops-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [
                {"kind": "Group", "name": "ops"},
                {"kind": "ServiceAccount", "name": "bot", "namespace": "ci"},
            ],
        }
    ],
}


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    code = 0
    try:
        main(["who-can", *args, "--snapshot", str(path)])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "list", "pods", "-n", "web", "-o", "json")
    data = json.loads(out)
    assert code == 0
    principals = {p["arn"]: p for p in data["principals"]}
    assert set(principals) == {f"arn:aws:iam::{A}:role/Admin", f"arn:aws:iam::{A}:role/ops"}
    assert principals[f"arn:aws:iam::{A}:role/ops"]["via"] == (
        'aws-auth mapRoles[0] -> Group "ops" -> ClusterRoleBinding "ops-view" -> ClusterRole "view"'
    )
    assert principals[f"arn:aws:iam::{A}:role/Admin"]["reasons"][0]["authorizer"] == "accessPolicy"
    subjects = {(s["kind"], s["name"], s["namespace"]) for s in data["subjects"]}
    assert ("ServiceAccount", "bot", "ci") in subjects and ("Group", "system:masters", "") in subjects
    assert all(s["mappedByIam"] is False and s["reasons"] for s in data["subjects"])
    bot = next(s for s in data["subjects"] if s["name"] == "bot")
    assert bot["reasons"][0]["text"] == (
        'RBAC: allowed by ClusterRoleBinding "ops-view" of ClusterRole "view" to ServiceAccount "bot/ci"'
    )
    assert "pods" in bot["reasons"][0]["rule"]["resources"]


def test_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "delete", "secrets", "-n", "web")
    assert code == 0
    assert out.startswith('IAM principals that can delete secrets in namespace "web":')
    assert "role/Admin" in out and "role/ops" not in out
    assert "Kubernetes subjects allowed that no IAM principal maps to:" in out


def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, tmp_path, "get", "", "-o", "json")
    assert code == 2 and not out and err.startswith("eksaccess: error:")
