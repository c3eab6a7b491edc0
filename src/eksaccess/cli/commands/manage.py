"""``eksaccess list``, ``grant`` and ``revoke``: who has access, give it, take it away.

Exit codes: 0 done (or nothing to do), 1 applied but the cluster does not resolve as planned,
2 bad input or refused by the lock-out guard, 3 an AWS or Kubernetes call failed (the report says
what was done and what was not; running the command again finishes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from eksaccess.cli.completion import policy_names
from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import cluster_options, command_line, dry_run_option, force_option, output_option
from eksaccess.cli.output import exit_with
from eksaccess.domain.access import EntryType
from eksaccess.domain.iam.principal import parse_principal
from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.features.manage.grant import PolicyRequest
    from eksaccess.features.manage.model import AccessRow

# features.manage.desired.Via's values, spelt here so that --help loads no model (a test holds them equal)
VIA_VALUES = ("auto", "access-entry", "aws-auth")
VIA_CHOICES = click.Choice(VIA_VALUES)


# --- list -------------------------------------------------------------------------------------------------


@click.command(
    "list",
    epilog="""\b
Examples:
  eksaccess list                      # the current kubeconfig context's cluster
  eksaccess list --context prod -o yaml
  eksaccess list --cluster demo --region eu-west-1 --profile admin""",
)
@cluster_options
@output_option("text", "json", "yaml")
def list_cmd(cluster: str, region: str | None, profile: str | None, output: str) -> None:
    """Every principal with access to the cluster, by mechanism, and which mapping wins."""

    from eksaccess.features.manage.model import list_access
    from eksaccess.features.manage.run import open_cluster

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        rows = list_access(view.state)
    data = {
        "cluster": cluster,
        "authenticationMode": str(view.mode),
        "principals": [r.to_json() for r in rows],
    }
    if output != "text":
        emit_data(data, output)
        return
    for line in access_table(cluster, str(view.mode), rows):
        click.echo(line)


def access_table(cluster: str, mode: str, rows: Sequence[AccessRow]) -> list[str]:
    """The list as a table: one row per mapping; EFFECTIVE says "yes", or "no" and why it does not apply
    (the reason identity resolution gives: the access entry that wins, the mode that ignores it, a later
    duplicate row, a role path that never matches, ...)."""
    header = ("PRINCIPAL", "MECHANISM", "TYPE", "USERNAME", "GROUPS", "POLICIES", "EFFECTIVE")
    table = [header]
    for r in rows:
        policies = ", ".join(f"{p} ({s})" for p, s in r.policies) or "-"
        table.append(
            (
                r.principal,
                str(r.mechanism),
                r.type,
                r.username or "-",
                ", ".join(r.groups) or "-",
                policies,
                "yes" if r.effective else f"no: {r.note}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = [f"Cluster {cluster} (authentication mode {mode})"]
    for row in table:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1])
    return lines


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
        requests: tuple[PolicyRequest, ...] = ()
        if groups:  # not for a bare --help: the request model loads pydantic
            from eksaccess.features.manage.grant import PolicyRequest

            requests = tuple(PolicyRequest(policy=p, namespaces=tuple(ns)) for p, ns in groups)
        ctx.meta["eksaccess.policies"] = requests
        return super().parse_args(ctx, args)


@click.command(
    "grant",
    cls=PolicyOrderCommand,
    epilog="""\b
