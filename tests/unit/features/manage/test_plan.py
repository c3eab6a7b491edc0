"""Plans from desired-state files, grant and revoke: step codes per mechanism, no-op round trips."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.desired import (
    ClusterAccess,
    dump_cluster_access,
    export_access,
    parse_cluster_access,
)
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.plan import plan_access, refuse_missing_principals
from eksaccess.features.manage.revoke import RevokeRequest, plan_revoke
from eksaccess.features.manage.steps import StepCode
from eksaccess.features.manage.translate import correct_arn
from eksaccess.features.manage.via import Via

ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
DEV = f"arn:aws:iam::{ACCT}:role/developer"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
MAP_ROLES = """- rolearn: arn:aws:iam::111122223333:role/ops  # the on-call role
  username: ops:{{SessionName}}
  groups: [system:masters]
- rolearn: arn:aws:iam::111122223333:role/nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
"""


def state(mode: str = "API_AND_CONFIG_MAP") -> ClusterState:
    entries: list[dict[str, Any]] = []
    if mode != "CONFIG_MAP":
        entries = [
            {
                "principalArn": ADMIN,
                "accessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}],
            },
            {
                "principalArn": DEV,
                "kubernetesGroups": ["devs"],
                "accessPolicies": [
                    {"policyArn": EDIT, "accessScope": {"type": "namespace", "namespaces": ["dev"]}}
                ],
            },
        ]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "accessEntries": entries,
            "awsAuth": {"mapRoles": MAP_ROLES, "mapAccounts": '- "444455556666"\n'},
            "kubernetes": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}],
        }
    )


def desired(text: str) -> ClusterAccess:
    return parse_cluster_access(
        "apiVersion: eksaccess/v1\nkind: ClusterAccess\ncluster: {name: demo}\n" + text
    )


@pytest.mark.parametrize("mode", ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"])
def test_export_then_plan_is_a_no_op_even_with_prune(mode: str) -> None:
    live = state(mode)
    text = dump_cluster_access(export_access(live))
    plan = plan_access(live, parse_cluster_access(text), prune=True)
    assert plan.steps == ()
    assert "node" not in text or "EC2_LINUX" in text  # the node row is recognised as such


def test_desired_entry_changes_are_one_step_each() -> None:
    plan = plan_access(
        state(),
        desired(
            f"""principals:
  - arn: {DEV}
    via: access-entry
    groups: [devs, qa]
    policies:
      - {{policy: edit, namespaces: [dev, staging]}}
      - {{policy: view}}
  - arn: {ALICE}
    policies: [{{policy: admin-view}}]
