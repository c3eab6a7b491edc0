"""Audit risk findings: stable codes (scripts match on them), severities, and the finding value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eksaccess.domain.findings import Severity


class RiskCode(StrEnum):
    SYSTEM_MASTERS_OUTSIDE_CREATOR = "SYSTEM_MASTERS_OUTSIDE_CREATOR"
    WILDCARD_RULE = "WILDCARD_RULE"
    PRINCIPAL_NOT_IN_IAM = "PRINCIPAL_NOT_IN_IAM"
    MAPPED_BY_BOTH = "MAPPED_BY_BOTH"
    AWS_AUTH_SHADOWED = "AWS_AUTH_SHADOWED"
    SCOPE_NAMESPACE_MISSING = "SCOPE_NAMESPACE_MISSING"
    USER_KEYS_CLUSTER_ADMIN = "USER_KEYS_CLUSTER_ADMIN"
    ROLE_ASSUMABLE_BY_ANYONE = "ROLE_ASSUMABLE_BY_ANYONE"
    ROLE_ASSUMABLE_CROSS_ACCOUNT = "ROLE_ASSUMABLE_CROSS_ACCOUNT"
    GROUP_WITHOUT_PRINCIPAL = "GROUP_WITHOUT_PRINCIPAL"
    ESCALATION_OUTSIDE_ADMINS = "ESCALATION_OUTSIDE_ADMINS"
    NO_CLUSTER_ADMIN = "NO_CLUSTER_ADMIN"


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskInfo:
    code: RiskCode
    severity: Severity
    title: str
    why: str
    fix: str


CATALOGUE: dict[RiskCode, RiskInfo] = {
    info.code: info
    for info in (
        RiskInfo(
            code=RiskCode.SYSTEM_MASTERS_OUTSIDE_CREATOR,
            severity=Severity.ERROR,
            title="system:masters granted outside the cluster creator",
            why="system:masters is allowed before every authorizer and cannot be limited or revoked by RBAC",
            fix="map the principal to a named group bound to cluster-admin, or use an access entry with "
            "AmazonEKSClusterAdminPolicy",
        ),
        RiskInfo(
            code=RiskCode.WILDCARD_RULE,
            severity=Severity.WARNING,
            title="role with a wildcard rule",
            why="'*' verbs or resources grant everything, including resources and verbs added later",
            fix="list the verbs and resources the subjects need",
        ),
        RiskInfo(
            code=RiskCode.PRINCIPAL_NOT_IN_IAM,
            severity=Severity.ERROR,
            title="mapped principal no longer exists in IAM",
            why="a principal created later with the same name inherits an aws-auth mapping; a dangling "
            "access entry is dead weight",
            fix="remove the mapping or access entry",
        ),
        RiskInfo(
            code=RiskCode.MAPPED_BY_BOTH,
            severity=Severity.INFO,
            title="principal mapped by an access entry and by aws-auth",
            why="two places to change; the access entry wins and the aws-auth row is dead",
            fix="remove the aws-auth row once the access entry is right",
        ),
        RiskInfo(
            code=RiskCode.AWS_AUTH_SHADOWED,
            severity=Severity.WARNING,
            title="aws-auth row shadowed",
            why="the row grants something else than what the principal gets: an access entry wins over "
            "it, or the authentication mode ignores aws-auth",
            fix="move what the row meant to grant into the access entry, then remove the row",
        ),
        RiskInfo(
            code=RiskCode.SCOPE_NAMESPACE_MISSING,
            severity=Severity.WARNING,
            title="access policy scoped to a namespace that does not exist",
            why="EKS does not check scope namespaces: a typo grants nothing now, and a namespace created "
            "later under that name is granted silently",
            fix="correct the namespace in the association, or remove it",
        ),
        RiskInfo(
            code=RiskCode.USER_KEYS_CLUSTER_ADMIN,
            severity=Severity.ERROR,
            title="IAM user with long-term access keys can become cluster-admin",
            why="a leaked long-term key is a cluster takeover",
            fix="use roles with short sessions (IAM Identity Center), or remove the user's access keys",
        ),
        RiskInfo(
            code=RiskCode.ROLE_ASSUMABLE_BY_ANYONE,
            severity=Severity.ERROR,
            title="role with cluster access assumable by any AWS principal",
            why="its trust policy allows Principal '*'",
            fix="name the principals or accounts that may assume the role",
        ),
        RiskInfo(
            code=RiskCode.ROLE_ASSUMABLE_CROSS_ACCOUNT,
            severity=Severity.WARNING,
            title="role with cluster access assumable from another account",
            why="principals of another account reach the cluster through this role",
            fix="check that the other account is meant to; restrict with conditions or named principals",
        ),
        RiskInfo(
            code=RiskCode.GROUP_WITHOUT_PRINCIPAL,
            severity=Severity.INFO,
            title="binding to a group no principal has",
            why="no access entry, aws-auth row or creator mapping yields this group: the binding grants "
            "nothing today, and whoever is given the group later gets it",
            fix="remove the binding, or fix the group name in the mapping",
        ),
        RiskInfo(
            code=RiskCode.ESCALATION_OUTSIDE_ADMINS,
            severity=Severity.WARNING,
            title="escalate, bind or impersonate held outside admins",
            why="these verbs let a principal grant itself more than it has",
            fix="keep escalate, bind and impersonate (users, groups) to cluster administrators",
        ),
        RiskInfo(
            code=RiskCode.NO_CLUSTER_ADMIN,
            severity=Severity.WARNING,
            title="no IAM principal holds cluster-admin",
            why="nobody can repair RBAC from inside the cluster; recovery needs the EKS API",
            fix="keep one break-glass role with AmazonEKSClusterAdminPolicy",
        ),
    )
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Risk:
    code: RiskCode
    subject: str  # the principal ARN, object ("ClusterRole \"x\"") or group concerned
    message: str  # one sentence, specific
    cluster: str = ""  # "region/name" when reported in a fleet

    @property
    def info(self) -> RiskInfo:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.info.severity

    def to_json(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "severity": str(self.severity),
            "cluster": self.cluster,
            "subject": self.subject,
            "title": self.info.title,
            "message": self.message,
            "fix": self.info.fix,
        }
