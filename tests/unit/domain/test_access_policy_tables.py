"""EKS access policies allow what AWS's tables say, and nothing the upstream ClusterRoles add.

Source: the user guide page https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html,
read from https://github.com/awsdocs/amazon-eks-user-guide/blob/145543a96a20b66b1e946cd818943e5aa7713f6c/latest/ug/manage-access/k8s-access/access-policy-reference.adoc
(the data file domain/data/access_policy_rules.yaml records it). Each case names the table row it checks,
or the upstream ClusterRole rule AWS's table does not have (kubernetes/kubernetes
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go: edit has pods/eviction, serviceaccounts/token
and leases; view has resource.k8s.io reads).
"""

from __future__ import annotations

import re

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.access_policies import CATALOGUE, listed_policies, policy_arn
from eksaccess.domain.authz.authorize import Attributes, Authorizer
from eksaccess.domain.authz.bootstrap import load_data
from eksaccess.domain.authz.policy_rules import (
    access_policy_rules,
    association_text,
    policy_source,
)
from eksaccess.domain.authz.rbac import MissKind, PolicyRule

PRINCIPAL = "arn:aws:iam::111122223333:role/dev"
NO_RBAC = Authorizer.from_manifests([], include_bootstrap=False)
CUD = ("create", "delete", "deletecollection", "patch", "update")
GLW = ("get", "list", "watch")


def in_dev(name: str) -> AccessPolicyAssociation:
    return AccessPolicyAssociation(
        policy_arn=policy_arn(name), scope=AccessScope(type=ScopeType.NAMESPACE, namespaces=("dev",))
    )


def cluster_wide(name: str) -> AccessPolicyAssociation:
    return AccessPolicyAssociation(policy_arn=policy_arn(name), scope=AccessScope(type=ScopeType.CLUSTER))


def req(verb: str, resource: str, group: str = "", namespace: str = "dev", sub: str = "") -> Attributes:
    return Attributes(verb=verb, resource=resource, subresource=sub, api_group=group, namespace=namespace)


def allowed(assoc: AccessPolicyAssociation, attrs: Attributes) -> bool:
    return NO_RBAC.authorize(
        attrs, username="dev", groups=[], policies=[assoc], principal_arn=PRINCIPAL, explain=False
    ).allowed


EDIT = in_dev("AmazonEKSEditPolicy")
ADMIN = in_dev("AmazonEKSAdminPolicy")
VIEW = cluster_wide("AmazonEKSViewPolicy")
HYBRID = cluster_wide("AmazonEKSHybridPolicy")

