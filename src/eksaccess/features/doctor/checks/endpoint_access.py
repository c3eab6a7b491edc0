"""The network link, by the cluster's endpoint settings: when the API server cannot be reached, is it
because public access is off, or because the public access CIDRs leave this machine out?

DescribeCluster's ``resourcesVpcConfig`` says how the endpoint may be reached; this machine's public IP
comes from AWS's check-IP service (not with --offline). What doctor cannot see from outside the VPC is said
as such: the cluster security group (443 from a connected network, for the private endpoint) and the path
between this machine and AWS (a proxy or NAT that leaves by another address, a local firewall).
"""

from __future__ import annotations

from collections.abc import Sequence

from eksaccess.adapters.kube import KubeCallError
from eksaccess.domain.endpoint_access import (
    DEFAULT_PUBLIC_CIDRS,
    MAX_PUBLIC_CIDRS,
    EndpointAccess,
    Opening,
    opening_for,
)
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
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd, opt
from eksaccess.features.doctor.probe import Facts

SECURITY_GROUP_NOTE = (
    "Reaching the private endpoint from a connected network (VPN, peering, Transit Gateway) also needs the "
    "cluster security group to allow 443 from that network: doctor cannot see that from outside the VPC."
)
PLACEHOLDER_IP = "YOUR_PUBLIC_IP"

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.ENDPOINT_PUBLIC_ACCESS_OFF,
        link=Link.NETWORK,
        severity=Severity.ERROR,
        title="The cluster's public endpoint is off",
        why="endpointPublicAccess is false: the API server answers only inside the VPC (or over a VPN, peering "
        "or Transit Gateway, if the cluster security group allows 443 from there).",
        fix="`aws eks update-cluster-config --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=…` "
        "with the CIDRs kept (your IP/32 alone when the list was the default 0.0.0.0/0), then "
        "`aws eks wait cluster-active`; or connect through the VPC",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ENDPOINT_CIDR_EXCLUDES_YOU,
        link=Link.NETWORK,
        severity=Severity.ERROR,
        title="The public endpoint's CIDRs leave you out",
        why="Your public IP (as checkip.amazonaws.com sees it) is in none of the cluster's publicAccessCidrs: "
        "the endpoint drops your connections (an i/o timeout on AWS).",
        fix="`aws eks update-cluster-config --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=…` "
        f"with the existing CIDRs and your IP/32 (none when the list already holds {MAX_PUBLIC_CIDRS}, the "
        "limit), then `aws eks wait cluster-active`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ENDPOINT_CIDRS_IGNORED,
        link=Link.NETWORK,
        severity=Severity.WARNING,
        title="Public access CIDRs are set while the public endpoint is off",
        why="With endpointPublicAccess false, publicAccessCidrs are kept but have no effect: nobody reaches the "
        "public endpoint, whatever they list.",
        fix="none of its own: turning public access on (ENDPOINT_PUBLIC_ACCESS_OFF's fix) makes them apply",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ENDPOINT_CIDRS_UNCHECKED,
        link=Link.NETWORK,
        severity=Severity.WARNING,
        title="Whether the public CIDRs admit you was not checked",
        why="The endpoint is unreachable and its publicAccessCidrs are restricted, but your public IP is "
        "unknown (--offline, or checkip.amazonaws.com did not answer).",
        fix="`curl -s https://checkip.amazonaws.com` and compare it with the CIDRs (or run doctor without "
        "--offline)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding

CODES = frozenset(d.code for d in ENTRIES if d.severity is Severity.ERROR)


def _refused(facts: Facts) -> bool:
    """The endpoint refused or dropped the connection (not a TLS failure, not an HTTP answer)."""
    error = facts.endpoint_version.error
    return isinstance(error, KubeCallError) and error.status is None and not error.tls


def _access(facts: Facts) -> EndpointAccess | None:
    cluster = facts.cluster.value
    return cluster.endpoint_access if cluster is not None else None


def _runner(facts: Facts) -> str | None:
    """The profile the update runs as: the administrator's, else the one that read the cluster."""
    if facts.options.admin_profile and facts.admin_caller.ok:
        return facts.options.admin_profile
    return facts.target.profile


def _update_steps(facts: Facts, option: str, text: str, *, by_hand: bool = False) -> tuple[FixStep, ...]:
    target = facts.target
    common = [*opt("--region", target.region), *opt("--profile", _runner(facts))]
    update = cmd(
        "aws",
        "eks",
        "update-cluster-config",
        "--name",
        target.cluster_name,
        *common,
        "--resources-vpc-config",
        option,
    )
    wait = cmd("aws", "eks", "wait", "cluster-active", "--name", target.cluster_name, *common)
    return (FixStep(text=text, plain=(update, wait), by_hand=by_hand),)


def _cidrs_text(cidrs: Sequence[str]) -> str:
    return ", ".join(cidrs) if cidrs else "none"


def _egress(facts: Facts) -> tuple[str | None, str]:
    """(this machine's public IP, or None; why it is unknown)."""
    if facts.egress_ip.value:
        return facts.egress_ip.value, ""
    if facts.options.offline:
        return None, "doctor did not look it up (--offline)"
    return None, f"the check-IP service did not answer ({facts.egress_ip.error})"


