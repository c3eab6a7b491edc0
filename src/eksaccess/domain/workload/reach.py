"""Which service accounts of a cluster can obtain an IAM role's credentials, from a ClusterState's
``workloadIdentity`` (pure: the snapshot is the only input).

* **IRSA**: a pod of service account NS/NAME gets a token with ``sub`` ``system:serviceaccount:NS:NAME`` from
  the cluster's issuer; STS exchanges it for the role when the role's account has an IAM OIDC provider for
  that issuer and the trust policy allows the token (``web_identity.decide``, audience ``sts.amazonaws.com``
  or the SA's ``eks.amazonaws.com/audience``). The annotation only makes the webhook inject the token: a pod
  may mount a projected token itself, so every service account the trust admits holds the role, annotated
  or not (the annotated ones are marked).
* **EKS Pod Identity**: the service account of an association gets ``roleArn`` (when the role trusts
  ``pods.eks.amazonaws.com`` with sts:AssumeRole and sts:TagSession) and, with ``targetRoleArn``, the target
  role (when the target trusts the association's role).

A trust policy the snapshot lacks (a role of another account, a role not readable) is taken to admit the
service accounts that name the role, with a note: the answer errs towards reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eksaccess.domain.iam.principal import InvalidArnError, parse_principal, principal_key
from eksaccess.domain.state import ClusterState, PodIdentityAssociationModel, ServiceAccountModel
from eksaccess.domain.workload.oidc import (
    AUDIENCE_ANNOTATION,
    ROLE_ARN_ANNOTATION,
    STS_AUDIENCE,
    issuer_host_path,
    provider_arn,
    service_account_subject,
)
from eksaccess.domain.workload.pod_identity import pod_identity_trust, target_trust_missing
from eksaccess.domain.workload.web_identity import decide, request_context


class Mechanism(StrEnum):
    IRSA = "irsa"  # AssumeRoleWithWebIdentity with the SA's token
    POD_IDENTITY = "podIdentity"  # an association's roleArn
    POD_IDENTITY_TARGET = "podIdentityTarget"  # an association's targetRoleArn


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class ServiceAccountRef:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def username(self) -> str:
        return service_account_subject(self.namespace, self.name)


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleHolder:
    """A service account whose pods can obtain the role, and how."""

    service_account: ServiceAccountRef
    mechanism: Mechanism
    annotated: bool = False  # IRSA: the SA names the role in eks.amazonaws.com/role-arn
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Holders:
    role_arn: str
    holders: tuple[RoleHolder, ...]
    notes: tuple[str, ...] = ()


def same_role(a: str, b: str) -> bool:
    return principal_key(a) == principal_key(b)


def _trust_of(policies: Mapping[str, dict[str, Any]], role_arn: str) -> dict[str, Any] | None:
    found = policies.get(role_arn)
    if found is not None:
        return found
    return next((doc for arn, doc in policies.items() if same_role(arn, role_arn)), None)


def role_holders(state: ClusterState, role_arn: str) -> Holders:
    """Every service account that can obtain ``role_arn``'s credentials on this cluster."""
    section = state.workload_identity
    if section is None:
        return Holders(role_arn=role_arn, holders=(), notes=("the snapshot has no workloadIdentity section",))
    notes: list[str] = []
    trust = _trust_of(section.role_trust_policies, role_arn)
    holders = _irsa_holders(state, role_arn, trust, notes)
    for association in section.pod_identity_associations:
        holder = _association_holder(section.role_trust_policies, association, role_arn, notes)
        if holder is not None:
            holders.append(holder)
    return Holders(role_arn=role_arn, holders=tuple(holders), notes=tuple(dict.fromkeys(notes)))


def _irsa_holders(
    state: ClusterState, role_arn: str, trust: dict[str, Any] | None, notes: list[str]
) -> list[RoleHolder]:
    section = state.workload_identity
    assert section is not None
    accounts = section.service_accounts
    annotated = [sa for sa in accounts if same_role(sa.annotations.get(ROLE_ARN_ANNOTATION, ""), role_arn)]
    issuer = section.oidc_issuer
    if issuer is None:
        if annotated:
            notes.append("the cluster's OIDC issuer is unknown: IRSA not evaluated")
        return []
    try:
        role = parse_principal(role_arn)
    except InvalidArnError:
        return []
    host_path = issuer_host_path(issuer)
    if role.account == state.cluster.account_id and section.oidc_providers is not None:
        if host_path not in section.oidc_providers:  # STS refuses every token of the issuer
            if annotated:
                notes.append(
                    f"account {role.account} has no IAM OIDC provider for {host_path}: IRSA gives nobody the role"
                )
            return []
    elif annotated:
        notes.append(f"IAM OIDC providers of account {role.account} not known: taken to include the issuer")
    if trust is None:
        if annotated:
            notes.append(
                f"trust policy of {role_arn} not in the snapshot: annotated service accounts assumed"
            )
        return [_irsa(sa, True, "trust policy not read") for sa in annotated]
    provider = provider_arn(role.account, host_path, role.partition)
    found: list[RoleHolder] = []
    for sa in accounts:
        audience = sa.annotations.get(AUDIENCE_ANNOTATION) or STS_AUDIENCE
        context = request_context(
            issuer=issuer, sub=service_account_subject(sa.namespace, sa.name), audience=audience
        )
        decision = decide(trust, provider_arn=provider, context=context)
        if decision.allowed:
            found.append(
                _irsa(sa, sa in annotated, f"trust statement {(decision.allowed_by or 0) + 1} allows")
            )
    return found


def _irsa(sa: ServiceAccountModel, annotated: bool, detail: str) -> RoleHolder:
    return RoleHolder(
        service_account=ServiceAccountRef(namespace=sa.namespace, name=sa.name),
        mechanism=Mechanism.IRSA,
        annotated=annotated,
        detail=detail,
    )


def _association_holder(
    policies: Mapping[str, dict[str, Any]],
    association: PodIdentityAssociationModel,
    role_arn: str,
    notes: list[str],
) -> RoleHolder | None:
    ref = ServiceAccountRef(namespace=association.namespace, name=association.service_account)
    named = f"association {association.association_id or ref}"
    own = _trust_of(policies, association.role_arn)
    own_ok = own is None or pod_identity_trust(own).admits()
    if own is None:
        notes.append(f"trust policy of {association.role_arn} not in the snapshot: taken to admit EKS Auth")
    if same_role(association.role_arn, role_arn):
        if not own_ok:
            return None
        return RoleHolder(service_account=ref, mechanism=Mechanism.POD_IDENTITY, detail=named)
    target = association.target_role_arn
    if target is None or not same_role(target, role_arn) or not own_ok:
        return None
    target_trust = _trust_of(policies, target)
    if target_trust is None:
        notes.append(f"trust policy of {target} not in the snapshot: taken to admit {association.role_arn}")
    elif target_trust_missing(target_trust, role_arn=association.role_arn):
        return None
    return RoleHolder(
        service_account=ref,
        mechanism=Mechanism.POD_IDENTITY_TARGET,
        detail=f"{named}, through {association.role_arn}",
    )
