"""ClusterStates with a workloadIdentity section, for who-can-assume and the workload risks' tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eksaccess.domain.state import API_VERSION, ClusterState

ACCOUNT = "111122223333"
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
HOST_PATH = ISSUER.removeprefix("https://")
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST_PATH}"
RBAC = "rbac.authorization.k8s.io/v1"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def irsa_trust(
    sub: str | list[str] | None, *, operator: str = "StringEquals", aud: str | None = "sts.amazonaws.com"
) -> dict[str, Any]:
    """The EKS User Guide's IRSA trust policy; ``sub``/``aud`` None leave that condition out."""
    condition: dict[str, str | list[str]] = {}
    if sub is not None:
        condition[f"{HOST_PATH}:sub"] = sub
    if aud is not None:
        condition[f"{HOST_PATH}:aud"] = aud
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition:
        statement["Condition"] = {operator: condition}
    return {"Version": "2012-10-17", "Statement": [statement]}


def pod_identity_trust(*, tag_session: bool = True) -> dict[str, Any]:
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": actions}
        ],
    }


def role(name: str, namespace: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules,
    }


def binding(
    name: str, namespace: str, role_name: str, subjects: list[dict[str, Any]], kind: str = "Role"
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
        "subjects": subjects,
    }


def rule(
    verbs: list[str], resources: list[str], groups: list[str] | None = None, names: list[str] | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "apiGroups": groups if groups is not None else [""],
        "resources": resources,
        "verbs": verbs,
    }
    if names:
        found["resourceNames"] = names
    return found


def workload_data(
    *,
    service_accounts: Sequence[tuple[str, str, dict[str, str]]] = (),
    associations: Sequence[dict[str, Any]] = (),
    trust: dict[str, dict[str, Any]] | None = None,
    providers: list[str] | None = None,
    issuer: str | None = ISSUER,
    kubernetes: Sequence[dict[str, Any]] = (),
    access_entries: Sequence[dict[str, Any]] = (),
    aws_auth: dict[str, str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "ClusterState",
        "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCOUNT},
        "authenticationMode": "API_AND_CONFIG_MAP",
        "accessEntries": list(access_entries),
        "kubernetes": list(kubernetes),
        "workloadIdentity": {
            "oidcIssuer": issuer,
            "oidcProviders": [HOST_PATH] if providers is None else providers,
            "serviceAccounts": [
                {"namespace": ns, "name": name, "annotations": annotations}
                for ns, name, annotations in service_accounts
            ],
            "podIdentityAssociations": list(associations),
            "roleTrustPolicies": trust or {},
        },
    }
    if aws_auth is not None:
        data["awsAuth"] = aws_auth
    return data


def workload_state(**kw: Any) -> ClusterState:
    return ClusterState.model_validate(workload_data(**kw))
