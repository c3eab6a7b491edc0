"""The access policy catalogue (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html)."""

from __future__ import annotations

import pytest

from eksaccess.domain.authz.access_policies import (
    CATALOGUE,
    SHORT_NAMES,
    is_policy_arn,
    listed_policies,
    policy_arn,
    policy_name,
    resolve_policy,
    user_facing_policies,
)
from eksaccess.errors import InputError

VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def test_user_facing_six_with_short_names() -> None:
    assert {p.short_name: p.name for p in user_facing_policies()} == {
        "cluster-admin": "AmazonEKSClusterAdminPolicy",
        "admin": "AmazonEKSAdminPolicy",
        "edit": "AmazonEKSEditPolicy",
        "view": "AmazonEKSViewPolicy",
        "admin-view": "AmazonEKSAdminViewPolicy",
        "secret-reader": "AmazonEKSSecretReaderPolicy",
    }
    assert CATALOGUE["AmazonEKSClusterAdminPolicy"].kubernetes_role == "cluster-admin"
    assert CATALOGUE["AmazonEKSAdminViewPolicy"].kubernetes_role is None


def test_list_access_policies_returns_33() -> None:
    # facts: a 2026 list-access-policies returned 33 names, all but ClusterInsights and InferenceMonitoring
    listed = {p.name for p in listed_policies()}
    assert len(listed) == 33
    assert set(CATALOGUE) - listed == {
        "AmazonEKSClusterInsightsPolicy",
        "AmazonSagemakerHyperpodInferenceMonitoringPolicy",
    }


def test_service_policies_are_not_user_facing() -> None:
    for name in ("AmazonEKSAutoNodePolicy", "AmazonEKSHybridPolicy", "AmazonEMRJobPolicy"):
        assert not CATALOGUE[name].user_facing
        assert CATALOGUE[name].short_name is None
    assert CATALOGUE["AmazonEKSHybridPolicy"].service_linked_only


@pytest.mark.parametrize(
    ("given", "partition", "expected"),
    [
        ("view", "aws", VIEW),
        ("VIEW", "aws", VIEW),
        ("AmazonEKSViewPolicy", "aws", VIEW),
        ("amazoneksviewpolicy", "aws", VIEW),
        (VIEW, "aws", VIEW),
        (" view ", "aws", VIEW),
        ("cluster-admin", "aws-cn", "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
        (
            "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
            "aws",
            "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        ),
        ("AmazonEKSAutoNodePolicy", "aws", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"),
    ],
)
def test_resolve_policy(given: str, partition: str, expected: str) -> None:
    assert resolve_policy(given, partition) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "viewer",
        "AmazonEKSReadOnlyPolicy",
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSNopePolicy",
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws-moon:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        "",
    ],
)
def test_resolve_policy_refuses_unknown(bad: str) -> None:
    with pytest.raises(InputError) as info:
        resolve_policy(bad)
    assert "\n" not in str(info.value)


def test_unknown_message_lists_short_names() -> None:
    with pytest.raises(InputError, match="cluster-admin, admin, edit, view, admin-view, secret-reader"):
        resolve_policy("viewer")


def test_policy_arn_and_name_round_trip() -> None:
    for name in CATALOGUE:
        arn = policy_arn(name, "aws-iso")
        assert is_policy_arn(arn)
        assert policy_name(arn) == name
    assert len(SHORT_NAMES) == 6


def test_policy_name_refuses_other_arns() -> None:
    assert not is_policy_arn("arn:aws:eks:us-east-1:111122223333:cluster/prod")
    with pytest.raises(InputError):
        policy_name("arn:aws:eks:us-east-1:111122223333:cluster/prod")
