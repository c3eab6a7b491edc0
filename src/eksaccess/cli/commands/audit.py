"""``eksaccess audit``: who has what on one cluster or a fleet, who could become cluster-admin (IAM users
included, through role trust chains), and what is risky.

Exit codes: 0 no risk of severity error, 1 some, 2 bad input, 3 some cluster could not be read (the
others are still reported).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.files import read_text, source_name
from eksaccess.adapters.iam import read_account_iam
from eksaccess.cli.options import live_options
from eksaccess.cli.output import emit_json, note
from eksaccess.domain.iam.trust import AccountIam, load_document, parse_authorization_details
from eksaccess.domain.state import parse_cluster_state
from eksaccess.errors import EksAccessError, InputError
from eksaccess.features.analyze.audit import AuditInput, AuditReport
from eksaccess.features.analyze.audit import audit as run_audit
from eksaccess.features.analyze.fleet import (
    DEFAULT_PER_REGION,
    FleetEvent,
    default_session_factory,
    read_fleet,
)
from eksaccess.features.analyze.report_html import render_html
from eksaccess.features.analyze.snapshot import take_snapshot


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _iam_files(paths: tuple[str, ...]) -> list[AccountIam]:
    found = []
    for path in paths:
        data = load_document(read_text(path))
        if not data.get("UserDetailList") and not data.get("RoleDetailList"):
            raise InputError(
                f"{source_name(path)}: not the output of aws iam get-account-authorization-details"
            )
        found.append(parse_authorization_details(data))
    return found


def render_text(report: AuditReport) -> str:
    lines: list[str] = []
    for cluster in report.clusters:
        lines.append(f"Cluster {cluster.region}/{cluster.name} (account {cluster.account}, {cluster.mode})")
        width = max([len(p.arn) for p in cluster.principals] + [9])
        lines.append(f"  {'PRINCIPAL':<{width}}  {'LEVEL':<13}  {'REACH':<20}  VIA")
        for p in cluster.principals:
            reach = ",".join(p.access.reach) or "-"
            lines.append(f"  {p.arn:<{width}}  {p.level:<13}  {reach:<20}  {p.via}")
            users = [c.source for c in p.reachable_by if c.kind.value == "user"]
            if users:
                lines.append(f"  {'':<{width}}  reachable by {', '.join(users)}")
        admins = cluster.cluster_admin_users
        lines.append(
            f"  IAM users who can become cluster-admin: {', '.join(admins) if admins else '(none known)'}"
        )
        lines.append("")
    lines.append(f"Risks ({len(report.risks)}):")
    for risk in report.risks:
        lines.append(f"  {risk.severity.upper():<7} {risk.code} [{risk.cluster}] {risk.detail}")
    if not report.risks:
        lines.append("  (none)")
    for failure in report.failures:
        lines.append(
            f"FAILED {failure.region}/{failure.name} (profile {failure.profile or 'default'}): {failure.error}"
        )
    lines += [f"Note: {n}" for n in report.notes]
    for cluster in report.clusters:
        lines += [f"Note: {cluster.region}/{cluster.name}: {n}" for n in cluster.notes]
    return "\n".join(lines)


def _progress_fleet(profiles: list[str], regions: list[str] | None, per_region: int, with_iam: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("reading clusters", total=None)

        def on_event(event: FleetEvent) -> None:
            if event.kind == "discovered":
                bar.update(task, total=event.count)
            else:
                bar.advance(task)
                if event.kind == "failed":
                    console.print(f"could not read {event.cluster}")

        return read_fleet(
            list(profiles) or [None],
            regions,
            session_factory=default_session_factory(),
            per_region=per_region,
            with_iam=with_iam,
            progress=on_event,
        )


def _inputs(
    cluster: str | None,
    region: str | None,
    profile: str | None,
    snapshots: tuple[str, ...],
    iam_files: tuple[str, ...],
    no_iam: bool,
) -> tuple[list[AuditInput], list[AccountIam] | None, list[str]]:
    notes: list[str] = []
    iam: list[AccountIam] | None = _iam_files(iam_files) if iam_files else None
    if snapshots:
        inputs = [
            AuditInput(state=parse_cluster_state(read_text(s), source=source_name(s))) for s in snapshots
        ]
        return inputs, iam, notes
    assert cluster is not None
    session = AwsSession(profile=profile, region=region)
    snap = take_snapshot(session, cluster, region)
    if iam is None and not no_iam:
        try:
            iam = [read_account_iam(session, account=snap.state.cluster.account_id)]
        except EksAccessError as err:
            notes.append(f"IAM not read: {err.message}")
    return [AuditInput(state=snap.state, profile=profile, notes=list(snap.notes))], iam, notes


@click.command("audit")
@live_options()
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    metavar="FILE",
    help="ClusterState file(s) instead of a live cluster.",
)
@click.option("--all", "fleet", is_flag=True, help="Every cluster of the profiles and regions (fleet mode).")
@click.option(
    "--regions", multiple=True, help="Fleet: comma-separated regions (default: each profile's region)."
)
@click.option(
    "--profiles", multiple=True, help="Fleet: comma-separated AWS profiles (default: the current one)."
)
@click.option(
    "--iam",
    "iam_files",
    multiple=True,
    metavar="FILE",
    help="Output of aws iam get-account-authorization-details (JSON), for offline trust chains.",
)
@click.option("--no-iam", is_flag=True, help="Do not read IAM (no trust chains, no IAM checks).")
@click.option(
    "--concurrency",
    default=DEFAULT_PER_REGION,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Fleet: clusters read at once per account and region.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(("table", "json", "html")),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of stdout.",
)
def audit(
    cluster: str | None,
    region: str | None,
    profile: str | None,
    snapshots: tuple[str, ...],
    fleet: bool,
    regions: tuple[str, ...],
    profiles: tuple[str, ...],
    iam_files: tuple[str, ...],
    no_iam: bool,
    concurrency: int,
    output: str,
    out_file: Path | None,
) -> None:
    """Who has what, who could become cluster-admin, and what is risky.

    One cluster live (--cluster), snapshot files (--snapshot), or a fleet (--all over --profiles and
    --regions). Per principal: effective level (cluster-admin, admin, edit, view, custom, none), the
    namespaces it reaches, and the IAM users and roles that can assume their way to it. Risks carry
    stable codes (see docs/audit.md). Exit 1 when a risk of severity error is found, 3 when a cluster
    could not be read.
    """
    chosen = sum([bool(cluster), bool(snapshots), fleet])
    if chosen != 1:
        raise InputError("give exactly one of --cluster, --snapshot or --all")
    if (regions or profiles) and not fleet:
        raise InputError("--regions and --profiles go with --all")
    if fleet:
        result = _progress_fleet(_split(profiles), _split(regions) or None, concurrency, not no_iam)
        iam = _iam_files(iam_files) if iam_files else (None if no_iam else result.iam)
        report = run_audit(result.inputs, iam=iam, failures=result.failures, notes=result.notes)
    else:
        inputs, iam, notes = _inputs(cluster, region, profile, snapshots, iam_files, no_iam)
        report = run_audit(inputs, iam=iam, notes=notes)
    _emit(report, output, out_file)
    raise SystemExit(report.exit_code)


def _emit(report: AuditReport, output: str, out_file: Path | None) -> None:
    if output == "json":
        text = json.dumps(report.to_json(), indent=2) + "\n"
    elif output == "html":
        text = render_html(report.to_json())
    else:
        text = render_text(report) + "\n"
    if out_file is None:
        if output == "json":
            emit_json(report.to_json())
        else:
            click.echo(text, nl=False)
        return
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"{out_file}: cannot write: {err.strerror or err}") from None
    note(f"wrote {out_file}")
