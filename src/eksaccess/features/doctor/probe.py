"""Gather the live facts doctor needs, concurrently where the calls are independent.

Every question goes through a port (AWS, Kubernetes, the clock), so the same checks run against a
real account, the sandbox, or values built in a test. A question that cannot be answered is recorded
with its error, never turned into "nothing found".
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

from eksaccess.adapters.aws import AwsCallError, AwsSession, CallerIdentity, ClusterDescription
from eksaccess.adapters.check_ip import CheckIpError
from eksaccess.adapters.cloud_logs import CreatorLookup
from eksaccess.adapters.kube import ConfigMapData, KubeCallError, KubeClient, WhoAmI
from eksaccess.adapters.ports import DoctorPorts, ExecRun
from eksaccess.domain.access import AccessEntry
from eksaccess.domain.authenticator_log import AuthenticatorLine
from eksaccess.domain.cli_cache import CacheEntry
from eksaccess.domain.token import TokenError, TokenRequest, describe_token, parse_sts_response, verify_token
from eksaccess.features.doctor import cloud_records
from eksaccess.features.doctor.start import Started
from eksaccess.features.doctor.target import DoctorOptions, Target

T = TypeVar("T")
GET_TOKEN_SESSION = "EKSGetTokenAuth"  # the session name aws eks get-token --role-arn uses


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
    # the principal's own DescribeCluster when the administrator read the cluster (None, None: not asked)
    principal_cluster: Outcome[ClusterDescription] = field(default_factory=Outcome)
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
    exec_run: ExecRun | None = None
    exec_whoami: Outcome[WhoAmI] = field(default_factory=Outcome)  # the cluster's answer to kubectl's token
    exec_sts: tuple[int, str] | None = None  # STS's answer to it, when the cluster refused it
    cli_cache: tuple[CacheEntry, ...] = ()  # the aws CLI cache files the exec plugin signs from
    static_token_error: str | None = None  # why the kubeconfig's static token is refused before STS
    # AWS's own records, asked only when they can matter (cloud_records.py): the CreateCluster event in
    # CONFIG_MAP; the authenticator's lines about the principal when it was refused or its mapping unread
    creator: Outcome[CreatorLookup] = field(default_factory=Outcome)
    authenticator_log: Outcome[tuple[AuthenticatorLine, ...]] = field(default_factory=Outcome)
    egress_ip: Outcome[str] = field(default_factory=Outcome)  # this machine's public IP (unreachable only)
    static_token_profile: str | None = None  # the AWS profile holding the key that signed the static token

    @property
    def principal_arn(self) -> str | None:
        if self.options.as_arn:
            return self.options.as_arn
        return self.caller.value.arn if self.caller.value else None


def gather(started: Started, options: DoctorOptions, ports: DoctorPorts) -> Facts:
    target = started.target
    facts = Facts(target=target, options=options)
    if not target.usable:
        return facts
    with ThreadPoolExecutor(max_workers=12, thread_name_prefix="doctor") as pool:
        if target.static_token is not None:
            _gather_static(facts, ports, pool, target.static_token)
        else:
            _gather(facts, ports, pool, started)
    return facts


@dataclass
class _KubeState:
    aws_auth: Outcome[ConfigMapData] = field(default_factory=Outcome)
    rbac: Outcome[list[dict[str, Any]]] = field(default_factory=Outcome)
    namespaces: Outcome[list[str]] = field(default_factory=Outcome)


@dataclass
class _TokenProbe:
    whoami: Outcome[WhoAmI] = field(default_factory=Outcome)
    token_format_error: str | None = None
    token_sts: tuple[int, str] | None = None
    permission: Outcome[tuple[bool, str]] = field(default_factory=Outcome)
    baseline_permission: Outcome[tuple[bool, str]] = field(default_factory=Outcome)


@dataclass(frozen=True)
class _Endpoint:
    server: str
    ca: str | None


def _gather(facts: Facts, ports: DoctorPorts, pool: ThreadPoolExecutor, started: Started) -> None:
    """Every call starts as soon as what it needs is known, not when the call before it is answered.

    The kubeconfig's endpoint is used speculatively before DescribeCluster confirms it: when the cluster
    says otherwise (ENDPOINT_MISMATCH, CA_MISMATCH) the Kubernetes questions are asked again at the
    real endpoint. The reader of cluster state (the admin when one is given) starts at once.
    """
    target, options = facts.target, facts.options
    name = target.cluster_name
    assert name is not None
    region = target.region
    guess = _Endpoint(target.server, target.ca_data) if target.server else None

    def principal() -> tuple[CallerIdentity, AwsSession]:
        session = ports.aws(profile=target.profile, region=target.token_region or region)
        facts.base_caller = _attempt(session.caller_identity)
        if facts.base_caller.error is not None or facts.base_caller.value is None:
            raise facts.base_caller.error or AssertionError("no caller")
        if target.role_arn:  # what `aws eks get-token --role-arn` does before it signs
            session = session.assume_role(target.role_arn, GET_TOKEN_SESSION)
            return session.caller_identity(), session
        return facts.base_caller.value, session

    def probe_token(session: AwsSession, at: _Endpoint) -> _TokenProbe:
        return _token_probe(facts, ports, session, at)

    stop_exec, f_exec = started.stop_exec, started.exec_run  # the plugin runs since the kubeconfig was read
    admin: AwsSession | None = None
    if options.admin_profile:
        made = _attempt(lambda: ports.aws(profile=options.admin_profile, region=region))
        admin, facts.admin_caller = made.value, Outcome(error=made.error)
    f_principal = pool.submit(_attempt, principal) if not options.as_arn else None
    f_shell = (
        pool.submit(_attempt, lambda: ports.aws(profile=None, region=region).caller_identity())
        if not options.as_arn and not options.profile
        else None
    )
    f_admin = pool.submit(_attempt, admin.caller_identity) if admin is not None else None
    early: dict[str, Future[Any]] = {}
    if admin is not None:
        early = _reader_calls(pool, ports, facts, admin, {"admin": admin}, guess)
    if guess is not None:
        early["version"] = pool.submit(_attempt, lambda: _version(ports, guess))
    f_token: Future[_TokenProbe] | None = None
    f_own_cluster: Future[Outcome[ClusterDescription]] | None = None
    sessions: dict[str, AwsSession] = {"admin": admin} if admin is not None else {}
    if f_principal is not None:
        outcome = f_principal.result()
        facts.caller = Outcome(value=outcome.value[0] if outcome.value else None, error=outcome.error)
        if outcome.value is not None:
            own = sessions["principal"] = outcome.value[1]
            if guess is not None:
                f_token = pool.submit(probe_token, own, guess)
            if admin is not None:  # the admin reads the cluster: may the principal itself?
                f_own_cluster = pool.submit(_attempt, lambda: own.describe_cluster(name, region))
    if f_admin is not None:
        facts.admin_caller = f_admin.result()
    reader = sessions.get("admin") or sessions.get("principal")
    if reader is None:  # no credentials work: only the endpoint's own answer (and its clock) is left
        stop_exec.set()
        if f_shell is not None:
            facts.shell_caller = f_shell.result()
        if "version" in early:
            facts.endpoint_version = early.pop("version").result()
        _clocks(facts, ports)
        return
    if not early or "cluster" not in early:
        early |= _reader_calls(pool, ports, facts, reader, sessions, guess)

    facts.cluster = early["cluster"].result()
    if f_own_cluster is not None:
        facts.principal_cluster = f_own_cluster.result()
        if not facts.cluster.ok:  # the admin could not read it: the principal's answer stands
            facts.cluster = facts.principal_cluster
    if isinstance(facts.cluster.error, AwsCallError) and facts.cluster.error.kind.value == "not-found":
        regions = [region, *(r for r in ports.candidate_regions() if r != region)]
        found = pool.map(lambda r: _near_clusters(reader, name, r), regions)
        facts.near_clusters = tuple(x for group in found for x in group)

    cluster = facts.cluster.value
    readers = [s for s in (sessions.get("admin"), sessions.get("principal")) if s is not None]
    f_creator = (
        pool.submit(_attempt, lambda: cloud_records.ask_creator(readers, name, cluster.region))
        if cluster is not None and cloud_records.creator_matters(cluster)
        else None
    )
    server = (cluster.endpoint if cluster else None) or target.server
    ca = (cluster.certificate_authority_data if cluster else None) or target.ca_data
    real = _Endpoint(server, ca) if server else None
    f_kubectl = (
        pool.submit(_kubectl_probe, facts, ports, f_exec, real, sessions.get("principal"))
        if f_exec is not None and real is not None and _as_kubeconfig_says(options)
        else None
    )
    futures: dict[str, Future[Any]] = {}
    if real is not None and real != guess:  # the speculation missed: ask at the real endpoint
        futures["version"] = pool.submit(_attempt, lambda: _version(ports, real))
        if guess is not None and cluster is not None:
            futures["kubeconfig"] = early.pop("version")
        if "principal" in sessions:
            f_token = pool.submit(probe_token, sessions["principal"], real)
        futures["kube_state"] = pool.submit(_kube_state, facts, ports, sessions, real)
    elif real is not None:
        futures["version"] = early.pop("version")
        speculated = early.pop("kube_state", None)
        futures["kube_state"] = speculated or pool.submit(_kube_state, facts, ports, sessions, real)
    if cluster is not None:
        futures["entries"] = early.pop("entries")
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
        elif key == "kube_state":
            if not result.aws_auth.ok and "admin" in sessions and "principal" in sessions and real:
                # the admin could not read aws-auth: the principal may (as _kube_state would fall back)
                result = _kube_state(facts, ports, {"principal": sessions["principal"]}, real)
            facts.aws_auth, facts.rbac, facts.namespaces = result.aws_auth, result.rbac, result.namespaces
    if f_token is not None and real is not None:
        probe = f_token.result()
        facts.whoami, facts.token_format_error, facts.token_sts = (
            probe.whoami,
            probe.token_format_error,
            probe.token_sts,
        )
        facts.permission, facts.baseline_permission = probe.permission, probe.baseline_permission
    if f_creator is not None:
        facts.creator = f_creator.result()
    _authenticator_log(facts, ports, readers)
    for leftover in early.values():  # speculative answers nobody needs: wait, so no thread outlives us
        leftover.result()
    if f_kubectl is not None:
        kubectl = f_kubectl.result()
        facts.exec_whoami, facts.exec_sts, facts.cli_cache = kubectl.whoami, kubectl.sts, kubectl.cache
    facts.exec_run = f_exec.result() if f_exec is not None else None
    _egress(facts, ports)
    _clocks(facts, ports)


def _authenticator_log(facts: Facts, ports: DoctorPorts, readers: list[AwsSession]) -> None:
    """The authenticator's lines about the principal, when the cluster refused it or its mapping is unread."""
    cluster, arn = facts.cluster.value, facts.principal_arn
    refused = isinstance(facts.whoami.error, KubeCallError) and facts.whoami.error.status == 401
    read = cloud_records.mapping_was_read(cluster, facts.access_entries.ok, facts.aws_auth.ok)
    if cluster is None or arn is None or facts.options.as_arn or not readers:
        return
    if cloud_records.log_matters(cluster, refused=refused, mapping_read=read):
        facts.authenticator_log = _attempt(
            lambda: cloud_records.ask_authenticator_log(
                readers, cluster.name, cluster.region, arn, ports.now()
            )
        )


