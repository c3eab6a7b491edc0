"""EKS's node groups and Fargate profiles of one cluster: where the node roles come from.

ListNodegroups + DescribeNodegroup (``nodeRole``, ``amiType``) and ListFargateProfiles +
DescribeFargateProfile (``podExecutionRoleArn``), paginated, answered as the ClusterState's models. Karpenter
and self-managed node roles are invisible to the EKS API (facts: doctor-breadth §4.3, §4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.adapters.aws import AwsSession
from eksaccess.domain.state import FargateProfileModel, NodegroupModel


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeSources:
    nodegroups: tuple[NodegroupModel, ...]
    fargate_profiles: tuple[FargateProfileModel, ...]


def describe_nodegroup(session: AwsSession, cluster: str, name: str, region: str | None) -> NodegroupModel:
    """One node group; AwsCallError (kind not-found) when EKS knows none of that name."""
    found = session.call("eks", "describe_nodegroup", region, clusterName=cluster, nodegroupName=name)
    group = found["nodegroup"]
    return NodegroupModel(
        nodegroupName=str(group["nodegroupName"]),
        nodeRole=str(group["nodeRole"]),
        amiType=group.get("amiType"),
    )


def read_node_sources(session: AwsSession, cluster: str, region: str | None) -> NodeSources:
    """Every node group and Fargate profile of the cluster, with its role."""
    names = list(session.paginate("eks", "list_nodegroups", "nodegroups", region, clusterName=cluster))
    groups = tuple(describe_nodegroup(session, cluster, name, region) for name in names)
    profiles: list[FargateProfileModel] = []
    for name in session.paginate(
        "eks", "list_fargate_profiles", "fargateProfileNames", region, clusterName=cluster
    ):
        found = session.call(
            "eks", "describe_fargate_profile", region, clusterName=cluster, fargateProfileName=name
        )["fargateProfile"]
        profiles.append(
            FargateProfileModel(
                fargateProfileName=str(found["fargateProfileName"]),
                podExecutionRoleArn=str(found["podExecutionRoleArn"]),
            )
        )
    return NodeSources(nodegroups=groups, fargate_profiles=tuple(profiles))
