"""EKS Pod Identity associations: Create, Describe, List, Update and Delete, with EKS's validation and errors.

Paths and shapes follow botocore's ``eks`` model (``/clusters/{name}/pod-identity-associations[/{id}]``).
Rules are the domain's (``eksaccess.domain.workload.pod_identity``); texts are AWS's where they are known
(shared/facts/workload-identity.md §5): "Role provided in the request does not exist.", "Trust policy of the
role provided is invalid ...". Where AWS's text is not known (duplicate association, update without a change),
the sandbox says what happened in its own words, with EKS's error code.

Create checks that the role exists in the cluster's account and that its trust admits
``pods.eks.amazonaws.com`` with ``sts:AssumeRole``; a missing ``sts:TagSession`` is found by EKS Auth when a
pod asks for credentials (AccessDeniedException), not at creation (inferred: the documented creation failures
are IRSA-only trust policies). The caller needs ``eks:CreatePodIdentityAssociation`` and ``iam:PassRole``
on the role (also on Update when it changes the role).

Associations live in the sandbox store's ``pod_identity_associations`` table (made on first use).
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, arn_partition, parse_principal
from eksaccess.domain.workload.pod_identity import (
    ASSOCIATION_ID,
    MAX_ASSOCIATIONS,
    association_arn,
    external_id,
    pod_identity_trust,
)
from eksaccess.sandbox.aws.eks_common import find_cluster
from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.iam import trust_policy
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.pagination import invalid_parameter, page
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, json_response
from eksaccess.sandbox.store import ClusterRecord, PrincipalRecord, PrincipalType, SandboxStore

NO_ROLE_TEXT = "Role provided in the request does not exist."
BAD_TRUST_TEXT = (
    "Trust policy of the role provided is invalid. Follow the official documentation to resolve the issue."
)
_ID_CHARS = string.ascii_lowercase + string.digits
_TABLE = (
    "CREATE TABLE IF NOT EXISTS pod_identity_associations (cluster TEXT NOT NULL, association_id TEXT NOT NULL,"
    " body TEXT NOT NULL, client_request_token TEXT, PRIMARY KEY (cluster, association_id))"
)
_FIELDS = ("roleArn", "targetRoleArn", "disableSessionTags", "policy")


@dataclass(frozen=True, kw_only=True, slots=True)
class Association:
    """A Pod Identity association as EKS stores it."""

    cluster: str
    association_id: str
    association_arn: str
    namespace: str
    service_account: str
    role_arn: str
    created_at: float
    modified_at: float
    target_role_arn: str | None = None
    disable_session_tags: bool = False
    policy: str | None = None
    external_id: str | None = None
    owner_arn: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        """``PodIdentityAssociation`` of the EKS model."""
        data: dict[str, Any] = {
            "clusterName": self.cluster,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "roleArn": self.role_arn,
            "associationArn": self.association_arn,
            "associationId": self.association_id,
            "tags": dict(self.tags),
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "disableSessionTags": self.disable_session_tags,
        }
        optional = {
            "ownerArn": self.owner_arn,
            "targetRoleArn": self.target_role_arn,
            "externalId": self.external_id,
            "policy": self.policy,
        }
        data.update({key: value for key, value in optional.items() if value})
        return data

    def summary(self) -> dict[str, Any]:
        """``PodIdentityAssociationSummary``: no role, dates or tags."""
        data: dict[str, Any] = {
            "clusterName": self.cluster,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "associationArn": self.association_arn,
            "associationId": self.association_id,
        }
        if self.owner_arn:
            data["ownerArn"] = self.owner_arn
        return data


# --- storage --------------------------------------------------------------------------------------------


def _encode(a: Association) -> str:
    data = {name: getattr(a, name) for name in Association.__dataclass_fields__}
    data["tags"] = [list(pair) for pair in a.tags]
    return json.dumps(data)


def _decode(text: str) -> Association:
    data = json.loads(text)
    data["tags"] = tuple((str(k), str(v)) for k, v in data.get("tags") or [])
    return Association(**data)


def put_association(store: SandboxStore, a: Association, *, client_request_token: str | None = None) -> None:
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "INSERT OR REPLACE INTO pod_identity_associations VALUES (?, ?, ?, ?)",
            (a.cluster, a.association_id, _encode(a), client_request_token),
        )


def list_associations(store: SandboxStore, cluster: str) -> list[Association]:
    with store.write() as conn:
        conn.execute(_TABLE)
        rows = conn.execute(
            "SELECT body FROM pod_identity_associations WHERE cluster = ? ORDER BY association_id", (cluster,)
        ).fetchall()
    return [_decode(str(row[0])) for row in rows]


def find_association(
    store: SandboxStore, cluster: str, namespace: str, service_account: str
) -> Association | None:
    """The one association of (namespace, service account) in ``cluster``, if any."""
    return next(
        (
            a
            for a in list_associations(store, cluster)
            if (a.namespace, a.service_account) == (namespace, service_account)
        ),
        None,
    )


def _by_token(store: SandboxStore, cluster: str, token: str) -> Association | None:
    with store.write() as conn:
        conn.execute(_TABLE)
        row = conn.execute(
            "SELECT body FROM pod_identity_associations WHERE cluster = ? AND client_request_token = ?",
            (cluster, token),
        ).fetchone()
    return None if row is None else _decode(str(row[0]))


def delete_association(store: SandboxStore, cluster: str, association_id: str) -> None:
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "DELETE FROM pod_identity_associations WHERE cluster = ? AND association_id = ?",
            (cluster, association_id),
        )


def forget(store: SandboxStore, cluster: str) -> None:
    """A deleted cluster's associations go with it."""
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute("DELETE FROM pod_identity_associations WHERE cluster = ?", (cluster,))