Examples:
  eksaccess grant arn:aws:iam::111122223333:role/dev --policy view
  eksaccess grant arn:aws:iam::111122223333:role/dev --policy edit -n team-a -n team-b
  eksaccess grant arn:aws:iam::111122223333:role/ci --group deployers --via aws-auth --dry-run
  eksaccess grant --permission-set Dev --account 111122223333 --policy edit -n dev""",
)
@click.argument("arn", required=False)
@cluster_options
@click.option(
    "--permission-set",
    metavar="NAME",
    help="Instead of ARN: the IAM Identity Center permission set whose role to grant (with --account).",
)
@click.option(
    "--account", metavar="ID", help="The account the --permission-set is provisioned to (its role is there)."
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="NAME|ARN",
    shell_complete=policy_names,
    help="Access policy (repeatable; cluster-admin, admin, edit, view, ...).",
)
@click.option(
    "-n",
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
@dry_run_option()
@force_option
@output_option()
def grant(
    arn: str | None,
    cluster: str,
    region: str | None,
    profile: str | None,
    permission_set: str | None,
    account: str | None,
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
    """Give ARN (or a permission set's role) access to the cluster (an access entry, or an aws-auth mapping)."""
    from dataclasses import replace

    from eksaccess.cli.plan_output import PlanRenderer
    from eksaccess.features.manage.grant import GrantRequest, plan_grant
    from eksaccess.features.manage.permission_set import check_grant_target, permission_set_grant
    from eksaccess.features.manage.run import open_cluster, role_lookup, run_plan
    from eksaccess.features.manage.via import Via

    check_grant_target(arn, permission_set, account)
    requested = click.get_current_context().meta.get("eksaccess.policies", ())
    request = GrantRequest(
        arn=arn or "",
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
        if permission_set and account:  # resolved through IAM (ListRoles): the set's role ARN
            found = permission_set_grant(conn, view.state, permission_set, account)
            request = replace(request, arn=found.arn, notices=found.notices, warnings=found.warnings)
        lookup = role_lookup(conn)
        plan = plan_grant(view.state, request, lookup=lookup)
        code = run_plan(
            conn,
            view,
            plan,
            PlanRenderer(output),
            dry_run=dry_run,
            force=force,
            command=command_line(),
            replan=lambda state: plan_grant(state, request, lookup=lookup),
        )
    exit_with(code)


# --- revoke -----------------------------------------------------------------------------------------------


@click.command(
    "revoke",
    epilog="""\b
Examples:
  eksaccess revoke arn:aws:iam::111122223333:role/dev
  eksaccess revoke arn:aws:iam::111122223333:role/dev --policy edit --dry-run
  eksaccess revoke arn:aws:iam::111122223333:role/dev --policy edit -n team-b""",
)
@click.argument("arn")
@cluster_options
@click.option(
    "--policy", metavar="NAME|ARN", shell_complete=policy_names, help="Take away only this access policy."
)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Take --policy away in this namespace only (repeatable); its other namespaces stay.",
)
@click.option("--via", type=VIA_CHOICES, default="auto", show_default=True, help="Mechanism (auto: all).")
@dry_run_option()
@force_option
@output_option()
def revoke(
    arn: str,
    cluster: str,
    region: str | None,
    profile: str | None,
    policy: str | None,
    namespaces: tuple[str, ...],
    via: str,
    dry_run: bool,
    force: bool,
    output: str,
) -> None:
    """Take ARN's access away (its access entry and aws-auth rows, or one policy)."""
    from eksaccess.cli.plan_output import PlanRenderer
    from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke
    from eksaccess.features.manage.run import open_cluster, run_plan
    from eksaccess.features.manage.via import Via

    parse_principal(arn)
    request = RevokeRequest(arn=arn, policy=policy, via=Via(via), namespaces=tuple(namespaces))
    conn, view = open_cluster(cluster, region, profile)
    with conn:
        plan = plan_revoke(view.state, request)
        code = run_plan(
            conn,
            view,
            plan,
            PlanRenderer(output),
            dry_run=dry_run,
            force=force,
            command=command_line(),
            replan=lambda state: plan_revoke(state, request),
        )
    exit_with(code)


# --- repair -----------------------------------------------------------------------------------------------


@click.command("repair")
@click.argument("what", type=click.Choice(["aws-auth"]))
@cluster_options
@dry_run_option()
@force_option
@output_option()
def repair(
    what: str, cluster: str, region: str | None, profile: str | None, dry_run: bool, force: bool, output: str
) -> None:
    """Rewrite the aws-auth rows that can never match: a rolearn with the role's path or an assumed-role
    ARN becomes the path-less role ARN; a key that does not parse is re-read as its author meant it.

    \b
    Examples:
      eksaccess repair aws-auth --dry-run
      eksaccess repair aws-auth --context prod --profile admin
    """
    from eksaccess.cli.plan_output import PlanRenderer
    from eksaccess.features.manage.repair import plan_repair
    from eksaccess.features.manage.run import open_cluster, run_plan

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        plan = plan_repair(view.state)
        code = run_plan(
            conn, view, plan, PlanRenderer(output), dry_run=dry_run, force=force, command=command_line()
        )
    exit_with(code)