def _gather_static(facts: Facts, ports: DoctorPorts, pool: ThreadPoolExecutor, token: str) -> None:
    """A kubeconfig user with a static k8s-aws-v1 token: kubectl sends it as it is. The principal is the
    STS caller its presigned URL resolves to; the cluster is asked with it at the kubeconfig's endpoint;
    the cluster's state is read only as the administrator (--admin-profile): no credentials of the
    shell stand for the token's."""
    target, options = facts.target, facts.options
    at = _Endpoint(target.server, target.ca_data) if target.server else None
    early: dict[str, Future[Any]] = {}
    if options.admin_profile:
        made = _attempt(lambda: ports.aws(profile=options.admin_profile, region=target.region))
        if made.value is not None:
            admin = made.value
            early = _reader_calls(pool, ports, facts, admin, {"admin": admin}, at)
            early["admin"] = pool.submit(_attempt, admin.caller_identity)
        else:
            facts.admin_caller = Outcome(error=made.error)
    if at is not None:
        early["version"] = pool.submit(_attempt, lambda: _version(ports, at))
        early["probe"] = pool.submit(_ask_cluster, facts, ports, token, at, None)
    with contextlib.suppress(TokenError):  # a malformed token: its error is the authenticator's (below)
        facts.static_token_profile = ports.profile_with_key(describe_token(token).access_key_id)
    try:
        request = _verify(token, facts, ports, None)
    except TokenError as err:
        facts.static_token_error = str(err)
    else:
        facts.token_sts = ports.sts_check(request.url, target.cluster_name or "")
        facts.caller = facts.base_caller = _sts_caller(facts.token_sts, request)
    answers = {key: future.result() for key, future in early.items()}
    if "probe" in answers:
        probe: _TokenProbe = answers["probe"]
        facts.whoami, facts.permission = probe.whoami, probe.permission
        facts.baseline_permission = probe.baseline_permission
    if "kube_state" in answers:
        state: _KubeState = answers["kube_state"]
        facts.aws_auth, facts.rbac, facts.namespaces = state.aws_auth, state.rbac, state.namespaces
    facts.cluster = answers.get("cluster", facts.cluster)
    facts.access_entries = answers.get("entries", facts.access_entries)
    facts.admin_caller = answers.get("admin", facts.admin_caller)
    facts.endpoint_version = answers.get("version", facts.endpoint_version)
    _egress(facts, ports)
    _clocks(facts, ports)


