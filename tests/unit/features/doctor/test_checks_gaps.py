"""doctor's checks on the faults that were gaps: a skewed clock, a cluster that is not there or not ACTIVE,
the principal's own DescribeCluster denied, and no cluster-admin at all (facts built by hand)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import KubeCallError
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.doctor.checks import cluster as cluster_check
from eksaccess.features.doctor.checks import credentials as credentials_check
from eksaccess.features.doctor.checks import network as network_check
from eksaccess.features.doctor.checks import recovery
from eksaccess.features.doctor.checks import token as token_check
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target

ACCOUNT = "111122223333"
CLUSTER = ClusterDescription(
    name="prod",
    arn=f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod",
    region="eu-west-1",
    status="ACTIVE",
    endpoint="https://prod.example",
    certificate_authority_data="Q0E=",
    version="1.31",
    authentication_mode=AuthenticationMode.API,
    bootstrap_creator_admin=False,
)
SKEWED = (
    "Signature expired: 20261204T164820Z is now earlier than 20261204T165320Z (20261204T170820Z - 15 min.)"
)


def _facts(options: DoctorOptions | None = None, **outcomes: object) -> Facts:
    target = Target(
        cluster_name="prod",
        token_cluster_name="prod",
        region="eu-west-1",
        token_region="eu-west-1",
        profile="dev",
        context="prod",
        server="https://prod.example",
        ca_data="Q0E=",
        role_arn=None,
        namespace=None,
        plugin=None,
        exec_command="aws",
    )
    facts = Facts(target=target, options=options or DoctorOptions())
    facts.cluster = Outcome(value=CLUSTER)
    for key, value in outcomes.items():
        setattr(facts, key, value)
    return facts


def _codes(findings: list) -> set[str]:  # type: ignore[type-arg]
    return {f.code.value for f in findings}


def test_a_signature_refused_for_its_time_is_clock_skew_said_once() -> None:
    error = AwsCallError(
        AwsErrorKind.CLOCK_SKEW, SKEWED, operation="GetCallerIdentity", code="SignatureDoesNotMatch"
    )
    local, server = (
        datetime(2026, 12, 4, 16, 48, 20, tzinfo=UTC),
        datetime(2026, 12, 4, 17, 8, 20, tzinfo=UTC),
    )
    facts = _facts(
        caller=Outcome(error=error), base_caller=Outcome(error=error), local_now=local, server_now=server
    )
    [finding] = credentials_check.credentials(facts)
    assert finding.code is FindingCode.CLOCK_SKEW
    assert "16:48:20" in finding.detail and "17:08:20" in finding.detail
    assert finding.evidence["offsetSeconds"] == 1200
    assert [step.by_hand for step in finding.fix] == [True]
    assert token_check.token(facts, {finding.code}) == []  # the Date header says it again: not twice
    assert _codes(token_check.token(facts, set())) == {"CLOCK_SKEW"}


@pytest.mark.parametrize(
    ("status", "command"),
    [
        ("CREATING", "aws eks wait cluster-active --name prod --region eu-west-1 --profile dev"),
        (
            "FAILED",
            "aws eks describe-cluster --name prod --region eu-west-1 --profile dev --query cluster.health",
        ),
    ],
)
def test_a_cluster_not_active_names_what_to_run(status: str, command: str) -> None:
    facts = _facts(cluster=Outcome(value=replace(CLUSTER, status=status)))
    [finding] = cluster_check.cluster(facts)
    assert finding.code is FindingCode.CLUSTER_NOT_ACTIVE
    assert [c for step in finding.fix for c in step.plain] == [command]


@pytest.mark.parametrize("cause", [FindingCode.CLUSTER_NOT_ACTIVE, FindingCode.CLUSTER_NOT_FOUND])
def test_an_unreachable_endpoint_of_a_cluster_not_there_is_no_second_cause(cause: FindingCode) -> None:
    refused = KubeCallError("cannot reach", status=None)
    facts = _facts(endpoint_version=Outcome(error=refused))
    assert network_check.network(facts, {cause}) == []
    assert _codes(network_check.network(facts, set())) == {"ENDPOINT_UNREACHABLE"}


def test_the_principals_own_describe_cluster_denied_is_said_when_the_admin_read_it() -> None:
    denied = AwsCallError(AwsErrorKind.ACCESS_DENIED, "explicit deny", operation="DescribeCluster")
    assert _codes(cluster_check.cluster(_facts(principal_cluster=Outcome(error=denied)))) == {
        "DESCRIBE_CLUSTER_DENIED"
    }
    assert cluster_check.cluster(_facts(principal_cluster=Outcome(value=CLUSTER))) == []


def test_no_admin_available_even_when_the_admin_profile_read_the_state() -> None:
    admin = CallerIdentity(arn=f"arn:aws:iam::{ACCOUNT}:user/reader", account=ACCOUNT, user_id="AIDA")
    facts = _facts(
        options=DoctorOptions(admin_profile="admin"),
        admin_caller=Outcome(value=admin),
        access_entries=Outcome(value=[]),  # it read the state: no entry holds cluster-admin
    )
    [finding] = recovery.recovery(facts, [], {}, broken=True)
    assert finding.code is FindingCode.NO_ADMIN_AVAILABLE
    assert "admin" in finding.detail and admin.arn in finding.detail
    [kept] = recovery.recovery(_facts(), [], {}, broken=True, creator_admin=True)
    assert kept.code is FindingCode.ADMIN_CANDIDATES