def _public_off(facts: Facts, access: EndpointAccess) -> Finding:
    address, unknown = _egress(facts)
    private = "on" if access.private else "off"
    detail = (
        f"The endpoint refused the connection: endpointPublicAccess is false (private access {private}), so "
        "the API server answers only inside the cluster's VPC. " + SECURITY_GROUP_NOTE
    )
    if address is not None:
        opening = opening_for(access, address)
        text = _opening_text(opening, address, access)
        fix = _update_steps(facts, str(opening.vpc_config_option()), text)
    else:
        detail += f" Your public IP is unknown: {unknown}."
        kept = () if access.public_cidrs == DEFAULT_PUBLIC_CIDRS else access.public_cidrs
        option = f"endpointPublicAccess=true,publicAccessCidrs={','.join((*kept, PLACEHOLDER_IP + '/32'))}"
        fix = _update_steps(
            facts,
            option,
            f"Turn public access on for your public IP (replace {PLACEHOLDER_IP}: `curl -s "
            "https://checkip.amazonaws.com`), or connect through the VPC (VPN, bastion).",
            by_hand=True,
        )
    return finding(
        FindingCode.ENDPOINT_PUBLIC_ACCESS_OFF,
        detail=detail,
        evidence={**access.to_json(), "yourIp": address},
        fix=fix,
    )


def _opening_text(opening: Opening, address: str, access: EndpointAccess) -> str:
    if opening.added is None:
        return (
            f"Turn public access on; the CIDRs ({_cidrs_text(access.public_cidrs)}) already admit {address}. "
            "Or connect through the VPC (VPN, bastion)."
        )
    if not access.public and len(opening.cidrs or ()) == 1:
        return (
            f"Turn public access on for {opening.added} alone (the list was EKS's default 0.0.0.0/0: the "
            "whole internet), or connect through the VPC (VPN, bastion)."
        )
    return (
        f"Turn public access on, keeping the CIDRs ({_cidrs_text(access.public_cidrs)}) and adding "
        f"{opening.added}; or connect through the VPC (VPN, bastion)."
    )


def _excludes_you(facts: Facts, access: EndpointAccess, address: str) -> Finding:
    opening = opening_for(access, address)
    detail = (
        f"Your public IP {address} (as the check-IP service sees it) is in none of the endpoint's "
        f"publicAccessCidrs ({_cidrs_text(access.public_cidrs)}): the public endpoint drops your connections. "
        "(A proxy or NAT that leaves by another address would make the endpoint see another IP.)"
    )
    option = opening.vpc_config_option()
    if option is None:
        detail += (
            f" The list already holds {len(access.public_cidrs)} CIDRs, EKS's limit ({MAX_PUBLIC_CIDRS}): "
            f"adding {opening.added} needs one of them merged or removed first."
        )
        fix: tuple[FixStep, ...] = (
            FixStep(
                text=f"Make room in publicAccessCidrs (at most {MAX_PUBLIC_CIDRS}): merge or remove a CIDR, "
                f"then add {opening.added}; or connect through the VPC (VPN, bastion). No command is certain.",
            ),
        )
    else:
        fix = _update_steps(
            facts,
            option,
            f"Add {opening.added} to the public access CIDRs, keeping the {len(access.public_cidrs)} there.",
        )
    return finding(
        FindingCode.ENDPOINT_CIDR_EXCLUDES_YOU,
        detail=detail,
        evidence={**access.to_json(), "yourIp": address},
        fix=fix,
    )


def endpoint_access(facts: Facts, masked: set[FindingCode]) -> list[Finding]:
    access = _access(facts)
    if access is None or masked & {FindingCode.CLUSTER_NOT_ACTIVE, FindingCode.CLUSTER_NOT_FOUND}:
        return []
    findings: list[Finding] = []
    refused = _refused(facts) and FindingCode.ENDPOINT_MISMATCH not in masked
    if refused and not access.public:
        findings.append(_public_off(facts, access))
    if access.cidrs_ignored:
        findings.append(
            finding(
                FindingCode.ENDPOINT_CIDRS_IGNORED,
                detail=f"publicAccessCidrs lists {_cidrs_text(access.public_cidrs)} while endpointPublicAccess "
                "is false: they have no effect until public access is turned on.",
                evidence=access.to_json(),
                fix=(
                    FixStep(
                        text="Turn public access on if these CIDRs should reach the endpoint (see "
                        "ENDPOINT_PUBLIC_ACCESS_OFF); otherwise they can stay, without effect."
                    ),
                ),
            )
        )
    if not refused or not access.public or not access.restricted:
        return findings
    address, unknown = _egress(facts)
    if address is None:
        findings.append(
            finding(
                FindingCode.ENDPOINT_CIDRS_UNCHECKED,
                detail=f"The endpoint is unreachable and admits only {_cidrs_text(access.public_cidrs)}; whether "
                f"your public IP is among them was not checked: {unknown}.",
                evidence=access.to_json(),
                fix=(
                    FixStep(
                        text="Find your public IP and compare it with the CIDRs (or run doctor without --offline).",
                        plain=("curl -s https://checkip.amazonaws.com",),
                    ),
                ),
            )
        )
    elif not access.admits(address):
        findings.append(_excludes_you(facts, access, address))
    return findings


def unreachable_note(facts: Facts) -> str:
    """What the endpoint settings rule out when the endpoint is unreachable for another reason (for
    ENDPOINT_UNREACHABLE's detail)."""
    access = _access(facts)
    if access is None or not access.public:
        return ""
    address = facts.egress_ip.value
    if address is not None and access.admits(address):
        return (
            f" Public access is on and its CIDRs admit your public IP {address}: look at the path between "
            "this machine and AWS (proxy, local firewall, DNS). " + SECURITY_GROUP_NOTE
        )
    return ""


def check(ctx: Context) -> list[Finding]:
    return endpoint_access(ctx.facts, ctx.codes())
