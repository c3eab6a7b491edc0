# ruff: noqa: N815
"""Sandbox scenarios: one YAML file declares accounts (IAM users and roles), clusters (ClusterState
snapshots), the AWS profiles and the kubeconfig contexts to write, including deliberate breakage.

``apiVersion: eksaccess/v1``, ``kind: Scenario``. Built-in scenarios ship as package data next to this
module; ``load_scenario`` takes a built-in name or a path to a file.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from eksaccess.adapters.files import read_text
from eksaccess.domain.data_text import load_data_text
from eksaccess.domain.endpoint_access import (
    DEFAULT_PUBLIC_CIDRS,
    EndpointAccess,
    EndpointAccessError,
    check_cidrs,
)
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal, role_arn, user_arn
from eksaccess.domain.state import ClusterState, field_path
from eksaccess.errors import InputError
from eksaccess.sandbox.aws.regions import is_known_region

API_VERSION = "eksaccess/v1"
KIND = "Scenario"
DEFAULT_REGION = "us-west-2"
FOREIGN_CA = "foreign"  # certificateAuthorityData: a CA nobody serves with (the cluster was recreated)
DEFAULT_CLIENT_IP = "203.0.113.10"  # TEST-NET-3 (RFC 5737): this machine's egress IP as the sandbox sees it


class _ScenarioModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_arn(value: str, *kinds: PrincipalKind) -> str:
    try:
        principal = parse_principal(value)
    except InvalidArnError as err:
        raise ValueError(err.message) from err
    if kinds and principal.kind not in kinds:
        raise ValueError(f"{value} is not a {' or '.join(k.value for k in kinds)} ARN")
    return value


class AccessKeySpec(_ScenarioModel):
    accessKeyId: str = Field(pattern=r"^AKIA[A-Z0-9]{12,16}$")
    secretAccessKey: str = Field(min_length=16, max_length=128)


class UserSpec(_ScenarioModel):
    name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    path: str = Field(default="/", pattern=r"^/([\w+=,.@-]+/)*$")
    accessKeys: list[AccessKeySpec] = Field(
        default_factory=list, description="fixed access keys; one is generated when none is given"
    )
    allow: list[str] | None = Field(
        default=None, description='IAM actions this user may call ("eks:*", "eks:Describe*"); absent: all'
    )
    deny: list[str] = Field(
        default_factory=list,
        description="IAM actions an identity policy denies explicitly (a Deny statement beats any Allow)",
    )
    recreated: bool = Field(
        default=False,
        description="deleted and created again: a new unique id (AIDA...), old access entries no longer match",
    )


class RoleSpec(_ScenarioModel):
    name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    path: str = Field(default="/", pattern=r"^/([\w+=,.@-]+/)*$")
    trustedBy: list[str] = Field(
        default_factory=list,
        description="principal ARNs that may assume the role; an account root ARN means any principal of it",
    )
    trustPolicy: dict[str, Any] | None = Field(
        default=None,
        description="the role's trust policy document as IAM holds it (GetRole returns it): service and "
        "federated principals, conditions; trustedBy still decides sts:AssumeRole by AWS principals",
    )
    allow: list[str] | None = None
    deny: list[str] = Field(
        default_factory=list,
        description="IAM actions an identity policy denies explicitly (a Deny statement beats any Allow)",
    )
    recreated: bool = Field(
        default=False,
        description="deleted and created again: a new unique id, old access entries no longer match",
    )
    maxSessionDuration: int = Field(default=43200, ge=3600, le=43200)

    @field_validator("trustedBy")
    @classmethod
    def _trusted(cls, value: list[str]) -> list[str]:
        for arn in value:
            _check_arn(arn)
        return value


class OidcProviderSpec(_ScenarioModel):
    """An IAM OpenID Connect provider (CreateOpenIDConnectProvider's fields): of a scenario cluster's
    issuer (``cluster``) or of any ``url``."""

    cluster: str | None = Field(default=None, description="a scenario cluster whose OIDC issuer this is")
    url: str | None = Field(default=None, pattern=r"^https://[^?#]+$", max_length=255)
    clientIds: list[str] = Field(default_factory=lambda: ["sts.amazonaws.com"])
    thumbprints: list[str] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _one_source(self) -> OidcProviderSpec:
        if (self.cluster is None) == (self.url is None):
            raise ValueError("an OIDC provider names exactly one of cluster or url")
        return self


class AccountSpec(_ScenarioModel):
    users: list[UserSpec] = Field(default_factory=list)
    roles: list[RoleSpec] = Field(default_factory=list)
    oidcProviders: list[OidcProviderSpec] = Field(
        default_factory=list,
        description="IAM OIDC identity providers (IRSA): a cluster's issuer, client ids (audiences), thumbprints",
    )


class ClusterStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CREATING = "CREATING"
    FAILED = "FAILED"


class ServingCertificate(StrEnum):
    CLUSTER = "cluster"  # signed by the cluster's own CA (certificateAuthority.data)
    FOREIGN = "foreign"  # signed by a CA nobody trusts: what a TLS-inspecting proxy presents


class PodIdentityAssociationSpec(_ScenarioModel):
    """An EKS Pod Identity association (CreatePodIdentityAssociation's fields)."""

    namespace: str = Field(min_length=1, max_length=253)
    serviceAccount: str = Field(min_length=1, max_length=253)
    roleArn: str
    targetRoleArn: str | None = None
    disableSessionTags: bool = False
    createdAt: datetime | None = Field(
        default=None, description="when the association was created (default: when the sandbox starts)"
    )

    @field_validator("roleArn", "targetRoleArn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        return None if value is None else _check_arn(value, PrincipalKind.ROLE)


class ScenarioCluster(ClusterState):
    """A ClusterState (endpoint and CA are the sandbox's own) plus how the cluster was created."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="ScenarioCluster")

    api_version: Literal["eksaccess/v1"] = Field(default="eksaccess/v1", alias="apiVersion")
    kind: Literal["ClusterState"] = "ClusterState"
    bootstrapClusterCreatorAdminPermissions: bool = True
    status: ClusterStatus = Field(
        default=ClusterStatus.ACTIVE,
        description="what DescribeCluster reports; the API server of a cluster not ACTIVE refuses connections",
    )
    endpointPublicAccess: bool = Field(
        default=True,
        description="false: a private endpoint; from this machine its API server refuses connections",
    )
    endpointPrivateAccess: bool = False
    publicAccessCidrs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PUBLIC_CIDRS),
        description="the CIDRs the public endpoint takes connections from; the scenario's clientIp outside "
        "them: its API server refuses connections (kept, and without effect, while public access is off)",
    )
    deleted: bool = Field(
        default=False,
        description="deleted after the kubeconfig was written: EKS does not know it, its endpoint refuses",
    )
    servingCertificate: ServingCertificate = Field(
        default=ServingCertificate.CLUSTER,
        description="foreign: the endpoint presents a certificate of another CA (a TLS-inspecting proxy)",
    )
    logging: list[Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]] = Field(
        default_factory=list,
        description="control-plane log types on; authenticator: the sandbox writes the authenticator's lines "
        "to CloudWatch Logs (/aws/eks/NAME/cluster)",
    )
    createdDaysAgo: int = Field(
        default=0,
        ge=0,
        le=3650,
        description="how long ago the cluster was created (its CloudTrail CreateCluster event: more than 90 "
        "days ago, LookupEvents no longer returns it)",
    )
    podIdentityAssociations: list[PodIdentityAssociationSpec] = Field(
        default_factory=list,
        description="EKS Pod Identity associations (one per namespace and service account; no Kubernetes "
        "object changes)",
    )

    def cluster_state(self) -> ClusterState:
        """The snapshot part alone (what a live read of this cluster gives), without how it was made."""
        scenario_only = set(ScenarioCluster.model_fields) - set(ClusterState.model_fields)
        return ClusterState.model_validate(self.model_dump(exclude=scenario_only))

    @property
    def reachable(self) -> bool:
        """Whether this machine can connect to the cluster's API server, the public CIDRs aside (they are
        matched against the scenario's clientIp when the sandbox serves: seed.serves_api)."""
        return self.status is ClusterStatus.ACTIVE and self.endpointPublicAccess and not self.deleted

    @model_validator(mode="after")
    def _region(self) -> ScenarioCluster:
        if not is_known_region(self.cluster.region):
            raise ValueError(
                f"cluster {self.cluster.name}: region {self.cluster.region!r} is not an AWS region"
                " (botocore's endpoint data does not know it)"
            )
        return self

    @model_validator(mode="after")
    def _pod_identity(self) -> ScenarioCluster:
        _unique(
            f"cluster {self.cluster.name}: Pod Identity association",
            [f"{a.namespace}/{a.serviceAccount}" for a in self.podIdentityAssociations],
        )
        return self

    @model_validator(mode="after")
    def _endpoint_access(self) -> ScenarioCluster:
        if not (self.endpointPublicAccess or self.endpointPrivateAccess):
            raise ValueError(
                f"cluster {self.cluster.name}: endpointPublicAccess and endpointPrivateAccess cannot both be false"
            )
        try:
            check_cidrs(self.publicAccessCidrs)
        except EndpointAccessError as err:
            raise ValueError(f"cluster {self.cluster.name}: {err}") from None
        return self

    def endpoint_access(self) -> EndpointAccess:
        return EndpointAccess(
            public=self.endpointPublicAccess,
            private=self.endpointPrivateAccess,
            public_cidrs=tuple(self.publicAccessCidrs),
        )


class ProfileType(StrEnum):
    STATIC = "static"  # the access key of `user`
    ASSUME_ROLE = "assume-role"  # role_arn + source_profile
    UNKNOWN_KEY = "unknown-key"  # an access key id AWS has never heard of
    WRONG_SECRET = "wrong-secret"  # the key of `user` with a wrong secret
    EXPIRED_SESSION = "expired-session"  # session credentials of `roleArn` (or `user`) that have expired
    NO_CREDENTIALS = "no-credentials"  # a profile with a region and no credentials at all
    SSO_EXPIRED = "sso-expired"  # IAM Identity Center (sso_session) for `roleArn`; the cached token expired
    CREDENTIAL_PROCESS = "credential-process"  # credential_process printing the key of `user`
    CREDENTIAL_PROCESS_FAILING = "credential-process-failing"  # a credential_process that exits 1


class ProfileSpec(_ScenarioModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: ProfileType | None = Field(
        default=None, description="inferred: user -> static, roleArn -> assume-role"
    )
    user: str | None = Field(default=None, description="IAM user ARN whose key the profile holds")
    roleArn: str | None = None
    sourceProfile: str | None = None
    roleSessionName: str | None = None
    region: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> ProfileSpec:
        kind = self.kind
        if (
            kind in (ProfileType.STATIC, ProfileType.WRONG_SECRET, ProfileType.CREDENTIAL_PROCESS)
            and not self.user
        ):
            raise ValueError(f"profile {self.name}: type {kind} needs user")
        if kind is ProfileType.ASSUME_ROLE and not (self.roleArn and self.sourceProfile):
            raise ValueError(f"profile {self.name}: type assume-role needs roleArn and sourceProfile")
        if kind is ProfileType.SSO_EXPIRED and not self.roleArn:
            raise ValueError(
                f"profile {self.name}: type sso-expired needs roleArn (the permission set's role)"
            )
        if kind is ProfileType.EXPIRED_SESSION and not (self.roleArn or self.user):
            raise ValueError(f"profile {self.name}: type expired-session needs roleArn or user")
        if self.user:
            _check_arn(self.user, PrincipalKind.USER)
        if self.roleArn:
            _check_arn(self.roleArn, PrincipalKind.ROLE)
        return self

    @property
    def kind(self) -> ProfileType:
        if self.type is not None:
            return self.type
        if self.roleArn and self.sourceProfile:
            return ProfileType.ASSUME_ROLE
        if self.user:
            return ProfileType.STATIC
        return ProfileType.UNKNOWN_KEY


class ContextCredential(StrEnum):
    EXEC = "exec"  # the exec entry update-kubeconfig writes
    CLIENT_CERTIFICATE = "client-certificate"  # client-certificate-data/client-key-data of an unknown CA
    BEARER_TOKEN = "bearer-token"  # token: a bearer token that is not an EKS token
    EKS_TOKEN = "eks-token"  # token: k8s-aws-v1..., minted at `sandbox up` by `profile` (valid 15 minutes)
    EKS_TOKEN_EXPIRED = "eks-token-expired"  # the same, signed 20 minutes before `sandbox up`: expired


class ContextSpec(_ScenarioModel):
    """A kubeconfig context written as ``aws eks update-kubeconfig --alias NAME --user-alias NAME`` would,
    then broken on purpose where a field says so."""

    name: str = Field(min_length=1)
    cluster: str = Field(description="name of a scenario cluster")
    profile: str | None = Field(default=None, description="AWS profile, written as the AWS_PROFILE env entry")
    roleArn: str | None = Field(
        default=None, description="written as `--role ARN` (update-kubeconfig --role-arn)"
    )
    namespace: str | None = None
    profileEnv: bool = Field(default=True, description="false: leave out the AWS_PROFILE env entry")
    server: str | None = Field(default=None, description="wrong server URL instead of the cluster's endpoint")
    certificateAuthorityData: str | None = Field(
        default=None, description=f"base64 PEM, or '{FOREIGN_CA}' for a CA the cluster does not use"
    )
    execApiVersion: str | None = Field(default=None, description="e.g. client.authentication.k8s.io/v1alpha1")
    clusterNameArg: str | None = Field(default=None, description="wrong --cluster-name argument")
    regionArg: str | None = Field(default=None, description="wrong --region argument")
    execCommand: str | None = Field(
        default=None,
        description="the exec entry runs this command instead of aws (aws-iam-authenticator: its own arguments)",
    )
    credential: ContextCredential = Field(
        default=ContextCredential.EXEC, description="what the kubeconfig user holds instead of the exec entry"
    )
    serverOfCluster: str | None = Field(
        default=None, description="the server URL (and CA) of another cluster of this scenario"
    )
    deleted: bool = Field(
        default=False,
        description="not written (kubectl config delete-context), though currentContext may still name it",
    )

    @property
    def broken(self) -> bool:
        return bool(self.server or self.certificateAuthorityData or self.serverOfCluster)

    @model_validator(mode="after")
    def _credential(self) -> ContextSpec:
        if (
            self.credential in (ContextCredential.EKS_TOKEN, ContextCredential.EKS_TOKEN_EXPIRED)
            and not self.profile
        ):
            raise ValueError(
                f"context {self.name}: credential {self.credential} needs the profile that mints it"
            )
        return self


class KubeconfigFile(StrEnum):
    WRITTEN = "written"
    ABSENT = "absent"  # KUBECONFIG names a file that does not exist
    INVALID = "invalid"  # the file is not valid YAML (a tab indents a line)


class KubeconfigSpec(_ScenarioModel):
    contexts: list[ContextSpec] = Field(default_factory=list)
    currentContext: str | None = None
    file: KubeconfigFile = Field(default=KubeconfigFile.WRITTEN, description="absent or invalid: broken")


class Scenario(_ScenarioModel):
    """A sandbox scenario (eksaccess/v1 Scenario)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Scenario")

    apiVersion: Literal["eksaccess/v1"] = "eksaccess/v1"
    kind: Literal["Scenario"] = "Scenario"
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = Field(min_length=1, description="one line")
    details: str = Field(default="", description="what a user sees and why (free text)")
    accounts: dict[str, AccountSpec] = Field(default_factory=dict)
    clusters: list[ScenarioCluster] = Field(default_factory=list)
    profiles: list[ProfileSpec] = Field(default_factory=list)
    kubeconfig: KubeconfigSpec = Field(default_factory=KubeconfigSpec)
    shellProfile: str | None = Field(
        default=None, description="AWS_PROFILE in the variables `sandbox up` / `sandbox env` print for eval"
    )
    clientIp: str = Field(
        default=DEFAULT_CLIENT_IP,
        description="this machine's public (egress) IP as the sandbox sees it: what its check-IP service "
        "answers and what each cluster's publicAccessCidrs are matched against",
    )
    clockOffsetSeconds: int = Field(
        default=0,
        ge=-86400,
        le=86400,
        description="the sandbox's servers run this far ahead of this machine (Date headers, signature and "
        "token windows): the client's clock looks skewed",
    )

    @field_validator("clientIp")
    @classmethod
    def _client_ip(cls, value: str) -> str:
        import ipaddress

        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"clientIp {value!r} is not an IP address") from None

    @field_validator("accounts", mode="before")
    @classmethod
    def _account_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            for account in value:
                if not isinstance(account, str):
                    raise ValueError(f"account {account!r} must be 12 digits as a string (quote it in YAML)")
        return value

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: dict[str, AccountSpec]) -> dict[str, AccountSpec]:
        for account in value:
            if not (len(account) == 12 and account.isdigit()):
                raise ValueError(f"account {account!r} must be 12 digits (quote it in YAML)")
        return value

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _unique("cluster", [c.cluster.name for c in self.clusters])
        _unique("profile", [p.name for p in self.profiles])
        _unique("context", [c.name for c in self.kubeconfig.contexts])
        users = set(self.user_arns())
        profiles = {p.name for p in self.profiles}
        for profile in self.profiles:
            if profile.user and profile.user not in users:
                raise ValueError(f"profile {profile.name}: user {profile.user} is not declared in accounts")
            if profile.sourceProfile and profile.sourceProfile not in profiles:
                raise ValueError(
                    f"profile {profile.name}: sourceProfile {profile.sourceProfile} is not declared"
                )
        clusters = {c.cluster.name for c in self.clusters}
        for account, spec in self.accounts.items():
            for provider in spec.oidcProviders:
                if provider.cluster is not None and provider.cluster not in clusters:
                    raise ValueError(
                        f"account {account}: oidcProviders: cluster {provider.cluster} is not declared"
                    )
        for context in self.kubeconfig.contexts:
            if context.cluster not in clusters:
                raise ValueError(f"context {context.name}: cluster {context.cluster} is not declared")
            if context.profile and context.profile not in profiles:
                raise ValueError(f"context {context.name}: profile {context.profile} is not declared")
            if context.serverOfCluster and context.serverOfCluster not in clusters:
                raise ValueError(
                    f"context {context.name}: serverOfCluster {context.serverOfCluster} is not declared"
                )
        if self.shellProfile and self.shellProfile not in profiles | {"default"}:
            raise ValueError(f"shellProfile {self.shellProfile} is not declared")
        current = self.kubeconfig.currentContext
        if current and current not in {c.name for c in self.kubeconfig.contexts}:
            raise ValueError(f"currentContext {current} is not one of the contexts")
        return self

    def user_arns(self) -> list[str]:
        return [
            user_arn("aws", acct, u.name, u.path) for acct, spec in self.accounts.items() for u in spec.users
        ]

    def role_arns(self) -> list[str]:
        return [
            role_arn("aws", acct, r.name, r.path) for acct, spec in self.accounts.items() for r in spec.roles
        ]

    def profile(self, name: str) -> ProfileSpec | None:
        return next((p for p in self.profiles if p.name == name), None)

    def cluster(self, name: str) -> ScenarioCluster | None:
        return next((c for c in self.clusters if c.cluster.name == name), None)

    def default_region(self) -> str:
        return self.clusters[0].cluster.region if self.clusters else DEFAULT_REGION


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two {what}s named {name}")
        seen.add(name)


# --- loading ------------------------------------------------------------------------------------------------


def _load_yaml(text: str, source: str) -> Any:
    return load_data_text(text, source, kind="YAML")  # YAML 1.2 core schema, with the C parser


def parse_scenario(text: str, *, source: str = "scenario") -> Scenario:
    data = _load_yaml(text, source)
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with apiVersion: {API_VERSION} and kind: {KIND}")
    try:
        return Scenario.model_validate(data)
    except UnicodeEncodeError:  # a \ud800-\udfff escape decodes to a lone surrogate: not Unicode text
        raise InputError(
            f"{source}: holds an escaped lone surrogate (\\ud800-\\udfff), which is not text"
        ) from None
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = field_path(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "is not a known field"
        raise InputError(f"{source}: {where + ': ' if where else ''}{message}") from None


def builtin_names() -> list[str]:
    folder = resources.files(__package__ or "eksaccess.sandbox.scenarios")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    folder = resources.files(__package__ or "eksaccess.sandbox.scenarios")
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    if name_or_path in builtin_names():
        return parse_scenario(builtin_text(name_or_path), source=f"scenario {name_or_path}")
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        return parse_scenario(read_text(path), source=str(path))
    raise InputError(
        f"unknown scenario {name_or_path!r}; see 'eksaccess sandbox scenarios' or give a path to a YAML file"
    )


def scenario_schema() -> dict[str, Any]:
    return Scenario.model_json_schema()


def schema_text() -> str:
    return json.dumps(scenario_schema(), indent=2) + "\n"
