"""The smallest grant that allows a denied request, found with the authorizer the analysis uses."""

from __future__ import annotations

import pytest

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.authz.resources import resolve_resource
from eksaccess.domain.iam.identity import KubeIdentity
from eksaccess.features.doctor.least_access import for_access_entry, for_aws_auth

ARN = "arn:aws:iam::111122223333:role/dev"
WHO = KubeIdentity(username="dev", uid="u", groups=("system:authenticated",))
AUTHORIZER = Authorizer.from_manifests([])


def _request(verb: str, resource: str, namespace: str) -> Attributes:
    ref = resolve_resource(resource)
    return Attributes(
        verb=verb,
        resource=ref.resource,
        subresource=ref.subresource,
        api_group=ref.group,
        namespace=namespace if ref.namespaced else "",
    )


def _edit_in(*namespaces: str) -> AccessPolicyAssociation:
    return AccessPolicyAssociation(
        policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        scope=AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces),
    )


@pytest.mark.parametrize(
    ("verb", "resource", "namespace", "policies", "policy", "namespaces"),
    [
        ("list", "pods", "dev", [], "AmazonEKSViewPolicy", ("dev",)),
        ("create", "deployments", "dev", [], "AmazonEKSEditPolicy", ("dev",)),
        # edit is kept where it was: the new association widens its scope, never replaces it
        ("create", "deployments", "staging", [_edit_in("dev")], "AmazonEKSEditPolicy", ("dev", "staging")),
        ("create", "rolebindings", "dev", [], "AmazonEKSAdminPolicy", ("dev",)),
        ("list", "namespaces", "dev", [], "AmazonEKSViewPolicy", ()),
        ("delete", "clusterroles", "dev", [], "AmazonEKSClusterAdminPolicy", ()),
    ],
)
def test_access_entries_get_the_smallest_policy_that_allows(
    verb: str,
    resource: str,
    namespace: str,
    policies: list[AccessPolicyAssociation],
    policy: str,
    namespaces: tuple[str, ...],
) -> None:
    request = _request(verb, resource, namespace)
    got = for_access_entry(request, WHO, policies, AUTHORIZER, ARN, "aws")
    assert (got.policy, got.namespaces) == (policy, namespaces)
    assert (
        AUTHORIZER.authorize(request, username="dev", groups=WHO.groups, policies=policies).allowed is False
    )


@pytest.mark.parametrize(
    ("verb", "resource", "namespace", "policy", "namespaces"),
    [
        ("list", "pods", "dev", "AmazonEKSViewPolicy", ("dev",)),
        ("create", "deployments", "dev", "AmazonEKSEditPolicy", ("dev",)),
        ("create", "rolebindings", "dev", "AmazonEKSAdminPolicy", ("dev",)),
        (
            "list",
            "nodes",
            "dev",
            "AmazonEKSClusterAdminPolicy",
            (),
        ),  # no view/edit/admin ClusterRole lists nodes
        ("delete", "clusterroles", "dev", "AmazonEKSClusterAdminPolicy", ()),
    ],
)
def test_aws_auth_identities_get_the_smallest_cluster_role_that_allows(
    verb: str, resource: str, namespace: str, policy: str, namespaces: tuple[str, ...]
) -> None:
    got = for_aws_auth(_request(verb, resource, namespace), AUTHORIZER)
    assert (got.policy, got.namespaces) == (policy, namespaces)
