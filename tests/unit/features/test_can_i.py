"""can-i on a ClusterState: identity resolution then system:masters, EKS access policies and RBAC."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.authz.authorize import Authority, MissKind
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.state import ClusterState, parse_cluster_state
from eksaccess.errors import InputError
from eksaccess.features.analyze.can_i import build_request, can_i

A = "111122223333"
OTHER = "222233334444"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def crb(name: str, role: str, *subjects: dict[str, str], namespace: str = "") -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def group(name: str) -> dict[str, str]:
    return {"kind": "Group", "name": name}


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "name": name}


STATE: dict[str, Any] = {
    "apiVersion": "eksaccess/v1",
    "kind": "ClusterState",
    "cluster": {
        "name": "prod",
        "region": "eu-west-1",
        "accountId": A,
        "arn": f"arn:aws:eks:eu-west-1:{A}:cluster/prod",
    },
    "authenticationMode": "API_AND_CONFIG_MAP",
    "accessEntries": [
        {
            "principalArn": f"arn:aws:iam::{A}:role/Admin",
            "accessPolicies": [
                {"policyArn": POLICY + "AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}
            ],
        },
        {
            "principalArn": f"arn:aws:iam::{A}:role/Dev",
            "kubernetesGroups": ["developers"],
            "accessPolicies": [
                {
                    "policyArn": POLICY + "AmazonEKSViewPolicy",
                    "accessScope": {"type": "namespace", "namespaces": ["dev-*"]},
                }
            ],
        },
        {"principalArn": f"arn:aws:iam::{A}:user/alice", "username": "alice"},
    ],
    "awsAuth": {
        "mapRoles": (
            f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: ops:{{{{SessionName}}}}\n  groups: [ops]\n"
            f"- rolearn: arn:aws:iam::{A}:role/breakglass\n  username: breakglass\n  groups: [system:masters]\n"
        ),
        "mapUsers": f"- userarn: arn:aws:iam::{A}:user/bob\n  username: bob\n  groups: [viewers]\n",
        "mapAccounts": f'- "{OTHER}"\n',
    },
    "kubernetes": [
        crb("ops-view", "view", group("ops")),
        crb("developers-edit", "edit", group("developers"), namespace="dev-a"),
        crb("bob-view", "view", user("bob"), namespace="prod"),
        crb("ci", "edit", {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}),
        crb("auditors", "view", group("auditors")),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "secret-reader"},
            "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}],
        },
        crb("reader", "secret-reader", user(f"arn:aws:iam::{OTHER}:role/reader")),
    ],
}


def snapshot() -> ClusterState:
    return parse_cluster_state(json.dumps(STATE))


def role(name: str, session: str = "jane") -> Caller:
    return Caller(arn=f"arn:aws:sts::{A}:assumed-role/{name}/{session}")


def ask(caller: Caller, verb: str, resource: str, **kwargs: Any) -> Any:
    return can_i(snapshot(), caller=caller, request=build_request(verb, resource, **kwargs))


def test_cluster_admin_policy() -> None:
    result = ask(role("Admin"), "delete", "nodes")
    assert result.allowed
    assert result.decision.reasons[0].authority is Authority.ACCESS_POLICY
    username = result.resolution.identity.username
    policy = POLICY + "AmazonEKSClusterAdminPolicy"
    assert result.reason == (
        f'EKS Access Policy: allowed by ClusterRoleBinding "arn:aws:iam::{A}:role/Admin+{policy}" '
        f'of ClusterRole "{policy}" to User "{username}"'
    )


def test_namespace_scoped_policy_and_rbac_together() -> None:
    dev = role("Dev")
    listed = ask(dev, "list", "po", namespace="dev-b")
    assert listed.allowed and listed.decision.reasons[0].authority is Authority.ACCESS_POLICY
    deleted = ask(dev, "delete", "pods", namespace="dev-a")
    assert deleted.allowed
    assert (
        deleted.reason
        == 'RBAC: allowed by RoleBinding "developers-edit/dev-a" of ClusterRole "edit" to Group "developers"'
    )
    assert ask(dev, "get", "ns", name="dev-b").allowed  # the Namespace object named like a scoped namespace
    assert not ask(dev, "list", "ns").allowed


def test_deny_carries_near_misses_of_both_authorizers() -> None:
    result = ask(role("Dev"), "delete", "pods", namespace="dev-b")
    assert not result.allowed
    kinds = {m.kind for m in result.decision.near_misses}
    assert {MissKind.POLICY_VERB, MissKind.OTHER_NAMESPACE} <= kinds
    prod = ask(role("Dev"), "list", "pods", namespace="prod")
    assert MissKind.POLICY_SCOPE in {m.kind for m in prod.decision.near_misses}


def test_aws_auth_mappings() -> None:
    ops = ask(role("ops"), "list", "deployments.apps", namespace="kube-system")
    assert ops.allowed and ops.reason.endswith(
        'ClusterRoleBinding "ops-view" of ClusterRole "view" to Group "ops"'
    )
    assert ops.resolution.identity.username == "ops:jane"
    breakglass = ask(role("breakglass"), "delete", "clusterroles.rbac.authorization.k8s.io")
    assert breakglass.allowed and breakglass.decision.reasons[0].authority is Authority.PRIVILEGED_GROUP
    bob = Caller(arn=f"arn:aws:iam::{A}:user/bob")
    assert ask(bob, "get", "pods", namespace="prod").allowed
    assert not ask(bob, "get", "pods", namespace="dev-a").allowed


def test_map_accounts_principal_bound_by_arn() -> None:
    reader = Caller(arn=f"arn:aws:sts::{OTHER}:assumed-role/reader/s1")
    assert ask(reader, "get", "secrets", namespace="default").allowed
    other = Caller(arn=f"arn:aws:sts::{OTHER}:assumed-role/someone/s1")
    result = ask(other, "get", "secrets", namespace="default")
    assert not result.allowed and result.resolution.authenticated


def test_unmapped_principal_is_a_no_with_the_identity_reason() -> None:
    result = ask(Caller(arn="arn:aws:iam::999988887777:user/stranger"), "get", "pods")
    assert not result.allowed and result.decision is None
    assert result.reason.startswith("not authenticated")


def test_non_resource_urls() -> None:
    assert ask(Caller(arn=f"arn:aws:iam::{A}:user/alice"), "get", "/version").allowed
    assert not ask(Caller(arn=f"arn:aws:iam::{A}:user/alice"), "get", "/metrics").allowed
    assert ask(role("Admin"), "get", "/metrics").allowed


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("get", "pods"), {}, {"resource": "pods", "namespace": "default", "api_group": ""}),
        (("get", "pods"), {"all_namespaces": True}, {"namespace": ""}),
        (
            ("get", "deploy/scale"),
            {"namespace": "x"},
            {"resource": "deployments", "subresource": "scale", "api_group": "apps"},
        ),
        (("get", "nodes"), {"namespace": "x"}, {"namespace": ""}),
        (("get", "namespaces"), {"name": "team"}, {"namespace": "team", "name": "team"}),
        (("get", "/healthz"), {}, {"path": "/healthz", "namespace": ""}),
    ],
)
def test_build_request(args: tuple[str, str], kwargs: dict[str, Any], expected: dict[str, str]) -> None:
    attrs = build_request(*args, **kwargs).attrs
    for key, value in expected.items():
        assert getattr(attrs, key) == value


def test_build_request_notes_and_errors() -> None:
    assert build_request("get", "nodes", namespace="x").notes
    assert build_request("get", "widgets").notes
    with pytest.raises(InputError):
        build_request("get pods", "pods")
    with pytest.raises(InputError):
        build_request("get", "pods", namespace="a", all_namespaces=True)
