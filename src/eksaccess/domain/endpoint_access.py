"""The cluster endpoint's access settings (``resourcesVpcConfig``): public and private endpoint access and
the public access CIDRs, with EKS's rules for changing them. One place, used by the sandbox's
UpdateClusterConfig and by doctor's endpoint check.

Facts (shared/facts/doctor-breadth.md §2; botocore's EKS model ``VpcConfigRequest``/``VpcConfigResponse``):
defaults public on, private off, ``["0.0.0.0/0"]``; at most 40 public access CIDRs (quota L-93A74D60, not
adjustable); an IPv4 cluster takes no IPv6 CIDR; both kinds of access off is refused; a request that changes
nothing is refused; with public access off the CIDR list is kept and returned, and has no effect.
Texts quoted from EKS: the invalid-CIDR, both-off and no-change messages. The text for too many CIDRs is
the sandbox's own (EKS's is not on record).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

DEFAULT_PUBLIC_CIDRS: tuple[str, ...] = ("0.0.0.0/0",)
MAX_PUBLIC_CIDRS = 40
UPDATE_TYPE = "EndpointAccessUpdate"


class EndpointAccessError(ValueError):
    """A change EKS refuses (InvalidParameterException); ``str()`` is EKS's message."""


@dataclass(frozen=True, kw_only=True, slots=True)
class EndpointAccess:
    """``endpointPublicAccess``, ``endpointPrivateAccess`` and ``publicAccessCidrs`` of one cluster."""

    public: bool = True
    private: bool = False
    public_cidrs: tuple[str, ...] = DEFAULT_PUBLIC_CIDRS

    def admits(self, address: str) -> bool:
        """Whether the public endpoint takes connections from ``address`` (an IP address)."""
        return self.public and admitted_by(self.public_cidrs, address)

    @property
    def restricted(self) -> bool:
        """The public CIDRs are narrower than the whole internet."""
        return not any(_network(c).prefixlen == 0 for c in self.public_cidrs if _parses(c))

    @property
    def cidrs_ignored(self) -> bool:
        """Public access is off while CIDRs other than the default are set: they have no effect."""
        return not self.public and tuple(self.public_cidrs) != DEFAULT_PUBLIC_CIDRS

    def to_json(self) -> dict[str, object]:
        return {
            "endpointPublicAccess": self.public,
            "endpointPrivateAccess": self.private,
            "publicAccessCidrs": list(self.public_cidrs),
        }

    @classmethod
    def from_json(cls, data: object) -> EndpointAccess:
        """From DescribeCluster's ``resourcesVpcConfig`` (absent fields: EKS's defaults)."""
        found = data if isinstance(data, dict) else {}
        cidrs = found.get("publicAccessCidrs")
        return cls(
            public=bool(found.get("endpointPublicAccess", True)),
            private=bool(found.get("endpointPrivateAccess", False)),
            public_cidrs=tuple(str(c) for c in cidrs) if isinstance(cidrs, list) else DEFAULT_PUBLIC_CIDRS,
        )


def _parses(cidr: str) -> bool:
    try:
        _network(cidr)
    except ValueError:
        return False
    return True


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr, strict=False)


def admitted_by(cidrs: Sequence[str], address: str) -> bool:
    """Whether ``address`` lies in one of ``cidrs`` (CIDRs that do not parse admit nobody)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    for cidr in cidrs:
        try:
            network = _network(cidr)
        except ValueError:
            continue
        if network.version == ip.version and ip in network:
            return True
    return False


def invalid_cidrs(cidrs: Sequence[str], *, ipv6_cluster: bool = False) -> list[str]:
    """The CIDRs EKS refuses: not CIDR notation, host bits set, or IPv6 on an IPv4 cluster.
    (Which reserved ranges EKS refuses besides is not on record: none are refused here.)"""
    bad: list[str] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            bad.append(cidr)
            continue
        if "/" not in cidr or (network.version == 6 and not ipv6_cluster):
            bad.append(cidr)
    return bad


def check_cidrs(cidrs: Sequence[str], *, ipv6_cluster: bool = False) -> tuple[str, ...]:
    """``cidrs`` as EKS takes them, or :class:`EndpointAccessError` with EKS's message."""
    bad = invalid_cidrs(cidrs, ipv6_cluster=ipv6_cluster)
    if bad:
        raise EndpointAccessError(f"The following CIDRs are invalid in publicAccessCidrs: [{','.join(bad)}]")
    if len(cidrs) > MAX_PUBLIC_CIDRS:
        raise EndpointAccessError(
            f"publicAccessCidrs holds {len(cidrs)} CIDR blocks; a cluster takes at most {MAX_PUBLIC_CIDRS}"
        )
    return tuple(cidrs)


