"""The ClusterState an analysis command reads: a snapshot file (``--snapshot``), or the cluster read live
now (``--cluster``, else the kubeconfig context's; ``--region``, ``--profile``), its notes on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.options import resolve_target
from eksaccess.cli.output import note
from eksaccess.domain.state import ClusterState, parse_cluster_state
from eksaccess.errors import InputError

LIVE_FLAGS = "--cluster, --context, --kubeconfig, --region, --profile"

if TYPE_CHECKING:
    from eksaccess.features.cluster_target import ClusterTarget, TargetFlags


def live_state(target: ClusterTarget) -> ClusterState:
    """Snapshot the target cluster now; notes go to stderr."""
    from eksaccess.adapters.aws import AwsSession
    from eksaccess.features.analyze.snapshot import take_snapshot

    snap = take_snapshot(
        AwsSession(profile=target.profile, region=target.region), target.cluster, target.region
    )
    for line in snap.notes:
        note(f"note: {line}")
    return snap.state


def read_state(snapshot: str | None, target: TargetFlags) -> ClusterState:
    """The state to analyze: a snapshot file (``-`` for stdin), or the cluster read live now (the one the
    flags or the kubeconfig context name)."""
    if snapshot:
        if target.cluster or target.region or target.profile or target.context or target.kubeconfig:
            raise InputError(f"give exactly one of --snapshot FILE or a live cluster ({LIVE_FLAGS})")
        return parse_cluster_state(read_text(snapshot), source=source_name(snapshot))
    return live_state(resolve_target(target))
