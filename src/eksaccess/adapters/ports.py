"""What the features need from the outside world, as protocols.

The live implementations are ``adapters.aws.AwsSession`` (EKS, STS), ``adapters.kube.KubeClient`` (the
cluster's API server) and, for doctor's wider questions (the exec plugin, the aws CLI's cache, the clock,
the kubeconfig, the AWS config), ``adapters.live_ports.LivePorts``; tests give in-memory fakes of the same outside world (never of the code under
test). A feature typed on these protocols can be run against either.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:  # types only: importing the ports loads no client library
    from eksaccess.adapters.aws import AwsSession, CallerIdentity, ClusterDescription
    from eksaccess.adapters.aws_profiles import ProfileCredentials
    from eksaccess.adapters.kube import ConfigMapData, KubeClient, ServiceAccountInfo, WhoAmI
    from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig
    from eksaccess.adapters.workload_reads import (
        AssociationRead,
        OidcProviderRead,
        PodRead,
        RoleRead,
        ServiceAccountRead,
    )
    from eksaccess.domain.access import AccessEntry, AccessScope, AuthenticationMode
    from eksaccess.domain.cli_cache import CacheEntry
    from eksaccess.domain.iam.trust import PolicyDocument
    from eksaccess.domain.kubeconfig import ExecConfig


class ClusterApi(Protocol):
    """EKS's answers about one cluster, and STS's about the caller."""

    def describe_cluster(self, name: str, region: str | None = None) -> ClusterDescription: ...

    def list_access_entries(self, cluster: str, region: str | None = None) -> list[AccessEntry]: ...

    def caller_identity(self) -> CallerIdentity: ...

    def presign_token(self, cluster_name: str, region: str | None = None) -> str: ...


class KubeApi(Protocol):
    """The cluster's API server, as far as access is concerned."""

    def whoami(self) -> WhoAmI: ...

    def get_aws_auth(self) -> ConfigMapData: ...

    def rbac_manifests(self) -> list[dict[str, Any]]: ...

    def namespaces(self) -> list[str]: ...

    def service_accounts(self) -> list[ServiceAccountInfo]: ...  # eks.amazonaws.com/* annotations only


class WorkloadApi(Protocol):
    """doctor --service-account / --pod: a workload's identity chain (``adapters/workload_reads.py``)."""

    def service_account(self, namespace: str, name: str) -> ServiceAccountRead | None: ...

    def pods(self, namespace: str, name: str | None = None) -> list[PodRead]: ...

    def oidc_issuer(self) -> str | None: ...

    def oidc_providers(self) -> list[OidcProviderRead]: ...

    def role(self, role_arn: str) -> RoleRead | None: ...

    def role_policies(self, role_arn: str) -> tuple[PolicyDocument, ...] | None: ...

    def associations(self, namespace: str, service_account: str) -> list[AssociationRead]: ...


class WriteOutcome(StrEnum):
    DONE = "done"  # the call changed the cluster
    ALREADY = "already"  # the wanted state already held


class ClusterAdmin(ClusterApi, Protocol):
    """EKS's access writes for one operator, each safe to run again (ALREADY when the wanted state held),
    the reads a write needs first, and IAM's own ARN of a principal."""

    @property
    def region(self) -> str | None: ...

    def describe_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None, *, policies: bool = True
    ) -> AccessEntry: ...

    def create_access_entry(
        self, cluster: str, entry: AccessEntry, region: str | None = None
    ) -> WriteOutcome: ...

    def update_access_entry(
        self,
        cluster: str,
        principal_arn: str,
        *,
        username: str | None,
        groups: tuple[str, ...],
        region: str | None = None,
    ) -> WriteOutcome: ...

    def delete_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None
    ) -> WriteOutcome: ...

    def associate_access_policy(
        self, cluster: str, principal_arn: str, policy_arn: str, scope: AccessScope, region: str | None = None
    ) -> WriteOutcome: ...

    def disassociate_access_policy(
        self, cluster: str, principal_arn: str, policy_arn: str, region: str | None = None
    ) -> WriteOutcome: ...

    def update_authentication_mode(
        self, cluster: str, mode: AuthenticationMode, region: str | None = None
    ) -> WriteOutcome: ...

    def principal_arn(self, kind: Literal["role", "user"], name: str) -> str: ...

    def role_arns(self, path_prefix: str) -> list[str]:
        """IAM's ARNs of the operator's account's roles under ``path_prefix`` (ListRoles)."""
        ...


class KubeWriter(KubeApi, Protocol):
    """The API server's writes management makes: aws-auth against its resourceVersion, and any request."""

    def put_aws_auth(self, data: Mapping[str, str], resource_version: str | None) -> str: ...

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class ExecRun:
    """The kubeconfig's exec plugin, run once as kubectl runs it, beside doctor's own calls.
    ``cpu_seconds`` is what it cost, a lower bound when it was stopped (``finished`` False: it ran out of
    time, or doctor stopped early). ``token`` is what kubectl would send (None unless the plugin finished
    and printed one): a secret, kept in memory only, never in repr, JSON or logs."""

    cpu_seconds: float
    wall_seconds: float
    finished: bool
    ok: bool
    token: str | None = field(default=None, repr=False, compare=False)


class DoctorPorts(Protocol):
    """Everything doctor asks of the outside world."""

    def run_exec(self, config: ExecConfig, stop: threading.Event) -> ExecRun: ...
    def cli_cache(self, config: ExecConfig) -> tuple[CacheEntry, ...]: ...
    def aws(self, *, profile: str | None, region: str | None) -> AwsSession: ...
    def kube(self, *, server: str, ca_data: str | None, token: str | None) -> KubeClient: ...
    def now(self) -> datetime: ...
    def sts_check(self, url: str, cluster_name: str) -> tuple[int, str]: ...
    def candidate_regions(self) -> list[str]: ...
    def transient_answers(self) -> int: ...
    def which(self, command: str) -> str | None: ...
    def load_kubeconfig(self, explicit: str | None) -> LoadedKubeconfig: ...
    def profiles_by_role(self) -> dict[str, str]: ...
    def describe_profile(self, profile: str | None) -> ProfileCredentials: ...
    def egress_ip(self) -> str: ...  # this machine's public IP (check_ip.CheckIpError when unknown)
    def profile_with_key(self, access_key_id: str) -> str | None: ...  # the AWS profile holding that key
