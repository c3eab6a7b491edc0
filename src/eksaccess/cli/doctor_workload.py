"""``eksaccess doctor --service-account NS/NAME [--role-arn ARN]`` / ``--pod NS/NAME``: can this workload's
pods get their IAM role's credentials (IRSA or EKS Pod Identity)?

Reads as the identity doctor runs with (``--admin-profile``, else ``--profile``, else the kubeconfig
context's). Text, or ``-o json|yaml``; exit codes as doctor's: 0 the chain is whole (warnings allowed), 1
problems found, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.output import check_role_arn, note
from eksaccess.cli.wording import finding_block, plural

if TYPE_CHECKING:
    from eksaccess.features.doctor.workload.model import WorkloadReport


@dataclass(frozen=True, kw_only=True)
class WorkloadOptions:
    service_account: str | None
    pod: str | None
    role_arn: str | None
    context: str | None
    kubeconfig: str | None
    cluster: str | None
    region: str | None
    profile: str | None
    admin_profile: str | None
    other: list[str]  # options of kubectl's walk given too: they do not apply


def run_workload_doctor(options: WorkloadOptions, output: str) -> None:
    """Diagnose the workload's identity chain and exit with doctor's code."""
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.adapters.kube import KubeClient
    from eksaccess.adapters.workload_reads import WorkloadReader
    from eksaccess.cli.options import resolve_target
    from eksaccess.errors import InputError, RemoteError
    from eksaccess.features.cluster_target import TargetFlags
    from eksaccess.features.doctor.fixes import Writer
    from eksaccess.features.doctor.workload.diagnose import diagnose_workload
    from eksaccess.features.doctor.workload.gather import gather_workload, split_name
    from eksaccess.features.retry import DEFAULT_BACKOFF, retry

    if bool(options.service_account) == bool(options.pod):
        raise InputError("--service-account and --pod: give one of them")
    if options.other:
        raise InputError(
            f"{', '.join(options.other)}: not with --service-account or --pod (paste the printed fix)"
        )
    if options.service_account:
        split_name(options.service_account, "--service-account")
    if options.pod:
        split_name(options.pod, "--pod")
    check_role_arn(options.role_arn)
    target = resolve_target(
        TargetFlags(
            cluster=options.cluster,
            region=options.region,
            profile=options.admin_profile or options.profile,
            context=options.context,
            kubeconfig=options.kubeconfig,
        )
    )
    note("eksaccess doctor: checking the workload's identity chain ...")
    session = AwsSession(profile=target.profile, region=target.region)
    identity = retry(session.caller_identity, DEFAULT_BACKOFF)
    described = retry(lambda: session.describe_cluster(target.cluster, target.region), DEFAULT_BACKOFF)
    if not described.endpoint:
        raise RemoteError(f"cluster {target.cluster} has no endpoint yet (status {described.status})")
    token = session.presign_token(target.cluster, target.region)
    with KubeClient(
        server=described.endpoint, ca_data=described.certificate_authority_data, token=token
    ) as kube:
        reader = WorkloadReader(session, kube, cluster=target.cluster, region=target.region)
        facts = gather_workload(
            reader,
            cluster=target.cluster,
            region=target.region,
            account=identity.account,
            service_account=options.service_account,
            pod=options.pod,
            role_arn=options.role_arn,
        )
    if options.role_arn and facts.annotated_role and facts.annotated_role != options.role_arn:
        note(f"note: --role-arn is not checked: the service account is annotated with {facts.annotated_role}")
    writer = Writer(
        cluster=target.cluster,
        region=target.region,
        profile=target.profile,
        diagnosed_context=target.context,
    )
    report = diagnose_workload(facts, writer=writer)
    if output != "text":
        emit_data(report.to_json(), output)
    else:
        _render(report)
    raise SystemExit(report.exit_code)


def _render(report: WorkloadReport) -> None:
    from eksaccess.domain.workload.pod_identity import AUDIENCE as POD_IDENTITY_AUDIENCE

    facts = report.facts
    click.echo(f"Cluster         {facts.cluster} ({facts.region}), OIDC issuer {facts.issuer or 'none'}")
    audience = POD_IDENTITY_AUDIENCE if facts.association else facts.audience
    click.echo(f"Service account {facts.namespace}/{facts.name} (token sub {facts.subject}, aud {audience})")
    association = facts.association
    if association is not None:
        click.echo(f"Pod Identity    {association.association_id}: {association.role_arn}")
    if facts.annotated_role:
        click.echo(
            f"IRSA            {facts.annotated_role}"
            + (" (ignored: the association wins)" if association else "")
        )
    elif facts.irsa_role is not None:
        click.echo(f"IRSA            none; --role-arn {facts.irsa_role.arn} checked")
    if facts.pods:
        click.echo(f"Pods            {', '.join(p.name for p in facts.pods)}")
    click.echo("")
    for finding in report.findings:
        finding_block(finding)
    if report.errors:
        click.echo(click.style(f"{plural(len(report.errors), 'problem')} found.", fg="red"))
    else:
        click.echo(
            click.style(f"The workload's pods can get {facts.mechanism.value} credentials.", fg="green")
            if facts.mechanism.value != "none"
            else "The workload's pods get no IAM role."
        )
