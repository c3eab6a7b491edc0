"""EKS over rest-json: clusters (create, describe, list, update the authentication mode, delete) and the
routes of the nine access entry operations (in ``access_entries``).

Paths follow the EKS model
(https://docs.aws.amazon.com/eks/latest/APIReference/API_Operations.html). Path parameters arrive percent-encoded (a principal ARN
is one segment ``arn%3Aaws%3Aiam%3A%3A...%3Arole%2Fpath%2Fname``): the path is split on ``/`` first and
each segment decoded after. A cluster is visible to callers of its own account, in its own region.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from eksaccess.domain.access import CLUSTER_SCOPE, AccessEntry, AccessPolicyAssociation
from eksaccess.domain.authz.access_policies import CLUSTER_ADMIN, policy_arn
from eksaccess.domain.endpoint_access import EndpointAccess
from eksaccess.domain.iam.principal import arn_partition
from eksaccess.domain.state import AuthenticationMode
from eksaccess.domain.workload.oidc import issuer_url
from eksaccess.sandbox.aws import access_entries, nodegroups, pod_identity
from eksaccess.sandbox.aws.cloudtrail import record_api_creation
from eksaccess.sandbox.aws.cluster_logging import describe_logging, update_logging
from eksaccess.sandbox.aws.cluster_logging import forget as forget_logging
from eksaccess.sandbox.aws.eks_common import DELETED, cluster_arn, entry_arn, find_cluster
from eksaccess.sandbox.aws.endpoint_access import update_vpc_config
from eksaccess.sandbox.aws.errors import AwsError, ErrorKind
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.pagination import invalid_parameter, page
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, json_response
from eksaccess.sandbox.scenarios.seed import endpoint_settings, forget_endpoint_access
from eksaccess.sandbox.store import ClusterRecord, EntryRecord, PolicyRecord

DEFAULT_VERSION = "1.31"
PLATFORM_VERSION = "eks.8"
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
_ALLOWED_UPDATES = {
    AuthenticationMode.CONFIG_MAP: AuthenticationMode.API_AND_CONFIG_MAP,
    AuthenticationMode.API_AND_CONFIG_MAP: AuthenticationMode.API,
}


def ca_data(req: ServiceRequest) -> str:
    return base64.b64encode(req.ctx.ca_bundle.read_bytes()).decode("ascii")


def _vpc_config(record: ClusterRecord, access: EndpointAccess) -> dict[str, Any]:
    digest = hashlib.sha256(record.arn.encode()).hexdigest()
    return {
        "subnetIds": [f"subnet-{digest[:17]}", f"subnet-{digest[17:34]}"],
        "securityGroupIds": [],
        "clusterSecurityGroupId": f"sg-{digest[34:51]}",
        "vpcId": f"vpc-{digest[51:64]}",
        **access.to_json(),  # publicAccessCidrs kept (and returned) while public access is off, as EKS does
    }


def cluster_body(
    record: ClusterRecord, *, status: str | None = None, access: EndpointAccess | None = None
) -> dict[str, Any]:
    """DescribeCluster's ``cluster``; a cluster still CREATING has no endpoint or CA yet (as on EKS)."""
    shown = status or record.status
    body: dict[str, Any] = {
        "name": record.name,
        "arn": record.arn,
        "createdAt": record.created_at,
        "version": record.version,
        "endpoint": record.endpoint,
        "resourcesVpcConfig": _vpc_config(record, access or EndpointAccess()),
        "status": shown,
        "certificateAuthority": {"data": record.certificate_authority_data},
        "platformVersion": PLATFORM_VERSION,
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
        "identity": {"oidc": {"issuer": issuer_url(record.arn, record.region)}},  # IRSA (sandbox/oidc.py)
        "tags": {},
        "accessConfig": {
            "bootstrapClusterCreatorAdminPermissions": record.bootstrap_cluster_creator_admin_permissions,
            "authenticationMode": record.authentication_mode.value,
        },
    }
    if shown == "CREATING":
        del body["endpoint"], body["certificateAuthority"], body["identity"]
    return body


def _mode(value: object, field: str) -> AuthenticationMode:
    try:
        return AuthenticationMode(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in AuthenticationMode)
        raise invalid_parameter(f"The {field} {value} is not valid; valid values are [{allowed}]") from None