CASES = [
    # AmazonEKSEditPolicy in namespace dev (the three, then the rows around them)
    ("edit: no pods/eviction (upstream edit has it)", EDIT, req("create", "pods", sub="eviction"), False),
    ("edit: no serviceaccounts/token (upstream edit)", EDIT, req("create", "serviceaccounts", sub="token"), False),
    ("edit: no leases (upstream edit)", EDIT, req("create", "leases", "coordination.k8s.io"), False),
    ("edit: no leases read either", EDIT, req("get", "leases", "coordination.k8s.io"), False),
    ("edit row apps CUD", EDIT, req("create", "deployments", "apps"), True),
    ("edit row apps glw: deployments/status read", EDIT, req("get", "deployments", "apps", sub="status"), True),
    ("edit: deployments/status is read-only", EDIT, req("update", "deployments", "apps", sub="status"), False),
    ("edit row core CUD: pods/exec", EDIT, req("create", "pods", sub="exec"), True),
    ("edit row core CUD: secrets", EDIT, req("create", "secrets"), True),
    ("edit row core glw: secrets", EDIT, req("get", "secrets"), True),
    ("edit row core: impersonate serviceaccounts", EDIT, req("impersonate", "serviceaccounts"), True),
    ("edit row core glw: pods/log", EDIT, req("get", "pods", sub="log"), True),
    ("edit row discovery.k8s.io endpointslices", EDIT, req("list", "endpointslices", "discovery.k8s.io"), True),
    ("edit: no roles", EDIT, req("create", "roles", "rbac.authorization.k8s.io"), False),
    ("edit: no localsubjectaccessreviews", EDIT, req("create", "localsubjectaccessreviews", "authorization.k8s.io"), False),
    ("edit: no resource.k8s.io", EDIT, req("create", "resourceclaims", "resource.k8s.io"), False),
    ("edit: namespace scope only", EDIT, req("create", "configmaps", namespace="prod"), False),
    # AmazonEKSAdminPolicy in namespace dev
    ("admin row rbac: create roles", ADMIN, req("create", "roles", "rbac.authorization.k8s.io"), True),
    ("admin row rbac: list rolebindings", ADMIN, req("list", "rolebindings", "rbac.authorization.k8s.io"), True),
    ("admin: no bind verb", ADMIN, req("bind", "roles", "rbac.authorization.k8s.io"), False),
    ("admin: no escalate verb", ADMIN, req("escalate", "roles", "rbac.authorization.k8s.io"), False),
    ("admin row localsubjectaccessreviews", ADMIN, req("create", "localsubjectaccessreviews", "authorization.k8s.io"), True),
    ("admin: no pods/eviction (upstream admin)", ADMIN, req("create", "pods", sub="eviction"), False),
    ("admin: no serviceaccounts/token", ADMIN, req("create", "serviceaccounts", sub="token"), False),
    ("admin: no leases", ADMIN, req("update", "leases", "coordination.k8s.io"), False),
    # AmazonEKSViewPolicy, cluster-wide
    ("view: no resource.k8s.io (upstream view)", VIEW, req("list", "resourceslices", "resource.k8s.io", ""), False),
    ("view: no resourceclaims", VIEW, req("get", "resourceclaims", "resource.k8s.io"), False),
    ("view row core glw: pods", VIEW, req("list", "pods", namespace=""), True),
    ("view row core: namespaces", VIEW, req("list", "namespaces", namespace=""), True),
    ("view: no secrets", VIEW, req("get", "secrets"), False),
    ("view: no pods/exec read", VIEW, req("get", "pods", sub="exec"), False),
    ("view: no nodes", VIEW, req("list", "nodes", namespace=""), False),
    ("view row apps: deployments/scale", VIEW, req("get", "deployments", "apps", sub="scale"), True),
    ("view: no leases", VIEW, req("list", "leases", "coordination.k8s.io"), False),
    # AmazonEKSHybridPolicy: API group * for nodes list
    ("hybrid: list nodes, core group", HYBRID, req("list", "nodes", namespace=""), True),
    ("hybrid: list nodes, any group (apiGroups *)", HYBRID, req("list", "nodes", "example.com", ""), True),
    ("hybrid: list only", HYBRID, req("get", "nodes", namespace=""), False),
    ("hybrid: nodes only", HYBRID, req("list", "pods", namespace=""), False),
    # the three single-row tables
    ("cluster admin: everything", cluster_wide("AmazonEKSClusterAdminPolicy"), req("escalate", "clusterroles", "rbac.authorization.k8s.io", ""), True),
    ("cluster admin: non-resource URLs *", cluster_wide("AmazonEKSClusterAdminPolicy"), Attributes(verb="get", path="/metrics"), True),
    ("admin view: secrets", cluster_wide("AmazonEKSAdminViewPolicy"), req("list", "secrets", namespace=""), True),
    ("admin view: no writes", cluster_wide("AmazonEKSAdminViewPolicy"), req("create", "configmaps"), False),
    ("admin view: no non-resource URLs", cluster_wide("AmazonEKSAdminViewPolicy"), Attributes(verb="get", path="/healthz"), False),
    ("secret reader: get secrets", in_dev("AmazonEKSSecretReaderPolicy"), req("get", "secrets"), True),
    ("secret reader: read only", in_dev("AmazonEKSSecretReaderPolicy"), req("create", "secrets"), False),
]  # fmt: skip


