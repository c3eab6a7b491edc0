# ruff: noqa: N815
"""The desired-state file (``apiVersion: eksaccess/v1``, ``kind: ClusterAccess``) and ``export``.

A file lists principals, each with how it gets access (``via: access-entry`` or ``aws-auth``; ``auto``
picks access entries when the authentication mode allows), its entry ``type``, ``username``, ``groups``
and ``policies`` (each a policy name, short name or ARN with the namespaces it is scoped to; none means
cluster scope). A principal in the file is managed whole: what the file says about it is what it gets.
Principals not in the file are left alone unless ``--prune``. ``mapAccounts`` is managed only when the
key is present. ``authenticationMode`` moves the cluster forward (never back).
"""

from __future__ import annotations

import io
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML

from eksaccess.domain.access import EntryType, ScopeType, default_username, node_type_of_row
from eksaccess.domain.authz.access_policies import CATALOGUE, is_policy_arn, policy_name, resolve_policy
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.data_text import load_data_text
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.domain.names import validate_namespace
from eksaccess.domain.state import AuthenticationMode, ClusterState, field_path
from eksaccess.errors import InputError
from eksaccess.features.manage.via import Via

API_VERSION = "eksaccess/v1"
KIND = "ClusterAccess"


class _DesiredModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicySpec(_DesiredModel):
    policy: str = Field(description="short name (cluster-admin, admin, edit, view, ...), policy name or ARN")
    namespaces: list[str] = Field(default_factory=list, description="none: cluster scope")

    @field_validator("policy")
    @classmethod
    def _known(cls, value: str) -> str:
        if not is_policy_arn(value):
            resolve_policy(value)  # InputError is a ValueError: pydantic reports it
        return value

    def policy_arn(self, partition: str = "aws") -> str:
        return self.policy if is_policy_arn(self.policy) else resolve_policy(self.policy, partition)

    @property
    def scope_type(self) -> ScopeType:
        return ScopeType.NAMESPACE if self.namespaces else ScopeType.CLUSTER


class PermissionSetRef(_DesiredModel):
    """An IAM Identity Center permission set: its role in ``account`` (resolved through IAM ListRoles)."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,32}$", description="the permission set's name")
    account: str = Field(pattern=r"^\d{12}$", description="the account the set is provisioned to")


class PrincipalSpec(_DesiredModel):
    arn: str | None = Field(default=None, description="IAM role or user ARN (or permissionSet)")
    permissionSet: PermissionSetRef | None = Field(
        default=None,
        description="instead of arn: the permission set whose role (AWSReservedSSO_<name>_<suffix>) this is; "
        "plan and apply resolve it and replace the mappings of an earlier role of the set",
    )
    via: Via = Via.AUTO
    type: EntryType = EntryType.STANDARD
    username: str | None = Field(
        default=None, description="absent: EKS's default (access entry), kept (aws-auth)"
    )
    groups: list[str] = Field(default_factory=list, description="Kubernetes groups")
    policies: list[PolicySpec] = Field(default_factory=list)

    @field_validator("arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            parse_principal(value)
        except InvalidArnError as err:
            raise ValueError(err.message) from err
        return value

    @model_validator(mode="after")
    def _one_principal(self) -> PrincipalSpec:
        if (self.arn is None) == (self.permissionSet is None):
            raise ValueError("give arn or permissionSet (one of them)")
        return self

    @property
    def label(self) -> str:
        """How the file names the principal: its ARN, else its permission set."""
        if self.arn is not None:
            return self.arn
        assert self.permissionSet is not None  # _one_principal
        return f"permission set {self.permissionSet.name} (account {self.permissionSet.account})"


class ClusterRef(_DesiredModel):
    name: str = Field(min_length=1)
    region: str | None = None


class ClusterAccess(_DesiredModel):
    """Who should have which access to one cluster (eksaccess/v1 ClusterAccess)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="ClusterAccess")

    apiVersion: Literal["eksaccess/v1"] = "eksaccess/v1"
    kind: Literal["ClusterAccess"] = "ClusterAccess"
    cluster: ClusterRef
    authenticationMode: AuthenticationMode | None = Field(
        default=None,
        description="move the cluster forward to this mode (CONFIG_MAP -> API_AND_CONFIG_MAP -> API)",
    )
    principals: list[PrincipalSpec] = Field(default_factory=list)
    mapAccounts: list[str] | None = Field(
        default=None, description="aws-auth mapAccounts; absent: left as it is"
    )

    @model_validator(mode="after")
    def _unique(self) -> ClusterAccess:
        seen: set[tuple[str, str]] = set()
        for spec in self.principals:
            key = (spec.label.lower(), str(spec.via))
            if key in seen:
                raise ValueError(f"principal {spec.label} is listed twice with via {spec.via}")
            seen.add(key)
        return self


