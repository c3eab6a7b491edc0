"""``eksaccess snapshot``: capture a live cluster as a ClusterState (YAML on stdout, or JSON with -o json).

Exit codes: 0 captured, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

import click

from eksaccess.cli.data_output import render_data, write_output
from eksaccess.cli.options import cluster_options, output_file_option, output_option
from eksaccess.cli.output import note


@click.command(
    "snapshot",
    epilog="""\b
Examples:
  eksaccess snapshot > state.yaml
  eksaccess snapshot --context prod -o json --output-file state.json""",
)
@cluster_options
@click.option("--keep-defaults", is_flag=True, help="Keep the unchanged default RBAC roles and bindings.")
@output_option("yaml", "json", default="yaml")
@output_file_option
def snapshot(
    cluster: str,
    region: str | None,
    profile: str | None,
    keep_defaults: bool,
    output: str,
    output_file: str | None,
) -> None:
    """Capture a live cluster as a ClusterState: authentication mode, access entries with their access
    policies, the aws-auth ConfigMap, RBAC objects and namespaces (the creator when it can be known).

    Every analysis command reads the file offline (--snapshot state.yaml).
    """
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.domain.state import dump_cluster_state, state_to_data
    from eksaccess.features.analyze.snapshot import take_snapshot

    snap = take_snapshot(
        AwsSession(profile=profile, region=region), cluster, region, keep_defaults=keep_defaults
    )
    for line in snap.notes:
        note(f"note: {line}")
    if output == "json":
        text = render_data(state_to_data(snap.state), "json")
    else:
        text = dump_cluster_state(snap.state)
    write_output(text, output_file)
