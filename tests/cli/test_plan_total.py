"""Plans end with a total line, as Terraform's do ("Plan: 2 to add, 0 to change, 1 to destroy.",
https://developer.hashicorp.com/terraform/cli/commands/plan), in eksaccess's word for what goes: "remove"
(issue 19, "Human output"). One renderer prints the plan of ``plan``, ``grant``/``revoke --dry-run`` and the
plan ``apply`` shows before it applies; the plans here are the real ones grant and revoke make."""

from __future__ import annotations

import pytest

from eksaccess.cli.plan_output import PlanRenderer, render_plan
from eksaccess.domain.state import ClusterState
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.plan import Plan
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke

A = "111122223333"
ADMIN = f"arn:aws:iam::{A}:user/admin"
ALICE = f"arn:aws:iam::{A}:user/alice"
DEV = f"arn:aws:iam::{A}:role/developer"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def state() -> ClusterState:
    def entry(arn: str, policy: str, scope: dict[str, object]) -> dict[str, object]:
        return {"principalArn": arn, "accessPolicies": [{"policyArn": POLICY + policy, "accessScope": scope}]}

    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": A},
            "authenticationMode": "API_AND_CONFIG_MAP",
            "accessEntries": [
                entry(ADMIN, "AmazonEKSClusterAdminPolicy", {"type": "cluster"}),
                entry(DEV, "AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["dev"]}),
            ],
        }
    )


def grant(arn: str, *policies: tuple[str, tuple[str, ...]]) -> Plan:
    request = GrantRequest(
        arn=arn, policies=tuple(PolicyRequest(policy=p, namespaces=ns) for p, ns in policies)
    )
    return plan_grant(state(), request)


@pytest.mark.parametrize(
    ("plan", "total"),
    [
        pytest.param(grant(ALICE, ("view", ())), "Plan: 2 to add, 0 to change, 0 to remove.", id="new-entry"),
        pytest.param(
            grant(DEV, ("view", ()), ("edit", ("dev", "prod"))),
            "Plan: 1 to add, 1 to change, 0 to remove.",
            id="rescope-and-associate",
        ),
        pytest.param(
            plan_revoke(state(), RevokeRequest(arn=DEV)),
            "Plan: 0 to add, 0 to change, 1 to remove.",
            id="revoke",
        ),
    ],
)
def test_the_total_closes_the_plan(capsys: pytest.CaptureFixture[str], plan: Plan, total: str) -> None:
    render_plan(plan, "text")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Plan for cluster demo: {len(plan.steps)} change{'s' if len(plan.steps) > 1 else ''}"
    assert len(lines) == len(plan.steps) + 2 and lines[-1] == total


def test_no_changes_has_no_total(capsys: pytest.CaptureFixture[str]) -> None:
    render_plan(grant(DEV, ("edit", ("dev",))), "text")
    assert capsys.readouterr().out == "No changes: cluster demo already matches.\n"


def test_json_has_no_total(capsys: pytest.CaptureFixture[str]) -> None:
    render_plan(grant(ALICE, ("view", ())), "json")
    assert "to add" not in capsys.readouterr().out


@pytest.mark.parametrize("checked", [False, True])
def test_dry_run_and_apply_show_the_same_total(capsys: pytest.CaptureFixture[str], checked: bool) -> None:
    plan = grant(ALICE, ("view", ()))
    renderer = PlanRenderer("text")
    renderer.dry_run_plan(plan, checked=checked)  # text prints the dry run's plan before the guard's check
    dry = capsys.readouterr().out
    renderer.plan_to_apply(plan)
    applied = capsys.readouterr().out
    assert applied.splitlines()[-1] == "Plan: 2 to add, 0 to change, 0 to remove."
    assert dry == ("" if checked else applied)
