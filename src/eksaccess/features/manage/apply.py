"""Carry out a plan on the live cluster: guarded, idempotent, resumable, recorded and verified.

* The lock-out guard runs on the plan's before/after states (``--force`` skips it).
* EKS calls are retried by botocore (standard mode); "already there" / "already gone" count as done, so
  a run that stopped half-way is simply run again.
* All aws-auth edits of a plan are one read-modify-write cycle against the ConfigMap's resourceVersion:
  read, edit (byte-preserving), check that nothing else is dropped, guard, write; on 409 Conflict the
  whole cycle runs again after a jittered exponential backoff.
* The change is recorded (history) before the first write and completed after the last.
* Afterwards every changed principal is resolved again from a fresh read and checked against the plan's
  intent: what it adds is there, what it takes away is gone (what other writers added meanwhile may stay).
* A grant or revoke is a merge against the latest state (``replan``): an aws-auth conflict re-plans on the
  ConfigMap just read; an access entry's groups and username, which UpdateAccessEntry replaces as a whole,
  are read back after a short settle, and when another writer's list replaced ours the change is planned
  again on the fresh state and written again, a bounded number of rounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.adapters.history_files import HistoryFiles, now_text
from eksaccess.adapters.kube import AWS_AUTH, KubeCallError
from eksaccess.adapters.ports import WriteOutcome
from eksaccess.domain.access import AccessEntry
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.findings import Finding
from eksaccess.domain.iam.identity import Resolution
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.state import AccessEntryModel, ClusterState
from eksaccess.errors import EksAccessError, InputError, RemoteError
from eksaccess.features.manage.connect import Connection, LiveView, read_live
from eksaccess.features.manage.evaluate import Evaluator
from eksaccess.features.manage.guards import check_lockout
from eksaccess.features.manage.history import snapshot
from eksaccess.features.manage.plan import Plan
from eksaccess.features.manage.steps import AWS_AUTH_CODES, Step, StepCode, StepMechanism, edit_aws_auth
from eksaccess.features.retry import retry

READ_BACK_ATTEMPTS = 4  # whole read-backs for the verification, each call retried on its own

MAX_CONFLICTS = 40
MERGE_ROUNDS = 12  # plan-and-write-again rounds when another writer's list replaced ours
# Before the second read-back of a replaced list, wait longer than another writer's read-to-write window
# (measured on our own: the same machine, the same load), jittered x1-2: a writer that read the list before
# our write has written by then, and what it replaced is seen and merged again.
SETTLE_SECONDS = 0.5
SETTLE_WINDOWS = 4

Replan = Callable[[ClusterState], Plan]


class LockoutError(InputError):
    """The lock-out guard refused the change."""

    def __init__(self, violations: Sequence[Finding]) -> None:
        text = " Also: ".join(v.detail for v in violations)
        super().__init__(f"refusing to change access: {text}")
        self.violations = tuple(violations)


class StepStatus(StrEnum):
    DONE = "done"
    ALREADY = "already"
    FAILED = "failed"
    NOT_RUN = "not-run"


@dataclass(frozen=True, kw_only=True, slots=True)
class StepResult:
    step: Step
    status: StepStatus
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.step.to_json(), "status": str(self.status), "error": self.error}


@dataclass(frozen=True, kw_only=True)
class ApplyReport:
    cluster: str
    results: tuple[StepResult, ...] = ()
    version: int | None = None  # history version
    mismatches: tuple[str, ...] = ()
    unverified: str | None = None  # why the read-back that verifies the run could not be made
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    conflicts: int = 0  # aws-auth write conflicts retried
    rounds: int = 0  # merged and written again after another writer replaced our change

    @property
    def failed(self) -> bool:
        return any(r.status is StepStatus.FAILED for r in self.results)

    @property
    def changed(self) -> int:
        return sum(r.status is StepStatus.DONE for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "historyVersion": self.version,
            "failed": self.failed,
            "results": [r.to_json() for r in self.results],
            "verification": {
                "ran": self.unverified is None,
                "ok": None if self.unverified is not None else not self.mismatches,
                "mismatches": list(self.mismatches),
                "error": self.unverified,
            },
            "conflictsRetried": self.conflicts,
            "mergeRounds": self.rounds,
            "notices": list(self.notices),
            "warnings": list(self.warnings),
        }


RESUME_HINT = "run the same command again to finish; what is done stays done"
FIX_FIRST_HINT = "the same call would be refused again: fix what it names, then run the command again"


class ApplyFailedError(RemoteError):
    """A call failed after retries; the report says what was done and what was not."""

    def __init__(self, message: str, report: ApplyReport, *, again: bool = True) -> None:
        super().__init__(message, hint=RESUME_HINT if again else FIX_FIRST_HINT)
        self.report = report


# Answers that will be the same on the next run: only a change of input or permissions helps.
REFUSALS = frozenset({AwsErrorKind.INVALID_REQUEST, AwsErrorKind.ACCESS_DENIED, AwsErrorKind.NOT_FOUND})


def _refused(err: Exception, step: Step) -> EksAccessError | None:
    """An EKS refusal of the request itself (InvalidParameterException for a principal that does not
    exist, say) as bad input: one line, exit 2 when nothing was changed yet."""
    if isinstance(err, AwsCallError) and err.kind is AwsErrorKind.INVALID_REQUEST:
        operation = "".join(word.title() for word in err.operation.split("_"))
        return InputError(f"EKS refused {operation} for {step.principal}: {err.message}")
    return None


@dataclass
class _Run:
    conn: Connection
    plan: Plan
    operator_force: bool
    record: dict[str, Any]
    history: HistoryFiles | None
    replan: Replan | None = None
    version: int | None = None
    conflicts: int = 0
    rounds: int = 0
    window: float = 0.0  # longest read-to-write time of a replaced list, in seconds
    results: list[StepResult] = field(default_factory=list)


def guard(plan: Plan, view: LiveView, *, force: bool) -> None:
    if force or not plan.steps:
        return
    violations = check_lockout(
        plan.before,
        plan.after,
        operator=view.operator,
        touched=_touched(plan),
        writes_aws_auth=any(s.code in AWS_AUTH_CODES for s in plan.steps),
    )
    if violations:
        raise LockoutError(violations)


def _touched(plan: Plan) -> set[str] | None:
    if any(s.code is StepCode.MODE_UPDATE for s in plan.steps):
        return None
    return plan.touched()


def apply_plan(
    conn: Connection,
    view: LiveView,
    plan: Plan,
    *,
    force: bool = False,
    history: HistoryFiles | None = None,
    command: str = "apply",
    replan: Replan | None = None,
) -> ApplyReport:
    """Run the plan; raises LockoutError (refused), ApplyFailedError (stopped half-way, exit 3).

    ``replan`` makes the plan of the same request on a newer state: given, the change is merged again
    whenever another writer's change replaced it (a grant adds, a revoke removes; what others wrote stays).
    """
    base = ApplyReport(cluster=plan.cluster, notices=plan.notices, warnings=plan.warnings)
    if not plan.steps:
        return base
    guard(plan, view, force=force)
    record: dict[str, Any] = {
        "command": command,
        "operator": view.operator.arn,
        "startedAt": now_text(),
        "status": "started",
        "cluster": {
            "name": conn.name,
            "region": conn.region,
            "account": conn.account,
            "arn": conn.cluster.arn,
        },
        "before": snapshot(view.state, view.aws_auth_version),
        "after": None,
        "steps": [s.to_json() for s in plan.steps],
    }
    run = _Run(conn=conn, plan=plan, operator_force=force, record=record, history=history, replan=replan)
    if history is not None:
        run.version = history.create(record)
    failure = _run_steps(run, plan, view)
    return _finish(run, view, failure)


def _run_steps(run: _Run, plan: Plan, view: LiveView) -> EksAccessError | None:
    """Run each step of the plan in order (the aws-auth ones as one cycle); the first failure stops it."""
    failure: EksAccessError | None = None
    aws_auth_steps = [s for s in plan.steps if s.code in AWS_AUTH_CODES]
    for step in plan.steps:
        if failure is not None:
            run.results.append(StepResult(step=step, status=StepStatus.NOT_RUN))
            continue
        if step.code in AWS_AUTH_CODES and step is not aws_auth_steps[0]:
            continue  # the whole aws-auth batch ran with the first of its steps
        try:
            if step.code in AWS_AUTH_CODES:
                written, status = _write_aws_auth(run, aws_auth_steps, view)
                run.results.extend(StepResult(step=s, status=status) for s in written)
                continue
            status = _run_step(run, step)
        except (RemoteError, KubeCallError, InputError) as err:
            failure = _refused(err, step) or (
                err if isinstance(err, EksAccessError) else RemoteError(str(err))
            )
            failed = aws_auth_steps if step.code in AWS_AUTH_CODES else [step]
            run.results.extend(
                StepResult(step=s, status=StepStatus.FAILED, error=err.message) for s in failed
            )
            continue
        run.results.append(StepResult(step=step, status=status))
    return failure


def _finish(run: _Run, view: LiveView, failure: EksAccessError | None) -> ApplyReport:
    mismatches: tuple[str, ...] = ()
    unverified: str | None = None
    warnings = list(run.plan.warnings)
    fresh: LiveView | None = None
    try:
        fresh = _read_back(run)
        if failure is None:
            fresh, mismatches, failure = _merge(run, fresh)
    except (RemoteError, KubeCallError) as err:
        unverified = f"could not read the cluster back to verify: {err}"
        if run.operator_force:  # forced past the guard: losing one's own access is what was asked for
            warnings.append(unverified)
            unverified = None
    run.record.update(
        status="failed" if failure else "applied",
        finishedAt=now_text(),
        after=snapshot(fresh.state, fresh.aws_auth_version) if fresh else None,
        results=[
            {"code": str(r.step.code), "principal": r.step.principal, "status": str(r.status)}
            for r in run.results
        ],
    )
    if run.rounds:
        run.record["mergeRounds"] = run.rounds
    if run.history is not None and run.version is not None:
        if failure is not None and not any(r.status is StepStatus.DONE for r in run.results):
            run.history.discard(run.version)  # nothing changed: no version may claim a change
            run.version = None
        else:
            run.history.update(run.version, run.record)
    report = ApplyReport(
        cluster=run.plan.cluster,
        results=tuple(run.results),
        version=run.version,
        mismatches=mismatches,
        unverified=unverified if failure is None else None,
        notices=run.plan.notices,
        warnings=tuple(warnings),
        conflicts=run.conflicts,
        rounds=run.rounds,
    )
    if failure is not None:
        if isinstance(failure, InputError) and not any(r.status is StepStatus.DONE for r in run.results):
            raise failure  # refused before anything changed (e.g. a concurrent edit tripped the guard)
        done = sum(r.status in (StepStatus.DONE, StepStatus.ALREADY) for r in run.results)
        again = not isinstance(failure, InputError) and not (
            isinstance(failure, AwsCallError) and failure.kind in REFUSALS
        )
        raise ApplyFailedError(
            f"stopped after {done} of {len(run.results)} steps: {failure.message}", report, again=again
        )
    return report


def _merge(run: _Run, fresh: LiveView) -> tuple[LiveView, tuple[str, ...], EksAccessError | None]:
    """Verify against the read-back; where another writer's change replaced ours, plan again on the fresh
    state and write again. A replaced list (an access entry's groups) is read back once more after a short
    settle, since a writer that read before our write may still be about to write."""
    mismatches = verify(run.plan, fresh.state)
    settled = not _replaced_a_list(run.results)
    for _ in range(MERGE_ROUNDS):
        if not mismatches and settled:
            break
        if not mismatches:
            backoff = run.conn.backoff
            backoff.sleep(backoff.rng.uniform(1, 2) * max(SETTLE_SECONDS, SETTLE_WINDOWS * run.window))
            settled = True
        elif run.replan is None:
            break
        else:
            again = run.replan(fresh.state)
            if not again.steps:
                # Nothing left for us to write. What is still missing was not ours to add: a group or
                # policy the principal had when we planned, since taken away by another writer (which
                # we cannot tell from a concurrent revoke). Our own intent is judged alone.
                mismatches = verify(run.plan, fresh.state, kept=False)
                if mismatches:
                    break
                continue  # still settle, if our last write replaced a list
            guard(again, fresh, force=run.operator_force)
            first = len(run.results)
            run.rounds += 1
            failure = _run_steps(run, again, fresh)
            if failure is not None:
                return fresh, (), failure
            settled = not _replaced_a_list(run.results[first:])
        fresh = _read_back(run)
        mismatches = verify(run.plan, fresh.state)
    return fresh, mismatches, None


def _replaced_a_list(results: Sequence[StepResult]) -> bool:
    """Did we replace an access entry's groups or username, which another writer can overwrite unseen?
    An entry we created is not such a list: a writer that read before it existed plans a create too, is
    refused (ResourceInUse) and then updates on a fresh read."""
    return any(
        (r.step.code is StepCode.ENTRY_UPDATE and r.status is not StepStatus.FAILED)
        or (r.step.code is StepCode.ENTRY_CREATE and r.status is StepStatus.ALREADY)
        for r in results
    )


def _read_back(run: _Run) -> LiveView:
    """The cluster as it is now. Each call already retries; the whole read is tried again a few times,
    since a verification that could not run is not a mismatch (throttling right after a burst of writes
    is common). Not when forced past the guard: the operator may have just given up their own access."""
    attempts = 1 if run.operator_force else READ_BACK_ATTEMPTS
    for attempt in range(attempts):
        try:
            return read_live(run.conn)
        except (RemoteError, KubeCallError):
            if attempt == attempts - 1:
                raise
            run.conn.backoff.wait(attempt + 2)
    raise AssertionError("unreachable")  # pragma: no cover


# --- one step ---------------------------------------------------------------------------------------------


def _run_step(run: _Run, step: Step) -> StepStatus:
    conn = run.conn
    session, name, region = conn.session, conn.name, conn.region
    code = step.code
    if code is StepCode.MODE_UPDATE and step.mode is not None:
        return _status(session.update_authentication_mode(name, step.mode, region))
    if code is StepCode.BINDING_CREATE:
        return _create_binding(conn, step)
    if step.mechanism is not StepMechanism.ACCESS_ENTRY:
        raise InputError(f"cannot run step {code}")  # pragma: no cover - every code is handled
    arn = step.principal
    if code is StepCode.ENTRY_CREATE:
        entry = AccessEntry(
            principal_arn=arn, type=step.entry_type, username=step.username, kubernetes_groups=step.groups
        )
        outcome = session.create_access_entry(name, entry, region)
        if outcome is WriteOutcome.ALREADY and not step.entry_type.is_node:
            _update_entry(run, step)
        return _status(outcome)
    if code is StepCode.ENTRY_UPDATE:
        return _update_entry(run, step)
    if code is StepCode.ENTRY_DELETE:
        return _status(session.delete_access_entry(name, arn, region))
    if code in (StepCode.POLICY_ASSOCIATE, StepCode.POLICY_UPDATE) and step.scope and step.policy_arn:
        return _status(session.associate_access_policy(name, arn, step.policy_arn, step.scope, region))
    return _status(session.disassociate_access_policy(name, arn, str(step.policy_arn), region))


def _update_entry(run: _Run, step: Step) -> StepStatus:
    """UpdateAccessEntry replaces the groups (and username) as a whole. With ``replan`` the entry is read
    just before the write and the step planned again on it, so that what is written is the latest list
    plus our change: the window in which another writer's change can be replaced is one round trip."""
    conn = run.conn
    started = time.monotonic()
    latest = _latest_entry_step(run, step) if run.replan is not None else step
    if latest is None:
        return StepStatus.ALREADY  # the entry already holds our change
    outcome = conn.session.update_access_entry(
        conn.name, latest.principal, username=latest.username, groups=latest.groups,
        region=conn.region,
    )  # fmt: skip
    run.window = max(run.window, time.monotonic() - started)
    return _status(outcome)


def _latest_entry_step(run: _Run, step: Step) -> Step | None:
    assert run.replan is not None
    conn = run.conn
    entry = conn.session.describe_access_entry(conn.name, step.principal, conn.region, policies=False)
    others = [e for e in run.plan.before.access_entry_models if principal_key(e.principal_arn) != step.key]
    state = run.plan.before.model_copy(
        update={"access_entry_models": [*others, AccessEntryModel.from_domain(entry)]}
    )
    return next(
        (s for s in run.replan(state).steps if s.code is StepCode.ENTRY_UPDATE and s.key == step.key), None
    )


def _status(outcome: WriteOutcome) -> StepStatus:
    return StepStatus.DONE if outcome is WriteOutcome.DONE else StepStatus.ALREADY


def _create_binding(conn: Connection, step: Step) -> StepStatus:
    manifest = dict(step.manifest or {})
    namespace = (manifest.get("metadata") or {}).get("namespace")
    base = "/apis/rbac.authorization.k8s.io/v1"
    path = f"{base}/namespaces/{namespace}/rolebindings" if namespace else f"{base}/clusterrolebindings"
    try:
        retry(lambda: conn.kube.request("POST", path, manifest), conn.backoff)
    except KubeCallError as err:
        if err.status == 409:
            return StepStatus.ALREADY
        raise
    return StepStatus.DONE


# --- aws-auth: one guarded read-modify-write cycle --------------------------------------------------------


def _write_aws_auth(run: _Run, steps: Sequence[Step], view: LiveView) -> tuple[Sequence[Step], StepStatus]:
    """One guarded read-modify-write of aws-auth against its resourceVersion; the steps written and how.
    When the ConfigMap changed since the plan was made (or after a conflict), the steps are planned again
    on the ConfigMap just read (with ``replan``), so that what the other writer changed stays and ours is
    merged into it."""
    conn = run.conn
    for attempt in range(MAX_CONFLICTS):
        current = retry(conn.kube.get_aws_auth, conn.backoff)
        written = steps
        if run.replan is not None and current.resource_version != view.aws_auth_version:
            latest = view.state.model_copy(update={"aws_auth": current.data})
            written = [s for s in run.replan(latest).steps if s.code in AWS_AUTH_CODES]
        new_data = edit_aws_auth(current.data, written)
        if new_data == current.data:
            return steps, StepStatus.ALREADY
        check_nothing_dropped(current.data, new_data, written)
        if not run.operator_force:
            _guard_cycle(run.plan, view, current.data, new_data)
        try:
            _put(conn, new_data, current.resource_version)
        except KubeCallError as err:
            if err.status == 409:  # someone wrote first (or created it): read again, edit again
                run.conflicts += 1
                conn.backoff.wait(min(attempt, 6))
                continue
            raise
        if not run.rounds:  # the first write's: what a rollback of this change goes back to, verbatim
            run.record["before"]["awsAuth"] = current.data
            run.record["before"]["awsAuthResourceVersion"] = current.resource_version
        return written, StepStatus.DONE
    raise RemoteError(f"kube-system/aws-auth kept changing: {MAX_CONFLICTS} write conflicts in a row")


def _put(conn: Connection, data: Mapping[str, str] | None, version: str | None) -> None:
    if data is None:
        namespace, name = AWS_AUTH
        path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": version}}
        try:
            retry(lambda: conn.kube.request("DELETE", path, body), conn.backoff)
        except KubeCallError as err:
            if err.status != 404:
                raise
        return
    retry(lambda: conn.kube.put_aws_auth(data, version), conn.backoff)


def _guard_cycle(
    plan: Plan, view: LiveView, current: dict[str, str] | None, new: dict[str, str] | None
) -> None:
    before = plan.before.model_copy(update={"aws_auth": current})
    after = plan.after.model_copy(update={"aws_auth": new})
    violations = check_lockout(
        before, after, operator=view.operator, touched=_touched(plan), writes_aws_auth=True
    )
    if violations:
        raise LockoutError(violations)


def check_nothing_dropped(
    old: Mapping[str, str] | None, new: Mapping[str, str] | None, steps: Sequence[Step]
) -> None:
    """Parse the map to write with the authenticator's rules: every mapping not targeted by a step must
    still be there, unchanged, and no key may fail to parse that did not before."""
    if any(s.code is StepCode.AWS_AUTH_RESTORE for s in steps):
        return  # a restore writes recorded data back as it was
    before, after = parse_aws_auth(old), parse_aws_auth(new)
    targeted = {s.principal.lower() for s in steps} | {s.replaces.lower() for s in steps if s.replaces}
    new_dropped = {d.key for d in after.dropped} - {d.key for d in before.dropped}
    if new_dropped:
        raise InputError(f"refusing to write aws-auth: {', '.join(sorted(new_dropped))} would not parse")
    rows_after = {r.rolearn.lower(): (r.username, r.groups) for r in after.roles}
    rows_after |= {u.userarn.lower(): (u.username, u.groups) for u in after.users}
    rows_before = {r.rolearn.lower(): (r.username, r.groups) for r in before.roles}
    rows_before |= {u.userarn.lower(): (u.username, u.groups) for u in before.users}
    for arn, row in rows_before.items():
        if arn not in targeted and rows_after.get(arn) != row:
            raise InputError(f"refusing to write aws-auth: the mapping of {arn} would be lost or changed")
    for account in before.accounts:
        if account not in targeted and account not in after.accounts:
            raise InputError(f"refusing to write aws-auth: mapAccounts {account} would be lost")


# --- verification -----------------------------------------------------------------------------------------


def verify(plan: Plan, live: ClusterState, *, kept: bool = True) -> tuple[str, ...]:
    """Each changed principal, resolved on the fresh live state, must show the plan's intent: what the plan
    gives it is there, what the plan takes away is gone, and (with ``kept``) what the plan kept is still
    there. What other writers added meanwhile (another group, another policy) is not a mismatch."""
    before, wanted, got = Evaluator(plan.before), Evaluator(plan.after), Evaluator(live)
    arns = {**before.principals(), **wanted.principals()}
    mismatches = []
    for key in sorted(plan.touched()):
        arn = arns.get(key)
        if arn is None:
            continue
        actual = _summary(got.resolve(arn))
        missed = _missed(_summary(before.resolve(arn)), _summary(wanted.resolve(arn)), actual, kept=kept)
        if missed:
            mismatches.append(f"{arn}: {'; '.join(missed)}; the cluster now gives {actual}")
    return tuple(mismatches)


def _missed(old: _Summary, new: _Summary, live: _Summary, *, kept: bool) -> list[str]:
    if not new.mapped:
        return ["expected no access"] if live.mapped else []
    if not live.mapped:
        return ["expected access"]
    missed = []
    if (not old.mapped or old.username != new.username) and live.username != new.username:
        missed.append(f"expected username {new.username}")
    ours = new.groups if kept or not old.mapped else new.groups - old.groups
    absent = sorted(ours - live.groups)
    if absent:
        missed.append(f"expected groups {absent}")
    removed = sorted((old.groups - new.groups) & live.groups) if old.mapped else []
    if removed:
        missed.append(f"expected groups {removed} gone")
    wanted = new.policies if kept or not old.mapped else new.policies - old.policies
    lacking = sorted(p[0].rsplit("/", 1)[-1] for p in wanted - live.policies)
    if lacking:
        missed.append(f"expected policies {lacking} with their scopes")
    dropped = {p[0] for p in old.policies} - {p[0] for p in new.policies}
    still = sorted(p[0].rsplit("/", 1)[-1] for p in live.policies if p[0] in dropped)
    if still:
        missed.append(f"expected policies {still} gone")
    return missed


@dataclass(frozen=True, kw_only=True, slots=True)
class _Summary:
    mapped: bool
    username: str = ""
    groups: frozenset[str] = frozenset()
    policies: frozenset[tuple[str, str, frozenset[str]]] = frozenset()

    def __str__(self) -> str:
        if not self.mapped:
            return "no access (not mapped)"
        names = sorted(p[0].rsplit("/", 1)[-1] for p in self.policies)
        return f"username {self.username}, groups {sorted(self.groups)}, policies {names}"


def _summary(resolution: Resolution) -> _Summary:
    identity = resolution.identity
    if identity is None:
        return _Summary(mapped=False)
    entry = resolution.access_entry
    policies = frozenset(
        (p.policy_arn, p.scope.type.value, frozenset(p.scope.namespaces))
        for p in (entry.policies if entry else ())
    )
    return _Summary(
        mapped=True, username=identity.username, groups=frozenset(identity.groups), policies=policies
    )


def principal_keys(steps: Sequence[Step]) -> set[str]:
    return {principal_key(s.principal) for s in steps if s.principal.startswith("arn:")}
