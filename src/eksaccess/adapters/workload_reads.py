"""What doctor --service-account / --pod reads about a workload's identity, live: the ServiceAccount and its
pods (the API server), the cluster's OIDC issuer (DescribeCluster), the account's IAM OIDC providers, a role's
trust policy and permissions boundary (GetRole), and the cluster's Pod Identity associations.

Answers are small value objects; a missing object is ``None`` (or an empty list), any other failure is
AwsCallError / KubeCallError (exit 3, or a could-not-check finding where the feature says so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.iam import authorization_details
from eksaccess.adapters.kube import KubeCallError, KubeClient
from eksaccess.domain.iam.principal import arn_account
from eksaccess.domain.iam.trust import PolicyDocument, TrustSourceKind, parse_authorization_details


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceAccountRead:
    namespace: str
    name: str
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class PodRead:
    namespace: str
    name: str
    service_account: str
    created_at: str  # metadata.creationTimestamp (RFC 3339)
    owner_kind: str = ""  # the first ownerReference's kind (ReplicaSet, StatefulSet, ...)
    owner_name: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class OidcProviderRead:
    arn: str
    url: str  # as IAM answers it: without https://
    client_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleRead:
    arn: str
    name: str
    trust_policy: Mapping[str, Any]
    boundary_arn: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AssociationRead:
    association_id: str
    namespace: str
    service_account: str
    role_arn: str
    created_at: datetime | None
    target_role_arn: str | None = None
    disable_session_tags: bool = False


def described_associations(
    session: AwsSession, cluster: str, region: str | None, **filters: str
) -> list[dict[str, Any]]:
    """Pod Identity associations of the cluster (``filters``: namespace, serviceAccount) as
    DescribePodIdentityAssociation answers them (the list omits targetRoleArn)."""
    return [
        session.call(
            "eks",
            "describe_pod_identity_association",
            region,
            clusterName=cluster,
            associationId=summary["associationId"],
        )["association"]
        for summary in session.paginate(
            "eks", "list_pod_identity_associations", "associations", region, clusterName=cluster, **filters
        )
    ]


def policy_document(value: Any) -> dict[str, Any]:
    """boto3 decodes the URL-encoded JSON document; a raw answer may still hold the text."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        loaded = json.loads(unquote(value))
        return loaded if isinstance(loaded, dict) else {}
    return {}


class WorkloadReader:
    """The workload reads of one cluster, through one AWS session and one Kubernetes client."""

    def __init__(self, aws: AwsSession, kube: KubeClient, *, cluster: str, region: str | None) -> None:
        self.aws = aws
        self.kube = kube
        self.cluster = cluster
        self.region = region

    def service_account(self, namespace: str, name: str) -> ServiceAccountRead | None:
        try:
            body = self.kube.request("GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}")
        except KubeCallError as err:
            if err.status == 404:
                return None
            raise
        meta = body.get("metadata") or {}
        return ServiceAccountRead(
            namespace=namespace, name=name, annotations=dict(meta.get("annotations") or {})
        )

    def pods(self, namespace: str, name: str | None = None) -> list[PodRead]:
        """The pod ``name``, or every pod of the namespace (an empty list when there is none)."""
        path = f"/api/v1/namespaces/{namespace}/pods" + (f"/{name}" if name else "")
        try:
            body = self.kube.request("GET", path)
        except KubeCallError as err:
            if err.status == 404:
                return []
            raise
        items = [body] if name else list(body.get("items") or [])
        return [_pod(namespace, item) for item in items]

    def oidc_issuer(self) -> str | None:
        out = self.aws.call("eks", "describe_cluster", self.region, name=self.cluster)
        issuer = ((out.get("cluster") or {}).get("identity") or {}).get("oidc", {}).get("issuer")
        return str(issuer) if issuer else None

    def oidc_providers(self) -> list[OidcProviderRead]:
        listed = self.aws.call("iam", "list_open_id_connect_providers")
        found: list[OidcProviderRead] = []
        for item in listed.get("OpenIDConnectProviderList") or []:
            arn = str(item["Arn"])
            got = self.aws.call("iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=arn)
            found.append(
                OidcProviderRead(
                    arn=arn,
                    url=str(got.get("Url", "")),
                    client_ids=tuple(str(c) for c in got.get("ClientIDList") or ()),
                )
            )
        return found

    def role(self, role_arn: str) -> RoleRead | None:
        """The role (None when IAM has no such role); AwsCallError when it cannot be read."""
        name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.aws.call("iam", "get_role", RoleName=name)["Role"]
        except AwsCallError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return None
            raise
        boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return RoleRead(
            arn=str(role.get("Arn", role_arn)),
            name=name,
            trust_policy=policy_document(role.get("AssumeRolePolicyDocument")),
            boundary_arn=str(boundary) if boundary else None,
        )

    def role_policies(self, role_arn: str) -> tuple[PolicyDocument, ...] | None:
        """The role's identity policies (inline and attached, GetAccountAuthorizationDetails); None when IAM
        does not let the caller read them."""
        try:
            details = authorization_details(self.aws)
        except AwsCallError as err:
            if err.kind is AwsErrorKind.ACCESS_DENIED:
                return None
            raise
        name = role_arn.rsplit("/", 1)[-1]
        found = parse_authorization_details(details, account=arn_account(role_arn)).principals
        roles = [p for p in found if p.kind is TrustSourceKind.ROLE and p.name == name]
        return roles[0].policies if roles else None

    def associations(self, namespace: str, service_account: str) -> list[AssociationRead]:
        found: list[AssociationRead] = []
        for got in described_associations(
            self.aws, self.cluster, self.region, namespace=namespace, serviceAccount=service_account
        ):
            created = got.get("createdAt")
            found.append(
                AssociationRead(
                    association_id=str(got["associationId"]),
                    namespace=str(got["namespace"]),
                    service_account=str(got["serviceAccount"]),
                    role_arn=str(got["roleArn"]),
                    created_at=created if isinstance(created, datetime) else None,
                    target_role_arn=got.get("targetRoleArn") or None,
                    disable_session_tags=bool(got.get("disableSessionTags")),
                )
            )
        return found


def _pod(namespace: str, item: Mapping[str, Any]) -> PodRead:
    meta = item.get("metadata") or {}
    spec = item.get("spec") or {}
    owners = meta.get("ownerReferences") or [{}]
    return PodRead(
        namespace=namespace,
        name=str(meta.get("name", "")),
        service_account=str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        created_at=str(meta.get("creationTimestamp") or ""),
        owner_kind=str(owners[0].get("kind", "")),
        owner_name=str(owners[0].get("name", "")),
    )
