"""What doctor knows about one workload's identity chain, and the report it prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eksaccess.adapters.workload_reads import (
    AssociationRead,
    OidcProviderRead,
    PodRead,
    RoleRead,
    ServiceAccountRead,
)
from eksaccess.domain.findings import Finding, Severity
from eksaccess.domain.iam.trust import PolicyDocument
from eksaccess.domain.workload.oidc import service_account_subject
from eksaccess.domain.workload.pod_identity import InjectedCredentials, injected_credentials
from eksaccess.features.doctor.model import finding_json

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
STS_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleLookup:
    """A role doctor tried to read: ``role`` None and ``readable`` True means IAM has no such role."""

    arn: str
    role: RoleRead | None = None
    readable: bool = True  # False: the role is in another account than the one doctor reads
    policies: tuple[PolicyDocument, ...] | None = None  # its identity policies; None: not readable


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkloadFacts:
    cluster: str
    region: str | None
    account: str  # the account doctor reads IAM in (the caller's)
    namespace: str
    name: str  # the service account
    service_account: ServiceAccountRead | None
    pods: tuple[PodRead, ...] = ()  # the --pod, or the service account's pods
    issuer: str | None = None
    providers: tuple[OidcProviderRead, ...] = ()
    role_option: str | None = None  # --role-arn
    irsa_role: RoleLookup | None = None  # the annotation's role, else --role-arn's
    associations: tuple[AssociationRead, ...] = ()
    pod_identity_role: RoleLookup | None = None

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.service_account.annotations if self.service_account else {}

    @property
    def annotated_role(self) -> str | None:
        return self.annotations.get(ROLE_ANNOTATION) or None

    @property
    def audience(self) -> str:
        return self.annotations.get(AUDIENCE_ANNOTATION) or STS_AUDIENCE

    @property
    def subject(self) -> str:
        return service_account_subject(self.namespace, self.name)

    @property
    def association(self) -> AssociationRead | None:
        return self.associations[0] if self.associations else None

    @property
    def mechanism(self) -> InjectedCredentials:
        """What the pod identity webhook injects into a pod created now (an association wins)."""
        return injected_credentials(
            has_association=bool(self.associations), irsa_role_arn=self.annotated_role
        )


@dataclass(frozen=True, kw_only=True)
class WorkloadReport:
    facts: WorkloadFacts
    findings: tuple[Finding, ...]
    checked_at: datetime | None = None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        facts = self.facts
        association = facts.association
        return {
            "cluster": {"name": facts.cluster, "region": facts.region, "oidcIssuer": facts.issuer},
            "serviceAccount": {
                "namespace": facts.namespace,
                "name": facts.name,
                "exists": facts.service_account is not None,
                "roleArnAnnotation": facts.annotated_role,
                "audience": facts.audience,
                "subject": facts.subject,
            },
            "pods": [{"name": p.name, "createdAt": p.created_at} for p in facts.pods],
            "mechanism": facts.mechanism.value,
            "irsaRole": facts.irsa_role.arn if facts.irsa_role else None,
            "podIdentityAssociation": {
                "associationId": association.association_id,
                "roleArn": association.role_arn,
                "createdAt": association.created_at.isoformat() if association.created_at else None,
            }
            if association
            else None,
            "findings": [finding_json(f) for f in self.findings],
        }
