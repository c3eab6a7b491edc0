"""``eksaccess export``, ``plan`` and ``apply``: access as a desired-state file (eksaccess/v1 ClusterAccess).

``plan --detailed-exitcode`` exits 0 (no changes), 1 (changes) or 2 (error), like terraform's 0/2/1 but
in eksaccess's own code families. ``apply`` asks for confirmation on a terminal; without one it needs
``--auto-approve``.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.options import cluster_options, command_line, force_option, output_option
from eksaccess.cli.output import exit_with
from eksaccess.cli.plan_output import PlanRenderer, render_plan
from eksaccess.errors import InputError
from eksaccess.features.manage.apply import LockoutError, guard
from eksaccess.features.manage.connect import LiveView
from eksaccess.features.manage.desired import (
    ClusterAccess,
    dump_cluster_access,
    export_access,
    parse_cluster_access,
)
from eksaccess.features.manage.plan import Plan, plan_access, refuse_missing_principals
from eksaccess.features.manage.run import open_cluster, principal_check, run_plan


@click.command("export")
@cluster_options
def export(cluster: str, region: str | None, profile: str | None) -> None:
    """Print the cluster's access as a desired-state file (apply it back: nothing changes)."""
    conn, view = open_cluster(cluster, region, profile)
    with conn:
        click.echo(dump_cluster_access(export_access(view.state)), nl=False)


def _load(path: str) -> ClusterAccess:
    return parse_cluster_access(read_text(path), source=source_name(path))


def _file_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--allow-system-masters",
        is_flag=True,
        help="Allow aws-auth rows the file gives system:masters (cluster-admin outside any access policy).",
    )(func)
    func = click.option("--prune", is_flag=True, help="Also remove principals the file does not list.")(func)
    func = click.option("--profile", help="AWS profile.")(func)
    func = click.option("--region", help="AWS region (default: the file's cluster.region).")(func)
    return click.option(
        "-f", "--file", "path", required=True, metavar="FILE", help="ClusterAccess file, or - for stdin."
    )(func)


@click.command("plan")
@_file_options
@click.option("--detailed-exitcode", is_flag=True, help="Exit 1 when there are changes, 0 when none.")
@output_option()
def plan(
    path: str,
    region: str | None,
    profile: str | None,
    prune: bool,
    allow_system_masters: bool,
    detailed_exitcode: bool,
    output: str,
) -> None:
    """Show what applying FILE would change (create / update / delete per principal and mechanism)."""
    desired = _load(path)
    conn, view = open_cluster(desired.cluster.name, region or desired.cluster.region, profile)
    with conn:
        result = plan_access(view.state, desired, prune=prune, allow_system_masters=allow_system_masters)
        refuse_missing_principals(result, principal_check(conn))
    render_plan(_with_guard_warning(result, view), output)
    if detailed_exitcode and result.has_changes:
        click.get_current_context().exit(1)


def _with_guard_warning(result: Plan, view: LiveView) -> Plan:
    """The plan, warning when apply would be refused by the lock-out guard (without --force)."""
    try:
        guard(result, view, force=False)
    except LockoutError as err:
        return replace(result, warnings=(*result.warnings, f"apply would refuse this without --force: {err}"))
    return result


@click.command("apply")
@_file_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@force_option
@output_option()
def apply(
    path: str,
    region: str | None,
    profile: str | None,
    prune: bool,
    allow_system_masters: bool,
    auto_approve: bool,
    force: bool,
    output: str,
) -> None:
    """Make the cluster's access match FILE."""
    desired = _load(path)
    conn, view = open_cluster(desired.cluster.name, region or desired.cluster.region, profile)
    with conn:
        result = plan_access(view.state, desired, prune=prune, allow_system_masters=allow_system_masters)
        asked = False
        if result.steps and not auto_approve:
            if not sys.stdin.isatty():
                raise InputError("apply needs confirmation: no terminal to ask on; pass --auto-approve")
            render_plan(result, "text")
            if not click.confirm("Apply these changes?", default=False, err=True):
                raise InputError("apply cancelled: nothing was changed")
            asked = True
        code = run_plan(
            conn,
            view,
            result,
            PlanRenderer(output, show_plan=not asked),
            dry_run=False,
            force=force,
            command=command_line(),
        )
    exit_with(code)
