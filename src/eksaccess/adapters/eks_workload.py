"""What decides which pods get which IAM role, as AWS tells it: the cluster's Pod Identity associations
(ListPodIdentityAssociations + DescribePodIdentityAssociation: ``roleArn``, ``targetRoleArn``,
``createdAt``), the account's IAM OIDC providers (ListOpenIDConnectProviders: their URLs) and the trust
policies of the roles that annotations and associations name (GetRole's ``AssumeRolePolicyDocument``).

A role of another account is not readable with the cluster account's credentials: its trust stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.workload_reads import described_associations, policy_document
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.domain.state import PodIdentityAssociationModel
from eksaccess.domain.workload.oidc import parse_provider_arn


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkloadSources:
    associations: tuple[PodIdentityAssociationModel, ...]
    oidc_providers: tuple[str, ...] | None  # None: not readable
    notes: tuple[str, ...] = ()


def read_workload_sources(session: AwsSession, cluster: str, region: str | None) -> WorkloadSources:
    """The associations and the OIDC provider URLs; a denied read is a note, not a failure."""
    notes: list[str] = []
    associations: list[PodIdentityAssociationModel] = []
    providers: tuple[str, ...] | None = None
    try:
        associations = read_associations(session, cluster, region)
    except AwsCallError as err:
        if err.kind is not AwsErrorKind.ACCESS_DENIED:
            raise
        notes.append(f"Pod Identity associations not read: {err}")
    try:
        providers = read_oidc_providers(session)
    except AwsCallError as err:
        if err.kind is not AwsErrorKind.ACCESS_DENIED:
            raise
        notes.append(f"IAM OIDC providers not read: {err}")
    return WorkloadSources(associations=tuple(associations), oidc_providers=providers, notes=tuple(notes))


def read_associations(
    session: AwsSession, cluster: str, region: str | None
) -> list[PodIdentityAssociationModel]:
    """Every Pod Identity association of the cluster, as the snapshot holds it."""
    return [
        PodIdentityAssociationModel(
            namespace=str(one["namespace"]),
            serviceAccount=str(one["serviceAccount"]),
            roleArn=str(one["roleArn"]),
            targetRoleArn=one.get("targetRoleArn") or None,
            associationId=one.get("associationId"),
            createdAt=one.get("createdAt"),
        )
        for one in described_associations(session, cluster, region)
    ]


def read_oidc_providers(session: AwsSession) -> tuple[str, ...]:
    """The account's IAM OIDC provider URLs (host/path, as the provider's ARN names them)."""
    out = session.call("iam", "list_open_id_connect_providers")
    urls: list[str] = []
    for item in out.get("OpenIDConnectProviderList") or []:
        parsed = parse_provider_arn(str(item.get("Arn", "")))
        if parsed is not None:
            urls.append(parsed[2])
    return tuple(urls)


def read_trust_policies(
    session: AwsSession, role_arns: Iterable[str], account: str
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """role ARN -> trust policy, for the roles of ``account``; a role not found or not readable is a note."""
    policies: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for arn in dict.fromkeys(role_arns):
        try:
            principal = parse_principal(arn)
        except InvalidArnError:
            continue
        if principal.account != account:
            notes.append(f"trust policy of {arn} not read: the role is in another account")
            continue
        try:
            role = session.call("iam", "get_role", RoleName=principal.name)["Role"]
        except AwsCallError as err:
            if err.kind not in (AwsErrorKind.ACCESS_DENIED, AwsErrorKind.NOT_FOUND):
                raise
            notes.append(f"trust policy of {arn} not read: {err}")
            continue
        policies[arn] = policy_document(role.get("AssumeRolePolicyDocument"))
    return policies, tuple(notes)