def new_association_id() -> str:
    return "a-" + "".join(secrets.choice(_ID_CHARS) for _ in range(17))


def new_association(
    cluster: ClusterRecord,
    *,
    namespace: str,
    service_account: str,
    role_arn: str,
    now: float,
    target_role_arn: str | None = None,
    disable_session_tags: bool = False,
    policy: str | None = None,
    tags: Iterable[tuple[str, str]] = (),
) -> Association:
    association_id = new_association_id()
    return Association(
        cluster=cluster.name,
        association_id=association_id,
        association_arn=association_arn(
            partition=arn_partition(cluster.arn),
            region=cluster.region,
            account=cluster.account_id,
            cluster=cluster.name,
            association_id=association_id,
        ),
        namespace=namespace,
        service_account=service_account,
        role_arn=role_arn,
        created_at=now,
        modified_at=now,
        target_role_arn=target_role_arn or None,
        disable_session_tags=disable_session_tags,
        policy=policy or None,
        external_id=_external_id(cluster, namespace, service_account) if target_role_arn else None,
        tags=tuple(tags),
    )


def _external_id(cluster: ClusterRecord, namespace: str, service_account: str) -> str:
    return external_id(
        region=cluster.region,
        account=cluster.account_id,
        cluster=cluster.name,
        namespace=namespace,
        service_account=service_account,
    )


# --- validation -----------------------------------------------------------------------------------------


def role_trust(role: PrincipalRecord) -> dict[str, Any]:
    """The role's trust policy as IAM's GetRole returns it (the one document the sandbox keeps)."""
    return trust_policy(role)


def _role_arn(value: object, field: str) -> str:
    text = str(value or "")
    try:
        principal = parse_principal(text)
    except InvalidArnError:
        raise invalid_parameter(f"The {field} {text!r} is not a valid IAM role ARN") from None
    if principal.kind is not PrincipalKind.ROLE:
        raise invalid_parameter(f"The {field} {text!r} is not a valid IAM role ARN")
    return text


def _checked_role(req: ServiceRequest, cluster: ClusterRecord, role_arn: str) -> PrincipalRecord:
    """The association's role: in the cluster's account, existing, trusting pods.eks.amazonaws.com."""
    ensure_allowed(req.caller, "iam:PassRole", role_arn)
    if parse_principal(role_arn).account != cluster.account_id:
        raise invalid_parameter(NO_ROLE_TEXT)  # EKS looks the role up in the cluster's account
    role = req.ctx.store.get_principal(role_arn)
    if role is None or role.kind is not PrincipalType.ROLE:
        raise invalid_parameter(NO_ROLE_TEXT)
    if not pod_identity_trust(role_trust(role)).admits_service:
        raise invalid_parameter(BAD_TRUST_TEXT)
    return role


