"""One finding vocabulary for doctor, lint, audit and the management guards.

A ``Definition`` is what a code means: its severity, title, why, the fix in words, the link of the chain it
sits on, and which commands report it. A fact that two commands report is one definition, listed by both.
Each family declares its definitions beside the code that finds them and gathers them in a ``Catalogue``
(the one registration and lookup); a ``Finding`` is made from the catalogue, so its severity, link and title
always come from the definition, never from the place that emits it. Codes are a contract: scripts match
on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# How doctor's fixes that change the cluster are run (the fix texts of its definitions say so).
ADMIN = "as the administrator doctor proved (`--admin-profile`; its context, or its token on yours)"

SEVERITY_RANK: Mapping[Severity, int] = MappingProxyType(
    {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
)


class Reporter(StrEnum):
    """The commands that report findings."""

    DOCTOR = "doctor"
    LINT = "lint"  # eksaccess lint aws-auth
    AUDIT = "audit"
    GUARD = "guard"  # the lock-out guard of the management commands


DOCTOR = frozenset({Reporter.DOCTOR})  # the reporters of a definition only doctor reports


class Link(StrEnum):
    """The links of the chain from a credential to a permission, in the order doctor walks them."""

    CREDENTIALS = "credentials"
    KUBECONFIG = "kubeconfig"
    CLUSTER = "cluster"
    NETWORK = "network"
    TOKEN = "token"
    AUTHENTICATION = "authentication"
    MAPPING = "mapping"
    AUTHORIZATION = "authorization"
    RECOVERY = "recovery"


class FindingCode(StrEnum):
    """Every stable code, once. Doctor's in the order it reports them, then lint's, audit's, the guard's."""

    # doctor (the aws-auth codes among them are lint's too, AWS_AUTH_SHADOWED audit's too)
    CREDENTIALS_NOT_FOUND = "CREDENTIALS_NOT_FOUND"
    CREDENTIALS_INVALID = "CREDENTIALS_INVALID"
    CREDENTIALS_EXPIRED = "CREDENTIALS_EXPIRED"
    ASSUME_ROLE_DENIED = "ASSUME_ROLE_DENIED"
    IDENTITY_DIFFERS_FROM_SHELL = "IDENTITY_DIFFERS_FROM_SHELL"
    KUBECONFIG_NOT_FOUND = "KUBECONFIG_NOT_FOUND"
    KUBECONFIG_INVALID = "KUBECONFIG_INVALID"
    KUBECONFIG_CONTEXT_MISSING = "KUBECONFIG_CONTEXT_MISSING"
    KUBECONFIG_NOT_EKS_EXEC = "KUBECONFIG_NOT_EKS_EXEC"
    EXEC_API_VERSION_UNSUPPORTED = "EXEC_API_VERSION_UNSUPPORTED"
    EXEC_COMMAND_NOT_FOUND = "EXEC_COMMAND_NOT_FOUND"
    EXEC_PLUGIN_SLOW = "EXEC_PLUGIN_SLOW"
    CACHED_CREDENTIALS_STALE = "CACHED_CREDENTIALS_STALE"
    ENDPOINT_MISMATCH = "ENDPOINT_MISMATCH"
    CA_MISMATCH = "CA_MISMATCH"
    CLUSTER_NAME_MISMATCH = "CLUSTER_NAME_MISMATCH"
    REGION_MISMATCH = "REGION_MISMATCH"
    CLUSTER_NOT_FOUND = "CLUSTER_NOT_FOUND"
    CLUSTER_NOT_ACTIVE = "CLUSTER_NOT_ACTIVE"
    DESCRIBE_CLUSTER_DENIED = "DESCRIBE_CLUSTER_DENIED"
    ENDPOINT_UNREACHABLE = "ENDPOINT_UNREACHABLE"
    TLS_VERIFY_FAILED = "TLS_VERIFY_FAILED"
    TOKEN_REJECTED = "TOKEN_REJECTED"
    CLOCK_SKEW = "CLOCK_SKEW"
    ACCESS_ENTRY_MISSING = "ACCESS_ENTRY_MISSING"
    AWS_AUTH_ENTRY_MISSING = "AWS_AUTH_ENTRY_MISSING"
    AWS_AUTH_ROLE_PATH = "AWS_AUTH_ROLE_PATH"
    AWS_AUTH_ASSUMED_ROLE_ARN = "AWS_AUTH_ASSUMED_ROLE_ARN"
    AWS_AUTH_MALFORMED = "AWS_AUTH_MALFORMED"
    AWS_AUTH_KEY_CASE = "AWS_AUTH_KEY_CASE"
    AWS_AUTH_IGNORED_API_MODE = "AWS_AUTH_IGNORED_API_MODE"
    AWS_AUTH_SHADOWED = "AWS_AUTH_SHADOWED"
    AWS_AUTH_DUPLICATE_ROW = "AWS_AUTH_DUPLICATE_ROW"
    AWS_AUTH_DUPLICATE_WRONG_ROW = "AWS_AUTH_DUPLICATE_WRONG_ROW"
    ACCESS_ENTRY_STALE_PRINCIPAL = "ACCESS_ENTRY_STALE_PRINCIPAL"
    MAPPED_VIA_ACCOUNT_ONLY = "MAPPED_VIA_ACCOUNT_ONLY"
    NO_PERMISSIONS = "NO_PERMISSIONS"
    GROUPS_WITHOUT_BINDINGS = "GROUPS_WITHOUT_BINDINGS"
    NAMESPACE_SCOPE = "NAMESPACE_SCOPE"
    RBAC_SUBJECT_CASE = "RBAC_SUBJECT_CASE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NO_ADMIN_AVAILABLE = "NO_ADMIN_AVAILABLE"
    ADMIN_CANDIDATES = "ADMIN_CANDIDATES"
    MAPPING_UNVERIFIED = "MAPPING_UNVERIFIED"
    NOT_MAPPED = "NOT_MAPPED"
    # lint aws-auth
    AWS_AUTH_UNKNOWN_KEY = "AWS_AUTH_UNKNOWN_KEY"
    AWS_AUTH_INVALID_ARN = "AWS_AUTH_INVALID_ARN"
    AWS_AUTH_WRONG_KEY = "AWS_AUTH_WRONG_KEY"
    AWS_AUTH_DUPLICATE = "AWS_AUTH_DUPLICATE"
    AWS_AUTH_MISSING_ARN = "AWS_AUTH_MISSING_ARN"
    AWS_AUTH_INVALID_ENTRY = "AWS_AUTH_INVALID_ENTRY"
    AWS_AUTH_SSO_UNSUPPORTED = "AWS_AUTH_SSO_UNSUPPORTED"
    AWS_AUTH_GROUPS_NOT_LIST = "AWS_AUTH_GROUPS_NOT_LIST"
    AWS_AUTH_GROUP_WHITESPACE = "AWS_AUTH_GROUP_WHITESPACE"
    AWS_AUTH_NOT_A_STRING = "AWS_AUTH_NOT_A_STRING"
    AWS_AUTH_UNKNOWN_FIELD = "AWS_AUTH_UNKNOWN_FIELD"
    AWS_AUTH_DUPLICATE_FIELD = "AWS_AUTH_DUPLICATE_FIELD"
    AWS_AUTH_UNKNOWN_TEMPLATE = "AWS_AUTH_UNKNOWN_TEMPLATE"
    AWS_AUTH_SESSION_NAME_TEMPLATE = "AWS_AUTH_SESSION_NAME_TEMPLATE"
    AWS_AUTH_SYSTEM_MASTERS = "AWS_AUTH_SYSTEM_MASTERS"
    AWS_AUTH_NODE_ROLE_GROUPS = "AWS_AUTH_NODE_ROLE_GROUPS"
    AWS_AUTH_INVALID_ACCOUNT = "AWS_AUTH_INVALID_ACCOUNT"
    AWS_AUTH_WRONG_NAMESPACE = "AWS_AUTH_WRONG_NAMESPACE"
    AWS_AUTH_QUOTED_EMPTY = "AWS_AUTH_QUOTED_EMPTY"
    AWS_AUTH_PLACEHOLDER = "AWS_AUTH_PLACEHOLDER"
    AWS_AUTH_EMPTY_USERNAME = "AWS_AUTH_EMPTY_USERNAME"
    AWS_AUTH_EC2_NAME_NOT_NODE = "AWS_AUTH_EC2_NAME_NOT_NODE"
    AWS_AUTH_FARGATE_EC2_USERNAME = "AWS_AUTH_FARGATE_EC2_USERNAME"
    # audit (NO_CLUSTER_ADMIN is the guard's too)
    SYSTEM_MASTERS_OUTSIDE_CREATOR = "SYSTEM_MASTERS_OUTSIDE_CREATOR"
    WILDCARD_RULE = "WILDCARD_RULE"
    PRINCIPAL_NOT_IN_IAM = "PRINCIPAL_NOT_IN_IAM"
    MAPPED_BY_BOTH = "MAPPED_BY_BOTH"
    SCOPE_NAMESPACE_MISSING = "SCOPE_NAMESPACE_MISSING"
    USER_KEYS_CLUSTER_ADMIN = "USER_KEYS_CLUSTER_ADMIN"
    ROLE_ASSUMABLE_BY_ANYONE = "ROLE_ASSUMABLE_BY_ANYONE"
    ROLE_ASSUMABLE_CROSS_ACCOUNT = "ROLE_ASSUMABLE_CROSS_ACCOUNT"
    GROUP_WITHOUT_PRINCIPAL = "GROUP_WITHOUT_PRINCIPAL"
    ESCALATION_OUTSIDE_ADMINS = "ESCALATION_OUTSIDE_ADMINS"
    NO_CLUSTER_ADMIN = "NO_CLUSTER_ADMIN"
    # audit, issue 21 (helper W2): workload identity (features/analyze/risks/workload_*.py, trust_*.py)
    WORKLOAD_ADMIN_ROLE_WIDE_REACH = "WORKLOAD_ADMIN_ROLE_WIDE_REACH"
    TRUST_ANY_SERVICE_ACCOUNT = "TRUST_ANY_SERVICE_ACCOUNT"
    TRUST_NO_AUDIENCE = "TRUST_NO_AUDIENCE"
    TRUST_PROVIDER_GONE = "TRUST_PROVIDER_GONE"
    # the lock-out guard (its own spelling, which tests and callers match on)
    OPERATOR_LOSES_AWS_AUTH_WRITE = "operator-loses-aws-auth-write"
    OPERATOR_LOSES_ACCESS = "operator-loses-access"
    NODE_LOSES_NODE_GROUP = "node-loses-system-nodes"
    NODE_IDENTITY_CHANGED = "node-identity-changed"
    RESERVED_USERNAME = "reserved-username"
    # doctor --node-role / --nodegroup and audit (issue #20 part 4: nodes that cannot join)
    NODE_ROLE_NOT_MAPPED = "NODE_ROLE_NOT_MAPPED"
    NODE_ENTRY_WRONG_TYPE = "NODE_ENTRY_WRONG_TYPE"
    NODE_ROW_WRONG_IDENTITY = "NODE_ROW_WRONG_IDENTITY"
    FARGATE_ROLE_WRONG_TYPE = "FARGATE_ROLE_WRONG_TYPE"
    NODE_ROLE_CANNOT_JOIN = "NODE_ROLE_CANNOT_JOIN"
    # doctor, issue 20 parts 2 and 3 (helper A): endpoint access, static EKS tokens
    ENDPOINT_PUBLIC_ACCESS_OFF = "ENDPOINT_PUBLIC_ACCESS_OFF"
    ENDPOINT_CIDR_EXCLUDES_YOU = "ENDPOINT_CIDR_EXCLUDES_YOU"
    ENDPOINT_CIDRS_IGNORED = "ENDPOINT_CIDRS_IGNORED"
    ENDPOINT_CIDRS_UNCHECKED = "ENDPOINT_CIDRS_UNCHECKED"
    STATIC_TOKEN = "STATIC_TOKEN"
    STATIC_TOKEN_EXPIRED = "STATIC_TOKEN_EXPIRED"
    # doctor, issue 20 part 5: IAM Identity Center permission sets (features/doctor/checks/sso.py)
    SSO_ROLE_STALE_SUFFIX = "SSO_ROLE_STALE_SUFFIX"
    SSO_SESSION_NAME_AT = "SSO_SESSION_NAME_AT"
    # doctor --console, issue 20 part 1 (helper C): features/doctor/checks/console.py
    CONSOLE_IAM_ACTION_MISSING = "CONSOLE_IAM_ACTION_MISSING"
    CONSOLE_IAM_UNCHECKED = "CONSOLE_IAM_UNCHECKED"
    CONSOLE_NOT_MAPPED = "CONSOLE_NOT_MAPPED"
    CONSOLE_CANNOT_LIST = "CONSOLE_CANNOT_LIST"
    # doctor, issue 20 parts 6 and 7 (helper D): the creator (checks/creator.py), the authenticator's log
    # (checks/authenticator_log.py)
    CREATOR_FOUND = "CREATOR_FOUND"
    CREATOR_DELETED = "CREATOR_DELETED"
    CREATOR_UNKNOWN = "CREATOR_UNKNOWN"
    AUTHENTICATOR_LOG_LINE = "AUTHENTICATOR_LOG_LINE"
    AUTHENTICATOR_LOG_OFF = "AUTHENTICATOR_LOG_OFF"
    # doctor --service-account / --pod, issue 21 (helper W1): features/doctor/checks/workload_*.py
    WORKLOAD_NO_IDENTITY = "WORKLOAD_NO_IDENTITY"
    WORKLOAD_BOTH_MECHANISMS = "WORKLOAD_BOTH_MECHANISMS"
    WORKLOAD_ROLE_NOT_FOUND = "WORKLOAD_ROLE_NOT_FOUND"
    WORKLOAD_ROLE_OTHER_ACCOUNT = "WORKLOAD_ROLE_OTHER_ACCOUNT"
    ROLE_BOUNDARY_OR_DENY = "ROLE_BOUNDARY_OR_DENY"
    OIDC_PROVIDER_MISSING = "OIDC_PROVIDER_MISSING"
    OIDC_AUDIENCE_MISSING = "OIDC_AUDIENCE_MISSING"
    TRUST_SUB_MISMATCH = "TRUST_SUB_MISMATCH"
    TRUST_STRINGEQUALS_WILDCARD = "TRUST_STRINGEQUALS_WILDCARD"
    TRUST_CONDITION_FAILS = "TRUST_CONDITION_FAILS"
    POD_IDENTITY_TRUST_MISSING = "POD_IDENTITY_TRUST_MISSING"
    POD_IDENTITY_NO_TAG_SESSION = "POD_IDENTITY_NO_TAG_SESSION"
    POD_OLDER_THAN_ASSOCIATION = "POD_OLDER_THAN_ASSOCIATION"


@dataclass(frozen=True, kw_only=True, slots=True)
class FixStep:
    """One step of a fix: a sentence, the eksaccess command, and the plain aws/kubectl equivalent.

    Commands are pasted literally, in order: each must run without a prompt or an editor, as an identity
    that may make the change. ``by_hand`` marks the one kind of step that cannot: a person logs in or puts
    new credential material in place (the command names what to run; nobody can run it for them). A step
    with text only advises (lint, audit).
    """

    text: str
    eksaccess: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    by_hand: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "eksaccess": list(self.eksaccess),
            "plain": list(self.plain),
            "byHand": self.by_hand,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Definition:
    """What a code means, once for every command that reports it."""

    code: FindingCode
    severity: Severity
    link: Link  # where on the chain the fact sits
    title: str
    why: str
    fix: str  # the fix in words (doctor: which fix it prints; audit: the fix it prints)
    reporters: frozenset[Reporter]
    # A reporter that weighs the fact otherwise (doctor: a shadowed row does not stop the principal it serves).
    severity_by_reporter: Mapping[Reporter, Severity] = field(default_factory=dict)

    def severity_for(self, reporter: Reporter) -> Severity:
        return self.severity_by_reporter.get(reporter, self.severity)


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """What a check found: the definition's code, severity, link and title, and this occurrence's details."""

    code: FindingCode
    severity: Severity
    link: Link
    title: str
    detail: str  # specific: what was found, where
    fix: tuple[FixStep, ...] = ()
    subject: str = ""  # the principal ARN, object ('ClusterRole "x"') or group concerned
    cluster: str = ""  # "region/name", when reported over a fleet
    key: str | None = None  # the aws-auth data key (mapRoles, ...)
    line: int | None = None  # 1-based, in the aws-auth manifest when known, else within the key's YAML
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def advice(self) -> str:
        """The fix as one sentence of text (lint and audit print this)."""
        return "; ".join(step.text for step in self.fix)


class Catalogue(Mapping[FindingCode, Definition]):
    """One reporter's definitions by code, in the order given: the registration and the lookup of every
    family. A code registered twice, or a definition that does not name the reporter, is refused."""

    def __init__(self, reporter: Reporter, definitions: Iterable[Definition]) -> None:
        by_code: dict[FindingCode, Definition] = {}
        for definition in definitions:
            if reporter not in definition.reporters:
                raise ValueError(f"{definition.code} is not reported by {reporter}")
            if definition.code in by_code:
                raise ValueError(f"{definition.code} is defined twice")
            by_code[definition.code] = definition
        self.reporter = reporter
        self._by_code = by_code
        self._position = {code: i for i, code in enumerate(by_code)}

    def __getitem__(self, code: FindingCode) -> Definition:
        return self._by_code[code]

    def __iter__(self) -> Iterator[FindingCode]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def position(self, code: FindingCode) -> int:
        """The code's place in the catalogue (reports order findings of one severity by it)."""
        return self._position[code]

    def severity(self, code: FindingCode) -> Severity:
        return self[code].severity_for(self.reporter)

    def finding(
        self,
        code: FindingCode,
        *,
        detail: str,
        fix: tuple[FixStep, ...] = (),
        severity: Severity | None = None,
        subject: str = "",
        cluster: str = "",
        key: str | None = None,
        line: int | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding of ``code``; ``severity`` only where the definition says it depends on the case."""
        definition = self[code]
        return Finding(
            code=code,
            severity=severity or definition.severity_for(self.reporter),
            link=definition.link,
            title=definition.title,
            detail=detail,
            fix=fix,
            subject=subject,
            cluster=cluster,
            key=key,
            line=line,
            evidence=evidence if evidence is not None else {},
        )
