"""apply_plan through the ports, against an in-memory EKS and API server (tests/support/fake_cluster.py):
the races the sandbox cannot stage at an exact moment, played at that moment.

- another writer's aws-auth write lands between our read and our put: we re-read, merge, and both stay;
- another writer creates the entry we are about to create: ours becomes an update that keeps their groups;
- a step fails half-way (throttled past the retries): the run stops with exit 3, and running the same
  command again finishes the change without redoing what was done.
"""

from __future__ import annotations

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.features.manage.apply import ApplyFailedError, StepStatus, apply_plan
from eksaccess.features.manage.connect import Connection, LiveView, read_live
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.plan import Plan
from eksaccess.features.manage.via import Via
from eksaccess.features.retry import Backoff
from support.fake_cluster import FakeEks, FakeKube, entry, role

NODES = role("nodes")
DEV = role("dev")
OPS = role("ops")
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
NO_WAIT = Backoff(base=0.0, cap=0.0, attempts=3)

NODE_ROW = (
    f"- rolearn: {NODES}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n"
    "  groups: [system:bootstrappers, system:nodes]\n"
)


def _connect(eks: FakeEks, kube: FakeKube) -> tuple[Connection, LiveView]:
    conn = Connection(
        session=eks,
        cluster=eks.describe_cluster("demo"),
        operator=eks.caller_identity(),
        kube=kube,
        backoff=NO_WAIT,
    )
    return conn, read_live(conn)


def _grant(eks: FakeEks, kube: FakeKube, request: GrantRequest) -> tuple[Plan, int, int]:
    conn, view = _connect(eks, kube)
    plan = plan_grant(view.state, request)
    report = apply_plan(conn, view, plan, replan=lambda state: plan_grant(state, request))
    assert not report.mismatches and report.unverified is None, (report.mismatches, report.unverified)
    return plan, report.conflicts, report.changed


def test_an_aws_auth_write_between_our_read_and_our_put_is_merged_not_lost() -> None:
    eks, kube = FakeEks(mode=AuthenticationMode.CONFIG_MAP), FakeKube(aws_auth={"mapRoles": NODE_ROW})
    theirs = NODE_ROW + f"- rolearn: {OPS}\n  username: ops\n  groups: [ops]\n"
    raced: list[bool] = []

    def other_writer(fake: FakeKube) -> None:
        if not raced:
            raced.append(True)
            fake.other_writer_sets({"mapRoles": theirs})

    kube.before_put = other_writer
    _, conflicts, _ = _grant(eks, kube, GrantRequest(arn=DEV, groups=("dev",), via=Via.AWS_AUTH))
    auth = parse_aws_auth(kube.aws_auth)
    assert conflicts == 1
    assert (auth.match_role(OPS) or pytest.fail("their row was lost")).groups == ("ops",)
    assert (auth.match_role(DEV) or pytest.fail("our row was lost")).groups == ("dev",)
    node = auth.match_role(NODES) or pytest.fail("the node row was lost")
    assert node.username == "system:node:{{EC2PrivateDNSName}}"


def test_an_entry_another_writer_created_first_keeps_their_groups_and_gains_ours() -> None:
    eks, kube = FakeEks(), FakeKube()
    request = GrantRequest(arn=DEV, groups=("dev",), via=Via.ACCESS_ENTRY)
    conn, view = _connect(eks, kube)
    plan = plan_grant(view.state, request)  # planned while the entry did not exist
    eks.entries[DEV] = entry(DEV, "theirs")  # created by someone else before we apply
    report = apply_plan(conn, view, plan, replan=lambda state: plan_grant(state, request))
    assert set(eks.entries[DEV].kubernetes_groups) == {"theirs", "dev"}
    assert not report.mismatches


def test_a_run_stopped_half_way_finishes_when_run_again_and_redoes_nothing() -> None:
    eks, kube = FakeEks(), FakeKube()
    request = GrantRequest(
        arn=DEV,
        via=Via.ACCESS_ENTRY,
        policies=(PolicyRequest(policy="view"), PolicyRequest(policy="edit", namespaces=("dev",))),
    )
    throttled = AwsCallError(AwsErrorKind.THROTTLED, "Rate exceeded", operation="AssociateAccessPolicy")
    eks.fail_on = lambda operation: throttled if operation == "AssociateAccessPolicy" else None
    conn, view = _connect(eks, kube)
    plan = plan_grant(view.state, request)
    with pytest.raises(ApplyFailedError) as stopped:
        apply_plan(conn, view, plan, replan=lambda state: plan_grant(state, request))
    assert stopped.value.exit_code == 3
    assert [r.status for r in stopped.value.report.results][:1] == [StepStatus.DONE]  # the entry was made
    assert DEV in eks.entries and eks.entries[DEV].policies == ()

    eks.fail_on = lambda operation: None
    eks.calls.clear()
    _, _, changed = _grant(eks, kube, request)
    assert "CreateAccessEntry" not in eks.calls  # what was done stays done
    assert {p.policy_arn for p in eks.entries[DEV].policies} == {VIEW, EDIT}
    assert changed == 2