@pytest.mark.parametrize(("assoc", "attrs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_documented_table(assoc: AccessPolicyAssociation, attrs: Attributes, expected: bool) -> None:
    assert allowed(assoc, attrs) is expected


# rows per table on the page, and what the data file must never carry for them
ROWS = {
    "AmazonEKSAdminPolicy": 22,
    "AmazonEKSClusterAdminPolicy": 2,
    "AmazonEKSAdminViewPolicy": 1,
    "AmazonEKSEditPolicy": 20,
    "AmazonEKSViewPolicy": 10,
    "AmazonEKSSecretReaderPolicy": 1,
    "AmazonEKSHybridPolicy": 1,
}


@pytest.mark.parametrize(("name", "rows"), ROWS.items())
def test_one_rule_per_row_and_no_upstream_extras(name: str, rows: int) -> None:
    policy = access_policy_rules(policy_arn(name))
    assert not policy.opaque and policy.published == "table"
    assert len(policy.rules) == rows
    for rule in policy.rules:
        assert not ({"pods/eviction", "serviceaccounts/token", "leases"} & set(rule.resources))
        assert not ({"coordination.k8s.io", "resource.k8s.io"} & set(rule.api_groups))
        assert set(rule.verbs) in ({*CUD}, {*GLW}, {"create"}, {"impersonate"}, {"list"}, {"*"}, {*CUD, *GLW})


def test_edit_table_rows_as_published() -> None:
    rules = access_policy_rules(policy_arn("AmazonEKSEditPolicy")).rules
    assert rules[0] == PolicyRule(
        verbs=CUD,
        api_groups=("apps",),
        resources=(
            "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
            "replicasets/scale", "statefulsets", "statefulsets/scale",
        ),
    )  # fmt: skip
    assert rules[15] == PolicyRule(verbs=("impersonate",), api_groups=("",), resources=("serviceaccounts",))
    assert rules[-1].resources[-1] == "resourcequotas/status"  # the page's r``esourcequotas/status``


def test_hybrid_rule_is_group_star() -> None:
    rules = access_policy_rules(policy_arn("AmazonEKSHybridPolicy")).rules
    assert rules == (PolicyRule(verbs=("list",), api_groups=("*",), resources=("nodes",)),)


def test_cluster_admin_rows() -> None:
    rules = access_policy_rules(policy_arn("AmazonEKSClusterAdminPolicy")).rules
    assert rules == (
        PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",)),
        PolicyRule(verbs=("*",), non_resource_urls=("*",)),
    )


# ------------------------------------------------------------------------ the catalogue and the data


def test_every_catalogue_name_is_in_the_data_file_and_back() -> None:
    assert set(load_data("access_policy_rules")["policies"]) == set(CATALOGUE)


def test_policies_without_a_table_are_opaque_with_a_note() -> None:
    opaque = {name for name in CATALOGUE if access_policy_rules(policy_arn(name)).opaque}
    assert opaque == set(CATALOGUE) - set(ROWS)
    for name in opaque:
        policy = access_policy_rules(policy_arn(name))
        assert policy.rules == () and policy.note and policy.published in ("prose", "none")
    for name in ("AmazonEKSSecretAdminPolicy", "AmazonEKSEventPolicy", "AmazonEKSPodIdentityPolicy",
                 "AmazonEKSACKPolicy", "AmazonEKSArgoCDPolicy", "AmazonEKSArgoCDClusterPolicy",
                 "AmazonEKSKROPolicy", "AmazonAIOpsAssistantPolicy", "AIDevOpsAgentAccessPolicy",
                 "AmazonARCRegionSwitchScalingPolicy", "AmazonSagemakerHyperpodClusterPolicy"):  # fmt: skip
        assert name in opaque


def test_an_unknown_policy_is_opaque() -> None:
    policy = access_policy_rules("arn:aws:eks::aws:cluster-access-policy/AmazonEKSFuturePolicy")
    assert policy.opaque and policy.published == "unknown" and policy.name == "AmazonEKSFuturePolicy"


def test_the_source_is_recorded() -> None:
    source = policy_source()
    assert source["page"] == "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html"
    assert source["repository"] == "https://github.com/awsdocs/amazon-eks-user-guide"
    assert source["file"] == "latest/ug/manage-access/k8s-access/access-policy-reference.adoc"
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["read"])


def test_association_text_marks_opaque_policies() -> None:
    assert association_text(in_dev("AmazonEKSEditPolicy")) == "AmazonEKSEditPolicy (namespaces dev)"
    assert association_text(cluster_wide("AmazonEKSACKPolicy")) == (
        "AmazonEKSACKPolicy (cluster; opaque: rules not published)"
    )


# a 2026 `aws eks list-access-policies` (table output; shared/facts/eks-api.md, source LIST), in its order
LISTED_2026 = [
    "AIDevOpsAgentAccessPolicy",
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSACKPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSArgoCDClusterPolicy",
    "AmazonEKSArgoCDPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSEventPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSKROPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSPodIdentityPolicy",
    "AmazonEKSSecretAdminPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy",
    "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSpacePolicy",
    "AmazonSagemakerHyperpodSpaceTemplatePolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy",
    "AmazonSagemakerHyperpodUserClusterPolicy",
]


def test_listed_policies_are_what_aws_lists_in_its_order() -> None:
    assert [p.name for p in listed_policies()] == LISTED_2026


def test_an_explanation_names_the_opaque_policy() -> None:
    decision = NO_RBAC.authorize(
        req("create", "buckets", "s3.services.k8s.aws"),
        username="ack",
        groups=[],
        policies=[cluster_wide("AmazonEKSACKPolicy")],
        principal_arn=PRINCIPAL,
    )
    (miss,) = [m for m in decision.near_misses if m.kind is MissKind.POLICY_OPAQUE]
    assert not decision.allowed
    assert miss.where == "access policy AmazonEKSACKPolicy (cluster)"
    assert miss.detail.startswith("opaque: AWS publishes no rules for it, so it may allow this (")
