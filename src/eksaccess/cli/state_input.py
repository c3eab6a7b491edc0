"""The ClusterState an analysis command reads: a snapshot file (``--snapshot``), or the cluster read live
now (``--cluster``, ``--region``, ``--profile``), its notes on stderr."""

from __future__ import annotations

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.output import note
from eksaccess.domain.state import ClusterState, parse_cluster_state
from eksaccess.errors import InputError
from eksaccess.features.analyze.snapshot import take_snapshot


def live_state(cluster: str, region: str | None, profile: str | None) -> ClusterState:
    """Snapshot ``cluster`` now; notes go to stderr."""
    snap = take_snapshot(AwsSession(profile=profile, region=region), cluster, region)
    for line in snap.notes:
        note(f"note: {line}")
    return snap.state


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
