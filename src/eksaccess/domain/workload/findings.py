"""The workload-identity facts that doctor and audit both report: one definition each."""

from __future__ import annotations

from eksaccess.domain.findings import Definition, FindingCode, Link, Reporter, Severity

TRUST_NO_AUDIENCE = Definition(
    code=FindingCode.TRUST_NO_AUDIENCE,
    severity=Severity.WARNING,
    link=Link.CREDENTIALS,
    title="Web-identity trust without an audience condition",
    why="Without ISSUER:aud the role accepts a token of any audience the OIDC provider lists, not only the "
    "sts.amazonaws.com tokens IRSA injects. The EKS User Guide's trust has both ISSUER:sub and ISSUER:aud.",
    fix="add `ISSUER:aud: sts.amazonaws.com` under StringEquals in the statement (`aws iam "
    "update-assume-role-policy`)",
    reporters=frozenset({Reporter.DOCTOR, Reporter.AUDIT}),
)
