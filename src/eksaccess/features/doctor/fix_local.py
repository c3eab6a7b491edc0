"""doctor --fix: the only repairs doctor makes itself are local (the kubeconfig entry, and the aws CLI's
cache entries of stale credentials that kubectl's exec plugin signs with)."""

from __future__ import annotations

import re
from pathlib import Path

from eksaccess.adapters.aws import AwsCallError
from eksaccess.adapters.live_ports import LivePorts
from eksaccess.domain.cli_cache import CACHE_DIR, display_path
from eksaccess.domain.findings import FindingCode
from eksaccess.features.doctor.model import Report
from eksaccess.features.doctor.target import DoctorOptions
from eksaccess.features.kubeconfig import write_kubeconfig

LOCAL_CODES = frozenset(
    {
        FindingCode.ENDPOINT_MISMATCH,
        FindingCode.CA_MISMATCH,
        FindingCode.CLUSTER_NAME_MISMATCH,
        FindingCode.REGION_MISMATCH,
        FindingCode.EXEC_API_VERSION_UNSUPPORTED,
        FindingCode.KUBECONFIG_NOT_FOUND,
        FindingCode.KUBECONFIG_CONTEXT_MISSING,
    }
)


_CACHE_FILE = re.compile(r"^[0-9a-f]{40}\.json$")


def apply_local_fix(report: Report, options: DoctorOptions, ports: LivePorts) -> list[str]:
    """Rewrite the kubeconfig entry when a finding says it is wrong, and remove stale cached credentials;
    returns lines for the person."""
    removed = _remove_stale_cache(report, ports)
    if not any(f.code in LOCAL_CODES for f in report.findings):
        return removed or ["doctor --fix: nothing local to repair."]
    return removed + _rewrite_kubeconfig(report, options, ports)


def _remove_stale_cache(report: Report, ports: LivePorts) -> list[str]:
    """Delete the aws CLI cache files CACHED_CREDENTIALS_STALE names (only files of that cache)."""
    lines: list[str] = []
    for finding in report.findings:
        if finding.code is not FindingCode.CACHED_CREDENTIALS_STALE:
            continue
        for name in finding.evidence.get("cacheFiles") or ():
            path = Path(str(name))
            if not _CACHE_FILE.match(path.name) or path.parent.parts[-len(CACHE_DIR) :] != CACHE_DIR:
                continue
            path.unlink(missing_ok=True)
            lines.append(
                f"doctor --fix: removed {display_path(str(path), ports.env.get('HOME'))} (stale cached credentials)."
            )
    return lines


def _rewrite_kubeconfig(report: Report, options: DoctorOptions, ports: LivePorts) -> list[str]:
    name = report.cluster.get("name")
    if not isinstance(name, str):
        return ["doctor --fix: the cluster is unknown; pass --cluster."]
    region = report.cluster.get("region")
    profile = report.principal.get("profile")
    role = report.principal.get("roleArn")
    alias = report.cluster.get("context")
    try:
        change = write_kubeconfig(
            ports.aws(
                profile=options.admin_profile or (profile if isinstance(profile, str) else None),
                region=region if isinstance(region, str) else None,
            ),
            cluster=name,
            env=ports.env,
            region=region if isinstance(region, str) else None,
            profile=profile if isinstance(profile, str) else None,
            role_arn=role if isinstance(role, str) else None,
            alias=alias if isinstance(alias, str) else None,
            kubeconfig=options.kubeconfig,
        )
    except AwsCallError as err:
        return [f"doctor --fix: cannot describe the cluster: {err}"]
    return (
        [change.diff.rstrip("\n"), change.message]
        if change.diff
        else ["doctor --fix: the entry is already right."]
    )
