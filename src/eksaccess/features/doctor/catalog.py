"""The doctor's findings catalogue: one entry per stable code.

Codes are a contract: tests, scripts and docs/doctor-findings.md (generated from this table) rely on
them. A check emits a finding by code; title, link and severity come from here, never from the check.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    ACCESS_ENTRY_STALE_PRINCIPAL = "ACCESS_ENTRY_STALE_PRINCIPAL"
    MAPPED_VIA_ACCOUNT_ONLY = "MAPPED_VIA_ACCOUNT_ONLY"
    NO_PERMISSIONS = "NO_PERMISSIONS"
    GROUPS_WITHOUT_BINDINGS = "GROUPS_WITHOUT_BINDINGS"
    NAMESPACE_SCOPE = "NAMESPACE_SCOPE"
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


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO


def _entries() -> list[CatalogEntry]:
    c, lk = Code, Link
    rows: list[tuple[Code, Link, Severity, str, str]] = [
        (
            c.CREDENTIALS_NOT_FOUND,
            lk.CREDENTIALS,
            _E,
            "No AWS credentials",
            "The exec plugin finds no credentials, so it cannot mint a token.",
        ),
        (
            c.CREDENTIALS_INVALID,
            lk.CREDENTIALS,
            _E,
            "AWS credentials are not valid",
            "STS refuses the access key (unknown key or wrong secret).",
        ),
        (
            c.CREDENTIALS_EXPIRED,
            lk.CREDENTIALS,
            _E,
            "AWS credentials have expired",
            "The session credentials (SSO, assumed role) are past their expiry.",
        ),
        (
            c.CACHED_CREDENTIALS_STALE,
            lk.CREDENTIALS,
            _E,
            "kubectl's cached AWS credentials are stale or revoked",
            "The aws CLI signs kubectl's token with assumed-role credentials from its cache (~/.aws/cli/cache) "
            "until they expire; the cluster refuses them while fresh credentials of the profile work.",
        ),
        (
            c.ASSUME_ROLE_DENIED,
            lk.CREDENTIALS,
            _E,
            "The role cannot be assumed",
            "The role's trust policy or the caller's permissions refuse sts:AssumeRole.",
        ),
        (
            c.IDENTITY_DIFFERS_FROM_SHELL,
            lk.CREDENTIALS,
            _I,
            "kubectl uses another identity than your shell",
            "The exec entry sets a profile or role, so kubectl's token is not your shell's identity.",
        ),
        (c.KUBECONFIG_NOT_FOUND, lk.KUBECONFIG, _E, "No kubeconfig", "kubectl has no configuration to use."),
        (
            c.KUBECONFIG_INVALID,
            lk.KUBECONFIG,
            _E,
            "The kubeconfig cannot be read",
            "kubectl refuses a kubeconfig that is not valid YAML or has malformed entries.",
        ),
        (
            c.KUBECONFIG_CONTEXT_MISSING,
            lk.KUBECONFIG,
            _E,
            "The kubeconfig context is missing or incomplete",
            "The context (or the cluster or user it names) does not exist.",
        ),
        (
            c.KUBECONFIG_NOT_EKS_EXEC,
            lk.KUBECONFIG,
            _E,
            "The kubeconfig user does not mint EKS tokens",
            "The user entry has no aws eks get-token exec plugin, so no IAM identity reaches the cluster.",
        ),
        (
            c.EXEC_API_VERSION_UNSUPPORTED,
            lk.KUBECONFIG,
            _E,
            "The exec plugin apiVersion is not supported",
            "kubectl 1.24 and later refuse client.authentication.k8s.io/v1alpha1; v1 needs interactiveMode.",
        ),
        (
            c.EXEC_PLUGIN_SLOW,
            lk.KUBECONFIG,
            _I,
            "Every kubectl command waits for the aws CLI to start",
            "kubectl runs the exec plugin for each command and keeps the token only for itself; the aws CLI's "
            "start-up dominates that time. `eksaccess token` reuses a valid token from a 0600 cache.",
        ),
        (
            c.EXEC_COMMAND_NOT_FOUND,
            lk.KUBECONFIG,
            _E,
            "The exec plugin command is not installed",
            "kubectl cannot run the command named in the exec entry.",
        ),
        (
            c.ENDPOINT_MISMATCH,
            lk.KUBECONFIG,
            _E,
            "The kubeconfig points at another endpoint",
            "The server in the kubeconfig is not the cluster's endpoint (an old or recreated cluster).",
        ),
        (
            c.CA_MISMATCH,
            lk.KUBECONFIG,
            _E,
            "The kubeconfig holds another certificate authority",
            "kubectl will not trust the cluster's certificate (x509: unknown authority).",
        ),
        (
            c.CLUSTER_NAME_MISMATCH,
            lk.KUBECONFIG,
            _E,
            "The token is minted for another cluster name",
            "The token's x-k8s-aws-id must equal the cluster's name or STS rejects the signature.",
        ),
        (
            c.REGION_MISMATCH,
            lk.KUBECONFIG,
            _W,
            "The exec plugin uses another region",
            "The token is signed in another region than the cluster's; it fails where that region's STS is off.",
        ),
        (
            c.CLUSTER_NOT_FOUND,
            lk.CLUSTER,
            _E,
            "The cluster does not exist here",
            "DescribeCluster finds no cluster of that name in this account and region.",
        ),
        (
            c.CLUSTER_NOT_ACTIVE,
            lk.CLUSTER,
            _E,
            "The cluster is not active",
            "The cluster is being created, deleted or has failed.",
        ),
        (
            c.DESCRIBE_CLUSTER_DENIED,
            lk.CLUSTER,
            _W,
            "You may not describe the cluster",
            "eks:DescribeCluster is denied: update-kubeconfig fails, the rest of the chain may still work.",
        ),
        (
            c.ENDPOINT_UNREACHABLE,
            lk.NETWORK,
            _E,
            "The cluster endpoint cannot be reached",
            "No connection to the API server (private endpoint, firewall, DNS, or a stale address).",
        ),
        (
            c.TLS_VERIFY_FAILED,
            lk.NETWORK,
            _E,
            "The endpoint's certificate is not trusted",
            "The certificate does not chain to the kubeconfig's certificate authority.",
        ),
        (
            c.TOKEN_REJECTED,
            lk.TOKEN,
            _E,
            "The cluster rejects the token",
            "The token is malformed, expired or its signature does not verify at STS.",
        ),
        (
            c.CLOCK_SKEW,
            lk.TOKEN,
            _E,
            "Your clock is off",
            "Tokens are valid 15 minutes from their signing time by the server's clock.",
        ),
        (
            c.ACCESS_ENTRY_MISSING,
            lk.MAPPING,
            _E,
            "No access entry for this principal",
            "The cluster maps IAM principals through access entries and has none for this one.",
        ),
        (
            c.AWS_AUTH_ENTRY_MISSING,
            lk.MAPPING,
            _E,
            "No aws-auth mapping for this principal",
            "The aws-auth ConfigMap has no mapRoles/mapUsers entry matching this principal.",
        ),
        (
            c.AWS_AUTH_ROLE_PATH,
            lk.MAPPING,
            _E,
            "The aws-auth entry has the role's path",
            "STS drops role paths from assumed-role ARNs, so a rolearn with a path never matches.",
        ),
        (
            c.AWS_AUTH_ASSUMED_ROLE_ARN,
            lk.MAPPING,
            _E,
            "The aws-auth entry holds an assumed-role ARN",
            "aws-auth matches role ARNs (arn:aws:iam::ACCOUNT:role/NAME), never STS session ARNs.",
        ),
        (
            c.AWS_AUTH_MALFORMED,
            lk.MAPPING,
            _E,
            "The aws-auth ConfigMap is malformed",
            "The authenticator drops every mapping of a key whose YAML does not parse.",
        ),
        (
            c.AWS_AUTH_KEY_CASE,
            lk.MAPPING,
            _E,
            "An aws-auth key is spelled with the wrong case",
            "Only mapRoles, mapUsers and mapAccounts are read; other spellings are ignored silently.",
        ),
        (
            c.AWS_AUTH_IGNORED_API_MODE,
            lk.MAPPING,
            _E,
            "The aws-auth mapping is ignored in API mode",
            "In authentication mode API the cluster reads access entries only.",
        ),
        (
            c.AWS_AUTH_SHADOWED,
            lk.MAPPING,
            _I,
            "An access entry overrides the aws-auth mapping",
            "In API_AND_CONFIG_MAP the access entry wins; the aws-auth row is ignored.",
        ),
        (
            c.ACCESS_ENTRY_STALE_PRINCIPAL,
            lk.MAPPING,
            _E,
            "The access entry belongs to a deleted principal",
            "Access entries bind the principal's unique ID; a recreated role or user no longer matches.",
        ),
        (
            c.MAPPED_VIA_ACCOUNT_ONLY,
            lk.MAPPING,
            _W,
            "Mapped only through mapAccounts",
            "mapAccounts authenticates with the ARN as username and no groups: usually 403 everywhere.",
        ),
        (
            c.NO_PERMISSIONS,
            lk.AUTHORIZATION,
            _E,
            "The identity has no permissions",
            "No access policy is associated and no RBAC binding names its username or groups.",
        ),
        (
            c.GROUPS_WITHOUT_BINDINGS,
            lk.AUTHORIZATION,
            _W,
            "Groups without any binding",
            "Kubernetes groups grant nothing until a RoleBinding or ClusterRoleBinding names them.",
        ),
        (
            c.NAMESPACE_SCOPE,
            lk.AUTHORIZATION,
            _E,
            "The access policy is scoped to other namespaces",
            "A namespace-scoped access policy grants nothing outside its namespaces.",
        ),
        (
            c.PERMISSION_DENIED,
            lk.AUTHORIZATION,
            _E,
            "The permission asked for is denied",
            "Neither an access policy nor RBAC allows this request.",
        ),
        (
            c.NO_ADMIN_AVAILABLE,
            lk.RECOVERY,
            _W,
            "No principal can administer the cluster",
            "Nobody holds cluster-admin; recovery needs the EKS API (an access entry) or the creator.",
        ),
        (
            c.ADMIN_CANDIDATES,
            lk.RECOVERY,
            _I,
            "Who can fix this",
            "Principals with cluster-admin, and how to act as one of them.",
        ),
        (
            c.NOT_MAPPED,
            lk.MAPPING,
            _E,
            "The cluster maps no identity for this principal (inferred)",
            "STS accepts the token yet the cluster answers 401, and the mapping could not be read to say "
            "which row or entry is missing or wrong.",
        ),
        (
            c.MAPPING_UNVERIFIED,
            lk.MAPPING,
            _W,
            "The mapping could not be read",
            "Without access to the access entries or aws-auth, doctor cannot tell why the identity is refused.",
        ),
    ]
    return [CatalogEntry(code=a, link=b, severity=s, title=t, why=w, fix=FIXES[a]) for a, b, s, t, w in rows]


ADMIN = "as the administrator doctor proved (`--admin-profile`; its context, or its token on yours)"
# Which fix each code prints. Every command runs as printed, in order, without a prompt or an editor;
# "by hand" marks the one step a person must do (a login, a new key).
FIXES: Mapping[Code, str] = {
    Code.CREDENTIALS_NOT_FOUND: "by the profile's kind: `aws sso login`, `aws configure`, the environment's variables, "
    "the credential_process command (by hand); then `aws sts get-caller-identity --profile P`",
    Code.CREDENTIALS_INVALID: "a working key in the profile (`aws configure --profile P`, by hand; SSO: `aws sso login`); "
    "then `aws sts get-caller-identity`",
    Code.CREDENTIALS_EXPIRED: "SSO: `aws sso login --sso-session S`; temporary keys in a file: `aws configure set "
    "aws_access_key_id/aws_secret_access_key/aws_session_token` (by hand); assume-role: its source profile's; then "
    "`aws sts get-caller-identity`",
    Code.CACHED_CREDENTIALS_STALE: "`rm -f ~/.aws/cli/cache/<key>.json` (exactly the entry the profile's AssumeRole "
    "uses); eksaccess: `eksaccess doctor --fix`",
    Code.ASSUME_ROLE_DENIED: "`aws iam update-assume-role-policy --role-name R --policy-document '<the current document "
    f"plus the missing statement>'` {ADMIN}; without it, the statement to ask for",
    Code.IDENTITY_DIFFERS_FROM_SHELL: "none (information)",
    Code.KUBECONFIG_NOT_FOUND: "`eksaccess kubeconfig --cluster C` / `aws eks update-kubeconfig --name C` (with `--cluster`)",
    Code.KUBECONFIG_INVALID: "`eksaccess kubeconfig --cluster C` / `aws eks update-kubeconfig --name C` (with `--cluster`)",
    Code.KUBECONFIG_CONTEXT_MISSING: "`aws eks update-kubeconfig --name C --alias CONTEXT` (with `--cluster`)",
    Code.KUBECONFIG_NOT_EKS_EXEC: "`aws eks update-kubeconfig --name C --alias CONTEXT --user-alias USER` (with `--cluster`)",
    Code.EXEC_API_VERSION_UNSUPPORTED: "`eksaccess kubeconfig --cluster C --alias CONTEXT --user-alias USER` / "
    "`aws eks update-kubeconfig ... --alias CONTEXT --user-alias USER`: the diagnosed context, rewritten with v1beta1",
    Code.EXEC_COMMAND_NOT_FOUND: "install the command, or rewrite the entry with `aws eks update-kubeconfig`",
    Code.EXEC_PLUGIN_SLOW: "`eksaccess kubeconfig --cluster C --alias CONTEXT --exec eksaccess`",
    Code.ENDPOINT_MISMATCH: "`eksaccess kubeconfig --cluster C --alias CONTEXT --user-alias USER` / "
    "`aws eks update-kubeconfig --name C --alias CONTEXT --user-alias USER`: the diagnosed context rewritten",
    Code.CA_MISMATCH: "the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
    Code.CLUSTER_NAME_MISMATCH: "the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
    Code.REGION_MISMATCH: "the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
    Code.CLUSTER_NOT_FOUND: "`aws eks list-clusters --region R`, with the similar names found in other regions",
    Code.CLUSTER_NOT_ACTIVE: "CREATING: wait for it; FAILED: see its health (`aws eks describe-cluster`)",
    Code.DESCRIBE_CLUSTER_DENIED: "the IAM statement to add (eks:DescribeCluster on the cluster)",
    Code.ENDPOINT_UNREACHABLE: "check the endpoint's access (public/private, CIDRs, VPN); no command is certain",
    Code.TLS_VERIFY_FAILED: "the diagnosed context rewritten from DescribeCluster, or the proxy's CA trusted",
    Code.TOKEN_REJECTED: "mint tokens with an exec entry (`aws eks update-kubeconfig --alias CONTEXT`) instead of a "
    "static token",
    Code.CLOCK_SKEW: "synchronize the clock (NTP), by hand",
    Code.ACCESS_ENTRY_MISSING: f"`eksaccess grant ARN --cluster C --policy edit -n NS` / `aws eks create-access-entry` + "
    f"`associate-access-policy`, {ADMIN}",
    Code.AWS_AUTH_ENTRY_MISSING: "`eksaccess grant ARN --via aws-auth --policy edit -n NS` / `kubectl apply` of the "
    f"binding + `kubectl patch configmap aws-auth` pinned to the resourceVersion read, {ADMIN}",
    Code.AWS_AUTH_ROLE_PATH: "`eksaccess repair aws-auth --cluster C` / `kubectl patch configmap aws-auth` with the "
    f"path-less rolearn, pinned to the resourceVersion read, {ADMIN}",
    Code.AWS_AUTH_ASSUMED_ROLE_ARN: "`eksaccess repair aws-auth` / `kubectl patch` with the role ARN (as ROLE_PATH)",
    Code.AWS_AUTH_MALFORMED: "`eksaccess repair aws-auth` / `kubectl patch` with the key re-read as meant (as ROLE_PATH); "
    "a key that cannot be re-read with certainty is named, to fix by hand",
    Code.AWS_AUTH_KEY_CASE: "`eksaccess repair aws-auth` / `kubectl patch` moving the key to its name (as ROLE_PATH)",
    Code.AWS_AUTH_IGNORED_API_MODE: "an access entry (as ACCESS_ENTRY_MISSING)",
    Code.AWS_AUTH_SHADOWED: "none (information)",
    Code.ACCESS_ENTRY_STALE_PRINCIPAL: "`eksaccess revoke ARN --via access-entry --force` then `eksaccess grant` with the "
    "same type, username, groups and every policy with its scope / `aws eks delete-access-entry`, "
    f"`create-access-entry`, `associate-access-policy` per policy, {ADMIN}",
    Code.MAPPED_VIA_ACCOUNT_ONLY: "a mapping of its own (as ACCESS_ENTRY_MISSING, or AWS_AUTH_ENTRY_MISSING in CONFIG_MAP)",
    Code.NO_PERMISSIONS: "an access policy for the entry (`eksaccess grant` / `aws eks associate-access-policy`), or "
    "for an aws-auth identity a group bound to a ClusterRole (as AWS_AUTH_ENTRY_MISSING)",
    Code.GROUPS_WITHOUT_BINDINGS: f"`kubectl apply` of a RoleBinding (edit in the context's namespace) per group, {ADMIN}",
    Code.NAMESPACE_SCOPE: "the policy associated again with the namespace added to its scope",
    Code.PERMISSION_DENIED: "the edit policy in that namespace (as ACCESS_ENTRY_MISSING)",
    Code.NO_ADMIN_AVAILABLE: "an administrator added through the EKS API by a principal with eks:CreateAccessEntry",
    Code.ADMIN_CANDIDATES: "none (who can run the fixes: the proven admin first, then each admin and how to act as it)",
    Code.MAPPING_UNVERIFIED: "none (the read that would decide: `--admin-profile`)",
    Code.NOT_MAPPED: "CONFIG_MAP: `eksaccess repair aws-auth` then `eksaccess grant --via aws-auth` (right whatever the "
    "unread rows hold); access entries: only the read that decides",
}


CATALOG: Mapping[Code, CatalogEntry] = {entry.code: entry for entry in _entries()}
