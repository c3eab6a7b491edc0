"""``eksaccess migrate``: aws-auth mappings to access entries, with an equivalence proof.

Exit codes: 0 migrated, 1 differences found and not accepted (nothing changed), 2 bad input or refused,
3 an AWS or Kubernetes call failed. ``--dry-run`` exits as the real run would (1 for differences, 2 when
the lock-out guard would refuse), without changing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import cluster_options, command_line, dry_run_option, force_option, output_option
from eksaccess.cli.output import exit_with, note
from eksaccess.domain.access import AuthenticationMode

if TYPE_CHECKING:
    from eksaccess.features.manage.migrate import Migration


def render(migration: Migration) -> None:
    click.echo("Conversions:")
    for where, what in migration.converted or [("(none)", "")]:
        click.echo(f"  {where}" + (f" -> {what}" if what else ""))
    if migration.unexpressible:
        click.echo("Cannot be expressed as access entries (kept in aws-auth, listed here):")
        for item in migration.unexpressible:
            click.echo(f"  {item.where} {item.principal}: {item.reason}")
    checked = f"{migration.principals_checked} principals x {migration.probes} requests"
    if migration.equivalent:
        click.echo(
            f"Equivalence: proven ({checked}): identities and permissions are identical before and after."
        )
    else:
        click.echo(f"Equivalence: {len(migration.differences)} principal(s) differ ({checked}):")
        for diff in migration.differences:
            click.echo(f"  {diff.principal}")
            click.echo(f"    identity before: {diff.identity_before}")
            click.echo(f"    identity after:  {diff.identity_after}")
            for line in diff.lost[:5]:
                click.echo(f"    loses:  {line}")
            if len(diff.lost) > 5:
                click.echo(f"    loses:  ... and {len(diff.lost) - 5} more")
            for line in diff.gained[:5]:
                click.echo(f"    gains:  {line}")


@click.command(
    "migrate",
    epilog="""\b
Examples:
  eksaccess migrate --dry-run
  eksaccess migrate --to API_AND_CONFIG_MAP --context prod""",
)
@cluster_options
@click.option(
    "--to",
    "to",
    type=click.Choice([AuthenticationMode.API_AND_CONFIG_MAP.value, AuthenticationMode.API.value]),
    help="Also move the authentication mode forward one step (irreversible).",
)
@dry_run_option("Show conversions, the proof and the plan; change nothing.")
@click.option("--accept-differences", is_flag=True, help="Migrate even though some principals would differ.")
@force_option
@output_option()
def migrate(
    cluster: str,
    region: str | None,
    profile: str | None,
    to: str | None,
    dry_run: bool,
    accept_differences: bool,
    force: bool,
    output: str,
) -> None:
    """Convert aws-auth mappings into access entries, proving nobody's access changes."""
    from eksaccess.cli.plan_output import PlanRenderer
    from eksaccess.features.manage.migrate import plan_migration
    from eksaccess.features.manage.run import open_cluster, refuse_like_apply, run_plan

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        migration = plan_migration(view.state, to=AuthenticationMode(to) if to else None)
        differs = not migration.equivalent and not accept_differences
        if dry_run and output != "text" and not differs:
            refuse_like_apply(conn, view, migration.plan, force=force)
        if output != "text" and (dry_run or differs):
            emit_data(migration.to_json(), output)
        elif output == "text":
            render(migration)
        if to and migration.plan.steps:
            note(f"eksaccess: warning: moving the authentication mode to {to} cannot be undone")
        if differs:
            note(
                "eksaccess: error: the migration would change access (see above); nothing was changed. Fix the rows, or pass --accept-differences"
            )
            click.get_current_context().exit(1)
        if dry_run and output != "text":
            return
        code = run_plan(
            conn,
            view,
            migration.plan,
            PlanRenderer(output),
            dry_run=dry_run,
            force=force,
            command=command_line(),
        )
    exit_with(code)
