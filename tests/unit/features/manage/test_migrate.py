"""migrate's conversions (eksctl's algorithm, with our differences:
https://github.com/eksctl-io/eksctl/blob/main/pkg/actions/accessentry/migrator.go) and the proof."""

from __future__ import annotations

import pytest

from eksaccess.domain.access import EntryType
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.migrate import plan_migration
from eksaccess.features.manage.steps import StepCode

ACCT = "111122223333"
MAP_ROLES = """- rolearn: arn:aws:iam::111122223333:role/ops
  username: ops:{{SessionName}}
  groups: [system:masters, oncall]
- rolearn: arn:aws:iam::111122223333:role/nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: arn:aws:iam::111122223333:role/win-nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]
- rolearn: arn:aws:iam::111122223333:role/fargate
  username: system:node:{{SessionName}}
  groups: [system:bootstrappers, system:nodes, system:node-proxier]
- rolearn: arn:aws:iam::111122223333:role/dev
  username: dev:{{SessionName}}
  groups: [devs]
- rolearn: arn:aws:iam::111122223333:role/bad-template
  username: dev{{SessionName}}
  groups: [devs]
- rolearn: arn:aws:iam::111122223333:role/custom-system
  username: monitor
  groups: [system:monitoring]
- rolearn: arn:aws:iam::111122223333:role/teams/pathed
  username: pathed
- rolearn: arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/slr
  username: slr
"""
MAP_USERS = """- userarn: arn:aws:iam::444455556666:user/auditor
  username: auditor
  groups: [auditors]
"""


def state(mode: str = "API_AND_CONFIG_MAP", **aws_auth: str) -> ClusterState:
    data = aws_auth or {"mapRoles": MAP_ROLES, "mapUsers": MAP_USERS, "mapAccounts": '- "777788889999"\n'}
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "awsAuth": data,
            "kubernetes": [
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "devs-view"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "view",
                    },
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}],
                }
            ],
        }
    )


def test_conversions_follow_the_expert_rules() -> None:
    migration = plan_migration(state())
    entries = {e.principal_arn.rsplit("/", 1)[-1]: e for e in migration.plan.after.access_entries()}
    assert entries["ops"].username == "ops:{{SessionName}}" and entries["ops"].kubernetes_groups == (
        "oncall",
    )
    assert [p.policy_name for p in entries["ops"].policies] == ["AmazonEKSClusterAdminPolicy"]
    assert entries["nodes"].type is EntryType.EC2_LINUX
    assert entries["win-nodes"].type is EntryType.EC2_WINDOWS
    assert entries["fargate"].type is EntryType.FARGATE_LINUX
    assert entries["dev"].kubernetes_groups == ("devs",)
    assert entries["auditor"].username == "auditor"  # STANDARD entries may name another account
    listed = {u.principal.rsplit("/", 1)[-1]: u.reason for u in migration.unexpressible}
    assert set(listed) == {"bad-template", "custom-system", "pathed", "slr", "777788889999"}
    assert "':' must come before" in listed["bad-template"]
    assert "system:monitoring" in listed["custom-system"]


def test_equivalence_is_proven_while_aws_auth_still_applies() -> None:
    migration = plan_migration(state())
    # The only difference: the domain gives EC2_WINDOWS entries the two node groups, not the aws-auth row's
    # eks:kube-proxy-windows (no implicit Windows group:
    # https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html); no permission changes.
    assert [d.principal for d in migration.differences] == ["arn:aws:iam::111122223333:role/win-nodes"]
    assert migration.differences[0].lost == () and migration.differences[0].gained == ()
    assert "eks:kube-proxy-windows" in migration.differences[0].identity_before
    assert "eks:kube-proxy-windows" not in migration.differences[0].identity_after
    assert migration.principals_checked >= 9 and migration.probes > 100
    linux_only = MAP_ROLES.split("- rolearn: arn:aws:iam::111122223333:role/win-nodes")[0]
    assert plan_migration(state(mapRoles=linux_only, mapUsers=MAP_USERS)).equivalent


def test_moving_to_api_shows_who_would_lose_access() -> None:
    migration = plan_migration(state(), to=AuthenticationMode.API)
    assert migration.plan.steps[-1].code is StepCode.MODE_UPDATE
    lost = {d.principal.rsplit("/", 1)[-1] for d in migration.differences}
    assert {"bad-template", "custom-system"} <= lost
    assert "ops" not in lost and "nodes" not in lost  # converted principals keep everything


def test_a_row_without_username_is_a_difference() -> None:
    roles = "- rolearn: arn:aws:iam::111122223333:role/anon\n  groups: [devs]\n"
    migration = plan_migration(state(mapRoles=roles))
    assert [d.principal for d in migration.differences] == ["arn:aws:iam::111122223333:role/anon"]
    assert migration.differences[0].identity_before.startswith("username (empty)")


def test_config_map_needs_an_explicit_mode_step() -> None:
    with pytest.raises(InputError, match="--to API_AND_CONFIG_MAP"):
        plan_migration(state("CONFIG_MAP"))
    with pytest.raises(InputError, match="one step at a time"):
        plan_migration(state("CONFIG_MAP"), to=AuthenticationMode.API)
    migration = plan_migration(
        state("CONFIG_MAP", mapUsers=MAP_USERS), to=AuthenticationMode.API_AND_CONFIG_MAP
    )
    assert migration.plan.steps[0].code is StepCode.MODE_UPDATE and migration.equivalent


def test_already_api_has_nothing_to_migrate() -> None:
    with pytest.raises(InputError, match="already"):
        plan_migration(state("API"))


def test_principals_with_an_entry_are_skipped() -> None:
    base = state(
        mapRoles="- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev\n  groups: [devs]\n"
    )
    data = base.model_dump(mode="json")
    data["accessEntries"] = [{"principalArn": "arn:aws:iam::111122223333:role/dev"}]
    with_entry = ClusterState.model_validate(data)
    assert plan_migration(with_entry).plan.steps == ()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "- rolearn: arn:aws:iam::111122223333:role/evil\n  username: dev:{{Evil}}\n  groups: [devs]\n",
            "username 'dev:{{Evil}}' uses {{Evil}}, which the authenticator does not render",
        ),
        (
            "- rolearn: arn:aws-cn:iam::111122223333:role/china\n  username: cn\n  groups: [devs]\n",
            "is in partition aws-cn, the cluster in aws",
        ),
    ],
)
def test_what_an_access_entry_must_not_hold_is_listed_not_converted(row: str, reason: str) -> None:
    migration = plan_migration(state(mapRoles=row))
    [listed] = migration.unexpressible
    assert reason in listed.reason
    assert migration.plan.steps == ()
