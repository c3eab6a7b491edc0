"""The v2 snapshot's workloadIdentity: v1 files still read, v2 round-trips, only eks.amazonaws.com/*
annotations are kept, and the live read gathers the service accounts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.state import API_VERSION, dump_cluster_state, parse_cluster_state
from eksaccess.errors import InputError

ACCT = "111122223333"
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
ROLE = f"arn:aws:iam::{ACCT}:role/web-irsa"

# A snapshot as eksaccess wrote it before workload identity (apiVersion eksaccess/v1).
V1_SNAPSHOT = f"""\
apiVersion: eksaccess/v1
kind: ClusterState
cluster:
  name: demo
  region: us-west-2
  accountId: "{ACCT}"
authenticationMode: API_AND_CONFIG_MAP
accessEntries:
  - principalArn: arn:aws:iam::{ACCT}:user/admin
    kubernetesGroups: [ops]
awsAuth:
  mapRoles: |
    - rolearn: arn:aws:iam::{ACCT}:role/dev
      username: dev
kubernetes:
  - apiVersion: v1
    kind: Namespace
    metadata: {{name: apps}}
"""


def workload() -> dict[str, Any]:
    return {
        "oidcIssuer": ISSUER,
        "oidcProviders": [ISSUER.removeprefix("https://")],
        "serviceAccounts": [
            {
                "namespace": "apps",
                "name": "web",
                "annotations": {"eks.amazonaws.com/role-arn": ROLE, "kubectl.kubernetes.io/x": "dropped"},
            }
        ],
        "podIdentityAssociations": [
            {
                "namespace": "apps",
                "serviceAccount": "api",
                "roleArn": f"arn:aws:iam::{ACCT}:role/api",
                "targetRoleArn": "arn:aws:iam::444455556666:role/target",
                "associationId": "a-abcdefghijklmnopq",
                "createdAt": "2024-01-01T00:00:00Z",
            }
        ],
        "roleTrustPolicies": {ROLE: {"Version": "2012-10-17", "Statement": []}},
    }


def v2(**extra: Any) -> str:
    data = {
        "apiVersion": API_VERSION,
        "kind": "ClusterState",
        "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
        "authenticationMode": "API",
    }
    data.update(extra)
    return json.dumps(data)


def test_a_v1_snapshot_still_reads_and_has_no_workload_section() -> None:
    state = parse_cluster_state(V1_SNAPSHOT)
    assert state.api_version == "eksaccess/v1"
    assert state.workload_identity is None
    assert [e.principal_arn for e in state.access_entries()] == [f"arn:aws:iam::{ACCT}:user/admin"]


def test_v2_round_trips_and_keeps_only_eks_annotations() -> None:
    state = parse_cluster_state(v2(workloadIdentity=workload()))
    section = state.workload_identity
    assert section is not None
    assert section.service_accounts[0].annotations == {"eks.amazonaws.com/role-arn": ROLE}
    association = section.pod_identity_associations[0]
    assert association.target_role_arn == "arn:aws:iam::444455556666:role/target"
    assert association.created_at is not None and association.created_at.year == 2024
    again = parse_cluster_state(dump_cluster_state(state))
    assert again == state
    assert "serviceAccount: api" in dump_cluster_state(state)  # camelCase keys in the file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            v2(workloadIdentity=workload()).replace(API_VERSION, "eksaccess/v1"),
            "workloadIdentity needs apiVersion: eksaccess/v2",
        ),
        (
            v2(workloadIdentity={"podIdentityAssociations": [{"namespace": "a", "serviceAccount": "b"}]}),
            "workloadIdentity.podIdentityAssociations[0].roleArn: is required",
        ),
        (
            v2(workloadIdentity={"serviceAccounts": [{"namespace": "a", "name": "b", "uid": "x"}]}),
            "workloadIdentity.serviceAccounts[0].uid: is not a known field",
        ),
        (
            v2(
                workloadIdentity={
                    "podIdentityAssociations": [{"namespace": "a", "serviceAccount": "b", "roleArn": "nope"}]
                }
            ),
            "workloadIdentity.podIdentityAssociations[0].roleArn:",
        ),
    ],
)
def test_bad_workload_sections_are_one_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_cluster_state(text)
    assert message in caught.value.message
    assert "\n" not in caught.value.message
