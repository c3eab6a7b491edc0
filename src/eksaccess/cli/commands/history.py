"""``eksaccess history`` and ``rollback``: the changes eksaccess made to a cluster, and undoing them.

Records live under ``platformdirs.user_state_dir("eksaccess")/history/<account>/<region>/<cluster>/``
(override with ``EKSACCESS_HISTORY_DIR``).
"""

from __future__ import annotations

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import cluster_options, command_line, dry_run_option, force_option, output_option
from eksaccess.cli.output import exit_with, note


@click.command(
    "history",
    epilog="""\b
Examples:
  eksaccess history
  eksaccess history --context prod -o json""",
)
@cluster_options
@output_option("text", "json", "yaml")
def history(cluster: str, region: str | None, profile: str | None, output: str) -> None:
    """The changes eksaccess made to the cluster, oldest first."""
    from eksaccess.features.manage.history import list_history
    from eksaccess.features.manage.run import history_of, open_cluster

    conn, _ = open_cluster(cluster, region, profile)
    with conn:
        files = history_of(conn)
        listing = list_history(files)
    for skipped in listing.skipped:
        note(f"eksaccess: warning: skipped {skipped}")
    items = listing.items
    if output != "text":
        emit_data(
            {"cluster": cluster, "directory": str(files.directory), "versions": [i.to_json() for i in items]},
            output,
        )
        return
    if not items:
        click.echo(f"No changes recorded for cluster {cluster}.")
        return
    click.echo(f"{'VERSION':<8} {'TIME':<28} {'STATUS':<8} {'CHANGES':<8} {'OPERATOR':<50} COMMAND")
    for item in items:
        click.echo(
            f"{item.version:<8} {item.time:<28} {item.status:<8} {item.changes:<8} {item.operator:<50} {item.command}"
        )


@click.command(
    "rollback",
    epilog="""\b
Examples:
  eksaccess rollback --dry-run
  eksaccess rollback --to 3 --context prod""",
)
@cluster_options
@click.option(
    "--to",
    "to",
    type=int,
    metavar="VERSION",
    help="Restore the state version VERSION left (0: before the first).",
)
@dry_run_option()
@force_option
@output_option()
def rollback(
    cluster: str,
    region: str | None,
    profile: str | None,
    to: int | None,
    dry_run: bool,
    force: bool,
    output: str,
) -> None:
    """Undo the latest change eksaccess made (or restore the state of --to VERSION)."""
    from eksaccess.cli.plan_output import PlanRenderer
    from eksaccess.features.manage.history import recorded_state, rollback_plan
    from eksaccess.features.manage.run import history_of, open_cluster, run_plan

    conn, view = open_cluster(cluster, region, profile)
    with conn:
        version, recorded = recorded_state(history_of(conn), to)
        what = f"as version {version} left it" if to else f"as it was before version {version}"
        if output == "text":
            note(f"restoring cluster {cluster}'s access {what}")
        plan = rollback_plan(view.state, recorded)
        code = run_plan(
            conn, view, plan, PlanRenderer(output), dry_run=dry_run, force=force, command=command_line()
        )
    exit_with(code)
