"""EKS's node group and Fargate profile reads (ListNodegroups, DescribeNodegroup, ListFargateProfiles,
DescribeFargateProfile), and the sandbox's stand-in for EC2's private DNS names.

Node groups and Fargate profiles come from the scenario a cluster was seeded from (``nodegroups`` and
``fargateProfiles`` of its ClusterState); a cluster created later has none. Shapes follow botocore's EKS
model (``Nodegroup``, ``FargateProfile``); the not-found texts are EKS's.

EC2 instances: the real authenticator renders ``{{EC2PrivateDNSName}}`` by asking EC2 (DescribeInstances)
for the instance named by the role session. The sandbox has no EC2: every well-formed instance id in a
cluster's account is an instance, and its private DNS name follows a fixed rule (``private_dns_name``),
so a test's "kubelet" knows its node name as a real one knows its hostname.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.domain.iam.templates import INSTANCE_ID
from eksaccess.domain.state import FargateProfileModel, NodegroupModel
from eksaccess.sandbox.aws.eks_common import find_cluster
from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.pagination import page
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, json_response
from eksaccess.sandbox.scenarios.seed import stored_scenario
from eksaccess.sandbox.store import ClusterRecord

Route = Callable[[], AwsResponse]


def private_dns_name(instance_id: str, region: str) -> str:
    """The private DNS name of a sandbox instance: EC2's IP-name form (``ip-10-A-B-C.REGION.compute.internal``;
    ``ec2.internal`` in us-east-1), the address derived from the instance id."""
    digest = hashlib.sha256(instance_id.encode()).digest()
    address = f"ip-10-{digest[0]}-{digest[1]}-{digest[2] % 254 + 1}"
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"{address}.{suffix}"


def caller_dns_name(caller_arn: str, region: str) -> str | None:
    """The private DNS name of the instance a role session is named after (EC2 names its role sessions
    after the instance id), or None when the session is not an instance's."""
    try:
        session = parse_principal(caller_arn).session_name or ""
    except InvalidArnError:
        return None
    return private_dns_name(session, region) if INSTANCE_ID.match(session) else None


def _declared(
    req: ServiceRequest, record: ClusterRecord
) -> tuple[list[NodegroupModel], list[FargateProfileModel]]:
    scenario = stored_scenario(req.ctx.store)
    spec = scenario.cluster(record.name) if scenario else None
    if spec is None:
        return [], []
    return list(spec.nodegroups or ()), list(spec.fargate_profiles or ())


def _arn(record: ClusterRecord, kind: str, name: str) -> str:
    suffix = hashlib.sha256(f"{record.arn}/{kind}/{name}".encode()).hexdigest()
    uid = f"{suffix[:8]}-{suffix[8:12]}-{suffix[12:16]}-{suffix[16:20]}-{suffix[20:32]}"
    return record.arn.replace(":cluster/", f":{kind}/", 1) + f"/{name}/{uid}"


def nodegroup_body(record: ClusterRecord, group: NodegroupModel) -> dict[str, Any]:
    digest = hashlib.sha256(f"{record.arn}/{group.nodegroup_name}".encode()).hexdigest()
    return {
        "nodegroupName": group.nodegroup_name,
        "nodegroupArn": _arn(record, "nodegroup", group.nodegroup_name),
        "clusterName": record.name,
        "version": record.version,
        "releaseVersion": f"{record.version}.0-20241121",
        "createdAt": record.created_at,
        "modifiedAt": record.created_at,
        "status": "ACTIVE",
        "capacityType": "ON_DEMAND",
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 2},
        "instanceTypes": ["m5.large"],
        "subnets": [f"subnet-{digest[:17]}"],
        "amiType": group.ami_type or "AL2023_x86_64_STANDARD",
        "nodeRole": group.node_role,
        "labels": {},
        "resources": {"autoScalingGroups": [{"name": f"eks-{group.nodegroup_name}-{digest[17:25]}"}]},
        "diskSize": 20,
        "health": {"issues": []},
        "updateConfig": {"maxUnavailable": 1},
        "tags": {},
    }


def fargate_body(record: ClusterRecord, profile: FargateProfileModel) -> dict[str, Any]:
    digest = hashlib.sha256(f"{record.arn}/{profile.fargate_profile_name}".encode()).hexdigest()
    return {
        "fargateProfileName": profile.fargate_profile_name,
        "fargateProfileArn": _arn(record, "fargateprofile", profile.fargate_profile_name),
        "clusterName": record.name,
        "createdAt": record.created_at,
        "podExecutionRoleArn": profile.pod_execution_role_arn,
        "subnets": [f"subnet-{digest[:17]}"],
        "selectors": [{"namespace": "default"}],
        "status": "ACTIVE",
        "tags": {},
    }


def list_nodegroups(req: ServiceRequest, name: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:ListNodegroups")
    groups, _ = _declared(req, record)
    chunk, token = page([g.nodegroup_name for g in groups], req.params, kind=f"nodegroups:{name}")
    data: dict[str, Any] = {"nodegroups": chunk}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def describe_nodegroup(req: ServiceRequest, name: str, nodegroup: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:DescribeNodegroup")
    groups, _ = _declared(req, record)
    found = next((g for g in groups if g.nodegroup_name == nodegroup), None)
    if found is None:
        raise AwsError("ResourceNotFoundException", f"No node group found for name: {nodegroup}.", status=404)
    return json_response({"nodegroup": nodegroup_body(record, found)}, req.request_id)


def list_fargate_profiles(req: ServiceRequest, name: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:ListFargateProfiles")
    _, profiles = _declared(req, record)
    names = [p.fargate_profile_name for p in profiles]
    chunk, token = page(names, req.params, kind=f"fargate:{name}")
    data: dict[str, Any] = {"fargateProfileNames": chunk}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def describe_fargate_profile(req: ServiceRequest, name: str, profile: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:DescribeFargateProfile")
    _, profiles = _declared(req, record)
    found = next((p for p in profiles if p.fargate_profile_name == profile), None)
    if found is None:
        raise AwsError(
            "ResourceNotFoundException", f"No Fargate Profile found with name: {profile}.", status=404
        )
    return json_response({"fargateProfile": fargate_body(record, found)}, req.request_id)


def route(req: ServiceRequest, method: str, segments: list[str]) -> Route | None:
    """The handler of a node group or Fargate profile read, or None when the request is not one."""
    if method != "GET":
        return None
    match segments:
        case ["clusters", name, "node-groups"]:
            return lambda: list_nodegroups(req, name)
        case ["clusters", name, "node-groups", nodegroup]:
            return lambda: describe_nodegroup(req, name, nodegroup)
        case ["clusters", name, "fargate-profiles"]:
            return lambda: list_fargate_profiles(req, name)
        case ["clusters", name, "fargate-profiles", profile]:
            return lambda: describe_fargate_profile(req, name, profile)
    return None
