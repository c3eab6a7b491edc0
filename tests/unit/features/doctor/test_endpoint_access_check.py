"""doctor's endpoint access check on facts built by hand: which code for which settings, when the endpoint
is refused; nothing when it answers; the note ENDPOINT_UNREACHABLE carries when the settings admit you.
(The sandbox end of it: tests/e2e/test_doctor_endpoint_access.py.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from eksaccess.adapters.aws import ClusterDescription
from eksaccess.adapters.check_ip import CheckIpError
from eksaccess.adapters.kube import KubeCallError
from eksaccess.domain.endpoint_access import EndpointAccess
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.doctor.checks import endpoint_access as check
from eksaccess.features.doctor.checks import network
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target

ME = "203.0.113.10"
REFUSED: Outcome[Mapping[str, Any]] = Outcome(error=KubeCallError("cannot reach", status=None))
CLUSTER = ClusterDescription(
    name="prod",
    arn="arn:aws:eks:eu-west-1:111122223333:cluster/prod",
    region="eu-west-1",
    status="ACTIVE",
    endpoint="https://prod.example",
    certificate_authority_data="Q0E=",
    version="1.31",
    authentication_mode=AuthenticationMode.API,
    bootstrap_creator_admin=False,
)


def _facts(
    access: EndpointAccess,
    *,
    ip: str | None = ME,
    reached: bool = False,
    options: DoctorOptions | None = None,
) -> Facts:
    target = Target(
        cluster_name="prod",
        token_cluster_name="prod",
        region="eu-west-1",
        token_region="eu-west-1",
        profile="dev",
        role_arn=None,
        context="prod",
        server="https://prod.example",
        ca_data="Q0E=",
        namespace=None,
        plugin=None,
        exec_command="aws",
    )
    facts = Facts(target=target, options=options or DoctorOptions())
    facts.cluster = Outcome(value=replace(CLUSTER, endpoint_access=access))
    facts.endpoint_version = Outcome(value={"gitVersion": "v1.31"}) if reached else REFUSED
    facts.egress_ip = Outcome(value=ip) if ip else Outcome(error=CheckIpError("checkip: timed out"))
    return facts


def _codes(facts: Facts) -> set[str]:
    found = check.endpoint_access(facts, set())
    codes = {f.code for f in found}
    return {c.value for c in codes | {f.code for f in network.network(facts, codes)}}


@pytest.mark.parametrize(
    ("access", "ip", "codes"),
    [
        (EndpointAccess(public=False, private=True), ME, {"ENDPOINT_PUBLIC_ACCESS_OFF"}),
        (
            EndpointAccess(public=False, private=True, public_cidrs=("198.51.100.0/24",)),
            ME,
            {"ENDPOINT_PUBLIC_ACCESS_OFF", "ENDPOINT_CIDRS_IGNORED"},
        ),
        (EndpointAccess(public_cidrs=("198.51.100.0/24",)), ME, {"ENDPOINT_CIDR_EXCLUDES_YOU"}),
        (
            EndpointAccess(public_cidrs=("198.51.100.0/24",)),
            None,  # the check-IP service did not answer: the CIDR check is named as not made
            {"ENDPOINT_UNREACHABLE", "ENDPOINT_CIDRS_UNCHECKED"},
        ),
        (EndpointAccess(), ME, {"ENDPOINT_UNREACHABLE"}),  # 0.0.0.0/0: the settings are not the cause
        (EndpointAccess(public_cidrs=("203.0.113.0/24",)), ME, {"ENDPOINT_UNREACHABLE"}),
    ],
)
def test_the_code_for_each_setting(access: EndpointAccess, ip: str | None, codes: set[str]) -> None:
    assert _codes(_facts(access, ip=ip)) == codes


def test_nothing_when_the_endpoint_answers() -> None:
    """Inside the VPC a restricted public endpoint is no problem; ignored CIDRs are still said."""
    assert _codes(_facts(EndpointAccess(public_cidrs=("198.51.100.0/24",)), reached=True)) == set()
    ignored = EndpointAccess(public=False, private=True, public_cidrs=("198.51.100.0/24",))
    assert _codes(_facts(ignored, reached=True)) == {"ENDPOINT_CIDRS_IGNORED"}


def test_unreachable_though_admitted_says_where_to_look() -> None:
    facts = _facts(EndpointAccess(public_cidrs=("203.0.113.0/24",)))
    (finding,) = network.network(facts, set())
    assert finding.code is FindingCode.ENDPOINT_UNREACHABLE
    assert f"admit your public IP {ME}" in finding.detail and "security group" in finding.detail


def test_public_off_offline_prints_the_command_to_complete_by_hand() -> None:
    facts = _facts(EndpointAccess(public=False, private=True), ip=None, options=DoctorOptions(offline=True))
    (finding,) = check.endpoint_access(facts, set())
    (step,) = finding.fix
    assert step.by_hand and "--offline" in finding.detail
    assert step.plain[0].endswith("endpointPublicAccess=true,publicAccessCidrs=YOUR_PUBLIC_IP/32")


def test_the_admin_runs_the_update_when_given() -> None:
    from eksaccess.adapters.aws import CallerIdentity

    facts = _facts(
        EndpointAccess(public_cidrs=("198.51.100.0/24",)), options=DoctorOptions(admin_profile="ops")
    )
    facts.admin_caller = Outcome(
        value=CallerIdentity(arn="arn:aws:iam::111122223333:user/ops", account="1", user_id="x")
    )
    (finding,) = check.endpoint_access(facts, set())
    assert finding.fix[0].plain == (
        "aws eks update-cluster-config --name prod --region eu-west-1 --profile ops --resources-vpc-config "
        f"endpointPublicAccess=true,publicAccessCidrs=198.51.100.0/24,{ME}/32",
        "aws eks wait cluster-active --name prod --region eu-west-1 --profile ops",
    )


@pytest.mark.parametrize(
    "cause", [FindingCode.CLUSTER_NOT_ACTIVE, FindingCode.CLUSTER_NOT_FOUND, FindingCode.ENDPOINT_MISMATCH]
)
def test_a_cause_found_before_is_not_restated(cause: FindingCode) -> None:
    facts = _facts(EndpointAccess(public_cidrs=("198.51.100.0/24",)))
    assert check.endpoint_access(facts, {cause}) == []
