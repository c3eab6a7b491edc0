"""``eksaccess audit``: who has what on one cluster or a fleet, who could become cluster-admin (IAM users
included, through role trust chains), and what is risky.

Exit codes: 0 no risk of severity error, 1 some, 2 bad input, 3 some cluster could not be read (the
others are still reported).
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.data_output import render_data, write_output
from eksaccess.cli.options import live_options, output_file_option, output_option, resolve_target
from eksaccess.cli.output import console as rich_console
from eksaccess.cli.output import note
from eksaccess.domain.data_text import load_data_text
from eksaccess.errors import EksAccessError, InputError

if TYPE_CHECKING:
    from eksaccess.domain.iam.trust import AccountIam
    from eksaccess.features.analyze.audit import AuditInput, AuditReport
    from eksaccess.features.analyze.fleet import FleetEvent
    from eksaccess.features.analyze.report_html import Provenance
    from eksaccess.features.cluster_target import TargetFlags

# features.analyze.fleet.DEFAULT_PER_REGION, spelt here so that --help loads no client (a test holds them equal)
FLEET_PER_REGION = 4


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _iam_files(paths: tuple[str, ...]) -> list[AccountIam]:
    from eksaccess.domain.iam.trust import parse_authorization_details

    found = []
    for path in paths:
        data = load_data_text(read_text(path), source_name(path))  # JSON, or the aws CLI's --output yaml
        if not isinstance(data, dict) or not (data.get("UserDetailList") or data.get("RoleDetailList")):
            raise InputError(
                f"{source_name(path)}: not the output of aws iam get-account-authorization-details"
            )
        found.append(parse_authorization_details(data))
    return found


def _progress_fleet(profiles: list[str], regions: list[str] | None, per_region: int, with_iam: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eksaccess.features.analyze.fleet import default_session_factory, read_fleet

    console = rich_console(stderr=True)  # obeys --color and NO_COLOR
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
    target: TargetFlags,
    snapshots: tuple[str, ...],
    iam_files: tuple[str, ...],
    no_iam: bool,
) -> tuple[list[AuditInput], list[AccountIam] | None, list[str]]:
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.adapters.iam import read_account_iam
    from eksaccess.domain.state import parse_cluster_state
    from eksaccess.features.analyze.audit import AuditInput
    from eksaccess.features.analyze.snapshot import take_snapshot

    notes: list[str] = []
    iam: list[AccountIam] | None = _iam_files(iam_files) if iam_files else None
    if snapshots:
        inputs = [
            AuditInput(state=parse_cluster_state(read_text(s), source=source_name(s))) for s in snapshots
        ]
        return inputs, iam, notes
    found = resolve_target(target)
    cluster, region, profile = found.cluster, found.region, found.profile
    session = AwsSession(profile=profile, region=region)
    snap = take_snapshot(session, cluster, region)
    if iam is None and not no_iam:
        try:
            iam = [read_account_iam(session, account=snap.state.cluster.account_id)]
        except EksAccessError as err:
            notes.append(f"IAM not read: {err.message}")
    return [AuditInput(state=snap.state, profile=profile, notes=list(snap.notes))], iam, notes


@click.command(
    "audit",
    epilog="""\b
Examples:
  eksaccess audit                     # the current kubeconfig context's cluster
  eksaccess audit -o html --output-file report.html
  eksaccess audit --snapshot state.yaml -o json
  eksaccess audit --all --profiles dev,prod --regions eu-west-1,us-east-1""",
)
@live_options
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
    default=FLEET_PER_REGION,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Fleet: clusters read at once per account and region.",
)
@output_option("text", "json", "yaml", "html")
@output_file_option
@click.option(
    "--out",
    "out_file",
    hidden=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Deprecated: --output-file.",
)
def audit(
    target: TargetFlags,
    snapshots: tuple[str, ...],
    fleet: bool,
    regions: tuple[str, ...],
    profiles: tuple[str, ...],
    iam_files: tuple[str, ...],
    no_iam: bool,
    concurrency: int,
    output: str,
    output_file: str | None,
    out_file: Path | None,
) -> None:
    """Who has what, who could become cluster-admin, and what is risky.

    One cluster live (--cluster, else the kubeconfig context's), snapshot files (--snapshot), or a fleet (--all over --profiles and
    --regions). Per principal: effective level (cluster-admin, admin, edit, view, custom, none), the
    namespaces it reaches, and the IAM users and roles that can assume their way to it. Risks carry
    stable codes (see docs/audit.md). Exit 1 when a risk of severity error is found, 3 when a cluster
    could not be read.
    """
    from eksaccess.features.analyze.audit import audit as run_audit

    live = any((target.cluster, target.region, target.profile, target.context, target.kubeconfig))
    if sum([live, bool(snapshots), fleet]) > 1:
        raise InputError(
            "give exactly one of --snapshot, --all or a live cluster (--cluster, --context, --kubeconfig, "
            "--region, --profile)"
        )
    if out_file is not None:
        note("eksaccess: warning: --out is deprecated; use --output-file")
        if output_file is None:
            output_file = str(out_file)
    if (regions or profiles) and not fleet:
        raise InputError("--regions and --profiles go with --all")
    if fleet:
        result = _progress_fleet(_split(profiles), _split(regions) or None, concurrency, not no_iam)
        iam = _iam_files(iam_files) if iam_files else (None if no_iam else result.iam)
        report = run_audit(result.inputs, iam=iam, failures=result.failures, notes=result.notes)
    else:
        inputs, iam, notes = _inputs(target, snapshots, iam_files, no_iam)
        report = run_audit(inputs, iam=iam, notes=notes)
    _emit(report, output, output_file)
    raise SystemExit(report.exit_code)


def _emit(report: AuditReport, output: str, output_file: str | None) -> None:
    from eksaccess.cli.audit_text import render_text
    from eksaccess.features.analyze.report_html import render_html

    if output in ("json", "yaml"):
        text = render_data(report.to_json(), output)  # rendered once (twice was 1.3 s at 5,000 principals)
    elif output == "html":
        text = render_html(report.to_json(), _provenance())
    else:
        text = render_text(report) + "\n"
    write_output(text, output_file)


def _provenance() -> Provenance:
    """The HTML report's header: now, this version, and the command as given (the options that came
    from the command line, in the command's order; nothing secret is among them)."""
    from click.core import ParameterSource

    from eksaccess import __version__
    from eksaccess.features.analyze.report_html import Provenance

    ctx = click.get_current_context()
    words = ctx.command_path.split()
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if param.is_flag:
            words.append(param.opts[-1])
            continue
        for item in value if isinstance(value, tuple | list) else (value,):
            words += [param.opts[-1], str(item)]
    return Provenance(
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=str(__version__),
        command=shlex.join(words),
    )
