"""``eksaccess kubeconfig``: write or repair the kubeconfig entry of an EKS cluster."""

from __future__ import annotations

import os

import click

from eksaccess.adapters.files import check_existing_input
from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import output_option
from eksaccess.cli.output import check_role_arn, note


@click.command(
    "kubeconfig",
    epilog="""\b
Examples:
  eksaccess kubeconfig --cluster demo --region us-east-1
  eksaccess kubeconfig --cluster demo --profile dev --alias demo-dev --exec eksaccess
  eksaccess kubeconfig --cluster demo --dry-run -o json""",
)
@click.option("--cluster", required=True, help="EKS cluster name.")
@click.option("--region", help="AWS region.")
@click.option("--profile", help="AWS profile (written as AWS_PROFILE in the exec entry).")
@click.option("--role-arn", help="Role to mint tokens with.")
@click.option("--alias", help="Context name (default: the cluster ARN).")
@click.option("--user-alias", help="User entry name (default: the cluster ARN, or --alias).")
@click.option("--kubeconfig", help="File to write (default: as aws eks update-kubeconfig chooses).")
@click.option(
    "--exec",
    "exec_plugin",
    type=click.Choice(["aws", "eksaccess"]),
    default="aws",
    show_default=True,
    help="Token plugin in the exec entry (eksaccess: 'eksaccess token', no aws CLI needed).",
)
@click.option("--dry-run", is_flag=True, help="Show the change, write nothing.")
@output_option()
def kubeconfig(
    cluster: str,
    region: str | None,
    profile: str | None,
    role_arn: str | None,
    alias: str | None,
    user_alias: str | None,
    kubeconfig: str | None,
    exec_plugin: str,
    dry_run: bool,
    output: str,
) -> None:
    """Write the cluster, user and context entries as `aws eks update-kubeconfig` does."""
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.domain.kubeconfig import ExecPlugin
    from eksaccess.features.kubeconfig import write_kubeconfig

    check_role_arn(role_arn)
    check_existing_input(kubeconfig)
    change = write_kubeconfig(
        AwsSession(profile=profile, region=region),
        cluster=cluster,
        env=dict(os.environ),
        region=region,
        profile=profile,
        role_arn=role_arn,
        alias=alias,
        user_alias=user_alias,
        kubeconfig=kubeconfig,
        plugin=ExecPlugin(exec_plugin),
        dry_run=dry_run,
    )
    if output != "text":
        emit_data(
            {
                "path": str(change.path),
                "context": change.context,
                "existed": change.existed,
                "diff": change.diff,
                "written": change.written,
            },
            output,
        )
        return
    if dry_run:
        click.echo(change.diff or "No change.")
        return
    note(change.message)
