"""``eksaccess doctor --node-role ARN`` / ``--nodegroup NAME``: would a kubelet with this role join?

Reads the cluster as the identity doctor runs with (``--admin-profile``, else ``--profile``, else the
kubeconfig context's), judges the role, prints the finding and the fix. Exit codes as doctor's: 0 it joins,
1 it cannot, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.output import check_role_arn, note
from eksaccess.cli.wording import finding_block, plural

if TYPE_CHECKING:
    from eksaccess.features.doctor.node.diagnose import NodeReport


@dataclass(frozen=True, kw_only=True)
class NodeOptions:
    node_role: str | None
    nodegroup: str | None
    context: str | None
    kubeconfig: str | None
    cluster: str | None
    region: str | None
    profile: str | None
    admin_profile: str | None
    other: list[str]  # the caller's options given too (--fix, --as-arn, --verb): they do not apply


def run_node_doctor(options: NodeOptions, output: str) -> None:
    """Diagnose the node role and exit with doctor's code."""
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.cli.options import resolve_target
    from eksaccess.errors import InputError
    from eksaccess.features.cluster_target import TargetFlags
    from eksaccess.features.doctor.fixes import Writer
    from eksaccess.features.doctor.node.diagnose import diagnose_node
    from eksaccess.features.doctor.node.gather import gather_node

    if bool(options.node_role) == bool(options.nodegroup):
        raise InputError("--node-role and --nodegroup: give one of them")
    if options.other:
        raise InputError(
            f"{', '.join(options.other)}: not with --node-role or --nodegroup (paste the printed fix)"
        )
    check_role_arn(options.node_role, "--node-role")
    target = resolve_target(
        TargetFlags(
            cluster=options.cluster,
            region=options.region,
            profile=options.admin_profile or options.profile,
            context=options.context,
            kubeconfig=options.kubeconfig,
        )
    )
    note("eksaccess doctor: checking the node role ...")
    session = AwsSession(profile=target.profile, region=target.region)
    facts = gather_node(
        session, target.cluster, target.region, role_arn=options.node_role, nodegroup=options.nodegroup
    )
    for line in facts.notes:
        note(f"note: {line}")
    writer = Writer(
        cluster=target.cluster,
        region=target.region,
        profile=target.profile,
        diagnosed_context=target.context,
    )
    report = diagnose_node(
        facts.state, facts.role_arn, writer=writer, aws_auth_version=facts.aws_auth_version
    )
    if output != "text":
        emit_data(report.to_json(), output)
    else:
        _render(report)
    raise SystemExit(report.exit_code)


def _render(report: NodeReport) -> None:
    state, use, verdict = report.state, report.use, report.verdict
    click.echo(
        f"Cluster   {state.cluster.name} ({state.cluster.region}), "
        f"authentication mode {state.authentication_mode.value}"
    )
    click.echo(
        f"Node role {use.role_arn} ({use.kind.label}: {use.source}; needs {use.kind.entry_type.value})"
    )
    click.echo(f"Kubelet   session {verdict.session_name}, node {verdict.node_name}")
    identity = verdict.resolution.identity
    click.echo(
        f"Identity  {identity.username} [{', '.join(identity.groups)}] via {verdict.resolution.source}"
        if identity
        else "Identity  none: the kubelet gets Unauthorized"
    )
    click.echo("")
    for finding in report.findings:
        finding_block(finding)
    if report.errors:
        click.echo(click.style(f"{plural(len(report.errors), 'problem')} found.", fg="red"))
    else:
        click.echo(click.style(f"The node role can join: {verdict.reason}.", fg="green"))