def _sts_caller(answer: tuple[int, str], request: TokenRequest) -> Outcome[CallerIdentity]:
    """The caller STS names in its answer to a token's URL (JSON, or the XML STS sends by default)."""
    status, body = answer
    if status != 200:
        return Outcome()
    try:
        identity = parse_sts_response(status, body, region=request.region)
        arn, account, user_id = identity.arn, identity.account, identity.user_id
    except TokenError:
        found = {tag: re.search(rf"<{tag}>([^<]+)</{tag}>", body) for tag in ("Arn", "Account", "UserId")}
        if not all(found.values()):
            return Outcome()
        arn, account, user_id = (m.group(1) for m in found.values() if m is not None)
    return Outcome(
        value=CallerIdentity(arn=arn, account=account, user_id=user_id, access_key_id=request.access_key_id)
    )


def _egress(facts: Facts, ports: DoctorPorts) -> None:
    """This machine's public IP, asked only when the endpoint refused or dropped the connection (the
    cluster's public CIDRs are checked against it) and not --offline."""
    error = facts.endpoint_version.error
    if facts.options.offline or not isinstance(error, KubeCallError) or error.status is not None or error.tls:
        return
    try:
        facts.egress_ip = Outcome(value=ports.egress_ip())
    except CheckIpError as err:
        facts.egress_ip = Outcome(error=err)


