"""``eksaccess doctor``: why can't this principal use this cluster?"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import click

from eksaccess.adapters.files import check_existing_input
from eksaccess.cli.completion import cluster_names, context_names
from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import output_option
from eksaccess.cli.output import check_role_arn, note
from eksaccess.cli.wording import finding_block, plural
from eksaccess.domain.findings import Severity
from eksaccess.features.doctor.model import LinkStatus, Report, chain_rows, tips

_MARK = {
    LinkStatus.OK: ("ok", "green"),
    LinkStatus.BROKEN: ("broken", "red"),
    LinkStatus.SKIPPED: ("skipped", "yellow"),
    LinkStatus.UNKNOWN: ("unknown", "yellow"),
}


@click.command(
    "doctor",
    epilog="""\b
Examples:
  eksaccess doctor                                  # the current kubeconfig context
  eksaccess doctor --context prod --admin-profile admin
  eksaccess doctor --verb get --resource pods -n team-a
  eksaccess doctor --as-arn arn:aws:iam::111122223333:role/dev --admin-profile admin
  eksaccess doctor --fix --admin-profile admin      # repair, then check again
  eksaccess doctor --nodegroup workers              # would this node group's kubelets join?
  eksaccess doctor --console --admin-profile admin  # can the EKS console show this cluster?
  eksaccess doctor --service-account apps/web       # can its pods get their IAM role (IRSA, Pod Identity)?""",
)
@click.option(
    "--context", shell_complete=context_names, help="kubeconfig context (default: the current one)."
)
@click.option("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
@click.option(
    "--cluster", shell_complete=cluster_names, help="EKS cluster name (default: from the kubeconfig)."
)
@click.option("--region", help="AWS region (default: from the kubeconfig).")
@click.option("--profile", help="AWS profile (default: what the kubeconfig's exec entry uses).")
@click.option("--role-arn", help="Role the token is minted with (default: from the exec entry).")
@click.option("--as-arn", help="Diagnose this principal from the cluster's state, without its credentials.")
@click.option("--admin-profile", help="Profile allowed to read access entries and aws-auth.")
@click.option("--verb", help="Also check this verb ...")
@click.option("--resource", help="... on this resource (pods, deployments.apps, pods/log, ...).")
@click.option("--namespace", "-n", help="... in this namespace.")
@click.option(
    "--fix",
    is_flag=True,
    help="Repair what can be repaired: the kubeconfig entry and stale cached credentials; with --admin-profile "
    "also the cluster side (the eksaccess form of each fix, plan shown first, recorded in the history).",
)
@click.option("--verbose", is_flag=True, help="Print tips whole (by default each is one line).")
@click.option(
    "--offline",
    is_flag=True,
    help="Ask no service outside AWS and the cluster: no check-IP lookup of this machine's public IP (the "
    "endpoint's CIDR check is then named as not made).",
)
@click.option(
    "--node-role",
    metavar="ARN",
    help="Instead: would a kubelet with this node role join (authenticate as system:node:NAME in system:nodes)?",
)
@click.option(
    "--nodegroup", metavar="NAME", help="Instead: the same for this managed node group's node role."
)
@click.option(
    "--console",
    is_flag=True,
    help="Instead: can the EKS console show this cluster's objects to the principal (the kubeconfig's, "
    "--profile's, or --as-arn's with --admin-profile)? Its IAM actions, mapping and reads; -n NS[,NS] checks "
    "the namespaces the console shows (default: all).",
)
@click.option(
    "--service-account",
    metavar="NS/NAME",
    help="Instead: can this service account's pods get their IAM role (IRSA or EKS Pod Identity)? The "
    "mechanism, the OIDC provider, the trust policy against the token's sub and aud, Pod Identity's trust, "
    "the pods' age; --role-arn names the role to check when the service account has no annotation.",
)
@click.option("--pod", metavar="NS/NAME", help="Instead: the same for this pod's service account.")
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
    verbose: bool,
    offline: bool,
    node_role: str | None,
    nodegroup: str | None,
    console: bool,
    service_account: str | None,
    pod: str | None,
    output: str,
) -> None:
    """Walk the chain from AWS credentials to Kubernetes permissions and find the broken link."""
    if service_account or pod:  # a workload's chain to IAM: its own module (cli/doctor_workload.py)
        from eksaccess.cli.doctor_workload import WorkloadOptions, run_workload_doctor

        flags = (
            ("--fix", fix),
            ("--as-arn", as_arn),
            ("--verb", verb),
            ("--console", console),
            ("--node-role", node_role),
            ("--nodegroup", nodegroup),
        )
        run_workload_doctor(
            WorkloadOptions(
                service_account=service_account,
                pod=pod,
                role_arn=role_arn,
                context=context,
                kubeconfig=kubeconfig,
                cluster=cluster,
                region=region,
                profile=profile,
                admin_profile=admin_profile,
                other=[name for name, on in flags if on],
            ),
            output,
        )
    if node_role or nodegroup:  # a kubelet's chain, not the caller's: its own module
        from eksaccess.cli.doctor_node import NodeOptions, run_node_doctor

        node = NodeOptions(
            node_role=node_role,
            nodegroup=nodegroup,
            context=context,
            kubeconfig=kubeconfig,
            cluster=cluster,
            region=region,
            profile=profile,
            admin_profile=admin_profile,
            other=[name for name, given in (("--fix", fix), ("--as-arn", as_arn), ("--verb", verb)) if given],
        )
        run_node_doctor(node, output)
    if console:  # the console's chain: its own module (cli/doctor_console.py)
        from eksaccess.cli.doctor_console import ConsoleOptions, run_console_doctor

        given = (("--fix", fix), ("--verb", verb), ("--role-arn", role_arn))
        run_console_doctor(
            ConsoleOptions(
                context=context,
                kubeconfig=kubeconfig,
                cluster=cluster,
                region=region,
                profile=profile,
                as_arn=as_arn,
                admin_profile=admin_profile,
                namespace=namespace,
                other=[name for name, on in given if on],
            ),
            output,
        )
    from eksaccess.adapters.live_ports import LivePorts
    from eksaccess.features.doctor.start import start
    from eksaccess.features.doctor.target import DoctorOptions

    if bool(verb) != bool(resource):
        raise click.UsageError("--verb and --resource go together")
    check_role_arn(role_arn)
    check_existing_input(kubeconfig)  # a missing one is a finding; one eksaccess refuses to read is bad input
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
        offline=offline,
    )
    ports = LivePorts()
    started = start(options, ports)  # the exec plugin runs while the rest of doctor loads
    try:
        # botocore loads here, after the exec plugin started
        from eksaccess.adapters.aws_profiles import require_profiles

        require_profiles(profile, admin_profile)
        from eksaccess.features.doctor.fix_local import apply_local_fix
        from eksaccess.features.doctor.run import run_doctor

        note("eksaccess doctor: checking the chain ...")
        report = run_doctor(options, ports, started)
    finally:
        started.close()
    if fix:
        before = report
        changed = apply_local_fix(report, options, ports)
        for line in changed:
            note(line)
        ran = _fix_cluster(report) if admin_profile else []
        if changed or ran:
            report = run_doctor(options, LivePorts())  # new ports: the credentials and files read afresh
            note(_before_after(before, report))
    if output != "text":
        emit_data(report.to_json(), output)
    else:
        render_text(report, verbose=verbose)
    if report.exit_code == 3:
        note(
            f"eksaccess: error: {report.call_failures} AWS or Kubernetes answer(s) decided nothing after retries "
            "(throttling, 5xx, no connection); the chain could not be judged: run doctor again"
        )
    raise SystemExit(report.exit_code)


