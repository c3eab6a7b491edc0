"""``eksaccess doctor --console``: can the EKS console show this cluster's Kubernetes objects?

The principal is the one doctor diagnoses (the kubeconfig context's, ``--profile``'s, or ``--as-arn``'s from
the cluster's state read with ``--admin-profile``). Text, or ``-o json|yaml``; exit codes as doctor's: 0 the
console can show the cluster, 1 problems found, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.output import note
from eksaccess.cli.wording import finding_block, plural

if TYPE_CHECKING:
    from eksaccess.features.doctor.console.model import ConsoleReport

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, kw_only=True)
class ConsoleOptions:
    context: str | None
    kubeconfig: str | None
    cluster: str | None
    region: str | None
    profile: str | None
    as_arn: str | None
    admin_profile: str | None
    namespace: str | None  # one namespace, or several separated by commas
    other: list[str]  # options of kubectl's walk given too: they do not apply


def namespaces_of(text: str | None) -> tuple[str, ...]:
    """``-n dev,staging`` -> ("dev", "staging"); a name Kubernetes would refuse is bad input."""
    from eksaccess.errors import InputError

    names = tuple(dict.fromkeys(n.strip() for n in (text or "").split(",") if n.strip()))
    for name in names:
        if not _NAMESPACE.match(name):
            raise InputError(f"-n {name!r}: not a namespace name (lower-case letters, digits and '-')")
    return names


def run_console_doctor(options: ConsoleOptions, output: str) -> None:
    """Diagnose the console's chain and exit with doctor's code."""
    from eksaccess.adapters.aws_profiles import require_profiles
    from eksaccess.adapters.files import check_existing_input
    from eksaccess.adapters.live_ports import LivePorts
    from eksaccess.errors import InputError
    from eksaccess.features.doctor.console.run import run_console
    from eksaccess.features.doctor.target import DoctorOptions

    if options.other:
        raise InputError(f"{', '.join(options.other)}: not with --console (paste the printed fix)")
    namespaces = namespaces_of(options.namespace)
    check_existing_input(options.kubeconfig)
    require_profiles(options.profile, options.admin_profile)
    doctor_options = DoctorOptions(
        context=options.context,
        kubeconfig=options.kubeconfig,
        cluster=options.cluster,
        region=options.region,
        profile=options.profile,
        as_arn=options.as_arn,
        admin_profile=options.admin_profile,
        namespace=namespaces[0] if len(namespaces) == 1 else None,
    )
    note("eksaccess doctor --console: checking what the EKS console needs ...")
    report = run_console(doctor_options, LivePorts(), namespaces)
    if output != "text":
        emit_data(report.to_json(), output)
    else:
        render_console(report)
    if report.exit_code == 3:
        note(
            f"eksaccess: error: {report.call_failures} AWS or Kubernetes answer(s) decided nothing after retries; "
            "the console's chain could not be judged: run doctor again"
        )
    raise SystemExit(report.exit_code)


def render_console(report: ConsoleReport) -> None:
    cluster, principal = report.cluster, report.principal
    click.echo(
        f"Cluster   {cluster.get('name') or '?'} ({cluster.get('region') or '?'}), "
        f"authentication mode {cluster.get('authenticationMode') or 'unknown'}"
    )
    click.echo(f"Principal {principal.get('arn') or 'unknown'} (as the EKS console calls the cluster)")
    iam = report.iam
    if iam.decisions is not None:
        denied = [a for a, d in iam.decisions.items() if d.value != "allowed"]
        state = f"denies {', '.join(denied)}" if denied else "allows all of them"
        click.echo(
            f"IAM       the console's {len(iam.decisions)} actions: IAM {state} (asked as {iam.asked_as})"
        )
    else:
        click.echo(f"IAM       not checked: {iam.why}")
    mapped = {True: "mapped", False: "not mapped", None: "unknown"}[report.mapped]
    click.echo(f"Mapping   {mapped}")
    if report.reads:
        allowed = sum(1 for r in report.reads if r.allowed)
        where = ", ".join(report.namespaces) if report.namespaces else "all namespaces"
        click.echo(f"Reads     {allowed} of {len(report.reads)} lists allowed ({where})")
    for line in report.notes:
        click.echo(f"note: {line}")
    click.echo("")
    for finding in report.findings:
        finding_block(finding)
    if report.errors:
        click.echo(click.style(f"{plural(len(report.errors), 'problem')} found.", fg="red"))
    elif report.findings:
        click.echo("No problem found; the warnings above say what could not be checked.")
    else:
        click.echo(
            click.style("The EKS console can show this cluster's objects to the principal.", fg="green")
        )