def _clocks(facts: Facts, ports: DoctorPorts) -> None:
    facts.local_now = ports.now()
    date = (facts.endpoint_version.value or {}).get("_date")
    if isinstance(date, str):
        try:
            facts.server_now = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            facts.server_now = None


def _as_kubeconfig_says(options: DoctorOptions) -> bool:
    """Doctor's own token stands for kubectl's: no flag changes the cluster or the credentials."""
    return not (options.cluster or options.region or options.profile or options.role_arn or options.as_arn)


def _reader_calls(
    pool: ThreadPoolExecutor,
    ports: DoctorPorts,
    facts: Facts,
    reader: AwsSession,
    sessions: Mapping[str, AwsSession],
    guess: _Endpoint | None,
) -> dict[str, Future[Any]]:
    """What the reader of cluster state asks at once: the cluster, its access entries and, at the
    kubeconfig's endpoint, aws-auth and RBAC."""
    name, region = facts.target.cluster_name or "", facts.target.region
    calls: dict[str, Future[Any]] = {
        "cluster": pool.submit(_attempt, lambda: reader.describe_cluster(name, region)),
        "entries": pool.submit(_attempt, lambda: reader.list_access_entries(name, region)),
    }
    if guess is not None:
        calls["kube_state"] = pool.submit(_kube_state, facts, ports, dict(sessions), guess)
    return calls


def _version(ports: DoctorPorts, at: _Endpoint) -> Mapping[str, Any]:
    with ports.kube(server=at.server, ca_data=at.ca, token=None) as client:
        out = dict(client.request("GET", "/version") or {})
        if client.last_date:
            out["_date"] = client.last_date
        return out


def _token_probe(facts: Facts, ports: DoctorPorts, session: AwsSession, at: _Endpoint) -> _TokenProbe:
    """The principal's own token: its format, STS's answer to it, and the cluster's (whoami and the
    permission asked, concurrently; a permission answer counts only when whoami succeeded)."""
    target, probe = facts.target, _TokenProbe()
    token_name = target.token_cluster_name or target.cluster_name or ""
    try:
        token = session.presign_token(token_name, target.token_region)
    except AwsCallError as err:
        probe.whoami = Outcome(error=err)
        return probe
    real_name = target.cluster_name or token_name
    sts_host = session.endpoint_host("sts", target.token_region)
    try:
        request = verify_token(
            token,
            cluster_id=real_name,
            now=ports.now(),
            region=target.token_region or "us-east-1",
            extra_sts_hosts=(sts_host,),
        )
    except TokenError as err:
        request = None
        format_error: str | None = str(err)
    else:
        format_error = None
    probe = _ask_cluster(facts, ports, token, at, request.url if request is not None else None)
    probe.token_format_error = format_error
    return probe


