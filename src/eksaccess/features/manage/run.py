"""Running a management plan: the refusals, applying, verifying, and the exit code.

The commands (grant, revoke, repair, apply, migrate, rollback) all end here: ``run_plan`` checks what
would refuse the plan, applies it, and decides the outcome; what is shown, and when, is the caller's
``RunPresenter`` (the CLI renders text or JSON). Exit codes: 0 done (or nothing to do), 1 applied but the
cluster does not resolve as planned; a refusal raises InputError/LockoutError (2), a failed or unverified
run RemoteError (3).
"""

from __future__ import annotations

import functools
from typing import Literal, Protocol

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.history_files import HistoryFiles, default_root
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.errors import RemoteError
from eksaccess.features.manage.apply import ApplyFailedError, ApplyReport, Replan, apply_plan, guard
from eksaccess.features.manage.connect import Connection, LiveView, connect, read_live
from eksaccess.features.manage.plan import Plan, PrincipalCheck, refuse_missing_principals
from eksaccess.features.manage.translate import RoleLookup


class RunPresenter(Protocol):
    """What a caller shows of a run; ``run_plan`` decides what happens and calls these in order."""

    def dry_run_plan(self, plan: Plan, *, checked: bool) -> None:
        """A dry run's plan: offered before the refusals are checked (checked=False) and again after they
        passed (checked=True); a presenter shows it at one of the two."""

    def plan_to_apply(self, plan: Plan) -> None:
        """The plan about to be applied (nothing refused it)."""

    def report(self, report: ApplyReport, *, failed: bool) -> None:
        """What the run did (an empty report when there was nothing to do); failed: the run stopped."""


def open_cluster(cluster: str, region: str | None, profile: str | None) -> tuple[Connection, LiveView]:
    """Connect to ``cluster`` with the profile's credentials and read its access as it is now."""
    conn = connect(AwsSession(profile=profile, region=region), cluster, region)
    return conn, read_live(conn)


def history_of(conn: Connection) -> HistoryFiles:
    """The history records of the connected cluster."""
    return HistoryFiles(default_root(), account=conn.account, region=conn.region, cluster=conn.name)


def run_plan(
    conn: Connection,
    view: LiveView,
    plan: Plan,
    presenter: RunPresenter,
    *,
    dry_run: bool,
    force: bool,
    command: str,
    replan: Replan | None = None,
) -> int:
    """Apply ``plan`` unless dry-run, verify it, and answer the exit code (0, or 1 for a mismatch).

    ``replan`` (grant, revoke) makes the change a merge against the latest state, retried when another
    writer's change replaced it. Raises what refuses the plan, ApplyFailedError when a step failed (its
    report shown first), RemoteError when the run could not be verified.
    """
    if dry_run:
        presenter.dry_run_plan(plan, checked=False)
        refuse_like_apply(conn, view, plan, force=force)
        presenter.dry_run_plan(plan, checked=True)
        return 0
    refuse_missing_principals(plan, principal_check(conn))
    presenter.plan_to_apply(plan)
    if not plan.steps:
        presenter.report(ApplyReport(cluster=plan.cluster, notices=plan.notices), failed=False)
        return 0
    try:
        report = apply_plan(
            conn, view, plan, force=force, history=history_of(conn), command=command, replan=replan
        )
    except ApplyFailedError as err:
        presenter.report(err.report, failed=True)
        raise
    presenter.report(report, failed=False)
    if report.mismatches:
        return 1
    if report.unverified:
        raise RemoteError(
            f"applied {report.changed} step(s), but {report.unverified}",
            hint="run the same command again, or `eksaccess plan`, to check (what is done stays done)",
        )
    return 0


def refuse_like_apply(conn: Connection, view: LiveView, plan: Plan, *, force: bool) -> None:
    """What refuses a plan before anything is written: a principal IAM does not know, the lock-out guard."""
    refuse_missing_principals(plan, principal_check(conn))
    guard(plan, view, force=force)


def principal_check(conn: Connection) -> PrincipalCheck:
    """Ask IAM (with the operator's credentials, so only in the operator's account) whether a principal
    exists as written; an answer IAM cannot give (access denied, another account) checks nothing."""

    def check(arn: str) -> str | None:
        principal = parse_principal(arn)
        if principal.account != conn.operator.account:
            return None
        kind: Literal["role", "user"] = "role" if principal.kind is PrincipalKind.ROLE else "user"
        try:
            real = conn.session.principal_arn(kind, principal.name)
        except AwsCallError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return f"IAM has no {principal.kind} named {principal.name} in account {principal.account}"
            return None
        return None if real == arn else f"IAM's ARN of this {principal.kind} is {real}"

    return check


def role_lookup(conn: Connection) -> RoleLookup:
    """IAM's ARN of a role by name (None when IAM cannot say), asked once per name for this command."""

    @functools.cache  # a role's path does not change during one command; a replan asks again
    def lookup(name: str) -> str | None:
        try:
            return conn.session.principal_arn("role", name)
        except AwsCallError:
            return None

    return lookup
