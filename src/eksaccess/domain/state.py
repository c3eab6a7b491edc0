"""The ClusterState snapshot: everything access analysis needs about one cluster, in one file.

``apiVersion: eksaccess/v2`` (v1, without ``workloadIdentity``, still reads), ``kind: ClusterState``. The file's keys follow the EKS API (``principalArn``,
``kubernetesGroups``, ``accessScope``): each snake_case attribute has its key as alias, used for reading
(only the keys are accepted) and writing (``serialize_by_alias``), and Python constructs models with the
keys too.
A snapshot of a live cluster must always load, so validation refuses only what EKS itself could never
hold (an STS session ARN as an access entry, a ``system:`` group on an entry, a 9-digit account).
A broken aws-auth ConfigMap stays representable: its values are the ConfigMap's strings, parsed later
exactly as the authenticator parses them.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import ComputedFieldInfo, FieldInfo
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from eksaccess.domain.access import (
    AccessEntry,
    AccessEntryValidationError,
    AccessPolicyAssociation,
    AccessScope,
    EntryType,
    ScopeType,
    validate_entry,
)
from eksaccess.domain.access import AuthenticationMode as AuthenticationMode  # re-exported
from eksaccess.domain.authz.access_policies import policy_name
from eksaccess.domain.data_text import load_data_text
from eksaccess.domain.iam.principal import InvalidArnError, arn_partition, parse_principal
from eksaccess.errors import InputError

API_VERSION = "eksaccess/v2"  # v2 adds workloadIdentity; v1 snapshots still read
API_VERSIONS = ("eksaccess/v1", API_VERSION)
KIND = "ClusterState"
EKS_ANNOTATION_PREFIX = "eks.amazonaws.com/"  # the only ServiceAccount annotations a snapshot keeps


def _title(name: str, info: FieldInfo | ComputedFieldInfo) -> str:
    alias = info.alias if isinstance(info, FieldInfo) else None
    return alias or name  # schema titles are the file's keys, not pydantic's "Principal Arn"


class _StateModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, field_title_generator=_title, serialize_by_alias=True
    )


class ClusterInfo(_StateModel):
    """The cluster, as DescribeCluster tells it."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]*$")
    region: str = Field(min_length=1, pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    account_id: str = Field(
        alias="accountId", pattern=r"^\d{12}$", description="12-digit AWS account id, quoted"
    )
    arn: str | None = None
    version: str | None = Field(default=None, description='Kubernetes version, quoted ("1.31")')
    endpoint: str | None = None
    certificate_authority_data: str | None = Field(default=None, alias="certificateAuthorityData")
    creator_arn: str | None = Field(
        default=None, alias="creatorArn", description="IAM principal that created the cluster"
    )

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError("must be a string of 12 digits (quote it in YAML)")
        return value

    @field_validator("creator_arn")
    @classmethod
    def _principal(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_principal(value)
            except InvalidArnError as err:
                raise ValueError(err.message) from err
        return value


class AccessScopeModel(_StateModel):
    type: ScopeType
    namespaces: list[str] = Field(default_factory=list)

    def to_domain(self) -> AccessScope:
        return AccessScope(type=self.type, namespaces=tuple(self.namespaces))


class AccessPolicyModel(_StateModel):
    policy_arn: str = Field(alias="policyArn")
    access_scope: AccessScopeModel = Field(alias="accessScope")

    @field_validator("policy_arn")
    @classmethod
    def _policy(cls, value: str) -> str:
        try:
            policy_name(value)  # unknown names stay opaque; only the form is checked
        except InputError as err:
            raise ValueError(err.message) from err
        return value

    def to_domain(self) -> AccessPolicyAssociation:
        return AccessPolicyAssociation(policy_arn=self.policy_arn, scope=self.access_scope.to_domain())


class AccessEntryModel(_StateModel):
    principal_arn: str = Field(alias="principalArn")
    type: EntryType = EntryType.STANDARD
    principal_id: str | None = Field(
        default=None, alias="principalId", description="IAM unique id (AROA.../AIDA...) when known"
    )
    username: str | None = None
    kubernetes_groups: list[str] = Field(default_factory=list, alias="kubernetesGroups")
    access_policies: list[AccessPolicyModel] = Field(default_factory=list, alias="accessPolicies")

    @model_validator(mode="after")
    def _eks_rules(self) -> AccessEntryModel:
        try:
            validate_entry(self.to_domain(), as_stored=True)
        except AccessEntryValidationError as err:
            raise ValueError(err.message) from err
        return self

    def to_domain(self) -> AccessEntry:
        return AccessEntry(
            principal_arn=self.principal_arn,
            type=self.type,
            username=self.username,
            kubernetes_groups=tuple(self.kubernetes_groups),
            policies=tuple(p.to_domain() for p in self.access_policies),
            principal_id=self.principal_id,
        )

    @classmethod
    def from_domain(cls, entry: AccessEntry) -> AccessEntryModel:
        return cls(
            principalArn=entry.principal_arn,
            type=entry.type,
            username=entry.username,
            kubernetesGroups=list(entry.kubernetes_groups),
            accessPolicies=[
                AccessPolicyModel(
                    policyArn=p.policy_arn,
                    accessScope=AccessScopeModel(type=p.scope.type, namespaces=list(p.scope.namespaces)),
                )
                for p in entry.policies
            ],
            principalId=entry.principal_id,
        )


class NodegroupModel(_StateModel):
    """A managed node group, as DescribeNodegroup tells it: whose role its nodes' kubelets use."""

    nodegroup_name: str = Field(alias="nodegroupName", min_length=1)
    node_role: str = Field(alias="nodeRole", description="IAM role ARN of the nodes (may carry a path)")
    ami_type: str | None = Field(default=None, alias="amiType", description="WINDOWS_*: Windows nodes")

    @field_validator("node_role")
    @classmethod
    def _role(cls, value: str) -> str:
        try:
            parse_principal(value)
        except InvalidArnError as err:
            raise ValueError(err.message) from err
        return value


class FargateProfileModel(_StateModel):
    """A Fargate profile, as DescribeFargateProfile tells it: the pod execution role its nodes use."""

    fargate_profile_name: str = Field(alias="fargateProfileName", min_length=1)
    pod_execution_role_arn: str = Field(alias="podExecutionRoleArn")

    @field_validator("pod_execution_role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        try:
            parse_principal(value)
        except InvalidArnError as err:
            raise ValueError(err.message) from err
        return value


def _role_arn(value: str) -> str:
    try:
        parse_principal(value)
    except InvalidArnError as err:
        raise ValueError(err.message) from err
    return value


class ServiceAccountModel(_StateModel):
    """A ServiceAccount: its namespace, name and ``eks.amazonaws.com/*`` annotations (the rest is left out)."""

    namespace: str = Field(min_length=1, max_length=253)
    name: str = Field(min_length=1, max_length=253)
    annotations: dict[str, str] = Field(
        default_factory=dict, description="eks.amazonaws.com/* annotations only (role-arn, audience, ...)"
    )

    @field_validator("annotations")
    @classmethod
    def _eks_only(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in value.items() if k.startswith(EKS_ANNOTATION_PREFIX)}


class PodIdentityAssociationModel(_StateModel):
    """An EKS Pod Identity association, as DescribePodIdentityAssociation tells it."""

    namespace: str = Field(min_length=1, max_length=253)
    service_account: str = Field(alias="serviceAccount", min_length=1, max_length=253)
    role_arn: str = Field(alias="roleArn")
    target_role_arn: str | None = Field(default=None, alias="targetRoleArn")
    association_id: str | None = Field(default=None, alias="associationId")
    created_at: datetime | None = Field(default=None, alias="createdAt")

    @field_validator("role_arn", "target_role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        return None if value is None else _role_arn(value)


class WorkloadIdentityModel(_StateModel):
    """What decides which pods get which IAM role: IRSA (the issuer, the account's IAM OIDC providers,
    annotated ServiceAccounts, trust policies) and EKS Pod Identity (associations)."""

    oidc_issuer: str | None = Field(
        default=None, alias="oidcIssuer", description="DescribeCluster identity.oidc.issuer"
    )
    oidc_providers: list[str] | None = Field(
        default=None,
        alias="oidcProviders",
        description="URLs (host/path) of the account's IAM OIDC providers; null when not read",
    )
    service_accounts: list[ServiceAccountModel] = Field(default_factory=list, alias="serviceAccounts")
    pod_identity_associations: list[PodIdentityAssociationModel] = Field(
        default_factory=list, alias="podIdentityAssociations"
    )
    role_trust_policies: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        alias="roleTrustPolicies",
        description="role ARN -> trust policy document, for the roles annotations and associations name",
    )


class ClusterState(_StateModel):
    """A snapshot of one cluster's access configuration (eksaccess/v2 ClusterState; v1 still reads)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="ClusterState", field_title_generator=_title)

    api_version: Literal["eksaccess/v1", "eksaccess/v2"] = Field(alias="apiVersion")
    kind: Literal["ClusterState"]
    cluster: ClusterInfo
    authentication_mode: AuthenticationMode = Field(alias="authenticationMode")
    access_entry_models: list[AccessEntryModel] = Field(default_factory=list, alias="accessEntries")
    aws_auth: dict[str, str] | None = Field(
        default=None,
        alias="awsAuth",
        description="data of the kube-system/aws-auth ConfigMap, as strings; null when absent",
    )
    kubernetes: list[dict[str, Any]] = Field(
        default_factory=list, description="RBAC manifests: Roles, ClusterRoles and their bindings"
    )
    nodegroups: list[NodegroupModel] | None = Field(
        default=None, description="managed node groups and their node roles; absent when none or not read"
    )
    fargate_profiles: list[FargateProfileModel] | None = Field(
        default=None, alias="fargateProfiles", description="Fargate profiles; absent when none or not read"
    )
    workload_identity: WorkloadIdentityModel | None = Field(
        default=None,
        alias="workloadIdentity",
        description="IRSA and EKS Pod Identity (apiVersion eksaccess/v2); absent in v1 snapshots",
    )

    @field_validator("aws_auth", mode="before")
    @classmethod
    def _strings_only(cls, value: object) -> object:
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(item, str):
                    raise ValueError(
                        f"value of {key} must be a string (a YAML block scalar: '{key}: |'), "
                        f"not {type(item).__name__}"
                    )
        return value

    @field_validator("kubernetes")
    @classmethod
    def _manifests(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, manifest in enumerate(value):
            for key in ("apiVersion", "kind"):
                if not isinstance(manifest.get(key), str):
                    raise ValueError(f"manifest [{index}] has no {key}")
        return value

    @model_validator(mode="after")
    def _version(self) -> ClusterState:
        if self.workload_identity is not None and self.api_version == "eksaccess/v1":
            raise ValueError(f"workloadIdentity needs apiVersion: {API_VERSION}")
        return self

    @model_validator(mode="after")
    def _entries(self) -> ClusterState:
        seen: set[str] = set()
        for entry in self.access_entry_models:
            if entry.principal_arn in seen:
                raise ValueError(f"two access entries for {entry.principal_arn}")
            seen.add(entry.principal_arn)
            if entry.type is not EntryType.STANDARD:
                account = parse_principal(entry.principal_arn).account
                if account != self.cluster.account_id:
                    raise ValueError(
                        f"access entry {entry.principal_arn} of type {entry.type} must be in the cluster's "
                        f"account {self.cluster.account_id}"
                    )
        return self

    def access_entries(self) -> tuple[AccessEntry, ...]:
        return tuple(entry.to_domain() for entry in self.access_entry_models)

    @property
    def partition(self) -> str:
        return arn_partition(self.cluster.arn or "")


# --- reading and writing ------------------------------------------------------------------------------------


def parse_cluster_state(text: str, *, source: str = "snapshot") -> ClusterState:
    """Read a ClusterState from YAML or JSON text; every problem is one InputError line."""
    data = _load_yaml(text, source)
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with apiVersion: {API_VERSION} and kind: {KIND}")
    try:
        return ClusterState.model_validate(data)
    except ValidationError as err:
        raise InputError(f"{source}: {_one_line(err)}") from None
    except UnicodeEncodeError:  # a \ud800-\udfff escape decodes to a lone surrogate: not Unicode text
        raise InputError(
            f"{source}: holds an escaped lone surrogate (\\ud800-\\udfff), which is not text"
        ) from None


def _load_yaml(text: str, source: str) -> Any:
    """JSON with the json module, YAML (1.2 core schema, as the snapshot is written) with the C parser."""
    return load_data_text(text, source)


def _one_line(err: ValidationError) -> str:
    errors = err.errors(include_url=False)
    first = errors[0]
    path = field_path(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ").replace("\n", " ")
    if first["type"] == "missing":
        message = "is required"
    elif first["type"] == "extra_forbidden":
        message = "is not a known field"
    text = f"{path}: {message}" if path else message
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("accessEntries", 2, "principalArn")`` -> ``accessEntries[2].principalArn``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def state_to_data(state: ClusterState) -> dict[str, Any]:
    """The snapshot as plain JSON-ready data (None fields left out)."""
    return state.model_dump(mode="json", exclude_none=True)


def dump_cluster_state(state: ClusterState) -> str:
    """YAML text; multi-line strings (aws-auth values) become block scalars."""
    data = _literal_blocks(state.model_dump(mode="json", exclude_none=True, exclude_defaults=True))
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _literal_blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {_quoted(k): _literal_blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal_blocks(v) for v in value]
    if isinstance(value, str) and _block_safe(value):
        return LiteralScalarString(value)
    return _quoted(value)


def _quoted(value: Any) -> Any:
    if isinstance(value, str) and not all(ch.isprintable() or ch in "\n\t" for ch in value):
        return DoubleQuotedScalarString(value)  # escapes NEL, LS, PS... which plain YAML would fold
    return value


def _block_safe(text: str) -> bool:
    """A literal block keeps the text exactly only for plain, newline-terminated lines."""
    if "\n" not in text or not text.endswith("\n") or text.endswith("\n\n") or text.startswith((" ", "\n")):
        return False
    return all(line == line.rstrip() and line.isprintable() for line in text.split("\n"))