def _fix_cluster(report: Report) -> list[str]:
    """The cluster-side fixes, run as printed (each shows its plan, then applies it through the engine)."""
    import subprocess
    import sys

    from eksaccess.features.doctor.fix_cluster import apply_cluster_fixes

    def run(argv: Sequence[str]) -> int:
        note("doctor --fix: $ " + shlex.join(["eksaccess", *argv]))
        done = subprocess.run(
            [sys.executable, "-m", "eksaccess.cli.main", *argv], stdout=sys.stderr, check=False
        )
        return done.returncode

    ran = apply_cluster_fixes(report, run)
    failed = [r for r in ran if r.exit_code != 0]
    if failed:
        note(
            f"doctor --fix: `{failed[0].command}` exited {failed[0].exit_code}; the fixes after it were not run."
        )
    return [r.command for r in ran]


def _before_after(before: Report, after: Report) -> str:
    def codes(report: Report) -> str:
        return ", ".join(sorted(f.code.value for f in report.errors)) or "none"

    return f"doctor --fix: errors before: {codes(before)}; after: {codes(after)}."


def render_text(report: Report, *, verbose: bool = False) -> None:
    """The header, the chain (a run of links left unjudged after a broken one on one row), each finding with
    its fixes, the tips (one line each unless ``verbose``), then how many problems were found."""
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
    for row in chain_rows(report.chain):
        label, color = _MARK[row.status]
        names = ", ".join(link.value for link in row.links)
        mark = click.style(f"{label:>8}", fg=color, bold=row.status is LinkStatus.BROKEN)
        click.echo(
            f"  {mark}  {names:<15} {row.summary}"
            if len(row.links) == 1
            else f"  {mark}  {names}: {row.summary}"
        )
    click.echo("")
    short = () if verbose else tips(report)
    for finding in report.findings:
        if finding not in short:
            finding_block(finding)
    for finding in short:
        click.echo(
            click.style(f"tip {finding.code.value}", fg="cyan")
            + f": {finding.title} (doctor --verbose shows it)"
        )
    if short:
        click.echo("")
    click.echo(_closing(report))


def _closing(report: Report) -> str:
    """The closing line: "1 problem found.", "2 problems found."; with no error, how many links could not be
    checked, else that the chain is whole (its warnings counted)."""
    if report.errors:
        return click.style(f"{plural(len(report.errors), 'problem')} found.", fg="red")
    unknown = [link for link in report.chain if link.status is LinkStatus.UNKNOWN]
    if unknown:
        return f"No problem found, but {plural(len(unknown), 'link')} could not be checked."
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    if warnings:
        return f"The chain is whole; {plural(len(warnings), 'warning')} above."
    return click.style("The chain is whole: nothing to fix.", fg="green")