def bootstrap_creator_entry(req: ServiceRequest, record: ClusterRecord) -> None:
    """The creator's access entry with AmazonEKSClusterAdminPolicy at cluster scope (API modes)."""
    creator = record.creator_arn
    principal = req.ctx.store.get_principal(creator) if creator else None
    if creator is None or req.ctx.store.get_entry(record.name, creator) is not None:
        return
    entry = AccessEntry(principal_arn=creator, principal_id=principal.unique_id if principal else None)
    now = req.now.timestamp()
    req.ctx.store.put_entry(
        EntryRecord(
            cluster=record.name,
            entry=entry,
            entry_arn=entry_arn(record, creator),
            tags={},
            created_at=now,
            modified_at=now,
        )
    )
    admin = policy_arn(CLUSTER_ADMIN, arn_partition(record.arn))
    association = AccessPolicyAssociation(policy_arn=admin, scope=CLUSTER_SCOPE)
    req.ctx.store.put_policy(
        record.name,
        creator,
        PolicyRecord(policy_arn=admin, scope=association.scope, associated_at=now, modified_at=now),
    )


def create_cluster(req: ServiceRequest) -> AwsResponse:
    body = req.json_body()
    name = str(body.get("name", ""))
    caller = req.caller
    ensure_allowed(
        caller, "eks:CreateCluster", cluster_arn(req.region, caller.account, name, caller.partition)
    )
    if not _CLUSTER_NAME.match(name):
        raise invalid_parameter(
            f"The cluster name {name!r} is not valid: 1-100 characters, letters, digits, - and _, "
            "starting with a letter or digit"
        )
    access = body.get("accessConfig") or {}
    mode = _mode(access.get("authenticationMode", AuthenticationMode.CONFIG_MAP.value), "authenticationMode")
    bootstrap = bool(access.get("bootstrapClusterCreatorAdminPermissions", True))
    if mode is AuthenticationMode.CONFIG_MAP and not bootstrap:
        raise invalid_parameter(
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode "
            "is set to CONFIG_MAP"
        )
    store = req.ctx.store
    with store.lock:
        existing = store.get_cluster(name)
        if existing is not None and existing.status != DELETED:
            raise AwsError("ResourceInUseException", f"Cluster already exists with name: {name}", status=409)
        record = ClusterRecord(
            name=name,
            region=req.region,
            account_id=caller.account,
            arn=cluster_arn(req.region, caller.account, name, caller.partition),
            authentication_mode=mode,
            creator_arn=caller.principal.arn,
            endpoint="",
            status="CREATING",
            certificate_authority_data=ca_data(req),
            version=str(body.get("version") or DEFAULT_VERSION),
            bootstrap_cluster_creator_admin_permissions=bootstrap,
            created_at=req.now.timestamp(),
        )
        store.put_cluster(record)
    seed_kube_objects(req, name)
    endpoint = req.ctx.start_cluster_listener(name) if req.ctx.start_cluster_listener else ""
    record = ClusterRecord(**{**_fields(record), "endpoint": endpoint, "status": "ACTIVE"})
    store.put_cluster(record)
    record_api_creation(req, record)  # CloudTrail's CreateCluster event
    if mode.uses_access_entries and bootstrap:
        bootstrap_creator_entry(req, record)
    req.ctx.log.info("eks CreateCluster %s (%s) by %s -> %s", name, mode.value, caller.arn, endpoint)
    return json_response({"cluster": cluster_body(record)}, req.request_id)


def _fields(record: ClusterRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ClusterRecord.__dataclass_fields__}


def seed_kube_objects(req: ServiceRequest, name: str) -> None:
    from eksaccess.sandbox.kube.storage import KubeObjects

    KubeObjects(req.ctx.store).seed(name, manifests=[], aws_auth=None)


def describe_cluster(req: ServiceRequest, name: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:DescribeCluster")
    access = endpoint_settings(req.ctx.store, name)
    body = {**cluster_body(record, access=access), "logging": describe_logging(req, record)}
    return json_response({"cluster": body}, req.request_id)


def list_clusters(req: ServiceRequest) -> AwsResponse:
    caller = req.caller
    ensure_allowed(caller, "eks:ListClusters", cluster_arn(req.region, caller.account, "*", caller.partition))
    names = [
        c.name
        for c in req.ctx.store.list_clusters()
        if c.region == req.region and c.account_id == caller.account and c.status != DELETED
    ]
    chunk, token = page(names, req.params, kind="clusters")
    data: dict[str, Any] = {"clusters": chunk}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def delete_cluster(req: ServiceRequest, name: str) -> AwsResponse:
    record = find_cluster(req, name, "eks:DeleteCluster")
    if req.ctx.stop_cluster_listener:
        req.ctx.stop_cluster_listener(name)
    req.ctx.store.delete_cluster(name)
    forget_endpoint_access(req.ctx.store, name)
    forget_logging(req.ctx.store, name)
    pod_identity.forget(req.ctx.store, name)
    _forget_kube_objects(req, name)
    req.ctx.log.info("eks DeleteCluster %s by %s", name, req.caller.arn)
    return json_response({"cluster": cluster_body(record, status="DELETING")}, req.request_id)


def _forget_kube_objects(req: ServiceRequest, name: str) -> None:
    with req.ctx.store.write() as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='kube_objects'"
        ).fetchone()
        if exists:
            conn.execute("DELETE FROM kube_objects WHERE cluster = ?", (name,))


