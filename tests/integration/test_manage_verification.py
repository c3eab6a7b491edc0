"""apply's verification: a read-back that cannot be made is reported as not run (exit 3), never as a
mismatch (exit 1), and everything the run did stays done and is said to be done.

The sandbox's own fault hook answers every Kubernetes request with 429 once the plan is made, so the
access-entry steps (EKS calls) succeed and the read-back of aws-auth and RBAC cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from eksaccess.adapters.aws import AwsSession
from eksaccess.features.manage.apply import apply_plan
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.context import FaultDecision, FaultKind
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
FAST = Backoff(attempts=3, base=0.01, cap=0.05)


@contextmanager
def kube_throttled(sb: RunningSandbox) -> Iterator[None]:
    assert sb.server is not None and sb.server.ctx is not None
    faults = sb.server.ctx.faults
    inner = faults.before_request

    def decide(service: str) -> FaultDecision | None:
        return FaultDecision(kind=FaultKind.THROTTLE) if service == "kube" else inner(service)

    faults.before_request = decide  # type: ignore[method-assign]
    try:
        yield
    finally:
        faults.before_request = inner  # type: ignore[method-assign]


def test_a_read_back_that_cannot_be_made_is_not_a_mismatch(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = make_sandbox("baseline")
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo", backoff=FAST)
    view = read_live(conn)
    plan = plan_grant(view.state, GrantRequest(arn=ALICE, policies=(PolicyRequest(policy="view"),)))
    assert plan.steps and all(step.mechanism.value == "access-entry" for step in plan.steps), plan.steps
    with kube_throttled(sb):
        report = apply_plan(conn, view, plan, command="grant")
    assert not report.failed and report.changed == len(plan.steps)
    assert report.mismatches == ()
    assert report.unverified is not None and "could not read the cluster back" in report.unverified
    verification = report.to_json()["verification"]
    assert verification["ran"] is False and verification["ok"] is None
    # what it did is really done: read back now that the cluster answers again
    after = read_live(conn)
    assert any(entry.principal_arn == ALICE for entry in after.state.access_entries())
