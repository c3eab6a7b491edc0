"""The lock-out guard on hand-built before/after states: each rule refuses, harmless changes pass."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.access import CLUSTER_SCOPE, EntryType
from eksaccess.domain.findings import FindingCode
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.state import ClusterState
from eksaccess.features.manage.guards import check_lockout
from eksaccess.features.manage.steps import Action, Step, StepCode, simulate

ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
OTHER_ADMIN = f"arn:aws:iam::{ACCT}:user/root-admin"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
OPS = f"arn:aws:iam::{ACCT}:role/ops"
NODES = f"arn:aws:iam::{ACCT}:role/nodes"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

MAP_ROLES = f"""# platform team
- rolearn: {OPS}
  username: ops:{{{{SessionName}}}}
  groups:
    - system:masters
- rolearn: {NODES}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
    - system:bootstrappers
    - system:nodes
"""


def _entry(arn: str, *policies: str) -> dict[str, Any]:
    return {
        "principalArn": arn,
        "accessPolicies": [{"policyArn": p, "accessScope": {"type": "cluster"}} for p in policies],
    }


def state(mode: str = "API_AND_CONFIG_MAP", entries: list[dict[str, Any]] | None = None) -> ClusterState:
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "accessEntries": entries if entries is not None else [_entry(ADMIN, CLUSTER_ADMIN)],
            "awsAuth": {"mapRoles": MAP_ROLES},
        }
    )


def step(code: StepCode, principal: str, **kw: Any) -> Step:
    action = (
        Action.DELETE
        if "remove" in code.value or "delete" in code.value or "disassociate" in code.value
        else Action.CREATE
    )
    return Step(code=code, principal=principal, action=action, **kw)


def codes(before: ClusterState, steps: list[Step], operator: str = ADMIN, **kw: Any) -> set[FindingCode]:
    after = simulate(before, steps)
    writes = any(s.mechanism.value == "aws-auth" for s in steps)
    found = check_lockout(before, after, operator=Caller(arn=operator), writes_aws_auth=writes, **kw)
    return {v.code for v in found}


def test_a_harmless_grant_passes() -> None:
    before = state()
    steps = [
        step(StepCode.ENTRY_CREATE, ALICE),
        step(StepCode.POLICY_ASSOCIATE, ALICE, policy_arn=VIEW, scope=CLUSTER_SCOPE),
    ]
    assert codes(before, steps) == set()


def test_removing_every_admin_is_refused_and_names_them() -> None:
    before = state()
    steps = [step(StepCode.ROLE_REMOVE, OPS), step(StepCode.ENTRY_DELETE, ADMIN)]
    after = simulate(before, steps)
    found = check_lockout(before, after, operator=Caller(arn=ALICE))
    assert [v.code for v in found] == [FindingCode.NO_CLUSTER_ADMIN]
    assert ADMIN in found[0].detail and OPS in found[0].detail and "--force" in found[0].detail


def test_removing_one_of_two_admins_passes() -> None:
    assert codes(state(), [step(StepCode.ROLE_REMOVE, OPS)], operator=ALICE) == set()


def test_operator_losing_its_own_policy_is_refused_even_with_another_admin() -> None:
    before = state(entries=[_entry(ADMIN, CLUSTER_ADMIN), _entry(OTHER_ADMIN, CLUSTER_ADMIN)])
    steps = [step(StepCode.POLICY_DISASSOCIATE, ADMIN, policy_arn=CLUSTER_ADMIN)]
    assert codes(before, steps) == {FindingCode.OPERATOR_LOSES_ACCESS}


def test_operator_losing_the_aws_auth_write_is_refused() -> None:
    before = state()
    operator = f"arn:aws:sts::{ACCT}:assumed-role/ops/me"
    found = codes(before, [step(StepCode.ROLE_REMOVE, OPS)], operator=operator)
    assert found == {FindingCode.OPERATOR_LOSES_AWS_AUTH_WRITE, FindingCode.OPERATOR_LOSES_ACCESS}


def test_operator_check_only_for_touched_principals() -> None:
    before = state(entries=[_entry(ADMIN, CLUSTER_ADMIN), _entry(OTHER_ADMIN, CLUSTER_ADMIN)])
    steps = [step(StepCode.POLICY_DISASSOCIATE, ADMIN, policy_arn=CLUSTER_ADMIN)]
    assert codes(before, steps, touched={"arn:aws:iam::111122223333:user/alice"}) == set()


def test_node_role_losing_system_nodes_is_refused() -> None:
    found = codes(state(), [step(StepCode.ROLE_REMOVE, NODES)])
    assert found == {FindingCode.NODE_LOSES_NODE_GROUP}


def test_node_role_moved_to_an_access_entry_passes() -> None:
    steps = [
        Step(
            code=StepCode.ENTRY_CREATE, principal=NODES, action=Action.CREATE, entry_type=EntryType.EC2_LINUX
        ),
        step(StepCode.ROLE_REMOVE, NODES),
    ]
    assert codes(state(), steps) == set()


@pytest.mark.parametrize("mode", ["API", "CONFIG_MAP"])
def test_mode_decides_which_admins_count(mode: str) -> None:
    # API ignores aws-auth: removing the admin entry leaves the masters row useless -> no admin.
    # CONFIG_MAP ignores entries: the masters row is the admin, removing it leaves none.
    if mode == "API":
        assert FindingCode.NO_CLUSTER_ADMIN in codes(
            state(mode), [step(StepCode.ENTRY_DELETE, ADMIN)], operator=ALICE
        )
    else:
        before = state(mode, entries=[])
        assert FindingCode.NO_CLUSTER_ADMIN in codes(
            before, [step(StepCode.ROLE_REMOVE, OPS)], operator=ALICE
        )


def test_the_known_creator_counts_as_admin_in_config_map() -> None:
    base = state("CONFIG_MAP", entries=[])
    before = base.model_copy(update={"cluster": base.cluster.model_copy(update={"creator_arn": ADMIN})})
    assert codes(before, [step(StepCode.ROLE_REMOVE, OPS)], operator=ALICE) == set()


def test_a_cluster_without_a_known_admin_still_takes_ordinary_grants() -> None:
    before = state("CONFIG_MAP", entries=[])
    no_admin = simulate(before, [step(StepCode.ROLE_REMOVE, OPS)])
    assert codes(no_admin, [step(StepCode.ENTRY_CREATE, ALICE)], operator=ALICE) == set()
