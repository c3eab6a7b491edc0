"""``eksaccess export``, ``plan`` and ``apply``: access as a desired-state file (eksaccess/v1 ClusterAccess).

``plan --detailed-exitcode`` exits as Terraform's does: 0 no changes, 1 error, 2 changes present. ``apply`` asks for confirmation on a terminal; without one it needs
``--auto-approve``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.completion import context_names
from eksaccess.cli.data_output import render_data, write_output
from eksaccess.cli.options import (
    cluster_options,
    command_line,
    force_option,
    output_file_option,
    output_option,
    resolve_target,
)
from eksaccess.cli.output import exit_with
from eksaccess.errors import EksAccessError, InputError

if TYPE_CHECKING:
    from eksaccess.features.manage.connect import Connection, LiveView
    from eksaccess.features.manage.desired import ClusterAccess
    from eksaccess.features.manage.plan import Plan


@click.command(
    "export",
    epilog="""\b
Examples:
  eksaccess export > access.yaml
  eksaccess export --context prod -o json --output-file access.json""",
)
@cluster_options
@output_option("yaml", "json", default="yaml")
@output_file_option
def export(
    cluster: str, region: str | None, profile: str | None, output: str, output_file: str | None
) -> None:
    """Print the cluster's access as a desired-state file (apply it back: nothing changes)."""
    from eksaccess.features.manage.desired import API_VERSION, KIND, dump_cluster_access, export_access
    from eksaccess.features.manage.run import open_cluster

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        access = export_access(view.state)
    if output == "json":
        data = access.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        text = render_data({"apiVersion": API_VERSION, "kind": KIND, **data}, "json")
    else:
        text = dump_cluster_access(access)
    write_output(text, output_file)


def _load(path: str) -> ClusterAccess:
    from eksaccess.features.manage.desired import parse_cluster_access

    return parse_cluster_access(read_text(path), source=source_name(path))


def _file_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--allow-system-masters",
        is_flag=True,
        help="Allow aws-auth rows the file gives system:masters (cluster-admin outside any access policy).",
    )(func)
    func = click.option("--prune", is_flag=True, help="Also remove principals the file does not list.")(func)
    func = click.option(
        "--kubeconfig", metavar="FILE", help="Kubeconfig file (default: KUBECONFIG, else ~/.kube/config)."
    )(func)
    func = click.option(
        "--context",
        shell_complete=context_names,
        help="Kubeconfig context whose profile to use (default: current, for the file's cluster).",
    )(func)
    func = click.option(
        "--profile", help="AWS profile (default: the context's, else AWS_PROFILE, else default)."
    )(func)
    func = click.option(
        "--region",
        help="AWS region (default: the file's cluster.region, else the context's, else AWS_REGION).",
    )(func)
    return click.option(
        "-f", "--file", "path", required=True, metavar="FILE", help="ClusterAccess file, or - for stdin."
    )(func)


def _open(
    desired: ClusterAccess,
    region: str | None,
    profile: str | None,
    context: str | None,
    kubeconfig: str | None,
) -> tuple[Connection, LiveView]:
    """Connect to the file's cluster: region and profile from the flags, the file, the kubeconfig context
    (when it is about the file's cluster, or named with --context), then the AWS environment."""
    from eksaccess.features.cluster_target import TargetFlags
    from eksaccess.features.manage.run import open_cluster

    found = resolve_target(
        TargetFlags(
            cluster=desired.cluster.name,
            region=region or desired.cluster.region,
            profile=profile,
            context=context,
            kubeconfig=kubeconfig,
        )
    )
    return open_cluster(found.cluster, found.region, found.profile)


@click.command(
    "plan",
    epilog="""\b
Exit codes with --detailed-exitcode (as Terraform):
  0  no changes
  1  error (bad input, a failed AWS or Kubernetes call)
  2  changes present
Without it: 0 planned, 2 bad input, 3 a failed AWS or Kubernetes call.
\b
Examples:
  eksaccess plan -f access.yaml
  eksaccess plan -f access.yaml --prune --detailed-exitcode""",
)
@_file_options
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="As Terraform: exit 0 when there are no changes, 1 on error, 2 when there are changes.",
)
@output_option()
def plan(
    path: str,
    region: str | None,
    profile: str | None,
    context: str | None,
    kubeconfig: str | None,
    prune: bool,
    allow_system_masters: bool,
    detailed_exitcode: bool,
    output: str,
) -> None:
    """Show what applying FILE would change (create / update / delete per principal and mechanism)."""
    from eksaccess.cli.plan_output import render_plan
    from eksaccess.features.manage.permission_set import resolver
    from eksaccess.features.manage.plan import plan_access, refuse_missing_principals
    from eksaccess.features.manage.run import principal_check

    try:
        desired = _load(path)
        conn, view = _open(desired, region, profile, context, kubeconfig)
        with conn:
            result = plan_access(
                view.state,
                desired,
                prune=prune,
                allow_system_masters=allow_system_masters,
                resolve_set=resolver(conn.session, conn.operator.account),
            )
            refuse_missing_principals(result, principal_check(conn))
    except EksAccessError as err:
        if detailed_exitcode:
            err.exit_code = (
                1  # as Terraform: 1 is an error, 2 means changes (a CI script must not confuse them)
            )
        raise
    render_plan(_with_guard_warning(result, view), output)
    if detailed_exitcode and result.has_changes:
        click.get_current_context().exit(2)


def _with_guard_warning(result: Plan, view: LiveView) -> Plan:
    """The plan, warning when apply would be refused by the lock-out guard (without --force)."""
    from eksaccess.features.manage.apply import LockoutError, guard

    try:
        guard(result, view, force=False)
    except LockoutError as err:
        return replace(result, warnings=(*result.warnings, f"apply would refuse this without --force: {err}"))
    return result


@click.command(
    "apply",
    epilog="""\b
Examples:
  eksaccess apply -f access.yaml
  eksaccess apply -f access.yaml --prune --auto-approve""",
)
@_file_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@force_option
@output_option()
def apply(
    path: str,
    region: str | None,
    profile: str | None,
    context: str | None,
    kubeconfig: str | None,
    prune: bool,
    allow_system_masters: bool,
    auto_approve: bool,
    force: bool,
    output: str,
) -> None:
    """Make the cluster's access match FILE."""
    from eksaccess.cli.plan_output import PlanRenderer, render_plan
    from eksaccess.features.manage.permission_set import resolver
    from eksaccess.features.manage.plan import plan_access
    from eksaccess.features.manage.run import run_plan

    desired = _load(path)
    conn, view = _open(desired, region, profile, context, kubeconfig)
    with conn:
        result = plan_access(
            view.state,
            desired,
            prune=prune,
            allow_system_masters=allow_system_masters,
            resolve_set=resolver(conn.session, conn.operator.account),
        )
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
