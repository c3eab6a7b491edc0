"""doctor --service-account / --pod, link 2 (IRSA): the cluster's OIDC issuer has an IAM OIDC provider in the
role's account, and the provider accepts the token's audience.

STS finds the provider by the token's ``iss`` in the role's account ("No OpenIDConnect provider found in your
account for ISSUER") and then requires the token's ``aud`` among its client ids ("Incorrect token
audience"): shared/facts/workload-identity.md §3, §8.
"""

from __future__ import annotations

from eksaccess.adapters.workload_reads import OidcProviderRead
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
from eksaccess.domain.workload.oidc import issuer_host_path
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer, cmd
from eksaccess.features.doctor.workload.model import WorkloadFacts

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.OIDC_PROVIDER_MISSING,
        link=Link.AUTHENTICATION,
        severity=Severity.ERROR,
        title="No IAM OIDC provider for the cluster's issuer: STS refuses every IRSA token",
        why="STS answers `InvalidIdentityToken: No OpenIDConnect provider found in your account for ISSUER` "
        "when the role's account has no IAM OIDC provider whose URL is the token's issuer (a new or recreated "
        "cluster, a cross-account role).",
        fix="create the provider (`aws iam create-open-id-connect-provider --url ISSUER --client-id-list "
        "sts.amazonaws.com`; eksctl: `eksctl utils associate-iam-oidc-provider --cluster NAME --approve`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.OIDC_AUDIENCE_MISSING,
        link=Link.AUTHENTICATION,
        severity=Severity.ERROR,
        title="The IAM OIDC provider does not accept the token's audience",
        why="STS answers `InvalidIdentityToken: Incorrect token audience` when the token's `aud` (IRSA's "
        "default sts.amazonaws.com, or the eks.amazonaws.com/audience annotation) is not one of the "
        "provider's client ids.",
        fix="add the audience (`aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn "
        "ARN --client-id sts.amazonaws.com`)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def provider_for(facts: WorkloadFacts) -> OidcProviderRead | None:
    if not facts.issuer:
        return None
    wanted = issuer_host_path(facts.issuer)
    return next((p for p in facts.providers if issuer_host_path(p.url) == wanted), None)


def oidc_findings(facts: WorkloadFacts, writer: Writer, expected_arn: str) -> list[Finding]:
    issuer = facts.issuer
    if not issuer:
        return []
    provider = provider_for(facts)
    if provider is None:
        create = cmd(
            "aws",
            "iam",
            "create-open-id-connect-provider",
            "--url",
            issuer,
            "--client-id-list",
            facts.audience,
            *writer.aws_flags(),
        )
        return [
            finding(
                FindingCode.OIDC_PROVIDER_MISSING,
                detail=f"Account {facts.account} has no IAM OIDC provider for {issuer} (expected "
                f'{expected_arn}): STS would answer InvalidIdentityToken "No OpenIDConnect provider found in '
                f'your account for {issuer}".',
                subject=expected_arn,
                evidence={"issuer": issuer, "providerArn": expected_arn},
                fix=(
                    FixStep(
                        text=f"As {writer.who}, create the IAM OIDC provider for the cluster's issuer with the "
                        "audience sts.amazonaws.com (IAM gets the thumbprint itself; eksctl's form: `eksctl "
                        f"utils associate-iam-oidc-provider --cluster {facts.cluster} --approve`).",
                        plain=(create,),
                    ),
                ),
            )
        ]
    if facts.audience not in provider.client_ids:
        add = cmd(
            "aws",
            "iam",
            "add-client-id-to-open-id-connect-provider",
            "--open-id-connect-provider-arn",
            provider.arn,
            "--client-id",
            facts.audience,
            *writer.aws_flags(),
        )
        return [
            finding(
                FindingCode.OIDC_AUDIENCE_MISSING,
                detail=f"{provider.arn} accepts {', '.join(provider.client_ids) or 'no audience'}, not "
                f'{facts.audience}: STS would answer InvalidIdentityToken "Incorrect token audience".',
                subject=provider.arn,
                evidence={"clientIds": list(provider.client_ids), "audience": facts.audience},
                fix=(FixStep(text=f"As {writer.who}, add the audience to the provider.", plain=(add,)),),
            )
        ]
    return []
