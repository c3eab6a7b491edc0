"""Read one cluster's access configuration live, as a ClusterState: the one gathering used by management
(``manage.connect.read_live``), snapshot, audit and fleet (``analyze.snapshot.take_snapshot``).

EKS gives the cluster (mode, endpoint, CA) and, in the API modes, the access entries with their associated
access policies; the cluster's API server gives kube-system/aws-auth (with its resourceVersion), the RBAC
objects and the namespaces (kept as bare Namespace manifests, so scopes naming missing namespaces show).
Every call goes through the one retry policy (``features.retry``). Default RBAC objects (the API server's
bootstrap roles and bindings) may be left out when they are unchanged (snapshots do: the engine adds them
back itself); an edited default object is always kept.

The cluster creator is invisible in CONFIG_MAP mode. When the reader's own live identity is the creator's
(the API server reports ``kubernetes-admin`` in ``system:masters``, and no aws-auth row explains it), the
reader is the creator, and the state records it so that the engine counts that admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession, ClusterDescription
from eksaccess.adapters.eks_nodes import NodeSources, read_node_sources
from eksaccess.adapters.eks_workload import WorkloadSources, read_trust_policies, read_workload_sources
from eksaccess.adapters.kube import KubeCallError, ServiceAccountInfo, WhoAmI
from eksaccess.adapters.ports import ClusterApi, KubeApi
from eksaccess.domain.authz.bootstrap import bootstrap_manifests
from eksaccess.domain.authz.rbac import parse_binding, parse_role
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import CREATOR_USERNAME, Caller, find_aws_auth, subject_of
from eksaccess.domain.iam.principal import canonicalize
from eksaccess.domain.state import (
    API_VERSION,
    AccessEntryModel,
    AuthenticationMode,
    ClusterInfo,
    ClusterState,
    ServiceAccountModel,
    WorkloadIdentityModel,
)
from eksaccess.domain.workload.oidc import ROLE_ARN_ANNOTATION
from eksaccess.errors import RemoteError
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry


@dataclass(frozen=True, kw_only=True)
class ClusterRead:
    state: ClusterState
    aws_auth_version: str | None  # resourceVersion of kube-system/aws-auth; None when it does not exist
    notes: tuple[str, ...] = ()


def read_cluster(
    aws: ClusterApi,
    kube: KubeApi,
    described: ClusterDescription,
    reader: Caller,
    *,
    account: str,
    keep_defaults: bool = True,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> ClusterRead:
    """Everything access depends on, fresh, in two rounds of parallel calls. ``described`` is EKS's
    answer for the cluster, read just before; ``reader`` is whose credentials read (for the creator rule).
    AwsCallError / KubeCallError (exit 3) when a call still fails after the retries."""
    mode = described.authentication_mode or AuthenticationMode.CONFIG_MAP
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="cluster-read") as pool:
        entries_job = (
            pool.submit(retry, lambda: aws.list_access_entries(described.name, described.region), backoff)
            if mode.uses_access_entries
            else None
        )
        aws_auth_job = pool.submit(retry, kube.get_aws_auth, backoff)
        rbac_job = pool.submit(retry, kube.rbac_manifests, backoff)
        nodes_job = pool.submit(_node_sources, aws, described, backoff)  # the node roles (audit's risk)
        workload_job = pool.submit(_workload_sources, aws, described, backoff)  # IRSA, Pod Identity
        accounts_job = pool.submit(_service_accounts, kube, backoff)
        namespaces = retry(kube.namespaces, backoff)
        aws_auth = aws_auth_job.result()
        rbac = rbac_job.result()
        entries = entries_job.result() if entries_job is not None else []
        nodes, nodes_note = nodes_job.result()
        sources = workload_job.result()
        accounts, accounts_note = accounts_job.result()
    notes: list[str] = [nodes_note] if nodes_note else []
    if accounts_note:
        notes.append(accounts_note)
    workload = _workload(aws, described, account, sources, accounts, notes, backoff)
    creator = None
    if mode is AuthenticationMode.CONFIG_MAP:
        try:
            me = retry(kube.whoami, backoff)
        except KubeCallError as err:
            notes.append(f"cluster creator not checked: {err}")
        else:
            creator = canonicalize(reader.arn) if is_hidden_creator(me, aws_auth.data, reader) else None
    kubernetes: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in namespaces
    ]
    kubernetes.extend(rbac if keep_defaults else strip_defaults(rbac))
    try:
        state = ClusterState(
            apiVersion=API_VERSION,
            kind="ClusterState",
            cluster=ClusterInfo(
                name=described.name,
                region=described.region,
                accountId=account,
                arn=described.arn,
                version=described.version,
                endpoint=described.endpoint,
                certificateAuthorityData=described.certificate_authority_data,
                creatorArn=creator,
            ),
            authenticationMode=mode,
            accessEntries=[AccessEntryModel.from_domain(e) for e in entries],
            awsAuth=aws_auth.data,
            kubernetes=kubernetes,
            nodegroups=list(nodes.nodegroups) if nodes and nodes.nodegroups else None,  # none: left out
            fargateProfiles=list(nodes.fargate_profiles) if nodes and nodes.fargate_profiles else None,
            workloadIdentity=workload,
        )
    except ValidationError as err:
        raise RemoteError(
            f"cluster {described.name}: what EKS returned is not a valid ClusterState: {err}"
        ) from None
    return ClusterRead(state=state, aws_auth_version=aws_auth.resource_version, notes=tuple(notes))


def _node_sources(
    aws: ClusterApi, described: ClusterDescription, backoff: Backoff
) -> tuple[NodeSources | None, str | None]:
    """The node groups and Fargate profiles (a live AWS session only); a denied read is a note, not a failure."""
    if not isinstance(aws, AwsSession):
        return None, None
    try:
        return retry(lambda: read_node_sources(aws, described.name, described.region), backoff), None
    except AwsCallError as err:
        if err.kind is not AwsErrorKind.ACCESS_DENIED:
            raise
        return None, f"node groups and Fargate profiles not read: {err}"


def _workload_sources(
    aws: ClusterApi, described: ClusterDescription, backoff: Backoff
) -> WorkloadSources | None:
    """Pod Identity associations and IAM OIDC providers (a live AWS session only)."""
    if not isinstance(aws, AwsSession):
        return None
    return retry(lambda: read_workload_sources(aws, described.name, described.region), backoff)


def _service_accounts(kube: KubeApi, backoff: Backoff) -> tuple[list[ServiceAccountInfo], str | None]:
    try:
        return retry(kube.service_accounts, backoff), None
    except KubeCallError as err:
        if err.status != 403:
            raise
        return [], f"service accounts not read: {err}"


def _workload(
    aws: ClusterApi,
    described: ClusterDescription,
    account: str,
    sources: WorkloadSources | None,
    accounts: list[ServiceAccountInfo],
    notes: list[str],
    backoff: Backoff,
) -> WorkloadIdentityModel | None:
    """The workload-identity section: SAs, associations, providers, and the trust of the roles they name."""
    if sources is None and not accounts and described.oidc_issuer is None:
        return None
    associations = list(sources.associations) if sources else []
    service_accounts = [
        ServiceAccountModel(namespace=a.namespace, name=a.name, annotations=a.annotations) for a in accounts
    ]
    roles = [
        sa.annotations[ROLE_ARN_ANNOTATION]
        for sa in service_accounts
        if ROLE_ARN_ANNOTATION in sa.annotations
    ]
    roles += [a.role_arn for a in associations] + [
        a.target_role_arn for a in associations if a.target_role_arn
    ]
    trust: dict[str, dict[str, Any]] = {}
    if sources is not None:
        notes.extend(sources.notes)
        if isinstance(aws, AwsSession):
            trust, trust_notes = retry(lambda: read_trust_policies(aws, roles, account), backoff)
            notes.extend(trust_notes)
    return WorkloadIdentityModel(
        oidcIssuer=described.oidc_issuer,
        oidcProviders=list(sources.oidc_providers)
        if sources and sources.oidc_providers is not None
        else None,
        serviceAccounts=service_accounts,
        podIdentityAssociations=associations,
        roleTrustPolicies=trust,
    )


def is_hidden_creator(me: WhoAmI, aws_auth: Any, reader: Caller) -> bool:
    """The one creator rule: the API server calls the reader ``kubernetes-admin`` in ``system:masters``,
    and no aws-auth row gave it that name."""
    if me.username != CREATOR_USERNAME or "system:masters" not in me.groups:
        return False
    mapped = find_aws_auth(parse_aws_auth(aws_auth), subject_of(reader))
    return mapped is None or mapped.username != CREATOR_USERNAME


def strip_defaults(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop default ClusterRoles and ClusterRoleBindings that are as the API server created them."""
    defaults = _defaults()
    kept = []
    for obj in manifests:
        key = (str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))
        if key in defaults and _normal(obj) == defaults[key]:
            continue
        kept.append(obj)
    return kept


def _normal(obj: Mapping[str, Any]) -> Any:
    kind = obj.get("kind")
    if kind == "ClusterRole":
        role = parse_role(obj)
        if role.aggregation is not None:
            return ("aggregated", role.aggregation)  # live rules are filled by the controller
        return ("rules", frozenset(role.rules))
    binding = parse_binding(obj)
    return (binding.role_ref, frozenset(binding.subjects))


@cache
def _defaults() -> dict[tuple[str, str], Any]:
    return {(str(m["kind"]), str(m["metadata"]["name"])): _normal(m) for m in bootstrap_manifests()}
