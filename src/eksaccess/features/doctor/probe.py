"""Gather the live facts doctor needs, concurrently where the calls are independent.

Every question goes through a port (AWS, Kubernetes, the clock), so the same checks run against a
real account, the sandbox, or values built in a test. A question that cannot be answered is recorded
with its error, never turned into "nothing found".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from eksaccess.adapters.aws import AwsCallError, AwsSession, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import ConfigMapData, KubeCallError, KubeClient, WhoAmI
from eksaccess.domain.access import AccessEntry
from eksaccess.domain.token import TokenError, verify_token
from eksaccess.features.doctor.target import DoctorOptions, Target

T = TypeVar("T")
GET_TOKEN_SESSION = "EKSGetTokenAuth"  # the session name aws eks get-token --role-arn uses


class DoctorPorts(Protocol):
    def aws(self, *, profile: str | None, region: str | None) -> AwsSession: ...
    def kube(self, *, server: str, ca_data: str | None, token: str | None) -> KubeClient: ...
    def now(self) -> datetime: ...
    def sts_check(self, url: str, cluster_name: str) -> tuple[int, str]: ...
    def candidate_regions(self) -> list[str]: ...


@dataclass
class Outcome(Generic[T]):
    """A value or the error that prevented it (None, None: not attempted)."""

    value: T | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.value is not None


def _attempt(fn: Callable[[], T]) -> Outcome[T]:
    try:
        return Outcome(value=fn())
    except (AwsCallError, KubeCallError) as err:
        return Outcome(error=err)


@dataclass
class Facts:
    target: Target
    options: DoctorOptions
    caller: Outcome[CallerIdentity] = field(default_factory=Outcome)
    base_caller: Outcome[CallerIdentity] = field(default_factory=Outcome)
    shell_caller: Outcome[CallerIdentity] = field(default_factory=Outcome)
    admin_caller: Outcome[CallerIdentity] = field(default_factory=Outcome)
    cluster: Outcome[ClusterDescription] = field(default_factory=Outcome)
    near_clusters: tuple[tuple[str, str], ...] = ()  # (region, name)
    endpoint_version: Outcome[Mapping[str, Any]] = field(default_factory=Outcome)
    kubeconfig_endpoint: Outcome[Mapping[str, Any]] = field(default_factory=Outcome)
    whoami: Outcome[WhoAmI] = field(default_factory=Outcome)
    token_format_error: str | None = None
    token_sts: tuple[int, str] | None = (
        None  # STS status and body for the token, checked for the real cluster
    )
    access_entries: Outcome[list[AccessEntry]] = field(default_factory=Outcome)
    aws_auth: Outcome[ConfigMapData] = field(default_factory=Outcome)
    rbac: Outcome[list[dict[str, Any]]] = field(default_factory=Outcome)
    namespaces: Outcome[list[str]] = field(default_factory=Outcome)
    permission: Outcome[tuple[bool, str]] = field(default_factory=Outcome)
    baseline_permission: Outcome[tuple[bool, str]] = field(default_factory=Outcome)  # list pods, live
    server_now: datetime | None = None
    local_now: datetime | None = None

    @property
    def principal_arn(self) -> str | None:
        if self.options.as_arn:
            return self.options.as_arn
        return self.caller.value.arn if self.caller.value else None


def gather(target: Target, options: DoctorOptions, ports: DoctorPorts) -> Facts:
    facts = Facts(target=target, options=options)
    if not target.usable:
        return facts
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="doctor") as pool:
        _gather(facts, ports, pool)
    return facts


def _gather(facts: Facts, ports: DoctorPorts, pool: ThreadPoolExecutor) -> None:
    target, options = facts.target, facts.options
    name = target.cluster_name
    assert name is not None
    region = target.region

    def principal_session() -> AwsSession:
        session = ports.aws(profile=target.profile, region=target.token_region or region)
        facts.base_caller = _attempt(session.caller_identity)
        if target.role_arn and facts.base_caller.ok:
            return session.assume_role(target.role_arn, GET_TOKEN_SESSION)
        return session

    sessions: dict[str, AwsSession] = {}

    def principal() -> CallerIdentity:
        session = principal_session()
        if facts.base_caller.error is not None:
            raise facts.base_caller.error
        sessions["principal"] = session
        return session.caller_identity()

    def shell() -> CallerIdentity:
        return ports.aws(profile=None, region=region).caller_identity()

    def admin() -> CallerIdentity:
        session = ports.aws(profile=options.admin_profile, region=region)
        sessions["admin"] = session
        return session.caller_identity()

    f_principal = pool.submit(_attempt, principal) if not options.as_arn else None
    f_shell = pool.submit(_attempt, shell) if not options.as_arn and not options.profile else None
    f_admin = pool.submit(_attempt, admin) if options.admin_profile else None
    if f_principal is not None:
        facts.caller = f_principal.result()
    if f_admin is not None:
        facts.admin_caller = f_admin.result()
    reader = sessions.get("admin") or sessions.get("principal")
    if reader is None:
        if f_shell is not None:
            facts.shell_caller = f_shell.result()
        return

    facts.cluster = _attempt(lambda: reader.describe_cluster(name, region))
    if not facts.cluster.ok and "admin" in sessions and "principal" in sessions:
        facts.cluster = _attempt(lambda: sessions["principal"].describe_cluster(name, region))
    if isinstance(facts.cluster.error, AwsCallError) and facts.cluster.error.kind.value == "not-found":
        regions = [region, *(r for r in ports.candidate_regions() if r != region)]
        found = pool.map(lambda r: _near_clusters(reader, name, r), regions)
        facts.near_clusters = tuple(x for group in found for x in group)

    cluster = facts.cluster.value
    server = (cluster.endpoint if cluster else None) or target.server
    ca = (cluster.certificate_authority_data if cluster else None) or target.ca_data
    futures: dict[str, Future[Any]] = {}
    if server:
        futures["version"] = pool.submit(_attempt, lambda: _version(ports, server, ca))
        if target.server and cluster and (target.server != server or target.ca_data != ca):
            futures["kubeconfig"] = pool.submit(
                _attempt, lambda: _version(ports, target.server or "", target.ca_data)
            )
    if "principal" in sessions and server:
        futures["whoami"] = pool.submit(_token_probe, facts, ports, sessions["principal"], server, ca)
    if cluster is not None:
        futures["entries"] = pool.submit(_attempt, lambda: reader.list_access_entries(name, region))
    if server:
        futures["kube_state"] = pool.submit(_kube_state, facts, ports, sessions, server, ca)
    if f_shell is not None:
        facts.shell_caller = f_shell.result()
    for key, future in futures.items():
        result = future.result()
        if key == "version":
            facts.endpoint_version = result
        elif key == "kubeconfig":
            facts.kubeconfig_endpoint = result
        elif key == "entries":
            facts.access_entries = result
    facts.local_now = ports.now()
    date = (facts.endpoint_version.value or {}).get("_date")
    if isinstance(date, str):
        try:
            facts.server_now = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            facts.server_now = None


def _version(ports: DoctorPorts, server: str, ca: str | None) -> Mapping[str, Any]:
    with ports.kube(server=server, ca_data=ca, token=None) as client:
        out = dict(client.request("GET", "/version") or {})
        if client.last_date:
            out["_date"] = client.last_date
        return out


def _token_probe(facts: Facts, ports: DoctorPorts, session: AwsSession, server: str, ca: str | None) -> None:
    target = facts.target
    token_name = target.token_cluster_name or target.cluster_name or ""
    try:
        token = session.presign_token(token_name, target.token_region)
    except AwsCallError as err:
        facts.whoami = Outcome(error=err)
        return
    real_name = target.cluster_name or token_name
    sts_host = urlsplit(session.client("sts", target.token_region).meta.endpoint_url).netloc
    try:
        request = verify_token(
            token,
            cluster_id=real_name,
            now=ports.now(),
            region=target.token_region or "us-east-1",
            extra_sts_hosts=(sts_host,),
        )
    except TokenError as err:
        facts.token_format_error = str(err)
        request = None
    if request is not None:
        facts.token_sts = ports.sts_check(request.url, real_name)
    with ports.kube(server=server, ca_data=ca, token=token) as client:
        facts.whoami = _attempt(client.whoami)
        if facts.whoami.ok and facts.options.verb and facts.options.resource:
            facts.permission = _attempt(lambda: _live_permission(client, facts.options, target))
        elif facts.whoami.ok:
            namespace = facts.options.namespace or target.namespace or "default"
            facts.baseline_permission = _attempt(
                lambda: (lambda r: (r.allowed, r.reason))(client.can_i("list", "pods", namespace=namespace))
            )


def _live_permission(client: KubeClient, options: DoctorOptions, target: Target) -> tuple[bool, str]:
    from eksaccess.domain.resources import resolve_resource

    ref = resolve_resource(options.resource or "")
    review = client.can_i(
        options.verb or "",
        ref.resource,
        group=ref.group,
        subresource=ref.subresource,
        namespace=(options.namespace or target.namespace or "default") if ref.namespaced else "",
    )
    return review.allowed, review.reason


def _kube_state(
    facts: Facts, ports: DoctorPorts, sessions: Mapping[str, AwsSession], server: str, ca: str | None
) -> None:
    """aws-auth, RBAC and namespaces, read as the administrator when one is given, else as the principal."""
    name = facts.target.cluster_name or ""
    for role in ("admin", "principal"):
        session = sessions.get(role)
        if session is None:
            continue
        try:
            token = session.presign_token(name, facts.target.region)
        except AwsCallError as err:
            facts.aws_auth = Outcome(error=err)
            continue
        with ports.kube(server=server, ca_data=ca, token=token) as client:
            facts.aws_auth = _attempt(client.get_aws_auth)
            if not facts.aws_auth.ok:
                continue
            facts.rbac = _attempt(client.rbac_manifests)
            facts.namespaces = _attempt(client.namespaces)
            return


def _near_clusters(session: AwsSession, name: str, region: str | None) -> tuple[tuple[str, str], ...]:
    import difflib

    found: list[tuple[str, str]] = []
    try:
        names = session.list_clusters(region)
    except AwsCallError:
        return ()
    for candidate in difflib.get_close_matches(name, names, n=3, cutoff=0.6):
        found.append((region or "", candidate))
    return tuple(found)
