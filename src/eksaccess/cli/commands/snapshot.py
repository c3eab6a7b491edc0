"""``eksaccess snapshot``: capture a live cluster as a ClusterState (YAML on stdout, or JSON with -o json).

Exit codes: 0 captured, 2 bad input, 3 an AWS or Kubernetes call failed after retries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.output import emit_json, note, output_option
from eksaccess.domain.state import ClusterState, dump_cluster_state, parse_cluster_state, state_to_data
from eksaccess.errors import InputError
from eksaccess.features.analyze.snapshot import take_snapshot

FC = TypeVar("FC", bound=Callable[..., Any])


def live_options(*, required: bool = False) -> Callable[[FC], FC]:
    """``--cluster``, ``--region``, ``--profile``: read the cluster live with these credentials."""

    def decorate(fn: FC) -> FC:
        fn = click.option(
            "--profile", default=None, help="AWS profile (default: the usual AWS_PROFILE chain)."
        )(fn)
        fn = click.option("--region", default=None, help="The cluster's region (default: the profile's).")(fn)
        return click.option("--cluster", required=required, default=None, help="Read this EKS cluster live.")(
            fn
        )

    return decorate


def live_state(cluster: str, region: str | None, profile: str | None) -> ClusterState:
    """Snapshot ``cluster`` now; notes go to stderr."""
    snap = take_snapshot(AwsSession(profile=profile, region=region), cluster, region)
    for line in snap.notes:
        note(f"note: {line}")
    return snap.state


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


def read_state(
    snapshot: str | None, cluster: str | None, region: str | None, profile: str | None
) -> ClusterState:
    """The state to analyze: a snapshot file (``-`` for stdin), or the cluster read live now."""
    if bool(snapshot) == bool(cluster):
        raise InputError("give exactly one of --snapshot FILE or --cluster NAME")
    if snapshot:
        if region or profile:
            raise InputError("--region and --profile go with --cluster")
        return parse_cluster_state(read_text(snapshot), source=source_name(snapshot))
    assert cluster is not None
    return live_state(cluster, region, profile)
