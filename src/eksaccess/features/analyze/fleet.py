"""Fleet mode: every cluster of several profiles and regions, read concurrently, as audit inputs.

1. Per profile, STS tells the account (profiles of the same account read each cluster once).
2. Per profile and region, ListClusters.
3. Each cluster is snapshotted on a shared thread pool, at most ``per_region`` at a time per account and
   region (a semaphore each), so one busy region does not starve the others and no account is flooded.
4. Per account, the IAM details (optional: a failure is a note, not a failed cluster).

Throttling is retried (botocore's standard retries, then ``features.retry``). A cluster that still cannot be
read becomes a ClusterFailure naming it; the others are audited (partial results).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsSession, CallerIdentity, presign_with
from eksaccess.adapters.iam import read_account_iam
from eksaccess.domain.iam.trust import AccountIam
from eksaccess.errors import EksAccessError, InputError
from eksaccess.features.analyze.audit import AuditInput, ClusterFailure
from eksaccess.features.analyze.snapshot import take_snapshot
from eksaccess.features.retry import DEFAULT_BACKOFF, Backoff, retry

SessionFactory = Callable[[str | None, str | None], AwsSession]
DEFAULT_PER_REGION = 4
MAX_WORKERS = 64


class EventKind(StrEnum):
    DISCOVERED = "discovered"  # total known: count = clusters found so far
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class FleetEvent:
    kind: EventKind
    cluster: str = ""
    count: int = 0


@dataclass(frozen=True, kw_only=True)
class FleetCluster:
    profile: str | None
    account: str
    region: str
    name: str


@dataclass(kw_only=True)
class FleetResult:
    inputs: list[AuditInput] = field(default_factory=list)
    failures: list[ClusterFailure] = field(default_factory=list)
    iam: list[AccountIam] | None = None
    notes: list[str] = field(default_factory=list)


def _error_kind(err: Exception) -> str:
    return str(err.kind) if isinstance(err, AwsCallError) else type(err).__name__


def _message(err: Exception) -> str:
    return err.message if isinstance(err, EksAccessError) else str(err)


@dataclass(kw_only=True)
class FleetReader:
    session_factory: SessionFactory
    per_region: int = DEFAULT_PER_REGION
    backoff: Backoff = DEFAULT_BACKOFF
    with_iam: bool = True
    progress: Callable[[FleetEvent], None] = lambda event: None
    result: FleetResult = field(default_factory=FleetResult)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _fail(self, name: str, region: str, profile: str | None, err: Exception) -> None:
        with self._lock:
            self.result.failures.append(
                ClusterFailure(
                    name=name, region=region, profile=profile, error=_message(err), kind=_error_kind(err)
                )
            )
        self.progress(FleetEvent(kind=EventKind.FAILED, cluster=f"{region}/{name}"))

    def accounts(
        self, profiles: Sequence[str | None], regions: Sequence[str] | None
    ) -> dict[str | None, str]:
        found: dict[str | None, str] = {}
        for profile in profiles:
            try:
                session = self.session_factory(profile, regions[0] if regions else None)
                found[profile] = retry(session.caller_identity, self.backoff).account
            except (AwsCallError, InputError) as err:
                self._fail("*", "*", profile, err)
        return found

    def discover(
        self, pool: ThreadPoolExecutor, accounts: dict[str | None, str], regions: Sequence[str] | None
    ) -> list[FleetCluster]:
        jobs: list[tuple[str | None, str, Future[list[str]]]] = []
        for profile in accounts:
            for region in regions or [self._default_region(profile)]:
                session = self.session_factory(profile, region)
                jobs.append((profile, region, pool.submit(retry, session.list_clusters, self.backoff)))
        refs: dict[tuple[str, str, str], FleetCluster] = {}
        for profile, region, job in jobs:
            try:
                names = job.result()
            except (AwsCallError, InputError) as err:
                self._fail("*", region, profile, err)
                continue
            for name in names:
                key = (accounts[profile], region, name)
                refs.setdefault(key, FleetCluster(profile=profile, account=key[0], region=region, name=name))
            self.progress(FleetEvent(kind=EventKind.DISCOVERED, count=len(refs)))
        return list(refs.values())

    def _default_region(self, profile: str | None) -> str:
        region = self.session_factory(profile, None).region
        if not region:
            raise InputError(f"profile {profile or 'default'} has no region: pass --regions")
        return region

    def snapshot(self, ref: FleetCluster, gate: threading.Semaphore) -> None:
        with gate:
            try:
                session = self.session_factory(ref.profile, ref.region)
                snap = take_snapshot(session, ref.name, ref.region, backoff=self.backoff)
            except EksAccessError as err:
                self._fail(ref.name, ref.region, ref.profile, err)
                return
        with self._lock:
            self.result.inputs.append(
                AuditInput(state=snap.state, profile=ref.profile, notes=list(snap.notes))
            )
        self.progress(FleetEvent(kind=EventKind.DONE, cluster=f"{ref.region}/{ref.name}"))

    def iam(self, profile: str | None, account: str) -> AccountIam | None:
        try:
            return read_account_iam(self.session_factory(profile, None), account=account)
        except EksAccessError as err:
            with self._lock:
                self.result.notes.append(f"IAM of account {account} not read: {_message(err)}")
            return None

    def read(self, profiles: Sequence[str | None], regions: Sequence[str] | None) -> FleetResult:
        accounts = self.accounts(profiles, regions)
        by_account = {account: profile for profile, account in reversed(list(accounts.items()))}
        with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="eksaccess-fleet") as pool:
            refs = self.discover(pool, accounts, regions)
            gates: dict[tuple[str, str], threading.Semaphore] = {}
            for ref in refs:
                gates.setdefault((ref.account, ref.region), threading.Semaphore(self.per_region))
            iam_jobs = [pool.submit(self.iam, p, a) for a, p in by_account.items()] if self.with_iam else []
            jobs = [
                pool.submit(self.snapshot, ref, gates[(ref.account, ref.region)])
                for ref in _interleaved(refs)
            ]
            for job in jobs:
                job.result()
            read = [found for job in iam_jobs if (found := job.result()) is not None]
        self.result.iam = read if read else None
        key = {
            (i.state.cluster.account_id, i.state.cluster.region, i.state.cluster.name): i
            for i in self.result.inputs
        }
        self.result.inputs = [key[k] for k in sorted(key)]
        self.result.failures.sort(key=lambda f: (f.region, f.name, f.profile or ""))
        return self.result


def _interleaved(refs: Sequence[FleetCluster]) -> list[FleetCluster]:
    """Round-robin over (account, region), so waiting on one region's gate never holds up the others."""
    queues: dict[tuple[str, str], list[FleetCluster]] = {}
    for ref in refs:
        queues.setdefault((ref.account, ref.region), []).append(ref)
    out: list[FleetCluster] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                out.append(queue.pop(0))
    return out


