"""``eksaccess doctor``: why can't this principal use this cluster?"""

from __future__ import annotations

import click

from eksaccess.cli.output import emit_json, note, output_option
from eksaccess.features.doctor.model import LinkStatus, Report
from eksaccess.features.doctor.target import DoctorOptions

_MARK = {
    LinkStatus.OK: ("ok", "green"),
    LinkStatus.BROKEN: ("BROKEN", "red"),
    LinkStatus.SKIPPED: ("skipped", "yellow"),
    LinkStatus.UNKNOWN: ("unknown", "yellow"),
}
_SEVERITY_COLOR = {"error": "red", "warning": "yellow", "info": "cyan"}


@click.command("doctor")
@click.option("--context", help="kubeconfig context (default: the current one).")
@click.option("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
@click.option("--cluster", help="EKS cluster name (default: from the kubeconfig).")
@click.option("--region", help="AWS region (default: from the kubeconfig).")
@click.option("--profile", help="AWS profile (default: what the kubeconfig's exec entry uses).")
@click.option("--role-arn", help="Role the token is minted with (default: from the exec entry).")
@click.option("--as-arn", help="Diagnose this principal from the cluster's state, without its credentials.")
@click.option("--admin-profile", help="Profile allowed to read access entries and aws-auth.")
@click.option("--verb", help="Also check this verb ...")
@click.option("--resource", help="... on this resource (pods, deployments.apps, pods/log, ...).")
@click.option("--namespace", "-n", help="... in this namespace.")
@click.option("--fix", is_flag=True, help="Repair the local kubeconfig entry (shows the diff first).")
@output_option()
def doctor(
    context: str | None,
    kubeconfig: str | None,
    cluster: str | None,
    region: str | None,
    profile: str | None,
    role_arn: str | None,
    as_arn: str | None,
    admin_profile: str | None,
    verb: str | None,
    resource: str | None,
    namespace: str | None,
    fix: bool,
    output: str,
) -> None:
    """Walk the chain from AWS credentials to Kubernetes permissions and find the broken link."""
    from eksaccess.features.doctor.fix_local import apply_local_fix
    from eksaccess.features.doctor.ports_live import LivePorts
    from eksaccess.features.doctor.run import run_doctor

    if bool(verb) != bool(resource):
        raise click.UsageError("--verb and --resource go together")
    options = DoctorOptions(
        context=context,
        kubeconfig=kubeconfig,
        cluster=cluster,
        region=region,
        profile=profile,
        role_arn=role_arn,
        as_arn=as_arn,
        admin_profile=admin_profile,
        verb=verb,
        resource=resource,
        namespace=namespace,
    )
    ports = LivePorts()
    note("eksaccess doctor: checking the chain ...")
    report = run_doctor(options, ports)
    if fix:
        changed = apply_local_fix(report, options, ports)
        for line in changed:
            note(line)
        if changed:
            report = run_doctor(options, ports)
    if output == "json":
        emit_json(report.to_json())
    else:
        render_text(report)
    raise SystemExit(report.exit_code)


def render_text(report: Report) -> None:
    cluster = report.cluster
    principal = report.principal
    click.echo(
        f"Cluster   {cluster.get('name') or '?'} ({cluster.get('region') or '?'}), "
        f"authentication mode {cluster.get('authenticationMode') or 'unknown'}"
    )
    click.echo(f"Principal {principal.get('arn') or 'unknown'}")
    if principal.get("username"):
        raw_groups = principal.get("groups")
        groups = ", ".join(str(g) for g in raw_groups) if isinstance(raw_groups, list) else ""
        click.echo(f"Identity  {principal['username']} [{groups}]")
    click.echo("")
    for link in report.chain:
        label, color = _MARK[link.status]
        click.echo(f"  {click.style(f'{label:>8}', fg=color)}  {link.link.value:<15} {link.summary}")
    click.echo("")
    if not report.findings:
        click.echo(click.style("The chain is whole: nothing to fix.", fg="green"))
        return
    for finding in report.findings:
        color = _SEVERITY_COLOR[finding.severity.value]
        click.echo(
            click.style(f"{finding.severity.value.upper()} {finding.code.value}", fg=color, bold=True)
            + f": {finding.title}"
        )
        click.echo(f"  {finding.detail}")
        for step in finding.fix:
            click.echo(f"  fix: {step.text}")
            for command in step.eksaccess:
                click.echo(f"      $ {command}")
            for command in step.plain:
                click.echo(f"      $ {command}" + ("   # plain aws/kubectl" if step.eksaccess else ""))
        click.echo("")
    if report.errors:
        click.echo(f"{len(report.errors)} problem(s) found.")