"""
        ),
    )
    assert [s.code for s in plan.steps] == [
        StepCode.ENTRY_UPDATE,
        StepCode.POLICY_UPDATE,
        StepCode.POLICY_ASSOCIATE,
        StepCode.ENTRY_CREATE,
        StepCode.POLICY_ASSOCIATE,
    ]
    after = {e.principal_arn: e for e in plan.after.access_entries()}
    assert after[DEV].kubernetes_groups == ("devs", "qa")
    assert {p.policy_name for p in after[ALICE].policies} == {"AmazonEKSAdminViewPolicy"}


def test_a_listed_principal_loses_what_the_file_does_not_say() -> None:
    plan = plan_access(state(), desired(f"principals: [{{arn: {DEV}, via: access-entry, groups: [devs]}}]"))
    assert [(s.code, s.policy_arn) for s in plan.steps] == [(StepCode.POLICY_DISASSOCIATE, EDIT)]


def test_prune_removes_unlisted_principals_on_both_mechanisms_and_keeps_accounts_unless_listed() -> None:
    plan = plan_access(
        state(), desired(f"principals: [{{arn: {ADMIN}, policies: [{{policy: cluster-admin}}]}}]"), prune=True
    )
    assert [(s.code, s.principal) for s in plan.steps] == [
        (StepCode.ENTRY_DELETE, DEV),
        (StepCode.ROLE_REMOVE, "arn:aws:iam::111122223333:role/ops"),
        (StepCode.ROLE_REMOVE, "arn:aws:iam::111122223333:role/nodes"),
    ]
    plan = plan_access(state(), desired("mapAccounts: []\n"))
    assert [(s.code, s.principal) for s in plan.steps] == [(StepCode.ACCOUNT_REMOVE, "444455556666")]


def test_aws_auth_policies_become_groups_and_bindings() -> None:
    plan = plan_access(
        state("CONFIG_MAP"),
        desired(
            f"principals: [{{arn: {ALICE}, policies: [{{policy: edit, namespaces: [dev]}}, {{policy: view}}, {{policy: cluster-admin}}]}}]"
        ),
    )
    codes = [s.code for s in plan.steps]
    assert codes == [StepCode.BINDING_CREATE, StepCode.BINDING_CREATE, StepCode.USER_UPSERT]
    upsert = plan.steps[-1]
    assert upsert.groups == ("eksaccess:edit:dev", "eksaccess:view", "system:masters")
    assert {s.principal for s in plan.steps[:2]} == {"eksaccess:edit:dev", "eksaccess:view"}
    assert plan.steps[0].manifest is not None and plan.steps[0].manifest["roleRef"]["name"] == "edit"
    assert "mapUsers" in (plan.after.aws_auth or {}) and (plan.after.aws_auth or {})["mapRoles"] == MAP_ROLES


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("policies: [{policy: admin-view}]", "no Kubernetes equivalent"),
        ("policies: [{policy: edit, namespaces: ['dev-*']}]", "wildcard"),
        ("via: access-entry", "need authentication mode"),
    ],
)
def test_what_aws_auth_cannot_hold_is_refused(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        plan_access(state("CONFIG_MAP"), desired(f"principals: [{{arn: {ALICE}, {spec}}}]"))


@pytest.mark.parametrize(
    ("current", "wanted", "outcome"),
    [
        ("CONFIG_MAP", "API_AND_CONFIG_MAP", "step"),
        ("API_AND_CONFIG_MAP", "API", "step"),
        ("CONFIG_MAP", "API", "one step at a time"),
        ("API", "API_AND_CONFIG_MAP", "one-way"),
        ("API", "API", "none"),
    ],
)
def test_mode_moves_forward_one_step_only(current: str, wanted: str, outcome: str) -> None:
    live = state(current)
    if outcome in ("step", "none"):
        plan = plan_access(live, desired(f"authenticationMode: {wanted}\n"))
        assert [s.code for s in plan.steps] == ([StepCode.MODE_UPDATE] if outcome == "step" else [])
        if outcome == "step":
            assert plan.after.authentication_mode.value == wanted and plan.warnings
    else:
        with pytest.raises(InputError, match=outcome):
            plan_access(live, desired(f"authenticationMode: {wanted}\n"))


def test_grant_adds_and_revoke_takes_back() -> None:
    live = state()
    grant = plan_grant(live, GrantRequest(arn=DEV, policies=(PolicyRequest(policy="view"),), groups=("qa",)))
    assert [s.code for s in grant.steps] == [StepCode.ENTRY_UPDATE, StepCode.POLICY_ASSOCIATE]
    dev = {e.principal_arn: e for e in grant.after.access_entries()}[DEV]
    assert dev.kubernetes_groups == ("devs", "qa") and len(dev.policies) == 2
    revoke = plan_revoke(grant.after, RevokeRequest(arn=DEV, policy="view"))
    assert [s.code for s in revoke.steps] == [StepCode.POLICY_DISASSOCIATE]
    everything = plan_revoke(live, RevokeRequest(arn="arn:aws:sts::111122223333:assumed-role/developer/s1"))
    assert [s.code for s in everything.steps] == [StepCode.ENTRY_DELETE]
    assert plan_revoke(live, RevokeRequest(arn=ALICE)).steps == ()


def test_revoke_of_a_policy_on_aws_auth_removes_its_groups_only() -> None:
    live = state("CONFIG_MAP")
    plan = plan_revoke(live, RevokeRequest(arn="arn:aws:iam::111122223333:role/ops", policy="cluster-admin"))
    assert [(s.code, s.groups) for s in plan.steps] == [(StepCode.ROLE_UPSERT, ())]


def test_grant_in_config_map_goes_to_aws_auth_and_says_so() -> None:
    plan = plan_grant(
        state("CONFIG_MAP"), GrantRequest(arn=ALICE, policies=(PolicyRequest(policy="cluster-admin"),))
    )
    assert [s.code for s in plan.steps] == [StepCode.USER_UPSERT]
    assert any("system:masters" in n for n in plan.notices) and any("aws-auth" in n for n in plan.notices)
    with pytest.raises(InputError, match="CONFIG_MAP"):
        plan_grant(state("CONFIG_MAP"), GrantRequest(arn=ALICE, groups=("g",), via=Via.ACCESS_ENTRY))


@pytest.mark.parametrize(
    ("arn", "via", "expected", "notice"),
    [
        (
            "arn:aws:iam::111122223333:role/teams/deployer",
            Via.AWS_AUTH,
            "arn:aws:iam::111122223333:role/deployer",
            True,
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/deployer/s1",
            Via.AWS_AUTH,
            "arn:aws:iam::111122223333:role/deployer",
            True,
        ),
        (
            "arn:aws:iam::111122223333:role/teams/deployer",
            Via.ACCESS_ENTRY,
            "arn:aws:iam::111122223333:role/teams/deployer",
            False,
        ),
        (
            "arn:aws:iam::111122223333:user/path/bob",
            Via.AWS_AUTH,
            "arn:aws:iam::111122223333:user/path/bob",
            False,
        ),
    ],
)
def test_arns_are_corrected_for_the_mechanism(arn: str, via: Via, expected: str, notice: bool) -> None:
    found = correct_arn(arn, via)
    assert found.arn == expected and bool(found.notice) is notice


def test_session_arn_for_an_access_entry_needs_the_role_path() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/deployer/s1"
    with pytest.raises(InputError, match="could not be looked up"):
        correct_arn(session, Via.ACCESS_ENTRY)
    real = "arn:aws:iam::111122223333:role/teams/deployer"
    assert correct_arn(session, Via.ACCESS_ENTRY, lambda name: real).arn == real


def test_committed_schema_matches_the_model() -> None:
    from pathlib import Path

    from eksaccess.cli.commands.schema import schema_text

    committed = Path(__file__).parents[4] / "docs" / "schemas" / "cluster-access.schema.json"
    assert committed.read_text(encoding="utf-8") == schema_text("cluster-access"), (
        "run: eksaccess schema --write docs/schemas"
    )


def test_export_skips_rows_no_principal_can_match() -> None:
    live = state("CONFIG_MAP").model_copy(
        update={"aws_auth": {"mapRoles": "- rolearn: not-an-arn\n  username: x\n"}}
    )
    assert export_access(live).principals == []


# --- validation before any write (issue #16) ----------------------------------------------------------------

BAD_NAMESPACES = ["../../etc", "DEV_Upper", "Bad_NS!", "n" * 300]
CN_ROLE = f"arn:aws-cn:iam::{ACCT}:role/developer"


@pytest.mark.parametrize("namespace", BAD_NAMESPACES)
@pytest.mark.parametrize("via", [Via.ACCESS_ENTRY, Via.AWS_AUTH])
def test_grant_refuses_a_namespace_that_is_not_a_name(namespace: str, via: Via) -> None:
    request = GrantRequest(
        arn=ALICE, via=via, policies=(PolicyRequest(policy="view", namespaces=(namespace,)),)
    )
    with pytest.raises(InputError, match="not a valid Kubernetes namespace name"):
        plan_grant(state(), request)


@pytest.mark.parametrize("namespace", BAD_NAMESPACES)
def test_a_desired_file_with_a_bad_namespace_is_refused_where_it_is(namespace: str) -> None:
    text = (
        f"principals:\n  - arn: {ALICE}\n    policies: [{{policy: view, namespaces: [dev, '{namespace}']}}]\n"
    )
    with pytest.raises(InputError, match=r"principals\[0\]\.policies\[0\]\.namespaces\[1\]: namespace"):
        desired(text)


def test_a_wildcard_scope_is_a_namespace_prefix() -> None:
    request = GrantRequest(
        arn=ALICE, via=Via.ACCESS_ENTRY, policies=(PolicyRequest(policy="view", namespaces=("dev-*",)),)
    )
    assert plan_grant(state(), request).steps
    assert desired(
        f"principals:\n  - {{arn: {ALICE}, policies: [{{policy: view, namespaces: ['dev-*']}}]}}\n"
    )


@pytest.mark.parametrize(
    ("arn", "policy"),
    [
        (CN_ROLE, "view"),
        (ALICE, "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
    ],
)
def test_an_arn_of_another_partition_is_refused(arn: str, policy: str) -> None:
    request = GrantRequest(arn=arn, via=Via.ACCESS_ENTRY, policies=(PolicyRequest(policy=policy),))
    with pytest.raises(InputError, match="partition aws-cn, the cluster in aws"):
        plan_grant(state(), request)
    spec = f"principals:\n  - {{arn: '{arn}', via: access-entry, policies: [{{policy: '{policy}'}}]}}\n"
    with pytest.raises(InputError, match="partition aws-cn, the cluster in aws"):
        plan_access(state(), desired(spec))


def test_an_unknown_policy_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(
        InputError, match="unknown access policy 'NoSuch'; use one of cluster-admin, admin, edit, view"
    ):
        plan_grant(state(), GrantRequest(arn=ALICE, policies=(PolicyRequest(policy="NoSuch"),)))
    with pytest.raises(
        InputError, match=r"principals\[0\]\.policies\[0\]\.policy: unknown access policy 'NoSuch'"
    ):
        desired(f"principals:\n  - {{arn: {ALICE}, policies: [{{policy: NoSuch}}]}}\n")


@pytest.mark.parametrize(
    ("via", "username", "groups", "message"),
    [
        (Via.AWS_AUTH, "dev:{{Evil}}", (), "uses {{Evil}}, which the authenticator does not render"),
        (Via.AWS_AUTH, "dev", ("team-{{Evil}}",), "group 'team-{{Evil}}' uses {{Evil}}"),
        (Via.ACCESS_ENTRY, "dev:{{Evil}}", (), "uses {{Evil}}, which the authenticator does not render"),
        (Via.ACCESS_ENTRY, "system:admin", (), "cannot start with system:"),
        (Via.ACCESS_ENTRY, "eks:admin", (), "cannot start with eks:"),
        (Via.ACCESS_ENTRY, "aws:admin", (), "cannot start with aws:"),
        (Via.ACCESS_ENTRY, "amazon:admin", (), "cannot start with amazon:"),
        (Via.ACCESS_ENTRY, "iam:admin", (), "cannot start with iam:"),
        (
            Via.ACCESS_ENTRY,
            None,
            ("system:masters",),
            "system:masters is invalid, it cannot start with system:",
        ),
        (Via.AWS_AUTH, None, ("system:masters",), "refusing to add system:masters"),
    ],
)
def test_names_are_refused_before_anything_is_written(
    via: Via, username: str | None, groups: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        plan_grant(state(), GrantRequest(arn=ALICE, via=via, username=username, groups=groups))


@pytest.mark.parametrize(
    "username", ["a:{{AccountID}}", "a:{{SessionName}}", "a:{{SessionNameRaw}}", "k:{{AccessKeyID}}", "alice"]
)
@pytest.mark.parametrize("via", [Via.ACCESS_ENTRY, Via.AWS_AUTH])
def test_known_templates_pass(username: str, via: Via) -> None:
    assert plan_grant(state(), GrantRequest(arn=ALICE, via=via, username=username)).steps


def test_system_masters_in_aws_auth_needs_the_allowance_and_says_what_it_is() -> None:
    allowed = plan_grant(
        state(),
        GrantRequest(arn=ALICE, via=Via.AWS_AUTH, groups=("system:masters",), allow_system_masters=True),
    )
    assert any("cluster-admin outside any access policy" in w for w in allowed.warnings)
    # the documented path: cluster-admin asked for by name becomes system:masters without the allowance
    by_policy = plan_grant(
        state(), GrantRequest(arn=ALICE, via=Via.AWS_AUTH, policies=(PolicyRequest(policy="cluster-admin"),))
    )
    assert by_policy.steps[0].groups == ("system:masters",)
    assert any(
        "system:masters (cluster-admin through the group, outside any access policy)" in n
        for n in by_policy.notices
    )
    # a row that has it already (ops) is not given it by this change
    ops = "arn:aws:iam::111122223333:role/ops"
    again = plan_grant(state(), GrantRequest(arn=ops, via=Via.AWS_AUTH, groups=("system:masters", "oncall")))
    assert not any("system:masters" in w for w in again.warnings)


def test_a_desired_file_adding_system_masters_needs_the_allowance() -> None:
    spec = desired(
        f"principals:\n  - {{arn: {ALICE}, via: aws-auth, username: alice, groups: [system:masters]}}\n"
    )
    with pytest.raises(InputError, match="--allow-system-masters"):
        plan_access(state(), spec)
    plan = plan_access(state(), spec, allow_system_masters=True)
    assert any("cluster-admin outside any access policy" in w for w in plan.warnings)


def test_an_exported_file_with_odd_names_applies_back_unchanged() -> None:
    live = state().model_copy(
        update={
            "aws_auth": {
                "mapRoles": MAP_ROLES
                + "- rolearn: arn:aws:iam::111122223333:role/odd\n  username: odd:{{Evil}}\n  groups: ['{{Evil}}', system:masters]\n"
            }
        }
    )
    plan = plan_access(live, parse_cluster_access(dump_cluster_access(export_access(live))))
    assert plan.steps == ()


def test_refuse_missing_principals_asks_only_about_new_entries() -> None:
    asked: list[str] = []

    def iam(arn: str) -> str | None:
        asked.append(arn)
        return "IAM has no user named alice in account 111122223333" if arn == ALICE else None

    grant_alice = plan_grant(state(), GrantRequest(arn=ALICE, via=Via.ACCESS_ENTRY, groups=("devs",)))
    with pytest.raises(
        InputError, match="IAM has no user named alice .*; EKS refuses an access entry for a principal"
    ):
        refuse_missing_principals(grant_alice, iam)
    asked.clear()
    refuse_missing_principals(
        plan_grant(state(), GrantRequest(arn=DEV, via=Via.ACCESS_ENTRY, groups=("qa",))), iam
    )
    assert asked == []  # DEV has an entry already: an update, not a create