def parse_cluster_access(text: str, *, source: str = "access file") -> ClusterAccess:
    data = load_data_text(text, source, kind="YAML")  # YAML 1.2 core schema, as dump_cluster_access writes
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with apiVersion: {API_VERSION} and kind: {KIND}")
    try:
        access = ClusterAccess.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = field_path(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "is not a known field"
        elif first["type"] == "missing":
            message = "is required"
        raise InputError(f"{source}: {where + ': ' if where else ''}{message}") from None
    _check_namespaces(access, source)
    return access


def _check_namespaces(access: ClusterAccess, source: str) -> None:
    """Every namespace a policy is scoped to is a namespace name (a trailing ``*`` allowed). Checked here,
    not in the model, so that ``export`` still writes out what a live cluster holds."""
    for i, spec in enumerate(access.principals):
        for j, policy in enumerate(spec.policies):
            for k, namespace in enumerate(policy.namespaces):
                try:
                    validate_namespace(namespace, wildcard=True)
                except InputError as err:
                    where = field_path(("principals", i, "policies", j, "namespaces", k))
                    raise InputError(f"{source}: {where}: {err.message}") from None


def dump_cluster_access(access: ClusterAccess) -> str:
    data = access.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"apiVersion": API_VERSION, "kind": KIND, **data}
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(data, out)
    return out.getvalue()


# --- export -----------------------------------------------------------------------------------------------


def short_policy(policy_arn: str) -> str:
    try:
        found = CATALOGUE.get(policy_name(policy_arn))
    except InputError:
        return policy_arn
    if found is None or not policy_arn.startswith("arn:aws:"):
        return policy_arn
    return found.short_name or found.name


def export_access(state: ClusterState) -> ClusterAccess:
    """The cluster's access as a desired-state file that, applied, changes nothing."""
    principals: list[PrincipalSpec] = []
    for entry in state.access_entries():
        username = entry.username
        if entry.type.is_node or username == default_username(entry):
            username = None
        principals.append(
            PrincipalSpec(
                arn=entry.principal_arn,
                via=Via.ACCESS_ENTRY,
                type=entry.type,
                username=username,
                groups=[] if entry.type.is_node else list(entry.kubernetes_groups),
                policies=[
                    PolicySpec(policy=short_policy(p.policy_arn), namespaces=list(p.scope.namespaces))
                    for p in entry.policies
                ],
            )
        )
    auth = parse_aws_auth(state.aws_auth)
    rows: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    for row in auth.roles:
        rows[row.rolearn.lower()] = (row.rolearn, row.username, row.groups)  # later duplicates win
    for user in auth.users:
        rows.setdefault(user.userarn.lower(), (user.userarn, user.username, user.groups))
    for arn, username, groups in rows.values():
        try:
            parse_principal(arn)
        except InvalidArnError:
            continue  # a row no principal can ever match: nothing to manage
        node = node_type_of_row(username, groups)
        spec: dict[str, Any] = {"arn": arn, "via": Via.AWS_AUTH}
        if node is not None:
            spec["type"] = node
        else:
            spec.update(username=username, groups=list(groups))
        principals.append(PrincipalSpec(**spec))
    accounts = list(auth.accounts) if auth.accounts else None
    return ClusterAccess(
        cluster=ClusterRef(name=state.cluster.name, region=state.cluster.region),
        authenticationMode=state.authentication_mode,
        principals=principals,
        mapAccounts=accounts,
    )
