"""doctor --fix: the only repairs doctor makes itself are local (the kubeconfig entry)."""

from __future__ import annotations

from eksaccess.adapters.aws import AwsCallError
from eksaccess.features.doctor.catalog import Code
from eksaccess.features.doctor.model import Report
from eksaccess.features.doctor.ports_live import LivePorts
from eksaccess.features.doctor.target import DoctorOptions
from eksaccess.features.kubeconfig import write_kubeconfig

LOCAL_CODES = frozenset(
    {
        Code.ENDPOINT_MISMATCH,
        Code.CA_MISMATCH,
        Code.CLUSTER_NAME_MISMATCH,
        Code.REGION_MISMATCH,
        Code.EXEC_API_VERSION_UNSUPPORTED,
        Code.KUBECONFIG_NOT_FOUND,
        Code.KUBECONFIG_CONTEXT_MISSING,
    }
)


def apply_local_fix(report: Report, options: DoctorOptions, ports: LivePorts) -> list[str]:
    """Rewrite the kubeconfig entry when a finding says it is wrong; returns lines for the person."""
    if not any(f.code in LOCAL_CODES for f in report.findings):
        return ["doctor --fix: nothing local to repair."]
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
