"""Walk a workload's identity chain, link by link, and make the report doctor --service-account prints.

1. which mechanism applies (``checks/workload_mechanism``): an association wins over the annotation;
2. the role exists and can be read (``checks/workload_role``);
3. IRSA: the IAM OIDC provider and its audience (``checks/workload_oidc``), the trust policy against the
   token's claims (``checks/workload_trust``);
4. Pod Identity: the role's trust of pods.eks.amazonaws.com (``checks/workload_pod_identity``) and the pods'
   age against the association's (``checks/workload_pod_age``).
"""

from __future__ import annotations

from eksaccess.domain.findings import Finding
from eksaccess.domain.iam.principal import arn_partition
from eksaccess.domain.workload.oidc import provider_arn
from eksaccess.features.doctor.checks.workload_mechanism import mechanism_findings
from eksaccess.features.doctor.checks.workload_oidc import oidc_findings, provider_for
from eksaccess.features.doctor.checks.workload_pod_age import pod_age_findings
from eksaccess.features.doctor.checks.workload_pod_identity import pod_identity_findings
from eksaccess.features.doctor.checks.workload_role import role_findings
from eksaccess.features.doctor.checks.workload_trust import trust_findings
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.workload.model import RoleLookup, WorkloadFacts, WorkloadReport


def _irsa(facts: WorkloadFacts, lookup: RoleLookup, writer: Writer) -> list[Finding]:
    used_by = "The IRSA annotation" if facts.annotated_role else "--role-arn"
    found = role_findings(lookup, account=facts.account, used_by=used_by)
    if not lookup.readable or facts.issuer is None:
        return found
    provider = provider_for(facts)
    expected = (
        provider.arn if provider else provider_arn(facts.account, facts.issuer, arn_partition(lookup.arn))
    )
    found += oidc_findings(facts, writer, expected)
    if lookup.role is not None:
        found += trust_findings(
            facts, writer, role_arn=lookup.arn, trust=lookup.role.trust_policy, provider_arn=expected
        )
    return found


def _pod_identity(facts: WorkloadFacts, lookup: RoleLookup, writer: Writer) -> list[Finding]:
    association = facts.association
    assert association is not None
    found = role_findings(
        lookup, account=facts.account, used_by=f"The association {association.association_id}"
    )
    if lookup.role is not None:
        found += pod_identity_findings(association, lookup.role.trust_policy, writer)
    return found + pod_age_findings(association, facts.pods, writer)


def diagnose_workload(facts: WorkloadFacts, *, writer: Writer) -> WorkloadReport:
    findings = mechanism_findings(facts, writer)
    if facts.pod_identity_role is not None:
        findings += _pod_identity(facts, facts.pod_identity_role, writer)
    elif facts.irsa_role is not None:
        findings += _irsa(facts, facts.irsa_role, writer)
    return WorkloadReport(facts=facts, findings=tuple(findings))
