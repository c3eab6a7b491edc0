"""What the EKS console needs (domain/console.py), checked against the facts (shared/facts/doctor-breadth.md §1)
and through the one authorizer: AWS's answers grant every read the console makes, the usual mistakes do not."""

from __future__ import annotations

import json

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.access_policies import policy_arn
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.console import (
    ADMIN_VIEW_POLICY,
    CONSOLE_IAM_ACTIONS,
    CONSOLE_READS,
    CONSOLE_VERB,
    FULL_ACCESS_GROUP,
    RESTRICTED_ACCESS_GROUP,
    ReadRequest,
    console_manifests,
    iam_policy_document,
    iam_policy_text,
    read_requests,
)

# The User Guide's example policy, first statement (view-kubernetes-resources.adoc, "Required permissions").
UG_ACTIONS = {
    "eks:ListFargateProfiles",
    "eks:DescribeNodegroup",
    "eks:ListNodegroups",
    "eks:ListUpdates",
    "eks:AccessKubernetesApi",
    "eks:ListAddons",
    "eks:DescribeCluster",
    "eks:DescribeAddonVersions",
    "eks:ListClusters",
    "eks:ListIdentityProviderConfigs",
    "iam:ListRoles",
}
# What the issue says the console lists: nodes and namespaces cluster-wide, the rest in namespaces.
ISSUE_READS = {
    ("nodes", "", False),
    ("namespaces", "", False),
    ("pods", "", True),
    ("events", "", True),
    ("deployments", "apps", True),
    ("replicasets", "apps", True),
    ("statefulsets", "apps", True),
    ("daemonsets", "apps", True),
    ("jobs", "batch", True),
    ("cronjobs", "batch", True),
    ("services", "", True),
}
USER = "arn:aws:sts::111122223333:assumed-role/console/alice"
ROLE = "arn:aws:iam::111122223333:role/console"


def test_the_iam_actions_are_the_user_guides() -> None:
    assert set(CONSOLE_IAM_ACTIONS) == UG_ACTIONS and len(CONSOLE_IAM_ACTIONS) == len(UG_ACTIONS)


def test_the_reads_are_what_the_console_lists() -> None:
    assert {(r.resource, r.group, r.namespaced) for r in CONSOLE_READS} == ISSUE_READS
    assert CONSOLE_VERB == "list"


def test_reads_are_cluster_wide_without_namespaces_and_per_namespace_with_them() -> None:
    assert all(r.namespace == "" for r in read_requests())
    scoped = read_requests(["dev", "ops"])
    assert {r.read.resource for r in scoped if not r.namespace} == {"nodes", "namespaces"}
    assert len(scoped) == 2 + 2 * (len(CONSOLE_READS) - 2)
    assert (
        ReadRequest(read=CONSOLE_READS[4], namespace="dev").describe()
        == "list deployments.apps in namespace dev"
    )


def _allowed(
    authorizer: Authorizer,
    requests: tuple[ReadRequest, ...],
    *,
    groups: tuple[str, ...] = (),
    policies: tuple[AccessPolicyAssociation, ...] = (),
) -> dict[str, bool]:
    out = {}
    for request in requests:
        attrs = Attributes(
            verb=CONSOLE_VERB,
            resource=request.read.resource,
            api_group=request.read.group,
            namespace=request.namespace,
        )
        decision = authorizer.authorize(
            attrs,
            username=USER,
            groups=("system:authenticated", *groups),
            policies=policies,
            principal_arn=ROLE,
        )
        out[request.describe()] = decision.allowed
    return out


def _assoc(policy: str, *namespaces: str) -> AccessPolicyAssociation:
    scope = (
        AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces)
        if namespaces
        else AccessScope(type=ScopeType.CLUSTER)
    )
    return AccessPolicyAssociation(policy_arn=policy_arn(policy), scope=scope)


@pytest.mark.parametrize(
    ("policies", "all_allowed"),
    [
        ((_assoc(ADMIN_VIEW_POLICY),), True),  # AWS's answer for the console
        ((_assoc("AmazonEKSClusterAdminPolicy"),), True),
        ((_assoc(ADMIN_VIEW_POLICY, "dev"),), False),  # a namespace scope never covers nodes
        ((_assoc("AmazonEKSViewPolicy"),), False),  # no nodes in the view table
        ((_assoc("AmazonEKSViewPolicy", "dev"),), False),
    ],
)
def test_access_policies_against_the_console_reads(
    policies: tuple[AccessPolicyAssociation, ...], all_allowed: bool
) -> None:
    answers = _allowed(Authorizer.from_manifests([]), read_requests(), policies=policies)
    assert all(answers.values()) is all_allowed, answers
    if not all_allowed:
        assert answers["list nodes cluster-wide"] is False


def test_the_full_access_manifests_grant_every_read_to_their_group_only() -> None:
    rbac = console_manifests()
    assert rbac.group == FULL_ACCESS_GROUP
    assert [m["metadata"]["name"] for m in rbac.manifests] == [
        "eks-console-dashboard-full-access-clusterrole",
        "eks-console-dashboard-full-access-binding",
    ]
    authorizer = Authorizer.from_manifests([dict(m) for m in rbac.manifests])
    assert all(_allowed(authorizer, read_requests(), groups=(FULL_ACCESS_GROUP,)).values())
    assert not any(_allowed(authorizer, read_requests(["dev"])).values())  # without the group: nothing
    rules = rbac.manifests[0]["rules"]
    assert all(r["verbs"] == ["get", "list"] for r in rules)  # AWS's verbs: no watch


def test_the_restricted_manifests_grant_nodes_cluster_wide_and_the_rest_in_their_namespaces() -> None:
    rbac = console_manifests(["dev", "ops"])
    assert rbac.group == RESTRICTED_ACCESS_GROUP
    kinds = [(m["kind"], m["metadata"].get("namespace")) for m in rbac.manifests]
    assert kinds == [
        ("ClusterRole", None),
        ("ClusterRoleBinding", None),
        ("Role", "dev"),
        ("RoleBinding", "dev"),
        ("Role", "ops"),
        ("RoleBinding", "ops"),
    ]
    cluster_rules = rbac.manifests[0]["rules"]
    assert cluster_rules == [
        {"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": ["get", "list"]}
    ]
    authorizer = Authorizer.from_manifests([dict(m) for m in rbac.manifests])
    groups = (RESTRICTED_ACCESS_GROUP,)
    assert all(_allowed(authorizer, read_requests(["dev", "ops"]), groups=groups).values())
    elsewhere = _allowed(authorizer, read_requests(["staging"]), groups=groups)
    assert elsewhere["list nodes cluster-wide"] and not elsewhere["list pods in namespace staging"]
    assert not _allowed(authorizer, read_requests(), groups=groups)["list pods cluster-wide"]


def test_the_iam_statement_allows_exactly_the_actions_on_every_resource() -> None:
    document = iam_policy_document(["eks:AccessKubernetesApi"])
    assert document["Statement"] == [
        {"Sid": "EksConsoleRead", "Effect": "Allow", "Action": ["eks:AccessKubernetesApi"], "Resource": "*"}
    ]
    assert json.loads(iam_policy_text(["iam:ListRoles"]))["Statement"][0]["Action"] == ["iam:ListRoles"]
