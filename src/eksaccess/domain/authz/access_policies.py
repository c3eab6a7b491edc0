"""The EKS access policy catalogue, as data
(https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).

Access policies are AWS-managed, not IAM policies: ``arn:PARTITION:eks::aws:cluster-access-policy/NAME``
(no region, account ``aws``). Six are meant for people and carry short names eksaccess accepts
(``cluster-admin``, ``admin``, ``edit``, ``view``, ``admin-view``, ``secret-reader``); the rest serve AWS
services and infrastructure. Their Kubernetes rules are AWS's tables in domain/data/access_policy_rules.yaml
(policy_rules.access_policy_rules); a policy without a published table is opaque there. Unknown policy
ARNs seen on a cluster stay opaque too: only the commands that create associations insist on a known name.

``listed``: returned by ListAccessPolicies, which a 2026 ``aws eks list-access-policies`` shows as 33 names
sorted by name (``listed_policies`` keeps that order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from eksaccess.domain.iam.partitions import PARTITIONS
from eksaccess.domain.iam.principal import arn_partition
from eksaccess.errors import InputError

_POLICY_ARN = re.compile(
    r"^arn:(?P<partition>[a-z-]+):eks::aws:cluster-access-policy/(?P<name>[A-Za-z0-9]+)$"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedPolicy:
    name: str
    short_name: str | None
    kubernetes_role: str | None  # the upstream ClusterRole it resembles (aws-auth translation), if any
    user_facing: bool
    description: str = ""
    service_linked_only: bool = False  # UG: "for AWS service-linked roles only"
    listed: bool = True  # returned by ListAccessPolicies (33 of these)


def _user(name: str, short: str, role: str | None, description: str) -> ManagedPolicy:
    return ManagedPolicy(
        name=name, short_name=short, kubernetes_role=role, user_facing=True, description=description
    )


def _service(name: str, description: str, *, slr: bool = False, listed: bool = True) -> ManagedPolicy:
    return ManagedPolicy(
        name=name,
        short_name=None,
        kubernetes_role=None,
        user_facing=False,
        description=description,
        service_linked_only=slr,
        listed=listed,
    )


_AUTO_MODE_LEASES = "EKS Auto Mode leader election (coordination.k8s.io leases)"
_AUTO_MODE_CAPABILITY = "EKS Auto Mode capability on the cluster IAM role"
_HYPERPOD = "SageMaker HyperPod"
_CAPABILITY = "EKS Capabilities"
_INTEGRATION = "AWS service integration"

_POLICIES: tuple[ManagedPolicy, ...] = (
    _user("AmazonEKSClusterAdminPolicy", "cluster-admin", "cluster-admin", "everything, like cluster-admin"),
    _user("AmazonEKSAdminPolicy", "admin", "admin", "edit plus Roles and RoleBindings (AWS's table)"),
    _user("AmazonEKSEditPolicy", "edit", "edit", "write workloads, Secrets and ConfigMaps (AWS's table)"),
    _user("AmazonEKSViewPolicy", "view", "view", "read most objects except Secrets (AWS's table)"),
    _user("AmazonEKSAdminViewPolicy", "admin-view", None, "read every object, Secrets included"),
    _user("AmazonEKSSecretReaderPolicy", "secret-reader", None, "read Secrets"),
    _service("AmazonEKSAutoNodePolicy", "EKS Auto Mode node role (entries of type EC2)"),
    _service("AmazonEKSBlockStoragePolicy", _AUTO_MODE_LEASES, slr=True),
    _service("AmazonEKSComputePolicy", _AUTO_MODE_LEASES, slr=True),
    _service("AmazonEKSLoadBalancingPolicy", _AUTO_MODE_LEASES),
    _service("AmazonEKSNetworkingPolicy", _AUTO_MODE_LEASES),
    _service("AmazonEKSBlockStorageClusterPolicy", _AUTO_MODE_CAPABILITY, slr=True),
    _service("AmazonEKSComputeClusterPolicy", _AUTO_MODE_CAPABILITY, slr=True),
    _service("AmazonEKSLoadBalancingClusterPolicy", _AUTO_MODE_CAPABILITY),
    _service("AmazonEKSNetworkingClusterPolicy", _AUTO_MODE_CAPABILITY),
    _service("AmazonEKSHybridPolicy", "EKS Hybrid Nodes: list nodes", slr=True),
    _service("AmazonEKSClusterInsightsPolicy", "Cluster Insights", slr=True, listed=False),
    _service("AmazonEMRJobPolicy", "EMR on EKS"),
    _service("AmazonSagemakerHyperpodClusterPolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodControllerPolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodSystemNamespacePolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodSpacePolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodSpaceTemplatePolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodUserClusterPolicy", _HYPERPOD),
    _service("AmazonSagemakerHyperpodInferenceMonitoringPolicy", _HYPERPOD, listed=False),
    _service("AmazonAIOpsAssistantPolicy", f"{_INTEGRATION}: AIOps assistant"),
    _service("AIDevOpsAgentAccessPolicy", f"{_INTEGRATION}: AI DevOps agent"),
    _service("AmazonARCRegionSwitchScalingPolicy", f"{_INTEGRATION}: ARC Region switch scaling"),
    _service("AmazonEKSACKPolicy", f"{_CAPABILITY}: ACK"),
    _service("AmazonEKSArgoCDPolicy", f"{_CAPABILITY}: Argo CD, its namespace"),
    _service("AmazonEKSArgoCDClusterPolicy", f"{_CAPABILITY}: Argo CD, cluster-wide"),
    _service("AmazonEKSKROPolicy", f"{_CAPABILITY}: kro"),
    _service("AmazonEKSEventPolicy", "EKS service-linked role: events"),
    _service("AmazonEKSPodIdentityPolicy", "EKS Pod Identity"),
    _service("AmazonEKSSecretAdminPolicy", "administer Secrets"),
)

CATALOGUE: Mapping[str, ManagedPolicy] = MappingProxyType({p.name: p for p in _POLICIES})
SHORT_NAMES: Mapping[str, str] = MappingProxyType({p.short_name: p.name for p in _POLICIES if p.short_name})
CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
AUTO_NODE = "AmazonEKSAutoNodePolicy"

_BY_LOWER: Mapping[str, str] = MappingProxyType({name.lower(): name for name in CATALOGUE})


def policy_arn(name: str, partition: str = "aws") -> str:
    """``arn:PARTITION:eks::aws:cluster-access-policy/NAME`` (no check that the name is known)."""
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def is_policy_arn(text: str) -> bool:
    match = _POLICY_ARN.match(text)
    return bool(match and match["partition"] in PARTITIONS)


def policy_name(arn: str) -> str:
    """The NAME of a cluster access policy ARN; InputError if the text is not one."""
    match = _POLICY_ARN.match(arn)
    if not match or match["partition"] not in PARTITIONS:
        raise InputError(
            f"{arn!r} is not an access policy ARN (expected arn:aws:eks::aws:cluster-access-policy/NAME)"
        )
    return match["name"]


def policy_partition(arn: str) -> str:
    policy_name(arn)
    return arn_partition(arn)


def known_policy(name_or_arn: str) -> ManagedPolicy | None:
    """The catalogue entry for a policy name or ARN, or None for an unknown (opaque) policy."""
    name = policy_name(name_or_arn) if name_or_arn.startswith("arn:") else name_or_arn
    return CATALOGUE.get(name)


def resolve_policy(name_or_arn_or_short: str, partition: str = "aws") -> str:
    """Turn ``view``, ``AmazonEKSViewPolicy`` or a policy ARN into the policy ARN.

    Names and short names are matched case-insensitively. An ARN keeps its own partition; ``partition``
    applies to names. Anything not in the catalogue is an InputError naming the short names.
    """
    text = name_or_arn_or_short.strip()
    if text.startswith("arn:"):
        name = policy_name(text)
        canonical = _BY_LOWER.get(name.lower())
        if canonical is None:
            raise _unknown(text)
        return policy_arn(canonical, policy_partition(text))
    if partition not in PARTITIONS:
        raise InputError(f"unknown partition {partition!r}")
    found = SHORT_NAMES.get(text.lower()) or _BY_LOWER.get(text.lower())
    if found is None:
        raise _unknown(text)
    return policy_arn(found, partition)


def _unknown(text: str) -> InputError:
    shorts = ", ".join(SHORT_NAMES)
    return InputError(
        f"unknown access policy {text!r}; use one of {shorts}, a policy name such as AmazonEKSViewPolicy, "
        "or its ARN"
    )


def user_facing_policies() -> tuple[ManagedPolicy, ...]:
    return tuple(p for p in _POLICIES if p.user_facing)


def listed_policies() -> tuple[ManagedPolicy, ...]:
    """The policies ListAccessPolicies returns, in its order: sorted by name, code point by code point
    (``AIDevOpsAgentAccessPolicy`` first, ``AmazonEKSACKPolicy`` before ``AmazonEKSAdminPolicy``)."""
    return tuple(sorted((p for p in _POLICIES if p.listed), key=lambda p: p.name))
