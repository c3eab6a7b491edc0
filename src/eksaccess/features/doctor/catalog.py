"""The doctor's findings vocabulary: the links of the chain, the stable codes, and the catalogue entry type.

Codes are a contract: tests, scripts and docs/doctor-findings.md rely on them. Each code's entry (link,
severity, title, why, and which fix it prints) is declared by the check that finds it, in
features/doctor/checks/; ``CATALOG`` gathers them. A finding names its code; title, link and severity come
from the catalogue, never from the place that emits it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from eksaccess.domain.findings import Severity


class Link(StrEnum):
    """The links of the chain, in the order doctor walks and reports them."""

    CREDENTIALS = "credentials"
    KUBECONFIG = "kubeconfig"
    CLUSTER = "cluster"
    NETWORK = "network"
    TOKEN = "token"
    AUTHENTICATION = "authentication"
    MAPPING = "mapping"
    AUTHORIZATION = "authorization"
    RECOVERY = "recovery"


class Code(StrEnum):
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


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogEntry:
    code: Code
    link: Link
    severity: Severity
    title: str
    why: str
    fix: str  # which fix doctor prints (its eksaccess form; the plain aws/kubectl form does the same)


ADMIN = "as the administrator doctor proved (`--admin-profile`; its context, or its token on yours)"


class _Catalog(Mapping[Code, CatalogEntry]):
    """Every code's entry, as the check that owns it declares it (features/doctor/checks/). Read on first use:
    the check modules import this one for the codes."""

    @functools.cached_property
    def _entries(self) -> Mapping[Code, CatalogEntry]:
        from eksaccess.features.doctor.checks import entries  # noqa: PLC0415 - the checks import this module

        return entries()

    def __getitem__(self, code: Code) -> CatalogEntry:
        return self._entries[code]

    def __iter__(self) -> Iterator[Code]:
        return iter(sorted(self._entries, key=list(Code).index))

    def __len__(self) -> int:
        return len(self._entries)


CATALOG: Mapping[Code, CatalogEntry] = _Catalog()
