"""doctor --service-account / --pod, link 1: which mechanism gives the workload's pods their credentials.

An EKS Pod Identity association of (namespace, service account) wins over the IRSA annotation
``eks.amazonaws.com/role-arn``: at pod CREATE the webhook injects only the container-credential variables
("Container credentials method takes precedence"; shared/facts/workload-identity.md §6). Neither: the SDK
falls back to the node role (IMDS).
"""

from __future__ import annotations

from eksaccess.domain.findings import (
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer, cmd
from eksaccess.features.doctor.workload.model import ROLE_ANNOTATION, WorkloadFacts

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.WORKLOAD_NO_IDENTITY,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The service account has no IAM role: neither an IRSA annotation nor a Pod Identity association",
        why="The pod identity webhook injects nothing, so the pods' SDK falls back to the node role through "
        'IMDS ("User: arn:aws:sts::...:assumed-role/<node role>/i-... is not authorized to perform ...").',
        fix="annotate the service account with the role (`kubectl annotate serviceaccount NAME -n NS "
        "eks.amazonaws.com/role-arn=ARN`, with --role-arn) or create a Pod Identity association (`aws eks "
        "create-pod-identity-association`), then recreate the pods",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.WORKLOAD_BOTH_MECHANISMS,
        link=Link.MAPPING,
        severity=Severity.WARNING,
        title="Both IRSA and Pod Identity are configured: the Pod Identity association wins",
        why="The webhook injects only Pod Identity's variables when the service account has an association "
        "and ignores the role-arn annotation; a pod created before the association keeps IRSA's, and a pod "
        "with both sets (set by hand) uses IRSA, which comes first in the SDK chain. Two roles for one "
        "workload is a trap for the next reader.",
        fix="keep one: remove the annotation (`kubectl annotate serviceaccount NAME -n NS "
        "eks.amazonaws.com/role-arn-`), or, if the IRSA role was meant, delete the association (`aws eks "
        "delete-pod-identity-association`) and recreate the pods",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def mechanism_findings(facts: WorkloadFacts, writer: Writer) -> list[Finding]:
    sa = f"{facts.namespace}/{facts.name}"
    association = facts.association
    annotated = facts.annotated_role
    if association is None and not annotated:
        return [_no_identity(facts, writer)]
    if association is not None and annotated:
        remove = writer.kubectl(
            "annotate", "serviceaccount", facts.name, "-n", facts.namespace, f"{ROLE_ANNOTATION}-"
        )
        delete = cmd(
            "aws",
            "eks",
            "delete-pod-identity-association",
            "--cluster-name",
            facts.cluster,
            "--association-id",
            association.association_id,
            *writer.aws_flags(),
        )
        return [
            finding(
                FindingCode.WORKLOAD_BOTH_MECHANISMS,
                detail=f"{sa} is annotated {ROLE_ANNOTATION}: {annotated} (IRSA) and has the Pod Identity "
                f"association {association.association_id} ({association.role_arn}): pods created now run "
                f"as {association.role_arn}.",
                subject=sa,
                evidence={
                    "irsaRoleArn": annotated,
                    "podIdentityRoleArn": association.role_arn,
                    "associationId": association.association_id,
                    "wins": "pod-identity",
                },
                fix=(
                    FixStep(
                        text=f"Pod Identity is what pods get: remove the IRSA annotation so that one role "
                        f"remains (if {annotated} was meant instead, run `{delete}` and recreate the pods).",
                        plain=(remove,),
                    ),
                ),
            )
        ]
    return []


def _no_identity(facts: WorkloadFacts, writer: Writer) -> Finding:
    sa = f"{facts.namespace}/{facts.name}"
    role = facts.role_option
    if role:
        annotate = writer.kubectl(
            "annotate", "serviceaccount", facts.name, "-n", facts.namespace, f"{ROLE_ANNOTATION}={role}"
        )
        steps = (
            FixStep(
                text=f"Annotate the service account with {role} (IRSA), then recreate its pods (the webhook "
                "injects credentials at pod creation only).",
                plain=(annotate,),
            ),
        )
    else:
        steps = (
            FixStep(
                text="Name the role: `eksaccess doctor --service-account "
                f"{sa} --role-arn ARN` prints the annotation command and checks the role's trust; or create "
                f"a Pod Identity association (`aws eks create-pod-identity-association --cluster-name "
                f"{facts.cluster} --namespace {facts.namespace} --service-account {facts.name} --role-arn ARN`)."
            ),
        )
    return finding(
        FindingCode.WORKLOAD_NO_IDENTITY,
        detail=f"{sa} has no {ROLE_ANNOTATION} annotation and no Pod Identity association on cluster "
        f"{facts.cluster}: its pods get the node role's credentials.",
        subject=sa,
        fix=steps,
        evidence={"roleArnOption": role},
    )