def read_fleet(
    profiles: Sequence[str | None],
    regions: Sequence[str] | None,
    *,
    session_factory: SessionFactory,
    per_region: int = DEFAULT_PER_REGION,
    backoff: Backoff = DEFAULT_BACKOFF,
    with_iam: bool = True,
    progress: Callable[[FleetEvent], None] | None = None,
) -> FleetResult:
    reader = FleetReader(
        session_factory=session_factory,
        per_region=per_region,
        backoff=backoff,
        with_iam=with_iam,
        progress=progress or (lambda event: None),
    )
    return reader.read(profiles or [None], regions)


class SharedClients(AwsSession):
    """An AwsSession for the fleet's threads: EKS and IAM clients made once and shared (botocore clients
    are thread-safe; making one costs tens of milliseconds of CPU, one at a time in the process), the
    caller's identity asked once, and tokens presigned by one STS client (the per-cluster header hook is
    registered around each presign, under a lock: presigning is CPU only, no network)."""

    SHARED = frozenset({"eks", "iam"})

    def __init__(self, *, profile: str | None = None, region: str | None = None, session: Any = None) -> None:
        super().__init__(profile=profile, region=region, session=session)
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._client_lock = threading.Lock()
        self._identity: CallerIdentity | None = None
        self._presigners: dict[str | None, Any] = {}
        self._presign_lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        if service not in self.SHARED:
            return super().client(service, region)
        key = (service, region or self.region)
        with self._client_lock:
            found = self._clients.get(key)
            if found is None:
                found = self._clients[key] = super().client(service, region)
            return found

    def caller_identity(self) -> CallerIdentity:
        found = self._identity
        if found is None:
            found = self._identity = super().caller_identity()
        return found

    def presign_token(self, cluster_name: str, region: str | None = None) -> str:
        with self._presign_lock:
            sts = self._presigners.get(region)
            if sts is None:
                sts = self._presigners[region] = self._new_client("sts", region)
            return presign_with(sts, cluster_name)


def cached_factory(factory: Callable[[str | None, str | None], Any]) -> SessionFactory:
    """One SharedClients per (profile, region), built from what ``factory`` gives for the boto3 session."""
    sessions: dict[tuple[str | None, str | None], AwsSession] = {}
    lock = threading.Lock()

    def make(profile: str | None, region: str | None) -> AwsSession:
        with lock:
            found = sessions.get((profile, region))
            if found is None:
                found = sessions[(profile, region)] = SharedClients(
                    session=factory(profile, region), region=region
                )
            return found

    return make


def _boto_session(profile: str | None, region: str | None) -> Any:
    import boto3

    return boto3.session.Session(profile_name=profile, region_name=region)


def default_session_factory() -> SessionFactory:
    """Sessions as the aws CLI finds credentials (profiles, files, environment), one per profile and region."""
    return cached_factory(_boto_session)