def update_cluster_config(req: ServiceRequest, name: str) -> AwsResponse:
    """One of accessConfig, resourcesVpcConfig or logging per call, as EKS takes them."""
    record = find_cluster(req, name, "eks:UpdateClusterConfig")
    body = req.json_body()
    given = [key for key in ("accessConfig", "resourcesVpcConfig", "logging") if body.get(key)]
    if not given:
        raise invalid_parameter("No changes needed for the logging config provided")
    if len(given) > 1:
        raise invalid_parameter("Only one type of update can be allowed.")
    match given[0]:
        case "resourcesVpcConfig":
            change = update_vpc_config(req, record, body["resourcesVpcConfig"])
        case "logging":
            change = update_logging(req, record, body["logging"])
        case _:
            change = _update_authentication_mode(req, record, body["accessConfig"])
    update = {
        "id": str(uuid.uuid4()),
        "status": "InProgress",
        **change,
        "createdAt": req.now.timestamp(),
        "errors": [],
    }
    req.ctx.store.put_update(str(update["id"]), name, {**update, "status": "Successful"})
    return json_response({"update": update}, req.request_id)


def _update_authentication_mode(req: ServiceRequest, record: ClusterRecord, access: object) -> dict[str, Any]:
    if not isinstance(access, dict) or "authenticationMode" not in access:
        raise invalid_parameter("The sandbox only updates accessConfig.authenticationMode")
    target = _mode(access["authenticationMode"], "authenticationMode")
    current = record.authentication_mode
    if _ALLOWED_UPDATES.get(current) is not target:
        raise invalid_parameter(
            f"Unsupported authentication mode update from {current.value} to {target.value}"
        )
    updated = ClusterRecord(**{**_fields(record), "authentication_mode": target})
    req.ctx.store.put_cluster(updated)
    if current is AuthenticationMode.CONFIG_MAP and record.bootstrap_cluster_creator_admin_permissions:
        bootstrap_creator_entry(req, updated)  # the creator's hidden admin becomes a visible entry
    req.ctx.log.info(
        "eks UpdateClusterConfig %s %s -> %s by %s", record.name, current.value, target.value, req.caller.arn
    )
    return {"type": "AccessConfigUpdate", "params": [{"type": "AuthenticationMode", "value": target.value}]}


def describe_update(req: ServiceRequest, name: str, update_id: str) -> AwsResponse:
    find_cluster(req, name, "eks:DescribeUpdate")
    update = req.ctx.store.get_update(name, update_id)
    if update is None:
        raise AwsError("ResourceNotFoundException", f"No update found for ID: {update_id}", status=404)
    return json_response({"update": update}, req.request_id)


def _route(req: ServiceRequest) -> Callable[[], AwsResponse]:
    segments = (
        [unquote(s) for s in req.http.raw_path.strip("/").split("/")] if req.http.raw_path.strip("/") else []
    )
    method = req.http.method.upper()
    match (method, segments):
        case ("POST", ["clusters"]):
            return lambda: create_cluster(req)
        case ("GET", ["clusters"]):
            return lambda: list_clusters(req)
        case ("GET", ["clusters", name]):
            return lambda: describe_cluster(req, name)
        case ("DELETE", ["clusters", name]):
            return lambda: delete_cluster(req, name)
        case ("POST", ["clusters", name, "update-config"]):
            return lambda: update_cluster_config(req, name)
        case ("GET", ["clusters", name, "updates", update_id]):
            return lambda: describe_update(req, name, update_id)
        case ("GET", ["access-policies"]):
            return lambda: access_entries.list_access_policies(req)
    route = (
        access_entries.route(req, method, segments)
        or nodegroups.route(req, method, segments)
        or pod_identity.route(req, method, segments)
    )
    if route is None:
        raise AwsError.generic(
            ErrorKind.UNKNOWN_OPERATION, f"No EKS operation for {method} {req.http.raw_path}"
        )
    return route


def handle(req: ServiceRequest) -> AwsResponse:
    return _route(req)()
