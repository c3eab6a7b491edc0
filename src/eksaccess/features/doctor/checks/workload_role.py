"""doctor --service-account / --pod: the role itself (IRSA's or the association's): does it exist, can doctor
read it, and what limits it beyond its Allows (a permissions boundary, an explicit Deny)."""

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
from eksaccess.domain.iam.principal import arn_account
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.workload.model import RoleLookup

ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.WORKLOAD_ROLE_NOT_FOUND,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The workload's role does not exist in IAM",
        why="A role name typo, or a role deleted and not recreated: STS answers AccessDenied (IRSA) and EKS "
        "Auth cannot assume it (Pod Identity).",
        fix="name an existing role (fix the annotation or the association), or create the role",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.WORKLOAD_ROLE_OTHER_ACCOUNT,
        link=Link.MAPPING,
        severity=Severity.WARNING,
        title="The workload's role is in another account: its trust and OIDC provider were not checked",
        why="IRSA across accounts needs an IAM OIDC provider for the cluster's issuer in the role's account "
        'and a trust policy naming it ("No OpenIDConnect provider found in your account for ISSUER" '
        "otherwise); doctor reads IAM with the profile it runs as, in the cluster's account.",
        fix="run doctor again with a profile of the role's account (`--admin-profile`), or check there that an "
        "OIDC provider exists for the issuer and that the trust names it",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ROLE_BOUNDARY_OR_DENY,
        link=Link.AUTHORIZATION,
        severity=Severity.INFO,
        title="The role has a permissions boundary or an explicit Deny: its sessions get less than its Allows",
        why="A permissions boundary caps the role's identity policies, and an explicit Deny in them wins over "
        "any Allow: the pods' calls of those actions fail with AccessDenied naming the boundary or the "
        "explicit deny, though the credentials themselves work. Read where IAM lets doctor read (GetRole, "
        "GetAccountAuthorizationDetails).",
        fix="none needed when the boundary is intended; otherwise compare the boundary with what the pods call",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """The kubectl walk diagnoses the caller, not a workload: this is doctor --service-account's."""
    return []


def role_findings(lookup: RoleLookup, *, account: str, used_by: str) -> list[Finding]:
    """Findings about the role ``used_by`` (e.g. "the IRSA annotation") names."""
    if not lookup.readable:
        role_account = arn_account(lookup.arn)
        return [
            finding(
                FindingCode.WORKLOAD_ROLE_OTHER_ACCOUNT,
                detail=f"{used_by} names {lookup.arn}, in account {role_account}; doctor reads IAM in "
                f"account {account}.",
                subject=lookup.arn,
                fix=(
                    FixStep(
                        text=f"In account {role_account}: an IAM OIDC provider for the cluster's issuer must "
                        "exist and the role's trust must name it (`eksaccess doctor --service-account ... "
                        "--admin-profile PROFILE_OF_THAT_ACCOUNT`)."
                    ),
                ),
                evidence={"roleAccount": role_account, "readAccount": account},
            )
        ]
    if lookup.role is None:
        return [
            finding(
                FindingCode.WORKLOAD_ROLE_NOT_FOUND,
                detail=f"{used_by} names {lookup.arn}: IAM has no such role (GetRole: NoSuchEntity).",
                subject=lookup.arn,
                fix=(FixStep(text="Name an existing role, or create this one with a trust policy for it."),),
            )
        ]
    denies = _denied_actions(lookup)
    boundary = lookup.role.boundary_arn
    if not boundary and not denies:
        return []
    said = [f"the permissions boundary {boundary}"] if boundary else []
    said += [f"an explicit Deny of {', '.join(actions)} in {name}" for name, actions in denies]
    return [
        finding(
            FindingCode.ROLE_BOUNDARY_OR_DENY,
            detail=f"{lookup.arn} has {'; '.join(said)}: the pods' calls of those are denied whatever "
            "the role's other policies allow.",
            subject=lookup.arn,
            evidence={
                "permissionsBoundary": boundary,
                "denied": {name: list(actions) for name, actions in denies},
            },
        )
    ]


def _denied_actions(lookup: RoleLookup) -> list[tuple[str, tuple[str, ...]]]:
    """(policy name, actions) of each unconditional Deny statement of the role's identity policies (as far
    as doctor could read them)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for policy in lookup.policies or ():
        for statement in policy.statements:
            if not statement.allow and not statement.negated and not statement.conditional:
                found.append((policy.name or "an identity policy", statement.actions))
    return found
