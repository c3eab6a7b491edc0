"""snapshot: capture a live cluster as a ClusterState (what every analysis command reads offline).

EKS gives the cluster (mode, endpoint, CA) and, in the API modes, the access entries with their associated
access policies; the cluster's API server gives kube-system/aws-auth, the RBAC objects and the namespaces
(kept as bare Namespace manifests, so the audit can tell scopes naming missing namespaces).

Default RBAC objects (the API server's bootstrap roles and bindings) are left out when they are unchanged:
the engine adds them back itself. An edited default object is kept. The creator is known only in
CONFIG_MAP mode, and only when the snapshot is taken by the creator itself (the API server then reports
the operator as ``kubernetes-admin`` in ``system:masters``, which no aws-auth row explains).

Throttling (EKS ``ThrottlingException`` after botocore's own retries, or HTTP 429 from the API server) is
retried with exponential backoff and jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import ValidationError

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.kube import KubeCallError, KubeClient
from eksaccess.domain.authz.bootstrap import bootstrap_manifests
from eksaccess.domain.authz.rbac import parse_binding, parse_role
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import CREATOR_USERNAME, Caller, resolve
from eksaccess.domain.iam.principal import canonicalize
from eksaccess.domain.state import (
    AccessEntryModel,
    AuthenticationMode,
    ClusterInfo,
    ClusterState,
)
from eksaccess.errors import InputError, RemoteError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    attempts: int = 5
    base: float = 0.25
    cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        return float(random.uniform(0, min(self.cap, self.base * 2**attempt)))  # noqa: S311 (jitter)


DEFAULT_BACKOFF = Backoff()


def throttled(err: Exception) -> bool:
    if isinstance(err, AwsCallError):
        return err.kind is AwsErrorKind.THROTTLED or err.code in ("TooManyRequestsException",)
    return isinstance(err, KubeCallError) and err.status == 429


def with_backoff(call: Callable[[], T], backoff: Backoff = DEFAULT_BACKOFF) -> T:
    """Run ``call``; on throttling wait (exponential, full jitter) and try again, ``attempts`` times."""
    for attempt in range(backoff.attempts - 1):
        try:
            return call()
        except (AwsCallError, KubeCallError) as err:
            if not throttled(err):
                raise
            backoff.sleep(backoff.delay(attempt))
    return call()


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    state: ClusterState
    notes: tuple[str, ...] = ()


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


def _creator(kube: KubeClient, operator: Caller, mode: AuthenticationMode, aws_auth: Any) -> str | None:
    if mode is not AuthenticationMode.CONFIG_MAP:
        return None
    me = kube.whoami()
    if me.username != CREATOR_USERNAME or "system:masters" not in me.groups:
        return None
    mapped = resolve(mode=mode, access_entries=(), aws_auth=parse_aws_auth(aws_auth), caller=operator)
    if mapped.identity is not None and mapped.identity.username == CREATOR_USERNAME:
        return None  # an aws-auth row named it kubernetes-admin: not the creator's hidden mapping
    return canonicalize(operator.arn)


def take_snapshot(
    session: AwsSession,
    cluster: str,
    region: str | None = None,
    *,
    keep_defaults: bool = False,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Snapshot:
    """Read one cluster live; AwsCallError / KubeCallError (exit 3) when a call fails after retries."""
    region = region or session.region
    if not region:
        raise InputError("no region: pass --region or set one in the AWS profile")
    notes: list[str] = []
    # three rounds, not seven: the caller's identity while EKS describes the cluster, then the access
    # entries while the API server answers for aws-auth, the RBAC lists and the namespaces
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="snapshot") as pool:
        identity_job = pool.submit(with_backoff, session.caller_identity, backoff)
        described = with_backoff(lambda: session.describe_cluster(cluster, region), backoff)
        if not described.endpoint:
            raise RemoteError(f"cluster {cluster} has no endpoint yet (status {described.status})")
        mode = described.authentication_mode or AuthenticationMode.CONFIG_MAP
        entries_job = (
            pool.submit(with_backoff, lambda: session.list_access_entries(cluster, region), backoff)
            if mode.uses_access_entries
            else None
        )
        token = session.presign_token(cluster, region)
        with KubeClient(
            server=described.endpoint, ca_data=described.certificate_authority_data, token=token
        ) as kube:
            aws_auth_job = pool.submit(with_backoff, kube.get_aws_auth, backoff)
            rbac_job = pool.submit(with_backoff, kube.rbac_manifests, backoff)
            namespaces = with_backoff(kube.namespaces, backoff)
            aws_auth = aws_auth_job.result().data
            rbac = rbac_job.result()
            identity = identity_job.result()
            operator = Caller(arn=identity.arn, account=identity.account, user_id=identity.user_id)
            try:
                creator = _creator(kube, operator, mode, aws_auth)
            except KubeCallError as err:
                creator = None
                notes.append(f"cluster creator not checked: {err}")
        entries = entries_job.result() if entries_job is not None else []
    kubernetes: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in namespaces
    ]
    kubernetes += rbac if keep_defaults else strip_defaults(rbac)
    try:
        state = ClusterState(
            apiVersion="eksaccess/v1",
            kind="ClusterState",
            cluster=ClusterInfo(
                name=described.name,
                region=described.region,
                accountId=described.arn.split(":")[4],
                arn=described.arn,
                version=described.version,
                endpoint=described.endpoint,
                certificateAuthorityData=described.certificate_authority_data,
                creatorArn=creator,
            ),
            authenticationMode=mode,
            accessEntries=[AccessEntryModel.from_domain(e) for e in entries],
            awsAuth=aws_auth,
            kubernetes=kubernetes,
        )
    except ValidationError as err:
        raise RemoteError(
            f"cluster {cluster}: what EKS returned is not a valid ClusterState: {err}"
        ) from None
    return Snapshot(state=state, notes=tuple(notes))
