"""``eksaccess snapshot``: capture a live cluster as a ClusterState (YAML on stdout, or JSON with -o json).

Exit codes: 0 captured, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

import click

from eksaccess.adapters.aws import AwsSession
from eksaccess.cli.options import live_options, output_option
from eksaccess.cli.output import emit_json, note
from eksaccess.domain.state import dump_cluster_state, state_to_data
from eksaccess.features.analyze.snapshot import take_snapshot


@click.command("snapshot")
@live_options(required=True)
@click.option("--keep-defaults", is_flag=True, help="Keep the unchanged default RBAC roles and bindings.")
@output_option("yaml", "json", default="yaml")
def snapshot(cluster: str, region: str | None, profile: str | None, keep_defaults: bool, output: str) -> None:
    """Capture a live cluster as a ClusterState: authentication mode, access entries with their access
    policies, the aws-auth ConfigMap, RBAC objects and namespaces (the creator when it can be known).

    Every analysis command reads the file offline: eksaccess snapshot --cluster C > state.yaml
    """
    snap = take_snapshot(
        AwsSession(profile=profile, region=region), cluster, region, keep_defaults=keep_defaults
    )
    for line in snap.notes:
        note(f"note: {line}")
    if output == "json":
        emit_json(state_to_data(snap.state))
    else:
        click.echo(dump_cluster_state(snap.state), nl=False)
