"""NODE_ROLE_CANNOT_JOIN: audit names the node roles whose kubelets would not join, from what the state
shows serving nodes (node groups, Fargate profiles, node entries, aws-auth node rows)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.findings import FindingCode
from eksaccess.domain.state import ClusterState, dump_cluster_state, parse_cluster_state
from eksaccess.features.analyze.audit import AuditInput, audit

A = "111122223333"
NODE = f"arn:aws:iam::{A}:role/eks-node"
PODS = f"arn:aws:iam::{A}:role/pods"
ADMIN = {
    "principalArn": f"arn:aws:iam::{A}:user/admin",
    "accessPolicies": [
        {
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"},
        }
    ],
}
EC2_ROW = {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}", "groups": ["system:nodes"]}


def _state(
    mode: str, entries: list[dict[str, Any]], rows: list[dict[str, Any]], **nodes: Any
) -> ClusterState:
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "c1", "region": "us-west-2", "accountId": A},
            "authenticationMode": mode,
            "accessEntries": ([ADMIN] if mode != "CONFIG_MAP" else []) + entries,
            "awsAuth": {"mapRoles": json.dumps(rows)} if rows else None,
            **nodes,
        }
    )


def _risks(st: ClusterState) -> list[tuple[str, str]]:
    report = audit([AuditInput(state=st)])
    return [(r.subject, r.detail) for r in report.risks if r.code is FindingCode.NODE_ROLE_CANNOT_JOIN]


GROUPS = {"nodegroups": [{"nodegroupName": "workers", "nodeRole": NODE}]}
FARGATE = {"fargateProfiles": [{"fargateProfileName": "default", "podExecutionRoleArn": PODS}]}


@pytest.mark.parametrize(
    ("mode", "entries", "rows", "nodes", "flagged"),
    [
        ("API", [{"principalArn": NODE, "type": "EC2_LINUX"}], [], GROUPS, []),
        ("API_AND_CONFIG_MAP", [{"principalArn": NODE}], [], GROUPS, [NODE]),  # STANDARD
        ("API", [], [EC2_ROW], GROUPS, [NODE]),  # the row is ignored after the switch
        ("API", [], [EC2_ROW], {}, [NODE]),  # a node row alone says the role serves nodes
        ("CONFIG_MAP", [], [EC2_ROW], GROUPS, []),
        ("CONFIG_MAP", [], [{**EC2_ROW, "username": "system:node:{{SessionName}}"}], GROUPS, [NODE]),
        ("API_AND_CONFIG_MAP", [{"principalArn": PODS, "type": "EC2_LINUX"}], [], FARGATE, [PODS]),
        ("API_AND_CONFIG_MAP", [{"principalArn": PODS, "type": "FARGATE_LINUX"}], [], FARGATE, []),
        ("API_AND_CONFIG_MAP", [], [], {}, []),  # no node role known: nothing to say
    ],
)
def test_node_roles_that_cannot_join(
    mode: str, entries: list[dict[str, Any]], rows: list[dict[str, Any]], nodes: Any, flagged: list[str]
) -> None:
    assert [subject for subject, _ in _risks(_state(mode, entries, rows, **nodes))] == flagged


def test_the_detail_names_the_source_and_the_type_needed() -> None:
    ((_, detail),) = _risks(_state("API_AND_CONFIG_MAP", [{"principalArn": NODE}], [], **GROUPS))
    assert detail.startswith(f"{NODE} (node group workers, EC2 Linux nodes, needs EC2_LINUX): ")
    assert "STANDARD" in detail


def test_a_snapshot_keeps_its_node_groups_and_an_older_one_still_reads() -> None:
    st = _state("API", [], [], **GROUPS, **FARGATE)
    again = parse_cluster_state(dump_cluster_state(st))
    assert again == st
    older = parse_cluster_state(dump_cluster_state(_state("API", [], [])))
    assert older.nodegroups is None and older.fargate_profiles is None
    assert "nodegroups" not in dump_cluster_state(older)
