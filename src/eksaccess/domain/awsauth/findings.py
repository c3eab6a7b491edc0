"""What the commands report about the aws-auth ConfigMap: lint's codes, the four doctor reports too (a row
that can never match, a key that does not parse or is misspelt), and the shadowed row doctor and audit
both report. Each fact is defined once here and listed by every command that reports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.findings import (
    ADMIN,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)

_DOCTOR_AND_LINT = frozenset({Reporter.DOCTOR, Reporter.LINT})
_LINT = frozenset({Reporter.LINT})

AWS_AUTH_ROLE_PATH = Definition(
    code=FindingCode.AWS_AUTH_ROLE_PATH,
    severity=Severity.ERROR,
    link=Link.MAPPING,
    title="The aws-auth entry has the role's path",
    why="STS drops role paths from assumed-role ARNs, so a rolearn with a path never matches.",
    fix=f"`eksaccess repair aws-auth --cluster C` / `kubectl patch configmap aws-auth` with the path-less rolearn, pinned to the resourceVersion read, {ADMIN}",
    reporters=_DOCTOR_AND_LINT,
)
AWS_AUTH_ASSUMED_ROLE_ARN = Definition(
    code=FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
    severity=Severity.ERROR,
    link=Link.MAPPING,
    title="The aws-auth entry holds an assumed-role ARN",
    why="aws-auth matches role ARNs (arn:aws:iam::ACCOUNT:role/NAME), never STS session ARNs.",
    fix="`eksaccess repair aws-auth` / `kubectl patch` with the role ARN (as ROLE_PATH)",
    reporters=_DOCTOR_AND_LINT,
)
AWS_AUTH_MALFORMED = Definition(
    code=FindingCode.AWS_AUTH_MALFORMED,
    severity=Severity.ERROR,
    link=Link.MAPPING,
    title="The aws-auth ConfigMap is malformed",
    why="The authenticator drops every mapping of a key whose YAML does not parse.",
    fix="`eksaccess repair aws-auth` / `kubectl patch` with the key re-read as meant (as ROLE_PATH); a key that cannot be re-read with certainty is named, to fix by hand",
    reporters=_DOCTOR_AND_LINT,
)
AWS_AUTH_KEY_CASE = Definition(
    code=FindingCode.AWS_AUTH_KEY_CASE,
    severity=Severity.ERROR,
    link=Link.MAPPING,
    title="An aws-auth key is spelled with the wrong case",
    why="Only mapRoles, mapUsers and mapAccounts are read; other spellings are ignored silently.",
    fix="`eksaccess repair aws-auth` / `kubectl patch` moving the key to its name (as ROLE_PATH)",
    reporters=_DOCTOR_AND_LINT,
)
AWS_AUTH_SHADOWED = Definition(
    code=FindingCode.AWS_AUTH_SHADOWED,
    severity=Severity.WARNING,
    link=Link.MAPPING,
    title="An aws-auth row is shadowed by a mapping that wins over it",
    why="The principal gets the identity of the mapping that wins (an access entry over aws-auth in "
    "API_AND_CONFIG_MAP; nothing of aws-auth in mode API): the row is ignored, and editing it changes nothing.",
    fix="move what the row meant to grant into the access entry, then remove the row",
    reporters=frozenset({Reporter.DOCTOR, Reporter.AUDIT}),
    # doctor reports it beside a principal the winning mapping serves: information, not a cause
    severity_by_reporter={Reporter.DOCTOR: Severity.INFO},
)

LINT = Catalogue(
    Reporter.LINT,
    (
        AWS_AUTH_MALFORMED,
        AWS_AUTH_KEY_CASE,
        Definition(
            code=FindingCode.AWS_AUTH_UNKNOWN_KEY,
            severity=Severity.INFO,
            link=Link.MAPPING,
            title="A data key the authenticator does not read",
            why="Only mapRoles, mapUsers and mapAccounts are read; anything else is ignored.",
            fix="remove it, unless it is there on purpose",
            reporters=_LINT,
        ),
        AWS_AUTH_ASSUMED_ROLE_ARN,
        AWS_AUTH_ROLE_PATH,
        Definition(
            code=FindingCode.AWS_AUTH_INVALID_ARN,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth entry's ARN is not a valid IAM principal ARN",
            why="The authenticator compares ARNs exactly (no wildcards): an invalid one never matches.",
            fix="use arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_WRONG_KEY,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="A role under mapUsers, or a user under mapRoles",
            why="The authenticator compares ARNs only, so it matches, but tools that read aws-auth by key "
            "(eksctl, migration to access entries) misread it.",
            fix="move the entry to the key of its kind",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_DUPLICATE,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An ARN or account is mapped more than once",
            why="The authenticator uses one mapping per ARN; the others are ignored silently.",
            fix="keep one entry per ARN",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_MISSING_ARN,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth entry has no rolearn or userarn",
            why="The authenticator skips an entry without the ARN of its key.",
            fix="add the ARN field of the key (rolearn in mapRoles, userarn in mapUsers)",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_INVALID_ENTRY,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth entry is not a mapping",
            why="The authenticator skips list items that are not a mapping with an ARN.",
            fix="write it as a mapping with the ARN, username and groups",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_SSO_UNSUPPORTED,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth entry uses the sso field",
            why="This authenticator does not read the sso field: the entry never matches.",
            fix="map each IAM Identity Center role by its path-less ARN, or use access entries",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_GROUPS_NOT_LIST,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth entry's groups is not a list",
            why="The authenticator reads groups only as a YAML list: the entry gets no groups at all.",
            fix="write groups as a YAML list",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_GROUP_WHITESPACE,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth group name contains spaces",
            why="Group names are compared exactly; an indentation slip joins list items into one name.",
            fix="put each group on its own line, aligned under the first",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_NOT_A_STRING,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth value is not a string",
            why="YAML 1.1 reads yes/no/on/off/y/n as booleans and digits as numbers; the authenticator leaves "
            "such a value empty.",
            fix="quote the value",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_UNKNOWN_FIELD,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth entry has a field the authenticator does not read",
            why="Unknown fields are ignored silently, often a misspelt username or groups.",
            fix="correct the field's name, or remove it",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_DUPLICATE_FIELD,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth entry sets a field more than once",
            why="The authenticator keeps one value; the others are lost silently.",
            fix="keep one value per field",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_UNKNOWN_TEMPLATE,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth username or group uses an unknown template",
            why="The authenticator leaves a template it does not know as literal text.",
            fix="use one of the authenticator's templates",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_SESSION_NAME_TEMPLATE,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="An aws-auth role mapping uses the session name without a prefix",
            why="Whoever may assume the role chooses the session name, and so their Kubernetes username or groups "
            "(a username of the README's form `prefix:{{SessionName}}` is not reported: it cannot take another "
            "mapping's name).",
            fix="let only EC2 or your identity provider assume the role, and prefix the username",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_SYSTEM_MASTERS,
            severity=Severity.WARNING,
            link=Link.MAPPING,
            title="aws-auth entries grant system:masters",
            why="system:masters is unrestricted cluster-admin that RBAC cannot limit (access entries refuse it). "
            "Reported once per map, with its rows; a warning, which does not fail lint, unless "
            "`--fail-on-system-masters` makes it an error.",
            fix="grant AmazonEKSClusterAdminPolicy through an access entry, or bind a narrower ClusterRole",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_NODE_ROLE_GROUPS,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="A node role entry lacks the node groups",
            why="Nodes need system:bootstrappers and system:nodes to join the cluster.",
            fix="groups: [system:bootstrappers, system:nodes]",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_INVALID_ACCOUNT,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="A mapAccounts item is not a 12-digit account ID",
            why="The authenticator skips items it cannot read and never matches other text.",
            fix="list 12-digit account IDs, quoted",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_WRONG_NAMESPACE,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="The aws-auth ConfigMap is outside kube-system",
            why="The authenticator watches only kube-system/aws-auth: an aws-auth ConfigMap in any other "
            "namespace maps nobody. Without metadata.namespace, `kubectl apply -n` (or the context's "
            "namespace) decides.",
            fix="set metadata.namespace: kube-system",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_QUOTED_EMPTY,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth key holds a quoted empty string or null",
            why="The authenticator reads `''`, `\"\"` and a backquote pair (and a YAML null) as nothing, without a "
            "word in its log: no role (node roles included) or user of that key is mapped. Usually a template "
            "that rendered an empty value.",
            fix="write the YAML list the key should hold, or remove the key",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_PLACEHOLDER,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="Placeholder text left in an aws-auth entry",
            why="`<ACCOUNT_ID>`, `<system:nodes>`, `${...}` or `{{ .Values... }}` left unrendered are taken "
            "literally: an ARN with one never matches, a group with one is bound by nothing.",
            fix="render the template, or replace the placeholder with the real value",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_EMPTY_USERNAME,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="An aws-auth entry has an empty username",
            why='The authenticator renders the empty pattern as it is and answers with username "" '
            "(pkg/server/server.go renderTemplates); the API server accepts it, but RBAC cannot bind it, audit "
            "logs name nobody, and every request proxied to an aggregated API (metrics.k8s.io: `kubectl top`) "
            "is refused 401, the request-header authenticator refusing an empty name.",
            fix="give a username: a fixed name, or a prefix with the session name (`devs:{{SessionName}}`)",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_EC2_NAME_NOT_NODE,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="{{EC2PrivateDNSName}} in the mapping of a role that is not a node role",
            why="The authenticator resolves {{EC2PrivateDNSName}} only when the session name is an EC2 instance "
            "id; a person, an SSO or a CI role has another session name, so every login fails "
            "(`SessionName did not contain an instance id`, 401).",
            fix="give the role its own username (`ci:{{SessionName}}`); keep system:node:{{EC2PrivateDNSName}} "
            "for node instance roles",
            reporters=_LINT,
        ),
        Definition(
            code=FindingCode.AWS_AUTH_FARGATE_EC2_USERNAME,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="A Fargate pod execution role is mapped with the EC2 node username",
            why="Fargate's kubelet authenticates with a session name that is not an EC2 instance id, so "
            "system:node:{{EC2PrivateDNSName}} fails for every Fargate node and its pods stay Pending; EKS maps "
            "the pod execution role to system:node:{{SessionName}}.",
            fix="username: system:node:{{SessionName}}, groups: [system:bootstrappers, system:nodes, "
            "system:node-proxier]",
            reporters=_LINT,
        ),
    ),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Where:
    """Lines within a key's YAML, turned into manifest lines when the key's offset is known."""

    offsets: Mapping[str, int]

    def line(self, key: str, line: int | None) -> int | None:
        if line is None:
            return None
        return line + self.offsets[key] if key in self.offsets else line

    def lines(self, key: str, lines: list[int | None]) -> str:
        return ", ".join(str(self.line(key, n)) for n in lines)


def lint_finding(
    code: FindingCode,
    severity: Severity,
    key: str | None,
    line: int | None,
    message: str,
    fix: str,
    evidence: Mapping[str, Any] | None = None,
) -> Finding:
    """A lint finding: the definition's title, this occurrence's severity, place, message and fix."""
    return LINT.finding(
        code,
        severity=severity,
        key=key,
        line=line,
        detail=message,
        fix=(FixStep(text=fix),),
        evidence=evidence,
    )
