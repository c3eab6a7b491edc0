"""doctor --service-account / --pod, link 4 (Pod Identity): the association's role trusts
``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and ``sts:TagSession`` (only AssumeRole when the
association disables session tags): ``domain/workload/pod_identity.pod_identity_trust``.

CreatePodIdentityAssociation refuses a role the service cannot assume at all ("Trust policy of the role
provided is invalid"), but not one lacking sts:TagSession, which fails later in EKS Auth
(AccessDeniedException) - and a trust edited after the association fails the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksaccess.adapters.workload_reads import AssociationRead
from eksaccess.domain.findings import (
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam.trust import parse_policy
from eksaccess.domain.workload.pod_identity import (
    SERVICE_PRINCIPAL,
    TAG_SESSION,
    pod_identity_trust,
    trust_document,
)
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.workload.fixes import statements, update_trust_step, with_statements

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.POD_IDENTITY_TRUST_MISSING,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The association's role does not trust pods.eks.amazonaws.com",
        why="EKS Auth assumes the role as the service principal pods.eks.amazonaws.com; a trust without it (an "
        "IRSA-only trust, edited after the association was made) gives AccessDeniedException to every pod.",
        fix="add the User Guide's statement (Principal.Service pods.eks.amazonaws.com, sts:AssumeRole and "
        "sts:TagSession) with `aws iam update-assume-role-policy`, the other statements kept",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.POD_IDENTITY_NO_TAG_SESSION,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The association's role trusts pods.eks.amazonaws.com without sts:TagSession",
        why="EKS Auth tags every session (eks-cluster-arn, kubernetes-namespace, ...) unless the association "
        "disables session tags, so it needs sts:TagSession as well as sts:AssumeRole: AccessDeniedException.",
        fix="allow sts:TagSession in the statement for pods.eks.amazonaws.com (`aws iam "
        "update-assume-role-policy`), or disable the association's session tags",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def _names_service(statement: Mapping[str, Any]) -> bool:
    parsed = parse_policy({"Statement": [statement]}).statements[0]
    return SERVICE_PRINCIPAL in parsed.services


def fixed_trust(trust: Mapping[str, Any]) -> dict[str, Any]:
    """The trust with the User Guide's statement for pods.eks.amazonaws.com in place of those naming it."""
    kept = [s for s in statements(trust) if not _names_service(s)]
    return with_statements(trust, [*kept, *trust_document()["Statement"]])


def pod_identity_findings(
    association: AssociationRead, trust: Mapping[str, Any], writer: Writer
) -> list[Finding]:
    judged = pod_identity_trust(trust)
    tags = not association.disable_session_tags
    if judged.admits(session_tags=tags):
        return []
    code = (
        FindingCode.POD_IDENTITY_TRUST_MISSING
        if not judged.admits_service
        else FindingCode.POD_IDENTITY_NO_TAG_SESSION
    )
    missing = [a for a in judged.missing if tags or a != TAG_SESSION]
    role = association.role_arn
    return [
        finding(
            code,
            detail=f"The association {association.association_id} ({association.namespace}/"
            f"{association.service_account}) uses {role}, whose trust does not let {SERVICE_PRINCIPAL} "
            f"call {', '.join(missing)}: EKS Auth answers AccessDeniedException.",
            subject=role,
            evidence={"missing": missing, "associationId": association.association_id},
            fix=(
                update_trust_step(
                    writer,
                    role,
                    fixed_trust(trust),
                    f"let {SERVICE_PRINCIPAL} call sts:AssumeRole and sts:TagSession (the EKS User Guide's "
                    "statement), the other statements kept.",
                ),
            ),
        )
    ]