def _ask_cluster(
    facts: Facts, ports: DoctorPorts, token: str, at: _Endpoint, sts_url: str | None
) -> _TokenProbe:
    """The cluster's answers to a token (whoami and the permission asked, concurrently; a permission
    answer counts only when whoami succeeded), and STS's answer to its URL when one is given."""
    target, probe = facts.target, _TokenProbe()
    real_name = target.cluster_name or target.token_cluster_name or ""
    with ports.kube(server=at.server, ca_data=at.ca, token=token) as client, ThreadPoolExecutor(3) as pool:
        sts = pool.submit(ports.sts_check, sts_url, real_name) if sts_url is not None else None
        who = pool.submit(_attempt, client.whoami)
        if facts.options.verb and facts.options.resource:
            asked = pool.submit(_attempt, lambda: _live_permission(client, facts.options, target))
        else:
            namespace = facts.options.namespace or target.namespace or "default"
            asked = pool.submit(
                _attempt,
                lambda: (lambda r: (r.allowed, r.reason))(client.can_i("list", "pods", namespace=namespace)),
            )
        probe.whoami = who.result()
        answer = asked.result()
        probe.token_sts = sts.result() if sts is not None else None
    if probe.whoami.ok:
        if facts.options.verb and facts.options.resource:
            probe.permission = answer
        else:
            probe.baseline_permission = answer
    return probe


@dataclass
class _KubectlProbe:
    whoami: Outcome[WhoAmI] = field(default_factory=Outcome)
    sts: tuple[int, str] | None = None
    cache: tuple[CacheEntry, ...] = ()


def _kubectl_probe(
    facts: Facts, ports: DoctorPorts, f_exec: Future[ExecRun], at: _Endpoint, session: AwsSession | None
) -> _KubectlProbe:
    """The token kubectl would send: the exec plugin's own output (waited for, up to the plugin's
    timeout), asked of the cluster as kubectl asks; when refused, STS's answer to it and the aws CLI
    cache files the plugin signs from."""
    probe, config = _KubectlProbe(), facts.target.exec_config
    token = f_exec.result().token
    if token is None or config is None:
        return probe
    try:
        request: TokenRequest | None = _verify(token, facts, ports, session)
    except TokenError:
        request = None
    with ports.kube(server=at.server, ca_data=at.ca, token=token) as client, ThreadPoolExecutor(1) as pool:
        # STS is asked beside the cluster, not after it: its answer is only read when the cluster refuses
        sts = pool.submit(ports.sts_check, request.url, facts.target.cluster_name or "") if request else None
        probe.whoami = _attempt(client.whoami)
        if probe.whoami.ok:
            if sts is not None:
                sts.exception()  # waited for, not read: the cluster accepted the token
            return probe
    probe.cache = ports.cli_cache(config)
    probe.sts = sts.result() if sts is not None else None
    return probe


def _verify(token: str, facts: Facts, ports: DoctorPorts, session: AwsSession | None) -> TokenRequest:
    """The authenticator's checks of a token not minted here (doctor GETs no URL that fails them); the
    STS endpoint of ``session`` (or of the shell's configuration) counts as an STS host."""
    region = facts.target.token_region or facts.target.region
    try:
        hosts: tuple[str, ...] = (
            (session or ports.aws(profile=None, region=region)).endpoint_host("sts", region),
        )
    except Exception:  # no client (a profile that does not exist): the partition's hosts only
        hosts = ()
    return verify_token(
        token,
        cluster_id=facts.target.cluster_name or "",
        now=ports.now(),
        region=region or "us-east-1",
        extra_sts_hosts=hosts,
    )


def _live_permission(client: KubeClient, options: DoctorOptions, target: Target) -> tuple[bool, str]:
    from eksaccess.domain.authz.resources import resolve_resource

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
    facts: Facts, ports: DoctorPorts, sessions: Mapping[str, AwsSession], at: _Endpoint
) -> _KubeState:
    """aws-auth, RBAC and namespaces, read as the administrator when one is given, else as the principal;
    the three reads go out together."""
    name, state = facts.target.cluster_name or "", _KubeState()
    for role in ("admin", "principal"):
        session = sessions.get(role)
        if session is None:
            continue
        try:
            token = session.presign_token(name, facts.target.region)
        except AwsCallError as err:
            state.aws_auth = Outcome(error=err)
            continue
        with (
            ports.kube(server=at.server, ca_data=at.ca, token=token) as client,
            ThreadPoolExecutor(3) as pool,
        ):
            aws_auth = pool.submit(_attempt, client.get_aws_auth)
            rbac = pool.submit(_attempt, client.rbac_manifests)
            namespaces = pool.submit(_attempt, client.namespaces)
            state.aws_auth = aws_auth.result()
            if not state.aws_auth.ok:
                continue
            state.rbac, state.namespaces = rbac.result(), namespaces.result()
            return state
    return state


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
