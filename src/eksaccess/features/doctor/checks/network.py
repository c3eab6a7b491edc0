"""The network link: can the endpoint be reached over TLS? A consequence of an earlier cause is not said
again (a cluster that is not active or not found is unreachable too)."""

from __future__ import annotations

from eksaccess.adapters.kube import KubeCallError
from eksaccess.domain.findings import (
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.features.doctor.checks import endpoint_access
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.probe import Facts

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.ENDPOINT_UNREACHABLE,
        link=Link.NETWORK,
        severity=Severity.ERROR,
        title="The cluster endpoint cannot be reached",
        why="No connection to the API server (private endpoint, firewall, DNS, or a stale address).",
        fix="check the endpoint's access (public/private, CIDRs, VPN); no command is certain",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.TLS_VERIFY_FAILED,
        link=Link.NETWORK,
        severity=Severity.ERROR,
        title="The endpoint's certificate is not trusted",
        why="The certificate does not chain to the kubeconfig's certificate authority.",
        fix="none printed: the certificate is not the cluster's CA (a TLS-inspecting proxy, or a wrong CA: see "
        "CA_MISMATCH); no command is certain",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def network(facts: Facts, masked: set[FindingCode]) -> list[Finding]:
    """``masked``: the codes found before. A cluster that is not there or not ACTIVE has no endpoint to
    reach: that is a consequence, not a second cause."""
    error = facts.endpoint_version.error
    if not isinstance(error, KubeCallError) or error.status is not None:
        return []
    if masked & {FindingCode.CLUSTER_NOT_ACTIVE, FindingCode.CLUSTER_NOT_FOUND}:
        return []
    server = facts.cluster.value.endpoint if facts.cluster.value else facts.target.server
    if error.tls:
        if FindingCode.CA_MISMATCH in masked:
            return []
        return [finding(FindingCode.TLS_VERIFY_FAILED, detail=str(error), evidence={"server": server})]
    if FindingCode.ENDPOINT_MISMATCH in masked or masked & endpoint_access.CODES:
        return []  # the endpoint's own settings explain it (endpoint_access.py)
    return [
        finding(
            FindingCode.ENDPOINT_UNREACHABLE,
            detail=str(error) + endpoint_access.unreachable_note(facts),
            evidence={"server": server},
            fix=(
                FixStep(
                    text="Check the endpoint's access (public/private endpoint, security groups, VPN) "
                    "and that the kubeconfig points at the current cluster."
                ),
            ),
        )
    ]


def check(ctx: Context) -> list[Finding]:
    return network(ctx.facts, ctx.codes())
