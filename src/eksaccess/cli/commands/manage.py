"""``eksaccess list``, ``grant`` and ``revoke``: who has access, give it, take it away.

Exit codes: 0 done (or nothing to do), 1 applied but the cluster does not resolve as planned,
2 bad input or refused by the lock-out guard, 3 an AWS or Kubernetes call failed (the report says
what was done and what was not; running the command again finishes it).
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from ruamel.yaml import YAML

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.history_files import HistoryFiles, default_root
from eksaccess.cli.output import emit_json, note, output_option
from eksaccess.domain.access import EntryType
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.errors import InputError, RemoteError
from eksaccess.features.manage.apply import (
    ApplyFailedError,
    ApplyReport,
    Replan,
    apply_plan,
    guard,
)
from eksaccess.features.manage.connect import Connection, LiveView, connect, read_live
from eksaccess.features.manage.desired import Via
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.model import list_access
from eksaccess.features.manage.plan import Plan, PrincipalCheck, refuse_missing_principals
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke

FC = TypeVar("FC", bound=Callable[..., Any])
VIA_CHOICES = click.Choice([v.value for v in Via])


def cluster_options(func: FC) -> FC:
    """--cluster, --region, --profile: the cluster and the credentials to reach it with."""
    func = click.option("--profile", help="AWS profile (default: AWS_PROFILE or the default profile).")(func)
    func = click.option("--region", help="AWS region of the cluster (default: the profile's).")(func)
    return click.option("--cluster", "cluster", required=True, help="EKS cluster name.")(func)


def open_cluster(cluster: str, region: str | None, profile: str | None) -> tuple[Connection, LiveView]:
    session = AwsSession(profile=profile, region=region)
    conn = connect(session, cluster, region)
    return conn, read_live(conn)


def history_of(conn: Connection) -> HistoryFiles:
    return HistoryFiles(default_root(), account=conn.account, region=conn.region, cluster=conn.name)


def command_line() -> str:
    return "eksaccess " + " ".join(sys.argv[1:]) if sys.argv[1:] else "eksaccess"


# --- rendering --------------------------------------------------------------------------------------------


def render_plan(plan: Plan, output: str) -> None:
    if output == "json":
        emit_json(plan.to_json())
        return
    for line in plan.notices:
        note(f"note: {line}")
    for line in plan.warnings:
        note(f"warning: {line}")
    if not plan.steps:
        click.echo(f"No changes: cluster {plan.cluster} already matches.")
        return
    click.echo(
        f"Plan for cluster {plan.cluster}: {len(plan.steps)} change{'s' if len(plan.steps) != 1 else ''}"
    )
    for step in plan.steps:
        click.echo(f"  {step.describe()}")


def render_report(report: ApplyReport, output: str, *, to_stderr: bool = False) -> None:
    if output == "json":
        emit_json(report.to_json())
        return
    echo = note if to_stderr else click.echo
    for line in report.warnings:
        note(f"warning: {line}")
    for result in report.results:
        error = f" ({result.error})" if result.error else ""
        echo(f"  [{result.status}] {result.step.describe()}{error}")
    if report.conflicts:
        echo(
            f"  aws-auth changed under us {report.conflicts} time(s); read, edited and written again each time"
        )
    if report.rounds:
        echo(
            f"  another writer replaced this change {report.rounds} time(s); merged on the latest state "
            "and written again each time"
        )
    if report.version is not None:
        echo(f"Recorded as history version {report.version} (eksaccess rollback undoes it).")
    if report.mismatches:
        for line in report.mismatches:
            note(f"error: verification: {line}")
    elif report.unverified:
        note(f"warning: not verified: {report.unverified}")
    elif report.results and not report.failed:
        echo("Verified: every changed principal resolves on the cluster as planned.")


def run_plan(
    conn: Connection,
    view: LiveView,
    plan: Plan,
    *,
    output: str,
    dry_run: bool,
    force: bool,
    command: str,
    show_plan: bool = True,
    replan: Replan | None = None,
) -> None:
    """Show the plan, apply it unless dry-run, render the report; exit with the right code. ``replan``
    (grant, revoke) makes the change a merge against the latest state, retried when another writer's
    change replaced it."""
    if dry_run:
        dry_run_plan(conn, view, plan, output=output, force=force)
        return
    refuse_missing_principals(plan, principal_check(conn))
    if output != "json" and show_plan:
        render_plan(plan, output)
    if not plan.steps:
        if output == "json":
            emit_json(ApplyReport(cluster=plan.cluster, notices=plan.notices).to_json())
        return
    try:
        report = apply_plan(
            conn, view, plan, force=force, history=history_of(conn), command=command, replan=replan
        )
    except ApplyFailedError as err:
        render_report(err.report, output, to_stderr=output != "json")
        raise
    render_report(report, output)
    if report.mismatches:
        click.get_current_context().exit(1)
    if report.unverified:
        raise RemoteError(
            f"applied {report.changed} step(s), but {report.unverified}",
            hint="run the same command again, or `eksaccess plan`, to check (what is done stays done)",
        )


def dry_run_plan(conn: Connection, view: LiveView, plan: Plan, *, output: str, force: bool) -> None:
    """Show the plan and stop where the real run would: refused the same way (exit 2)."""
    if output != "json":
        render_plan(plan, output)
    refuse_like_apply(conn, view, plan, force=force)
    if output == "json":
        render_plan(plan, output)


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
        is_role = principal.kind is PrincipalKind.ROLE
        operation, param, key = (
            ("get_role", "RoleName", "Role") if is_role else ("get_user", "UserName", "User")
        )
        try:
            found = conn.session.call("iam", operation, **{param: principal.name})
        except AwsCallError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return f"IAM has no {principal.kind} named {principal.name} in account {principal.account}"
            return None
        real = str(found[key]["Arn"])
        return None if real == arn else f"IAM's ARN of this {principal.kind} is {real}"

    return check


# --- list -------------------------------------------------------------------------------------------------


@click.command("list")
@cluster_options
@output_option("table", "json", "yaml", default="table")
def list_cmd(cluster: str, region: str | None, profile: str | None, output: str) -> None:
    """Every principal with access to the cluster, by mechanism, and which mapping wins."""
    conn, view = open_cluster(cluster, region, profile)
    with conn:
        rows = list_access(view.state)
    data = {
        "cluster": cluster,
        "authenticationMode": str(view.mode),
        "principals": [r.to_json() for r in rows],
    }
    if output == "json":
        emit_json(data)
        return
    if output == "yaml":
        out = io.StringIO()
        YAML(typ="safe", pure=True).dump(data, out)
        click.echo(out.getvalue(), nl=False)
        return
    click.echo(f"Cluster {cluster} (authentication mode {view.mode})")
    header = ("PRINCIPAL", "MECHANISM", "TYPE", "USERNAME", "GROUPS", "POLICIES", "EFFECTIVE")
    table = [header]
    for r in rows:
        policies = ", ".join(f"{p} ({s})" for p, s in r.policies) or "-"
        effective = "yes" if r.effective else f"no: {r.note}"
        table.append(
            (
                r.principal,
                str(r.mechanism),
                r.type,
                r.username or "-",
                ", ".join(r.groups) or "-",
                policies,
                effective,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1])


# --- grant ------------------------------------------------------------------------------------------------


class PolicyOrderCommand(click.Command):
    """Keeps the command-line order of --policy and --namespace: each --namespace belongs to the --policy
    before it (``--policy edit --namespace a --namespace b --policy view`` -> edit@[a,b], view@cluster)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        parser = self.make_parser(ctx)
        opts, _, order = parser.parse_args(args=list(args))
        policies = list(opts.get("policies") or [])
        namespaces = list(opts.get("namespaces") or [])
        groups: list[tuple[str, list[str]]] = []
        for param in order:
            name = getattr(param, "name", None)
            if name == "policies":
                groups.append((policies.pop(0), []))
            elif name == "namespaces":
                if not groups:
                    raise click.UsageError("--namespace must follow the --policy it scopes", ctx=ctx)
                groups[-1][1].append(namespaces.pop(0))
        ctx.meta["eksaccess.policies"] = tuple(
            PolicyRequest(policy=p, namespaces=tuple(ns)) for p, ns in groups
        )
        return super().parse_args(ctx, args)