def _checked_policy(policy: object, disable_session_tags: bool) -> str | None:
    if policy in (None, ""):
        return None
    text = str(policy)
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid_parameter("The policy is not valid JSON") from None
    if not isinstance(document, dict):
        raise invalid_parameter("The policy is not valid JSON")
    if not disable_session_tags:
        raise invalid_parameter("disableSessionTags must be set to true when a policy is specified")
    return text


def _tags(value: object) -> tuple[tuple[str, str], ...]:
    if value in (None, {}):
        return ()
    if not isinstance(value, dict) or not 1 <= len(value) <= 50:
        raise invalid_parameter("tags must be a map of 1 to 50 keys")
    for key in value:
        if str(key).lower().startswith("aws:"):
            raise invalid_parameter(f"The tag key {key!r} uses the reserved prefix aws:")
    return tuple((str(k), str(v)) for k, v in value.items())


def _no_workload_identity(body: dict[str, Any]) -> None:
    if body.get("workloadIdentityConfig"):
        raise AwsError(
            "InvalidRequestException", "The sandbox does not model workloadIdentityConfig", status=400
        )


def _required(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"{field} is required")
    return value


# --- operations -----------------------------------------------------------------------------------------


def _found(req: ServiceRequest, cluster: ClusterRecord, association_id: str) -> Association:
    if ASSOCIATION_ID.match(association_id):
        for a in list_associations(req.ctx.store, cluster.name):
            if a.association_id == association_id:
                return a
    raise AwsError(
        "ResourceNotFoundException",
        f"No Pod Identity Association found for cluster {cluster.name} and ID {association_id}",
        status=404,
    )


def create_association(req: ServiceRequest, name: str) -> AwsResponse:
    cluster = find_cluster(req, name, "eks:CreatePodIdentityAssociation")
    body = req.json_body()
    _no_workload_identity(body)
    namespace = _required(body, "namespace")
    service_account = _required(body, "serviceAccount")
    role_arn = _role_arn(_required(body, "roleArn"), "roleArn")
    target = body.get("targetRoleArn") or None
    target_arn = _role_arn(target, "targetRoleArn") if target else None
    disable_tags = bool(body.get("disableSessionTags", False))
    policy = _checked_policy(body.get("policy"), disable_tags)
    tags = _tags(body.get("tags"))
    token = body.get("clientRequestToken")
    store = req.ctx.store
    with store.lock:
        if token and (earlier := _by_token(store, cluster.name, str(token))) is not None:
            return json_response({"association": earlier.body()}, req.request_id)  # a retry of the same call
        _checked_role(req, cluster, role_arn)
        existing = list_associations(store, cluster.name)
        if any((a.namespace, a.service_account) == (namespace, service_account) for a in existing):
            raise AwsError(
                "ResourceInUseException",
                f"Association already exists for namespace {namespace} and service account {service_account}",
                status=409,
            )
        if len(existing) >= MAX_ASSOCIATIONS:
            raise AwsError(
                "ResourceLimitExceededException",
                f"Cannot create more than {MAX_ASSOCIATIONS} Pod Identity associations on cluster {cluster.name}",
                status=400,
            )
        association = new_association(
            cluster,
            namespace=namespace,
            service_account=service_account,
            role_arn=role_arn,
            now=req.now.timestamp(),
            target_role_arn=target_arn,
            disable_session_tags=disable_tags,
            policy=policy,
            tags=tags,
        )
        put_association(store, association, client_request_token=str(token) if token else None)
    req.ctx.log.info(
        "eks CreatePodIdentityAssociation %s %s/%s -> %s by %s",
        cluster.name,
        namespace,
        service_account,
        role_arn,
        req.caller.arn,
    )
    return json_response({"association": association.body()}, req.request_id)


