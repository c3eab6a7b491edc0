"""The creator (CREATOR_*) and authenticator log (AUTHENTICATOR_LOG_*) checks as functions of gathered
facts built by hand: which code in which case, and the commands they print."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, CallerIdentity, ClusterDescription
from eksaccess.adapters.cloud_logs import CreatorLookup
from eksaccess.adapters.ports import DoctorPorts
from eksaccess.domain.authenticator_log import format_line, go_groups, parse_line
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.cluster_creator import ClusterCreation, IdentityType
from eksaccess.domain.findings import Finding, FindingCode, Link, Severity
from eksaccess.domain.iam.identity import Caller, resolve
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.doctor.checks import authenticator_log, creator, mapping_unread
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target

ACCOUNT = "111122223333"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev"
CREATOR_ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform/creator"
CLUSTER = ClusterDescription(
    name="prod",
    arn=f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod",
    region="eu-west-1",
    status="ACTIVE",
    endpoint="https://prod.example",
    certificate_authority_data="Q0E=",
    version="1.31",
    authentication_mode=AuthenticationMode.CONFIG_MAP,
    bootstrap_creator_admin=True,
    logging_on=frozenset(),
)
BROKEN = Finding(
    code=FindingCode.NOT_MAPPED,
    severity=Severity.ERROR,
    link=Link.MAPPING,
    title="x",
    detail="The cluster refuses it. Inferred, not read: the cause is one of A.",
    evidence={"inferred": True},
)
UNVERIFIED = replace(BROKEN, code=FindingCode.MAPPING_UNVERIFIED, severity=Severity.WARNING, detail="y")


class _Ports:
    def __init__(self, profiles: dict[str, str] | None = None) -> None:
        self.profiles = profiles or {}

    def profiles_by_role(self) -> dict[str, str]:
        return self.profiles


def _target() -> Target:
    return Target(
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


def _ctx(
    *,
    mode: AuthenticationMode = AuthenticationMode.CONFIG_MAP,
    findings: list[Finding] | None = None,
    profiles: dict[str, str] | None = None,
    options: DoctorOptions | None = None,
    **outcomes: Any,
) -> Context:
    facts = Facts(target=_target(), options=options or DoctorOptions())
    facts.caller = Outcome(value=CallerIdentity(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"))
    facts.cluster = Outcome(value=replace(CLUSTER, authentication_mode=mode))
    for key, value in outcomes.items():
        setattr(facts, key, value)
    resolution = resolve(
        mode=mode, access_entries=[], aws_auth=parse_aws_auth(None), caller=Caller(arn=SESSION)
    )
    return Context(
        facts=facts,
        ports=cast(DoctorPorts, _Ports(profiles)),
        mode=mode,
        aws_auth=None,
        entries=None,
        resolution=resolution,
        live_identity=None,
        live_unauthorized=True,
        token_ok=True,
        read=False,
        authorizer=None,
        transient=0,
        findings=list(findings if findings is not None else [BROKEN, UNVERIFIED]),
    )


def _creation(arn: str, kind: IdentityType) -> ClusterCreation:
    return ClusterCreation(
        cluster="prod",
        principal_arn=arn,
        identity_type=kind,
        caller_arn=arn,
        session_name=None,
        event_time=0.0,
        event_id="e",
        invoked_by=None,
    )


def _lookup(arn: str, kind: IdentityType, exists: bool | None) -> Outcome[CreatorLookup]:
    return Outcome(value=CreatorLookup(creation=_creation(arn, kind), exists=exists))


USER_CREATOR = f"arn:aws:iam::{ACCOUNT}:user/founder"


def test_a_deleted_creator_prints_the_eks_api_recovery_for_the_principal_itself() -> None:
    ctx = _ctx(creator=_lookup(USER_CREATOR, IdentityType.IAM_USER, False))
    [found] = creator.check(ctx)
    [not_mapped] = [f for f in ctx.findings if f.code is FindingCode.NOT_MAPPED]
    assert [(s.eksaccess, s.plain) for s in not_mapped.fix] == [((), ())]  # nobody could run it: the recovery
    assert "CREATOR_DELETED" in not_mapped.fix[0].text
    assert (found.code, found.severity) == (FindingCode.CREATOR_DELETED, Severity.WARNING)
    plain = [c for step in found.fix for c in step.plain]
    assert plain[0] == (
        "aws eks update-cluster-config --name prod --access-config authenticationMode=API_AND_CONFIG_MAP "
        "--region eu-west-1 --profile dev"
    )
    assert plain[1] == "aws eks wait cluster-active --name prod --region eu-west-1 --profile dev"
    assert (
        f"create-access-entry --cluster-name prod --principal-arn {ROLE} " in plain[2]
    )  # the role, not the session
    assert "AmazonEKSClusterAdminPolicy --access-scope type=cluster" in plain[3]
    assert all(not step.eksaccess for step in found.fix)


def test_with_an_admin_profile_the_admin_recovers() -> None:
    admin = CallerIdentity(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account=ACCOUNT, user_id="AIDA")
    ctx = _ctx(
        creator=_lookup(USER_CREATOR, IdentityType.IAM_USER, False),
        options=DoctorOptions(admin_profile="ops"),
        admin_caller=Outcome(value=admin),
    )
    [found] = creator.check(ctx)
    assert found.evidence["recoverer"] == admin.arn
    assert ctx.findings[0].fix == BROKEN.fix  # another principal is recovered: the developer's fix stays
    assert all(c.endswith("--profile ops") for step in found.fix for c in step.plain)


@pytest.mark.parametrize(
    ("lookup", "profiles", "expected"),
    [
        (_lookup(USER_CREATOR, IdentityType.IAM_USER, True), {}, ["aws configure --profile eks-creator"]),
        (
            _lookup(CREATOR_ROLE, IdentityType.ASSUMED_ROLE, True),
            {f"arn:aws:iam::{ACCOUNT}:role/creator": "platform"},
            [
                'kubectl --context prod --token "$(aws eks get-token --cluster-name prod --region eu-west-1 '
                '--profile platform --query status.token --output text)" -n kube-system get configmap aws-auth'
            ],
        ),
        (
            _lookup(CREATOR_ROLE, IdentityType.ASSUMED_ROLE, None),
            {},
            [
                f"aws configure set profile.eks-creator.role_arn {CREATOR_ROLE}",
                "aws configure set profile.eks-creator.source_profile dev",
                "aws configure set profile.eks-creator.region eu-west-1",
                'kubectl --context prod --token "$(aws eks get-token --cluster-name prod --region eu-west-1 '
                '--profile eks-creator --query status.token --output text)" -n kube-system get configmap aws-auth',
            ],
        ),
    ],
)
def test_a_creator_that_exists_is_named_with_how_to_act_as_it(
    lookup: Outcome[CreatorLookup], profiles: dict[str, str], expected: list[str]
) -> None:
    [found] = creator.check(_ctx(creator=lookup, profiles=profiles))
    assert (found.code, found.severity) == (FindingCode.CREATOR_FOUND, Severity.INFO)
    assert [c for step in found.fix for c in step.plain] == expected


@pytest.mark.parametrize(
    ("lookup", "words"),
    [
        (
            Outcome(error=AwsCallError(AwsErrorKind.ACCESS_DENIED, "no", operation="LookupEvents")),
            "could not be read",
        ),
        (Outcome(value=CreatorLookup(creation=None)), "90 days"),
    ],
)
def test_an_unknown_creator_says_why(lookup: Outcome[CreatorLookup], words: str) -> None:
    [found] = creator.check(_ctx(creator=lookup))
    assert found.code is FindingCode.CREATOR_UNKNOWN and words in found.detail


def test_the_creator_is_not_named_when_it_cannot_matter() -> None:
    lookup = _lookup(USER_CREATOR, IdentityType.IAM_USER, False)
    assert creator.check(_ctx(creator=lookup, findings=[])) == []  # nothing is broken
    assert creator.check(_ctx(creator=lookup, mode=AuthenticationMode.API)) == []
    assert creator.check(_ctx()) == []  # not asked
    other = replace(
        BROKEN,
        code=FindingCode.ADMIN_CANDIDATES,
        severity=Severity.INFO,
        evidence={"admins": [{"arn": ROLE}]},
    )
    assert creator.check(_ctx(creator=lookup, findings=[BROKEN, other])) == []


def _line(msg: str, **fields: str) -> str:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return format_line(at=at, level="info", msg=msg, fields={"arn": ROLE, **fields}, client="127.0.0.1:1")


def test_a_denied_line_replaces_unverified_and_confirms_not_mapped() -> None:
    lines = tuple(x for x in [parse_line(_line("access denied", error="identity is not mapped"))] if x)
    ctx = _ctx(
        mode=AuthenticationMode.API_AND_CONFIG_MAP, findings=[], authenticator_log=Outcome(value=lines)
    )
    mapping = mapping_unread.check(ctx)
    assert [f.code for f in mapping] == [FindingCode.NOT_MAPPED]  # no MAPPING_UNVERIFIED: the cluster said
    assert mapping[0].evidence["inferred"] is False
    assert "Inferred" not in mapping[0].detail and "identity is not mapped" in mapping[0].detail
    ctx.findings[:] = mapping
    [found] = authenticator_log.check(ctx)
    assert found.code is FindingCode.AUTHENTICATOR_LOG_LINE
    assert found.evidence["line"] == lines[0].text and found.evidence["error"] == "identity is not mapped"
    without_log = _ctx(mode=AuthenticationMode.API_AND_CONFIG_MAP, findings=[])
    assert [f.code for f in mapping_unread.check(without_log)] == [
        FindingCode.NOT_MAPPED,
        FindingCode.MAPPING_UNVERIFIED,
    ]


def test_a_granted_line_is_quoted_with_its_identity() -> None:
    text = _line("access granted", username="dev", groups=go_groups(["team-a", "team-b"]), uid="u")
    lines = tuple(x for x in [parse_line(text)] if x)
    ctx = _ctx(findings=[], authenticator_log=Outcome(value=lines))
    ctx.findings[:] = mapping_unread.check(ctx)
    assert FindingCode.MAPPING_UNVERIFIED not in [f.code for f in ctx.findings]
    [found] = authenticator_log.check(ctx)
    assert "access granted: username 'dev', groups [team-a, team-b]" in found.detail


def test_with_the_log_off_the_command_to_turn_it_on_is_printed() -> None:
    [found] = authenticator_log.check(_ctx())
    assert found.code is FindingCode.AUTHENTICATOR_LOG_OFF
    assert found.fix[0].plain == (
        "aws eks update-cluster-config --name prod --logging "
        '\'{"clusterLogging":[{"types":["authenticator"],"enabled":true}]}\' --region eu-west-1 --profile dev',
    )
    unknown = replace(CLUSTER, logging_on=None)
    assert authenticator_log.check(_ctx(cluster=Outcome(value=unknown))) == []  # not told: not said
    assert authenticator_log.check(_ctx(findings=[BROKEN])) == []  # the mapping was not unverified


def test_the_admin_candidates_step_names_the_creator_once_cloudtrail_was_read() -> None:
    from eksaccess.features.doctor.checks.recovery import _creator_step

    unread = _creator_step(_ctx().facts)
    assert unread.plain and "lookup-events" in unread.plain[0]
    read = _creator_step(_ctx(creator=_lookup(CREATOR_ROLE, IdentityType.ASSUMED_ROLE, True)).facts)
    assert read.plain == () and "CREATOR_FOUND" in read.text
