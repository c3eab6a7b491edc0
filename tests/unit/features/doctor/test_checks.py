"""doctor's checks as functions of gathered facts, with facts built by hand (no AWS, no cluster)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import KubeCallError
from eksaccess.adapters.ports import ExecRun
from eksaccess.domain.access import AccessEntry, AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.identity import Caller, resolve
from eksaccess.domain.kubeconfig import ExecPlugin
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.doctor.catalog import CATALOG
from eksaccess.features.doctor.checks import authorization, recovery
from eksaccess.features.doctor.checks import cluster as cluster_check
from eksaccess.features.doctor.checks import credentials as credentials_check
from eksaccess.features.doctor.checks import exec_plugin as exec_plugin_check
from eksaccess.features.doctor.checks import network as network_check
from eksaccess.features.doctor.checks import token as token_check
from eksaccess.features.doctor.checks.mapping import mapping
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.reference import findings_reference
from eksaccess.features.doctor.target import DoctorOptions, Target

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice"
CLUSTER = ClusterDescription(
    name="prod",
    arn=f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod",
    region="eu-west-1",
    status="ACTIVE",
    endpoint="https://prod.example",
    certificate_authority_data="Q0E=",
    version="1.31",
    authentication_mode=AuthenticationMode.API_AND_CONFIG_MAP,
    bootstrap_creator_admin=True,
)
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"


def _target(**changes: object) -> Target:
    base: dict[str, object] = {
        "cluster_name": "prod",
        "token_cluster_name": "prod",
        "region": "eu-west-1",
        "token_region": "eu-west-1",
        "profile": "dev",
        "role_arn": None,
        "context": "prod",
        "server": "https://prod.example",
        "ca_data": "Q0E=",
        "namespace": None,
        "plugin": None,
        "exec_command": "aws",
    }
    base.update(changes)
    return Target(**base)  # type: ignore[arg-type]


def _facts(target: Target | None = None, options: DoctorOptions | None = None, **outcomes: object) -> Facts:
    facts = Facts(target=target or _target(), options=options or DoctorOptions())
    facts.caller = Outcome(value=CallerIdentity(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"))
    facts.cluster = Outcome(value=CLUSTER)
    for key, value in outcomes.items():
        setattr(facts, key, value)
    return facts


def _codes(findings: list) -> set[str]:  # type: ignore[type-arg]
    return {f.code.value for f in findings}


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (AwsErrorKind.NO_CREDENTIALS, "CREDENTIALS_NOT_FOUND"),
        (AwsErrorKind.PROFILE_NOT_FOUND, "CREDENTIALS_NOT_FOUND"),
        (AwsErrorKind.INVALID_CREDENTIALS, "CREDENTIALS_INVALID"),
        (AwsErrorKind.EXPIRED_CREDENTIALS, "CREDENTIALS_EXPIRED"),
        (AwsErrorKind.ACCESS_DENIED, "ASSUME_ROLE_DENIED"),
    ],
)
def test_credential_failures(kind: AwsErrorKind, code: str) -> None:
    error = AwsCallError(
        kind,
        "User: x is not authorized to perform: sts:AssumeRole on resource: " + ROLE,
        operation="GetCallerIdentity",
    )
    facts = _facts(caller=Outcome(error=error), base_caller=Outcome(error=error))
    assert _codes(credentials_check.credentials(facts)) == {code}


def test_identity_differs_from_shell_is_info() -> None:
    facts = _facts(
        shell_caller=Outcome(
            value=CallerIdentity(arn=f"arn:aws:iam::{ACCOUNT}:user/me", account=ACCOUNT, user_id="AIDA")
        )
    )
    findings = credentials_check.credentials(facts)
    assert _codes(findings) == {"IDENTITY_DIFFERS_FROM_SHELL"}
    assert findings[0].severity.value == "info"


def test_same_identity_is_silent() -> None:
    facts = _facts(
        shell_caller=Outcome(value=CallerIdentity(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"))
    )
    assert credentials_check.credentials(facts) == []


@pytest.mark.parametrize(
    ("target", "cluster", "codes"),
    [
        (_target(), CLUSTER, set()),
        (_target(token_cluster_name="prod-old"), CLUSTER, {"CLUSTER_NAME_MISMATCH"}),
        (_target(server="https://old.example"), CLUSTER, {"ENDPOINT_MISMATCH"}),
        (_target(ca_data="T0xE"), CLUSTER, {"CA_MISMATCH"}),
        (_target(token_region="us-east-1"), CLUSTER, {"REGION_MISMATCH"}),
    ],
)
def test_kubeconfig_against_the_cluster(target: Target, cluster: ClusterDescription, codes: set[str]) -> None:
    assert _codes(cluster_check.cluster(_facts(target))) == codes


def test_cluster_not_active_and_not_found_and_denied() -> None:
    creating = ClusterDescription(**{**CLUSTER.__dict__, "status": "CREATING"})
    assert _codes(cluster_check.cluster(_facts(cluster=Outcome(value=creating)))) == {"CLUSTER_NOT_ACTIVE"}
    missing = AwsCallError(
        AwsErrorKind.NOT_FOUND, "No cluster found for name: prod.", operation="DescribeCluster"
    )
    facts = _facts(cluster=Outcome(error=missing), near_clusters=(("eu-west-1", "prod-1"),))
    [finding] = cluster_check.cluster(facts)
    assert finding.code is FindingCode.CLUSTER_NOT_FOUND and "prod-1" in finding.detail
    denied = AwsCallError(AwsErrorKind.ACCESS_DENIED, "not authorized", operation="DescribeCluster")
    assert _codes(cluster_check.cluster(_facts(cluster=Outcome(error=denied)))) == {"DESCRIBE_CLUSTER_DENIED"}


def test_network_findings_yield_to_the_more_specific_kubeconfig_ones() -> None:
    tls = KubeCallError("TLS verification failed", status=None, tls=True)
    refused = KubeCallError("cannot reach", status=None)
    assert _codes(network_check.network(_facts(endpoint_version=Outcome(error=tls)), set())) == {
        "TLS_VERIFY_FAILED"
    }
    assert network_check.network(_facts(endpoint_version=Outcome(error=tls)), {FindingCode.CA_MISMATCH}) == []
    assert _codes(network_check.network(_facts(endpoint_version=Outcome(error=refused)), set())) == {
        "ENDPOINT_UNREACHABLE"
    }


def test_token_rejected_and_clock_skew() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    facts = _facts(
        token_sts=(403, "SignatureDoesNotMatch"), local_now=now, server_now=now + timedelta(minutes=20)
    )
    assert _codes(token_check.token(facts, set())) == {"TOKEN_REJECTED", "CLOCK_SKEW"}
    assert _codes(token_check.token(facts, {FindingCode.CLUSTER_NAME_MISMATCH})) == {"CLOCK_SKEW"}
    assert token_check.token(_facts(token_format_error=None, token_sts=(200, "ok")), set()) == []


def _resolution(mode: AuthenticationMode, entries: list[AccessEntry], aws_auth: dict[str, str] | None):  # type: ignore[no-untyped-def]
    return resolve(
        mode=mode,
        access_entries=entries,
        aws_auth=parse_aws_auth(aws_auth),
        caller=Caller(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"),
        aws_auth_data=aws_auth,
    )


@pytest.mark.parametrize(
    ("mode", "entries", "aws_auth", "codes"),
    [
        (AuthenticationMode.API, [], None, {"ACCESS_ENTRY_MISSING"}),
        (AuthenticationMode.CONFIG_MAP, [], {"mapRoles": ""}, {"AWS_AUTH_ENTRY_MISSING"}),
        (
            AuthenticationMode.CONFIG_MAP,
            [],
            {"mapRoles": f"- rolearn: arn:aws:iam::{ACCOUNT}:role/team/dev\n  username: dev\n"},
            {"AWS_AUTH_ROLE_PATH"},
        ),
        (
            AuthenticationMode.CONFIG_MAP,
            [],
            {"mapRoles": f"- rolearn: {SESSION}\n  username: dev\n"},
            {"AWS_AUTH_ASSUMED_ROLE_ARN"},
        ),
        (
            AuthenticationMode.CONFIG_MAP,
            [],
            {"maproles": f"- rolearn: {ROLE}\n  username: dev\n"},
            {"AWS_AUTH_KEY_CASE"},
        ),
        (
            AuthenticationMode.CONFIG_MAP,
            [],
            {"mapRoles": f"- rolearn: {ROLE}\n  username: dev\n groups: [\n"},
            {"AWS_AUTH_MALFORMED"},
        ),
        (
            AuthenticationMode.API,
            [],
            {"mapRoles": f"- rolearn: {ROLE}\n  username: dev\n"},
            {"AWS_AUTH_IGNORED_API_MODE"},
        ),
        (AuthenticationMode.CONFIG_MAP, [], {"mapAccounts": f"- '{ACCOUNT}'\n"}, {"MAPPED_VIA_ACCOUNT_ONLY"}),
        (
            AuthenticationMode.API_AND_CONFIG_MAP,
            [AccessEntry(principal_arn=ROLE)],
            {"mapRoles": f"- rolearn: {ROLE}\n  username: dev\n"},
            {"AWS_AUTH_SHADOWED"},
        ),
        (
            AuthenticationMode.API,
            [AccessEntry(principal_arn=ROLE, principal_id="AROAOLD")],
            None,
            {"ACCESS_ENTRY_STALE_PRINCIPAL"},
        ),
    ],
)
def test_mapping_codes(
    mode: AuthenticationMode, entries: list[AccessEntry], aws_auth: dict[str, str] | None, codes: set[str]
) -> None:
    resolution = _resolution(mode, entries, aws_auth)
    live_401 = not resolution.authenticated  # what the cluster answers when the mapping is as resolved
    findings = mapping(
        _facts(), resolution, mode, parse_aws_auth(aws_auth), live_unauthorized=live_401, token_ok=True
    )
    assert _codes(findings) == codes


def test_live_401_with_a_matching_entry_is_a_stale_principal() -> None:
    resolution = _resolution(AuthenticationMode.API, [AccessEntry(principal_arn=ROLE)], None)
    findings = mapping(
        _facts(), resolution, AuthenticationMode.API, None, live_unauthorized=True, token_ok=True
    )
    assert _codes(findings) == {"ACCESS_ENTRY_STALE_PRINCIPAL"}


def test_live_success_overrides_a_partial_view() -> None:
    resolution = _resolution(AuthenticationMode.API, [], None)
    findings = mapping(
        _facts(),
        resolution,
        AuthenticationMode.API,
        None,
        live_unauthorized=False,
        token_ok=True,
        live_authenticated=True,
    )
    assert findings == []


BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "devs-view", "namespace": "dev"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}],
}


@pytest.mark.parametrize(
    ("entry", "options", "codes"),
    [
        (AccessEntry(principal_arn=ROLE), DoctorOptions(), {"NO_PERMISSIONS"}),
        (  # the groups are its only grant, and they are bound nowhere: both are said (issue 15, item 6)
            AccessEntry(principal_arn=ROLE, kubernetes_groups=("ops",)),
            DoctorOptions(),
            {"NO_PERMISSIONS", "GROUPS_WITHOUT_BINDINGS"},
        ),
        (
            AccessEntry(principal_arn=ROLE, kubernetes_groups=("devs", "ops")),
            DoctorOptions(),
            {"GROUPS_WITHOUT_BINDINGS"},
        ),
        (AccessEntry(principal_arn=ROLE, kubernetes_groups=("devs",)), DoctorOptions(), set()),
        (
            AccessEntry(
                principal_arn=ROLE,
                policies=(
                    AccessPolicyAssociation(
                        policy_arn=EDIT, scope=AccessScope(type=ScopeType.NAMESPACE, namespaces=("dev",))
                    ),
                ),
            ),
            DoctorOptions(namespace="staging"),
            {"NAMESPACE_SCOPE"},
        ),
        (
            AccessEntry(principal_arn=ROLE, kubernetes_groups=("devs",)),
            DoctorOptions(verb="delete", resource="secrets", namespace="dev"),
            {"PERMISSION_DENIED"},
        ),
        (
            AccessEntry(principal_arn=ROLE, kubernetes_groups=("devs",)),
            DoctorOptions(verb="list", resource="po", namespace="dev"),
            set(),
        ),
    ],
)
def test_authorization_codes(entry: AccessEntry, options: DoctorOptions, codes: set[str]) -> None:
    resolution = _resolution(AuthenticationMode.API, [entry], None)
    assert resolution.identity is not None
    authorizer = Authorizer.from_manifests([BINDING])
    findings = authorization.authorization(
        _facts(options=options), resolution, authorizer, resolution.identity
    )
    assert _codes(findings) == codes


def test_recovery_names_admins_or_says_there_are_none() -> None:
    admin_entry = AccessEntry(
        principal_arn=f"arn:aws:iam::{ACCOUNT}:user/admin",
        policies=(
            AccessPolicyAssociation(
                policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                scope=AccessScope(type=ScopeType.CLUSTER),
            ),
        ),
    )
    res = resolve(
        mode=AuthenticationMode.API,
        access_entries=[admin_entry],
        aws_auth=parse_aws_auth(None),
        caller=Caller(arn=admin_entry.principal_arn),
    )
    admins = recovery.admins([res], Authorizer.from_manifests([]))
    assert [a.principal_arn for a in admins] == [admin_entry.principal_arn]
    assert _codes(recovery.recovery(_facts(), admins, {}, broken=True)) == {"ADMIN_CANDIDATES"}
    assert _codes(recovery.recovery(_facts(), [], {}, broken=True)) == {"NO_ADMIN_AVAILABLE"}
    assert recovery.recovery(_facts(), admins, {}, broken=False) == []


def test_every_code_is_catalogued_emitted_and_tested() -> None:
    # that every code has one definition, in the catalogue of each command reporting it: test_finding_catalogue
    sources = "".join(
        p.read_text() for p in Path(authorization.__file__).parents[1].rglob("*.py") if p.name != "catalog.py"
    )
    tests = "".join(p.read_text() for p in Path(__file__).parents[3].rglob("test_*.py"))
    for code in CATALOG:
        assert f"Code.{code.name}" in sources, f"{code} is never emitted"
        assert re.search(rf"\b{code.value}\b", tests), f"{code} has no test"


def test_findings_reference_is_in_sync() -> None:
    page = Path(__file__).parents[4] / "docs" / "doctor-findings.md"
    assert page.read_text() == findings_reference()


# --- the exec plugin's own cost ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (ExecRun(cpu_seconds=0.52, wall_seconds=0.61, finished=True, ok=True), True),
        (ExecRun(cpu_seconds=0.25, wall_seconds=0.9, finished=True, ok=True), True),
        (
            ExecRun(cpu_seconds=0.31, wall_seconds=0.4, finished=False, ok=True),
            True,
        ),  # stopped: a lower bound
        (
            ExecRun(cpu_seconds=0.08, wall_seconds=0.9, finished=True, ok=True),
            False,
        ),  # slow machine, cheap plugin
        (
            ExecRun(cpu_seconds=1.5, wall_seconds=1.6, finished=True, ok=False),
            False,
        ),  # failing: other findings
        (None, False),  # not run (--as-arn, or not the aws CLI)
    ],
)
def test_a_costly_aws_cli_plugin_is_named_with_the_switch(run: ExecRun | None, expected: bool) -> None:
    facts = _facts(
        _target(plugin=ExecPlugin.AWS_CLI, role_arn=f"arn:aws:iam::{ACCOUNT}:role/ops"),
        DoctorOptions(kubeconfig="/tmp/kc"),
        exec_run=run,
    )
    found = exec_plugin_check.exec_plugin(facts)
    assert _codes(found) == ({"EXEC_PLUGIN_SLOW"} if expected else set())
    if expected and run is not None:
        (finding,) = found
        assert finding.severity.value == "info"
        assert finding.evidence["pluginCpuSeconds"] == round(run.cpu_seconds, 3)
        assert finding.evidence["pluginFinished"] is run.finished
        assert f"{run.cpu_seconds:.2f} s of CPU" in finding.detail
        assert ("not yet printed" in finding.detail) is not run.finished
        (step,) = finding.fix
        assert step.eksaccess == (
            "eksaccess kubeconfig --cluster prod --region eu-west-1 --profile dev "
            f"--role-arn arn:aws:iam::{ACCOUNT}:role/ops --alias prod --kubeconfig /tmp/kc --exec eksaccess",
        )