def describe_association(req: ServiceRequest, name: str, association_id: str) -> AwsResponse:
    cluster = find_cluster(req, name, "eks:DescribePodIdentityAssociation")
    return json_response({"association": _found(req, cluster, association_id).body()}, req.request_id)


def list_pod_associations(req: ServiceRequest, name: str) -> AwsResponse:
    cluster = find_cluster(req, name, "eks:ListPodIdentityAssociations")
    found = list_associations(req.ctx.store, cluster.name)
    namespace = req.params.get("namespace")
    account = req.params.get("serviceAccount")
    if namespace:
        found = [a for a in found if a.namespace == namespace]
    if account:
        found = [a for a in found if a.service_account == account]
    by_id = {a.association_id: a for a in found}
    chunk, token = page(list(by_id), req.params, kind=f"pod-identity:{cluster.name}:{namespace}:{account}")
    data: dict[str, Any] = {"associations": [by_id[i].summary() for i in chunk]}
    if token:
        data["nextToken"] = token
    return json_response(data, req.request_id)


def update_association(req: ServiceRequest, name: str, association_id: str) -> AwsResponse:
    cluster = find_cluster(req, name, "eks:UpdatePodIdentityAssociation")
    body = req.json_body()
    _no_workload_identity(body)
    store = req.ctx.store
    with store.lock:
        old = _found(req, cluster, association_id)
        if not any(body.get(f) is not None for f in _FIELDS):
            raise invalid_parameter(
                "At least one of roleArn, targetRoleArn, disableSessionTags or policy must be given"
            )
        role_arn = old.role_arn
        if body.get("roleArn"):
            role_arn = _role_arn(body["roleArn"], "roleArn")
            if role_arn != old.role_arn:
                _checked_role(req, cluster, role_arn)
        target = old.target_role_arn
        if "targetRoleArn" in body:  # "" removes the target role
            target = _role_arn(body["targetRoleArn"], "targetRoleArn") if body["targetRoleArn"] else None
        disable_tags = old.disable_session_tags
        if body.get("disableSessionTags") is not None:
            disable_tags = bool(body["disableSessionTags"])
        policy = old.policy
        if "policy" in body:
            policy = str(body["policy"]) if body["policy"] else None
        policy = _checked_policy(policy, disable_tags)
        updated = replace(
            old,
            role_arn=role_arn,
            target_role_arn=target,
            disable_session_tags=disable_tags,
            policy=policy,
            external_id=_external_id(cluster, old.namespace, old.service_account) if target else None,
            modified_at=req.now.timestamp(),
        )
        put_association(store, updated)
    req.ctx.log.info(
        "eks UpdatePodIdentityAssociation %s %s by %s", cluster.name, association_id, req.caller.arn
    )
    return json_response({"association": updated.body()}, req.request_id)


def delete_pod_association(req: ServiceRequest, name: str, association_id: str) -> AwsResponse:
    cluster = find_cluster(req, name, "eks:DeletePodIdentityAssociation")
    with req.ctx.store.lock:
        old = _found(req, cluster, association_id)
        delete_association(req.ctx.store, cluster.name, association_id)
    req.ctx.log.info(
        "eks DeletePodIdentityAssociation %s %s by %s", cluster.name, association_id, req.caller.arn
    )
    return json_response({"association": old.body()}, req.request_id)


def route(req: ServiceRequest, method: str, segments: list[str]) -> Callable[[], AwsResponse] | None:
    """The Pod Identity association operation for ``method`` and the decoded path ``segments``, if any."""
    match (method, segments):
        case ("POST", ["clusters", name, "pod-identity-associations"]):
            return lambda: create_association(req, name)
        case ("GET", ["clusters", name, "pod-identity-associations"]):
            return lambda: list_pod_associations(req, name)
        case ("GET", ["clusters", name, "pod-identity-associations", association_id]):
            return lambda: describe_association(req, name, association_id)
        case ("POST", ["clusters", name, "pod-identity-associations", association_id]):
            return lambda: update_association(req, name, association_id)
        case ("DELETE", ["clusters", name, "pod-identity-associations", association_id]):
            return lambda: delete_pod_association(req, name, association_id)
    return None
