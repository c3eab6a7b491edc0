"""doctor --service-account / --pod, link 6: pods created before their association.

The webhook mutates a pod only at CREATE: a pod admitted before the Pod Identity association existed has
no Pod Identity variables (IRSA's, or none: the node role) until it is recreated
(``domain/workload/pod_identity.admitted_before_association``).
"""

from __future__ import annotations

from datetime import datetime

from eksaccess.adapters.workload_reads import AssociationRead, PodRead
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
from eksaccess.domain.workload.pod_identity import admitted_before_association
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.POD_OLDER_THAN_ASSOCIATION,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="A pod was created before its Pod Identity association: it has no Pod Identity credentials",
        why="The pod identity webhook injects AWS_CONTAINER_CREDENTIALS_FULL_URI and the token only when a pod "
        "is created; running pods never change, so this one uses IRSA's variables or the node role until it "
        "is recreated.",
        fix="recreate the pod: `kubectl rollout restart` of its Deployment/StatefulSet/DaemonSet, or `kubectl "
        "delete pod` for a bare pod or one its controller recreates",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _restart(pod: PodRead, writer: Writer) -> str:
    if pod.owner_kind == "ReplicaSet" and "-" in pod.owner_name:
        deployment = pod.owner_name.rsplit("-", 1)[0]
        return writer.kubectl("rollout", "restart", f"deployment/{deployment}", "-n", pod.namespace)
    if pod.owner_kind in ("StatefulSet", "DaemonSet"):
        workload = f"{pod.owner_kind.lower()}/{pod.owner_name}"
        return writer.kubectl("rollout", "restart", workload, "-n", pod.namespace)
    return writer.kubectl("delete", "pod", pod.name, "-n", pod.namespace)


def pod_age_findings(
    association: AssociationRead, pods: tuple[PodRead, ...], writer: Writer
) -> list[Finding]:
    created = association.created_at
    if created is None:
        return []
    found: list[Finding] = []
    for pod in pods:
        pod_time = _time(pod.created_at)
        if pod_time is None or not admitted_before_association(
            pod_created_at=pod_time.timestamp(), association_created_at=created.timestamp()
        ):
            continue
        found.append(
            finding(
                FindingCode.POD_OLDER_THAN_ASSOCIATION,
                detail=f"Pod {pod.namespace}/{pod.name} was created {pod.created_at}, before the association "
                f"{association.association_id} ({created.isoformat()}): it has no Pod Identity variables.",
                subject=f"{pod.namespace}/{pod.name}",
                evidence={
                    "podCreatedAt": pod.created_at,
                    "associationCreatedAt": created.isoformat(),
                    "owner": f"{pod.owner_kind}/{pod.owner_name}" if pod.owner_kind else None,
                },
                fix=(
                    FixStep(
                        text="Recreate the pod, so that the webhook injects Pod Identity's variables (a "
                        "Deployment's pods: `kubectl rollout restart`).",
                        plain=(_restart(pod, writer),),
                    ),
                ),
            )
        )
    return found