def no_change_message(access: EndpointAccess) -> str:
    """EKS's answer to an update that changes nothing (its spacing kept: ``true ,``)."""
    return (
        f"Cluster is already at the desired configuration with endpointPrivateAccess: "
        f"{str(access.private).lower()} , endpointPublicAccess: {str(access.public).lower()}, and Public "
        f"Endpoint Restrictions: [{', '.join(access.public_cidrs)}]"
    )


def apply_update(
    current: EndpointAccess,
    *,
    public: bool | None = None,
    private: bool | None = None,
    cidrs: Sequence[str] | None = None,
) -> EndpointAccess:
    """The settings after UpdateClusterConfig's ``resourcesVpcConfig`` (a field not given is kept), or
    :class:`EndpointAccessError` as EKS refuses the change."""
    wanted = replace(
        current,
        public=current.public if public is None else public,
        private=current.private if private is None else private,
        public_cidrs=current.public_cidrs if cidrs is None else check_cidrs(cidrs),
    )
    if not (wanted.public or wanted.private):
        raise EndpointAccessError("Both private and public endpoint access cannot be false")
    if wanted == current:
        raise EndpointAccessError(no_change_message(current))
    return wanted


def update_params(access: EndpointAccess) -> list[dict[str, str]]:
    """DescribeUpdate's ``params`` for an EndpointAccessUpdate (values are strings)."""
    return [
        {"type": "EndpointPublicAccess", "value": str(access.public).lower()},
        {"type": "EndpointPrivateAccess", "value": str(access.private).lower()},
        {"type": "PublicAccessCidrs", "value": json.dumps(list(access.public_cidrs))},
    ]


def host_cidr(address: str) -> str:
    """The one-address CIDR of ``address`` (``/32``, or ``/128`` for IPv6)."""
    ip = ipaddress.ip_address(address.strip())
    return f"{ip}/{ip.max_prefixlen}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Opening:
    """The settings that let ``address`` in, keeping what is there; ``cidrs`` None: the list is full."""

    public: bool
    cidrs: tuple[str, ...] | None
    added: str | None  # the CIDR added (None: the list admits the address already)

    def vpc_config_option(self) -> str | None:
        """The aws CLI's ``--resources-vpc-config`` shorthand (None: no change EKS would take)."""
        if self.cidrs is None:
            return None
        return f"endpointPublicAccess=true,publicAccessCidrs={','.join(self.cidrs)}"


def opening_for(access: EndpointAccess, address: str) -> Opening:
    """Public access on and ``address`` admitted, the existing CIDRs kept. When public access is off and
    the list is EKS's default (the whole internet), only ``address`` is listed: turning the endpoint on
    should not open it to everyone."""
    mine = host_cidr(address)
    if not access.public and tuple(access.public_cidrs) == DEFAULT_PUBLIC_CIDRS:
        return Opening(public=True, cidrs=(mine,), added=mine)
    if admitted_by(access.public_cidrs, address):
        return Opening(public=True, cidrs=access.public_cidrs, added=None)
    if len(access.public_cidrs) >= MAX_PUBLIC_CIDRS:
        return Opening(public=True, cidrs=None, added=mine)
    return Opening(public=True, cidrs=(*access.public_cidrs, mine), added=mine)
