"""Audit's risks: what each code means (stable codes, scripts match on them) and how audit prints one.

Each risk is found by its module in features/analyze/risks/; a risk is a ``Finding`` made by ``risk`` from
this catalogue, about a subject (the principal ARN, object or group concerned).
"""

from __future__ import annotations

from typing import Any

from eksaccess.domain.awsauth.findings import AWS_AUTH_SHADOWED
from eksaccess.domain.findings import (
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.workload.findings import TRUST_NO_AUDIENCE

_AUDIT = frozenset({Reporter.AUDIT})
_AUDIT_AND_GUARD = frozenset({Reporter.AUDIT, Reporter.GUARD})

# The no-admin fact is the lock-out guard's too (after a change, instead of now).
NO_CLUSTER_ADMIN = Definition(
    code=FindingCode.NO_CLUSTER_ADMIN,
    severity=Severity.WARNING,
    link=Link.RECOVERY,
    title="no IAM principal holds cluster-admin",
    why="nobody can repair RBAC from inside the cluster; recovery needs the EKS API",
    fix="keep one break-glass role with AmazonEKSClusterAdminPolicy",
    reporters=_AUDIT_AND_GUARD,
    severity_by_reporter={Reporter.GUARD: Severity.ERROR},  # the guard refuses the change
)

# In the order audit reports risks of one severity.
RISKS = Catalogue(
    Reporter.AUDIT,
    (
        Definition(
            code=FindingCode.SYSTEM_MASTERS_OUTSIDE_CREATOR,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="system:masters granted outside the cluster creator",
            why="system:masters is allowed before every authorizer and cannot be limited or revoked by RBAC",
            fix="map the principal to a named group bound to cluster-admin, or use an access entry with "
            "AmazonEKSClusterAdminPolicy",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.WILDCARD_RULE,
            severity=Severity.WARNING,
            link=Link.AUTHORIZATION,
            title="role with a wildcard rule",
            why="'*' verbs or resources grant everything, including resources and verbs added later",
            fix="list the verbs and resources the subjects need",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.PRINCIPAL_NOT_IN_IAM,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="mapped principal no longer exists in IAM",
            why="a principal created later with the same name inherits an aws-auth mapping; a dangling "
            "access entry is dead weight",
            fix="remove the mapping or access entry",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.MAPPED_BY_BOTH,
            severity=Severity.INFO,
            link=Link.MAPPING,
            title="principal mapped by an access entry and by aws-auth",
            why="two places to change; the access entry wins and the aws-auth row is dead",
            fix="remove the aws-auth row once the access entry is right",
            reporters=_AUDIT,
        ),
        AWS_AUTH_SHADOWED,
        Definition(
            code=FindingCode.SCOPE_NAMESPACE_MISSING,
            severity=Severity.WARNING,
            link=Link.AUTHORIZATION,
            title="access policy scoped to a namespace that does not exist",
            why="EKS does not check scope namespaces: a typo grants nothing now, and a namespace created "
            "later under that name is granted silently",
            fix="correct the namespace in the association, or remove it",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.USER_KEYS_CLUSTER_ADMIN,
            severity=Severity.ERROR,
            link=Link.CREDENTIALS,
            title="IAM user with long-term access keys can become cluster-admin",
            why="a leaked long-term key is a cluster takeover",
            fix="use roles with short sessions (IAM Identity Center), or remove the user's access keys",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.ROLE_ASSUMABLE_BY_ANYONE,
            severity=Severity.ERROR,
            link=Link.CREDENTIALS,
            title="role with cluster access assumable by any AWS principal",
            why="its trust policy allows Principal '*'",
            fix="name the principals or accounts that may assume the role",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.ROLE_ASSUMABLE_CROSS_ACCOUNT,
            severity=Severity.WARNING,
            link=Link.CREDENTIALS,
            title="role with cluster access assumable from another account",
            why="principals of another account reach the cluster through this role",
            fix="check that the other account is meant to; restrict with conditions or named principals",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.GROUP_WITHOUT_PRINCIPAL,
            severity=Severity.INFO,
            link=Link.AUTHORIZATION,
            title="binding to a group no principal has",
            why="no access entry, aws-auth row or creator mapping yields this group: the binding grants "
            "nothing today, and whoever is given the group later gets it",
            fix="remove the binding, or fix the group name in the mapping",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.ESCALATION_OUTSIDE_ADMINS,
            severity=Severity.WARNING,
            link=Link.AUTHORIZATION,
            title="escalate, bind or impersonate held outside admins",
            why="these verbs let a principal grant itself more than it has",
            fix="keep escalate, bind and impersonate (users, groups) to cluster administrators",
            reporters=_AUDIT,
        ),
        NO_CLUSTER_ADMIN,
        Definition(  # issue #20 part 4: nodes that cannot join (the rule: domain/nodes.py)
            code=FindingCode.NODE_ROLE_CANNOT_JOIN,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="node role that cannot join",
            why="its kubelets would not authenticate as system:node:NAME in system:nodes (no mapping, a "
            "STANDARD or wrong-type access entry, an aws-auth row with another username or without "
            "system:nodes): its nodes never join or go NotReady",
            fix="run `eksaccess doctor --node-role ARN` for the cause and the exact fix (an access entry of "
            "the node's type, or the node row in aws-auth)",
            reporters=_AUDIT,
        ),
        Definition(  # issue 21: workload identity (who-can-assume's reach, domain/workload/trust_review.py)
            code=FindingCode.WORKLOAD_ADMIN_ROLE_WIDE_REACH,
            severity=Severity.ERROR,
            link=Link.CREDENTIALS,
            title="admin-like IAM role reachable by many Kubernetes subjects through pods",
            why="whoever may create pods (or deployments, jobs...) in the namespace of a service account "
            "that holds the role runs a pod as it and gets the role's credentials: each of them is an AWS "
            "administrator",
            fix="run `eksaccess who-can-assume ROLE_ARN` for the paths; give the workload a role with only "
            "what it needs, move it to a namespace few subjects can create pods in, and narrow the trust "
            "policy's sub to that service account",
            reporters=_AUDIT,
        ),
        Definition(
            code=FindingCode.TRUST_ANY_SERVICE_ACCOUNT,
            severity=Severity.ERROR,
            link=Link.CREDENTIALS,
            title="role trusts every service account of a cluster",
            why="with no condition on ISSUER:sub, or StringLike * / system:serviceaccount:* on it, a pod "
            "of any service account in any namespace of the cluster can assume the role",
            fix="add StringEquals on ISSUER:sub with system:serviceaccount:NAMESPACE:NAME (StringLike "
            "system:serviceaccount:NAMESPACE:* at most)",
            reporters=_AUDIT,
        ),
        TRUST_NO_AUDIENCE,
        Definition(
            code=FindingCode.TRUST_PROVIDER_GONE,
            severity=Severity.WARNING,
            link=Link.CREDENTIALS,
            title="role trusts an IAM OIDC provider that no longer exists",
            why="STS answers InvalidIdentityToken for every token of that issuer: the role is dead for "
            "IRSA, and a provider created again for the same URL brings the old trust back to life",
            fix="remove the statement (or the role), or create the provider for the cluster that should use "
            "it: `eksctl utils associate-iam-oidc-provider --cluster NAME --approve`",
            reporters=_AUDIT,
        ),
    ),
)


def risk(code: FindingCode, *, subject: str, detail: str) -> Finding:
    """A risk about ``subject``; its fix is the catalogue's."""
    return RISKS.finding(code, subject=subject, detail=detail, fix=(FixStep(text=RISKS[code].fix),))


def risk_json(finding: Finding) -> dict[str, Any]:
    """A risk as audit prints it."""
    return {
        "code": str(finding.code),
        "severity": str(finding.severity),
        "cluster": finding.cluster,
        "subject": finding.subject,
        "title": finding.title,
        "message": finding.detail,
        "fix": finding.advice,
    }
