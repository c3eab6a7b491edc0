"""The nine access entry operations of EKS, with EKS's validation, errors and pagination.

Validation is the domain's (``eksaccess.domain.access``); error texts are AWS's
(https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html).
An entry is bound to its principal's IAM unique id at creation (``principal_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eksaccess.domain.access import (
    NOT_STANDARD_MESSAGE,
    AccessEntry,
    AccessEntryValidationError,
    AccessPolicyAssociation,
    AccessScope,
    EntryType,
    ScopeType,
    effective_username,
    validate_association,
    validate_entry,
)
from eksaccess.domain.authz.access_policies import known_policy, listed_policies, policy_arn
from eksaccess.errors import InputError
from eksaccess.sandbox.aws.eks_common import entry_arn, find_cluster
from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.pagination import invalid_parameter, page
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, json_response
from eksaccess.sandbox.store import ClusterRecord, EntryRecord, PolicyRecord

MAX_ENTRIES = 3000
MODE_TEXT = (
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
    "to perform this operation."
)
IN_USE_TEXT = "The specified access entry resource is already in use on this cluster."
NOT_FOUND_TEXT = (
    "The specified principalArn could not be found. You can view your available access entries with "
    "'list-access-entries'."
)


def _cluster(req: ServiceRequest, name: str, action: str) -> ClusterRecord:
    record = find_cluster(req, name, action)
    if not record.authentication_mode.uses_access_entries:
        raise AwsError("InvalidRequestException", MODE_TEXT, status=400)
    return record


def _entry(req: ServiceRequest, cluster: ClusterRecord, principal_arn: str) -> EntryRecord:
    record = req.ctx.store.get_entry(cluster.name, principal_arn)
    if record is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND_TEXT, status=404)
    return record


def _invalid(err: InputError) -> AwsError:
    return invalid_parameter(err.message)


def entry_body(record: EntryRecord) -> dict[str, Any]:
    e = record.entry
    return {
        "clusterName": record.cluster,
        "principalArn": e.principal_arn,
        "kubernetesGroups": list(e.kubernetes_groups),
        "accessEntryArn": record.entry_arn,
        "createdAt": record.created_at,
        "modifiedAt": record.modified_at,
        "tags": record.tags,
        "username": effective_username(e),
        "type": e.type.value,
    }


def _strings(value: object, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_parameter(f"{field} must be a list of strings")
    return tuple(value)


def create_access_entry(req: ServiceRequest, name: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:CreateAccessEntry")
    body = req.json_body()
    principal_arn = str(body.get("principalArn") or "")
    try:
        entry_type = EntryType(str(body.get("type") or EntryType.STANDARD.value))
    except ValueError:
        raise invalid_parameter(f"The type {body.get('type')} is not a valid access entry type") from None
    username = body.get("username")
    entry = AccessEntry(
        principal_arn=principal_arn,
        type=entry_type,
        username=None if username is None else str(username),
        kubernetes_groups=_strings(body.get("kubernetesGroups", []), "kubernetesGroups"),
    )
    try:
        validate_entry(entry, cluster_account=cluster.account_id)
    except AccessEntryValidationError as err:
        raise _invalid(err) from None
    principal = req.ctx.store.get_principal(principal_arn)
    if principal is None:
        raise invalid_parameter("The specified principalArn is invalid: invalid principal")
    tags = body.get("tags") or {}
    store = req.ctx.store
    with store.lock:
        existing = store.list_entry_records(cluster.name)
        if any(r.entry.principal_arn == principal_arn for r in existing):
            raise AwsError("ResourceInUseException", IN_USE_TEXT, status=409)
        if len(existing) >= MAX_ENTRIES:
            raise AwsError(
                "ResourceLimitExceededException",
                f"Cannot create more than {MAX_ENTRIES} access entries on cluster {cluster.name}",
                status=400,
            )
        now = req.now.timestamp()
        record = EntryRecord(
            cluster=cluster.name,
            entry=AccessEntry(
                principal_arn=principal_arn,
                type=entry_type,
                username=entry.username,
                kubernetes_groups=entry.kubernetes_groups,
                principal_id=principal.unique_id,
            ),
            entry_arn=entry_arn(cluster, principal_arn),
            tags={str(k): str(v) for k, v in dict(tags).items()},
            created_at=now,
            modified_at=now,
        )
        store.put_entry(record)
    req.ctx.log.info("eks CreateAccessEntry %s %s by %s", cluster.name, principal_arn, req.caller.arn)
    return json_response({"accessEntry": entry_body(record)}, req.request_id)


def describe_access_entry(req: ServiceRequest, name: str, principal_arn: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:DescribeAccessEntry")
    return json_response({"accessEntry": entry_body(_entry(req, cluster, principal_arn))}, req.request_id)


def list_access_entries(req: ServiceRequest, name: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:ListAccessEntries")
    records = req.ctx.store.list_entry_records(cluster.name)
    wanted = req.params.get("associatedPolicyArn")
    if wanted:
        records = [r for r in records if any(p.policy_arn == wanted for p in r.entry.policies)]
    chunk, token = page([r.entry.principal_arn for r in records], req.params, kind=f"entries:{cluster.name}")
    data: dict[str, Any] = {"accessEntries": chunk}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def update_access_entry(req: ServiceRequest, name: str, principal_arn: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:UpdateAccessEntry")
    body = req.json_body()
    store = req.ctx.store
    with store.lock:
        record = _entry(req, cluster, principal_arn)
        old = record.entry
        groups = old.kubernetes_groups
        if "kubernetesGroups" in body:
            groups = _strings(body["kubernetesGroups"], "kubernetesGroups")
        username = old.username
        if "username" in body:
            username = None if body["username"] is None else str(body["username"])
        entry = AccessEntry(
            principal_arn=old.principal_arn,
            type=old.type,
            username=username,
            kubernetes_groups=groups,
            policies=old.policies,
            principal_id=old.principal_id,
        )
        try:
            validate_entry(entry, cluster_account=cluster.account_id)
        except AccessEntryValidationError as err:
            raise _invalid(err) from None
        updated = EntryRecord(
            cluster=record.cluster,
            entry=entry,
            entry_arn=record.entry_arn,
            tags=record.tags,
            created_at=record.created_at,
            modified_at=req.now.timestamp(),
        )
        store.put_entry(updated)
    req.ctx.log.info("eks UpdateAccessEntry %s %s by %s", cluster.name, principal_arn, req.caller.arn)
    return json_response({"accessEntry": entry_body(updated)}, req.request_id)


def delete_access_entry(req: ServiceRequest, name: str, principal_arn: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:DeleteAccessEntry")
    with req.ctx.store.lock:
        _entry(req, cluster, principal_arn)
        req.ctx.store.delete_entry(cluster.name, principal_arn)
    req.ctx.log.info("eks DeleteAccessEntry %s %s by %s", cluster.name, principal_arn, req.caller.arn)
    return json_response({}, req.request_id)


def _scope(value: object) -> AccessScope:
    if not isinstance(value, dict):
        raise invalid_parameter("accessScope is required")
    try:
        scope_type = ScopeType(str(value.get("type")))
    except ValueError:
        raise invalid_parameter(
            f"The access scope type {value.get('type')} is not valid; valid values are [cluster, namespace]"
        ) from None
    return AccessScope(type=scope_type, namespaces=_strings(value.get("namespaces", []), "namespaces"))


def policy_body(record: PolicyRecord) -> dict[str, Any]:
    return {
        "policyArn": record.policy_arn,
        "accessScope": {"type": record.scope.type.value, "namespaces": list(record.scope.namespaces)},
        "associatedAt": record.associated_at,
        "modifiedAt": record.modified_at,
    }


def associate_access_policy(req: ServiceRequest, name: str, principal_arn: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:AssociateAccessPolicy")
    body = req.json_body()
    policy = str(body.get("policyArn") or "")
    scope = _scope(body.get("accessScope"))
    store = req.ctx.store
    with store.lock:
        entry = _entry(req, cluster, principal_arn).entry
        try:
            if known_policy(policy) is None:
                raise invalid_parameter(f"The specified policyArn {policy} is not a valid access policy")
            validate_association(entry.type, AccessPolicyAssociation(policy_arn=policy, scope=scope))
        except InputError as err:
            raise _invalid(err) from None
        now = req.now.timestamp()
        previous = next(
            (p for p in store.policies_of(cluster.name, principal_arn) if p.policy_arn == policy), None
        )
        record = PolicyRecord(
            policy_arn=policy,
            scope=scope,
            associated_at=previous.associated_at if previous else now,
            modified_at=now,
        )
        store.put_policy(cluster.name, principal_arn, record)
    req.ctx.log.info(
        "eks AssociateAccessPolicy %s %s %s by %s", cluster.name, principal_arn, policy, req.caller.arn
    )
    data = {
        "clusterName": cluster.name,
        "principalArn": principal_arn,
        "associatedAccessPolicy": policy_body(record),
    }
    return json_response(data, req.request_id)


def disassociate_access_policy(
    req: ServiceRequest, name: str, principal_arn: str, policy: str
) -> AwsResponse:
    cluster = _cluster(req, name, "eks:DisassociateAccessPolicy")
    store = req.ctx.store
    with store.lock:
        _entry(req, cluster, principal_arn)
        if not any(p.policy_arn == policy for p in store.policies_of(cluster.name, principal_arn)):
            raise AwsError(
                "ResourceNotFoundException",
                f"The specified policyArn {policy} is not associated with the access entry",
                status=404,
            )
        store.delete_policy(cluster.name, principal_arn, policy)
    req.ctx.log.info(
        "eks DisassociateAccessPolicy %s %s %s by %s", cluster.name, principal_arn, policy, req.caller.arn
    )
    return json_response({}, req.request_id)


def list_associated_access_policies(req: ServiceRequest, name: str, principal_arn: str) -> AwsResponse:
    cluster = _cluster(req, name, "eks:ListAssociatedAccessPolicies")
    entry = _entry(req, cluster, principal_arn).entry
    if entry.type not in (EntryType.STANDARD, EntryType.EC2):
        raise invalid_parameter(NOT_STANDARD_MESSAGE)
    records = {p.policy_arn: p for p in req.ctx.store.policies_of(cluster.name, principal_arn)}
    chunk, token = page(list(records), req.params, kind=f"policies:{cluster.name}:{principal_arn}")
    data: dict[str, Any] = {
        "clusterName": cluster.name,
        "principalArn": principal_arn,
        "associatedAccessPolicies": [policy_body(records[arn]) for arn in chunk],
    }
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def list_access_policies(req: ServiceRequest) -> AwsResponse:
    ensure_allowed(req.caller, "eks:ListAccessPolicies", "*")
    partition = req.caller.partition
    arns = {policy_arn(p.name, partition): p.name for p in listed_policies()}
    chunk, token = page(list(arns), req.params, kind="access-policies")
    data: dict[str, Any] = {"accessPolicies": [{"name": arns[arn], "arn": arn} for arn in chunk]}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def route(req: ServiceRequest, method: str, segments: list[str]) -> Callable[[], AwsResponse] | None:
    """The access entry operation for ``method`` and the decoded path ``segments``, if any."""
    match (method, segments):
        case ("POST", ["clusters", name, "access-entries"]):
            return lambda: create_access_entry(req, name)
        case ("GET", ["clusters", name, "access-entries"]):
            return lambda: list_access_entries(req, name)
        case ("GET", ["clusters", name, "access-entries", principal]):
            return lambda: describe_access_entry(req, name, principal)
        case ("POST", ["clusters", name, "access-entries", principal]):
            return lambda: update_access_entry(req, name, principal)
        case ("DELETE", ["clusters", name, "access-entries", principal]):
            return lambda: delete_access_entry(req, name, principal)
        case ("POST", ["clusters", name, "access-entries", principal, "access-policies"]):
            return lambda: associate_access_policy(req, name, principal)
        case ("GET", ["clusters", name, "access-entries", principal, "access-policies"]):
            return lambda: list_associated_access_policies(req, name, principal)
        case ("DELETE", ["clusters", name, "access-entries", principal, "access-policies", policy]):
            return lambda: disassociate_access_policy(req, name, principal, policy)
    return None
