"""How the management commands show a plan and what applying it did (text or JSON).

``PlanRenderer`` is the CLI's ``RunPresenter`` (features/manage/run.py): the feature decides what runs
and when; this only prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.output import note
from eksaccess.cli.wording import plural
from eksaccess.features.manage.apply import ApplyReport
from eksaccess.features.manage.plan import Plan
from eksaccess.features.manage.steps import Action


def render_plan(plan: Plan, output: str) -> None:
    if output != "text":
        emit_data(plan.to_json(), output)
        return
    for line in plan.notices:
        note(f"note: {line}")
    for line in plan.warnings:
        note(f"eksaccess: warning: {line}")
    if not plan.steps:
        click.echo(f"No changes: cluster {plan.cluster} already matches.")
        return
    click.echo(f"Plan for cluster {plan.cluster}: {plural(len(plan.steps), 'change')}")
    for step in plan.steps:
        click.echo(f"  {step.describe()}")
    click.echo(plan_total(plan))


def plan_total(plan: Plan) -> str:
    """The closing line, as Terraform gives it: "Plan: 2 to add, 0 to change, 1 to remove." (an access entry,
    a policy association or an aws-auth row created, updated or removed; a mode switch is a change)."""
    actions = [step.action for step in plan.steps]
    added, changed, removed = (actions.count(a) for a in (Action.CREATE, Action.UPDATE, Action.DELETE))
    return f"Plan: {added} to add, {changed} to change, {removed} to remove."


def render_report(report: ApplyReport, output: str, *, to_stderr: bool = False) -> None:
    if output != "text":
        emit_data(report.to_json(), output)
        return
    echo = note if to_stderr else click.echo
    for line in report.warnings:
        note(f"eksaccess: warning: {line}")
    for result in report.results:
        error = f" ({result.error})" if result.error else ""
        echo(f"  [{result.status}] {result.step.describe()}{error}")
    if report.conflicts:
        echo(
            f"  aws-auth changed under us {plural(report.conflicts, 'time')}; read, edited and written again each time"
        )
    if report.rounds:
        echo(
            f"  another writer replaced this change {plural(report.rounds, 'time')}; merged on the latest state "
            "and written again each time"
        )
    if report.version is not None:
        echo(f"Recorded as history version {report.version} (eksaccess rollback undoes it).")
    if report.mismatches:
        for line in report.mismatches:
            note(f"eksaccess: error: verification: {line}")
    elif report.unverified:
        note(f"eksaccess: warning: not verified: {report.unverified}")
    elif report.results and not report.failed:
        echo("Verified: every changed principal resolves on the cluster as planned.")


@dataclass(frozen=True)
class PlanRenderer:
    """Text shows a dry run's plan before the refusals are checked, and the plan to apply (unless the
    command showed it already: ``show_plan``); JSON prints one document, the plan or the report."""

    output: str
    show_plan: bool = True

    def dry_run_plan(self, plan: Plan, *, checked: bool) -> None:
        if checked == (self.output != "text"):
            render_plan(plan, self.output)

    def plan_to_apply(self, plan: Plan) -> None:
        if self.output == "text" and self.show_plan:
            render_plan(plan, self.output)

    def report(self, report: ApplyReport, *, failed: bool) -> None:
        render_report(report, self.output, to_stderr=failed and self.output == "text")
