"""EKS's endpoint access rules (resourcesVpcConfig), table by table from shared/facts/doctor-breadth.md §2."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.endpoint_access import (
    DEFAULT_PUBLIC_CIDRS,
    MAX_PUBLIC_CIDRS,
    EndpointAccess,
    EndpointAccessError,
    admitted_by,
    apply_update,
    check_cidrs,
    host_cidr,
    invalid_cidrs,
    no_change_message,
    opening_for,
    update_params,
)

ME = "203.0.113.10"


@pytest.mark.parametrize(
    ("access", "address", "admitted"),
    [
        (EndpointAccess(), ME, True),  # EKS's default: public, 0.0.0.0/0
        (EndpointAccess(public=False, private=True), ME, False),  # the public endpoint is off
        (EndpointAccess(public_cidrs=("198.51.100.0/24",)), ME, False),
        (EndpointAccess(public_cidrs=("198.51.100.0/24", "203.0.113.0/28")), ME, True),
        (EndpointAccess(public_cidrs=("203.0.113.10/32",)), ME, True),
        (EndpointAccess(public_cidrs=("203.0.113.11/32",)), ME, False),
        (EndpointAccess(public=False, private=True, public_cidrs=("203.0.113.10/32",)), ME, False),
        (EndpointAccess(public_cidrs=("::/0",)), ME, False),  # an IPv6 CIDR admits no IPv4 address
        (EndpointAccess(), "not an address", False),
    ],
)
def test_who_the_public_endpoint_admits(access: EndpointAccess, address: str, admitted: bool) -> None:
    assert access.admits(address) is admitted


@pytest.mark.parametrize(
    ("cidrs", "bad"),
    [
        (["203.0.113.5/32", "198.51.100.0/24"], []),
        (["0.0.0.0/0"], []),
        (["203.0.113.5"], ["203.0.113.5"]),  # not CIDR notation
        (["10.0.0.1/24"], ["10.0.0.1/24"]),  # host bits set
        (["300.1.1.1/32", "a/b", "1.2.3.4/33"], ["300.1.1.1/32", "a/b", "1.2.3.4/33"]),
        (["::/0", "2001:db8::/32"], ["::/0", "2001:db8::/32"]),  # IPv6 on an IPv4 cluster
    ],
)
def test_the_cidrs_eks_refuses(cidrs: list[str], bad: list[str]) -> None:
    assert invalid_cidrs(cidrs) == bad
    if bad:
        with pytest.raises(EndpointAccessError) as err:
            check_cidrs(cidrs)
        # EKS's text (aws/aws-cdk#33176): the refused CIDRs, comma-joined in brackets
        assert str(err.value) == f"The following CIDRs are invalid in publicAccessCidrs: [{','.join(bad)}]"
    else:
        assert check_cidrs(cidrs) == tuple(cidrs)


def test_an_ipv6_cluster_takes_ipv6_cidrs() -> None:
    assert invalid_cidrs(["::/0"], ipv6_cluster=True) == []


def test_at_most_forty_public_cidrs() -> None:
    forty = [f"198.51.100.{i}/32" for i in range(MAX_PUBLIC_CIDRS)]
    assert MAX_PUBLIC_CIDRS == 40  # quota L-93A74D60, not adjustable
    assert check_cidrs(forty) == tuple(forty)
    with pytest.raises(EndpointAccessError, match="at most 40"):
        check_cidrs([*forty, "192.0.2.1/32"])


def test_an_update_keeps_what_it_does_not_name() -> None:
    current = EndpointAccess(public=True, private=True, public_cidrs=("198.51.100.0/24",))
    assert apply_update(current, public=False) == EndpointAccess(
        public=False,
        private=True,
        public_cidrs=("198.51.100.0/24",),  # the list is kept, without effect
    )
    assert apply_update(current, cidrs=[f"{ME}/32"]).public_cidrs == (f"{ME}/32",)


def test_both_kinds_of_access_off_is_refused() -> None:
    with pytest.raises(EndpointAccessError) as err:
        apply_update(EndpointAccess(), public=False)
    assert str(err.value) == "Both private and public endpoint access cannot be false"


def test_a_change_that_changes_nothing_is_refused_in_ekss_words() -> None:
    current = EndpointAccess(public=True, private=True)
    with pytest.raises(EndpointAccessError) as err:
        apply_update(current, public=True, cidrs=["0.0.0.0/0"])
    assert str(err.value) == (  # eksctl#4043, cookpad/terraform-aws-eks#288 (note "true ,")
        "Cluster is already at the desired configuration with endpointPrivateAccess: true , "
        "endpointPublicAccess: true, and Public Endpoint Restrictions: [0.0.0.0/0]"
    )
    assert str(err.value) == no_change_message(current)


def test_an_invalid_cidr_in_an_update_is_refused() -> None:
    with pytest.raises(EndpointAccessError, match="invalid in publicAccessCidrs: \\[1.2.3.4\\]"):
        apply_update(EndpointAccess(), cidrs=["1.2.3.4"])


def test_the_update_params_are_strings() -> None:
    params = update_params(EndpointAccess(public=True, private=False, public_cidrs=(f"{ME}/32",)))
    assert params == [
        {"type": "EndpointPublicAccess", "value": "true"},
        {"type": "EndpointPrivateAccess", "value": "false"},
        {"type": "PublicAccessCidrs", "value": json.dumps([f"{ME}/32"])},
    ]


@pytest.mark.parametrize(
    ("access", "cidrs", "added"),
    [
        # public off, EKS's default list: turning it on should not open it to the whole internet
        (EndpointAccess(public=False, private=True), (f"{ME}/32",), f"{ME}/32"),
        # public off, a list of its own: kept, mine added
        (
            EndpointAccess(public=False, private=True, public_cidrs=("198.51.100.0/24",)),
            ("198.51.100.0/24", f"{ME}/32"),
            f"{ME}/32",
        ),
        # public off, the list admits me already: public on is enough
        (
            EndpointAccess(public=False, private=True, public_cidrs=("203.0.113.0/24",)),
            ("203.0.113.0/24",),
            None,
        ),
        # public on, the list leaves me out: kept, mine added
        (
            EndpointAccess(public_cidrs=("198.51.100.0/24", "192.0.2.0/28")),
            ("198.51.100.0/24", "192.0.2.0/28", f"{ME}/32"),
            f"{ME}/32",
        ),
    ],
)
def test_the_opening_keeps_the_existing_cidrs(
    access: EndpointAccess, cidrs: tuple[str, ...], added: str | None
) -> None:
    opening = opening_for(access, ME)
    assert (opening.cidrs, opening.added) == (cidrs, added)
    assert opening.vpc_config_option() == f"endpointPublicAccess=true,publicAccessCidrs={','.join(cidrs)}"
    after = apply_update(access, public=True, cidrs=list(cidrs))  # EKS takes it
    assert after.admits(ME)


def test_no_opening_is_offered_beyond_the_limit() -> None:
    full = EndpointAccess(public_cidrs=tuple(f"198.51.100.{i}/32" for i in range(MAX_PUBLIC_CIDRS)))
    opening = opening_for(full, ME)
    assert opening.cidrs is None and opening.added == f"{ME}/32"
    assert opening.vpc_config_option() is None


def test_ignored_and_restricted() -> None:
    assert not EndpointAccess().cidrs_ignored and not EndpointAccess().restricted
    assert not EndpointAccess(public=False, private=True).cidrs_ignored  # the default list says nothing
    assert EndpointAccess(public=False, private=True, public_cidrs=("198.51.100.0/24",)).cidrs_ignored
    assert EndpointAccess(public_cidrs=("198.51.100.0/24",)).restricted


def test_describe_cluster_json_round_trips_with_ekss_defaults() -> None:
    access = EndpointAccess(public=False, private=True, public_cidrs=("198.51.100.0/24",))
    assert EndpointAccess.from_json(access.to_json()) == access
    assert EndpointAccess.from_json({"subnetIds": []}) == EndpointAccess(public_cidrs=DEFAULT_PUBLIC_CIDRS)
    assert host_cidr(ME) == f"{ME}/32" and host_cidr("2001:db8::1") == "2001:db8::1/128"


_NETWORKS = st.builds(
    lambda ip, prefix: str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False)),
    st.ip_addresses(v=4),
    st.integers(min_value=0, max_value=32),
)


@given(st.ip_addresses(v=4).map(str), st.lists(_NETWORKS, max_size=5))
def test_admitted_by_is_membership_in_some_network(address: str, cidrs: list[str]) -> None:
    expected = any(ipaddress.ip_address(address) in ipaddress.ip_network(c) for c in cidrs)
    assert admitted_by(cidrs, address) is expected
    opening = opening_for(EndpointAccess(public_cidrs=tuple(cidrs) or DEFAULT_PUBLIC_CIDRS), address)
    if opening.cidrs is not None:
        assert admitted_by(opening.cidrs, address)