@click.command("grant", cls=PolicyOrderCommand)
@click.argument("arn")
@cluster_options
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="NAME|ARN",
    help="Access policy (repeatable; cluster-admin, admin, edit, view, ...).",
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Scope the preceding --policy to this namespace (repeatable).",
)
@click.option("--group", "groups", multiple=True, metavar="G", help="Kubernetes group (repeatable).")
@click.option("--username", help="Kubernetes username (default: EKS's).")
@click.option(
    "--type", "entry_type", type=click.Choice([t.value for t in EntryType]), help="Access entry type."
)
@click.option("--via", type=VIA_CHOICES, default="auto", show_default=True, help="Mechanism to use.")
@click.option(
    "--allow-system-masters",
    is_flag=True,
    help="Allow --group system:masters in aws-auth (cluster-admin outside any access policy).",
)
@click.option("--dry-run", is_flag=True, help="Show the plan, change nothing.")
@click.option("--force", is_flag=True, help="Skip the lock-out guard.")
@output_option()
def grant(
    arn: str,
    cluster: str,
    region: str | None,
    profile: str | None,
    policies: Sequence[str],
    namespaces: Sequence[str],
    groups: Sequence[str],
    username: str | None,
    entry_type: str | None,
    via: str,
    allow_system_masters: bool,
    dry_run: bool,
    force: bool,
    output: str,
) -> None:
    """Give ARN access to the cluster (an access entry, or an aws-auth mapping)."""
    parse_principal(arn)
    requested = click.get_current_context().meta.get("eksaccess.policies", ())
    request = GrantRequest(
        arn=arn,
        policies=requested,
        groups=tuple(groups),
        username=username,
        entry_type=EntryType(entry_type) if entry_type else None,
        via=Via(via),
        allow_system_masters=allow_system_masters,
    )
    if not (requested or groups or username or entry_type):
        raise InputError("nothing to grant: give --policy, --group, --username or --type")
    conn, view = open_cluster(cluster, region, profile)
    with conn:
        lookup = _role_lookup(conn)
        plan = plan_grant(view.state, request, lookup=lookup)
        run_plan(
            conn,
            view,
            plan,
            output=output,
            dry_run=dry_run,
            force=force,
            command=command_line(),
            replan=lambda state: plan_grant(state, request, lookup=lookup),
        )


def _role_lookup(conn: Connection) -> Callable[[str], str | None]:
    @functools.cache  # a role's path does not change during one command; a replan asks again
    def lookup(name: str) -> str | None:
        try:
            return str(conn.session.call("iam", "get_role", RoleName=name)["Role"]["Arn"])
        except AwsCallError:
            return None

    return lookup


# --- revoke -----------------------------------------------------------------------------------------------


@click.command("revoke")
@click.argument("arn")
@cluster_options
@click.option("--policy", metavar="NAME|ARN", help="Take away only this access policy.")
@click.option("--via", type=VIA_CHOICES, default="auto", show_default=True, help="Mechanism (auto: all).")
@click.option("--dry-run", is_flag=True, help="Show the plan, change nothing.")
@click.option("--force", is_flag=True, help="Skip the lock-out guard.")
@output_option()
def revoke(
    arn: str,
    cluster: str,
    region: str | None,
    profile: str | None,
    policy: str | None,
    via: str,
    dry_run: bool,
    force: bool,
    output: str,
) -> None:
    """Take ARN's access away (its access entry and aws-auth rows, or one policy)."""
    parse_principal(arn)
    conn, view = open_cluster(cluster, region, profile)
    with conn:
        request = RevokeRequest(arn=arn, policy=policy, via=Via(via))
        plan = plan_revoke(view.state, request)
        run_plan(
            conn,
            view,
            plan,
            output=output,
            dry_run=dry_run,
            force=force,
            command=command_line(),
            replan=lambda state: plan_revoke(state, request),
        )


# --- repair -----------------------------------------------------------------------------------------------


@click.command("repair")
@click.argument("what", type=click.Choice(["aws-auth"]))
@cluster_options
@click.option("--dry-run", is_flag=True, help="Show the plan, change nothing.")
@click.option("--force", is_flag=True, help="Skip the lock-out guard.")
@output_option()
def repair(
    what: str, cluster: str, region: str | None, profile: str | None, dry_run: bool, force: bool, output: str
) -> None:
    """Rewrite the aws-auth rows that can never match: a rolearn with the role's path or an assumed-role
    ARN becomes the path-less role ARN; a key that does not parse is re-read as its author meant it.

    \b
    Examples:
      eksaccess repair aws-auth --cluster demo --dry-run
      eksaccess repair aws-auth --cluster demo --profile admin
    """
    from eksaccess.features.manage.repair import plan_repair

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        plan = plan_repair(view.state)
        run_plan(conn, view, plan, output=output, dry_run=dry_run, force=force, command=command_line())
