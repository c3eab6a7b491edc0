"""Identity resolution: mapper order by authentication mode, templates, uid, near misses.

Vectors after https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, migrating-access-entries.html and
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg (arn, mapper, server).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.access import CLUSTER_SCOPE, AccessEntry, AccessPolicyAssociation, EntryType
from eksaccess.domain.authz.access_policies import policy_arn
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import (
    AUTHENTICATED,
    Caller,
    MappingKind,
    NearMissKind,
    Resolution,
    resolve,
    resolve_in_state,
)
from eksaccess.domain.iam.principal import InvalidArnError
from eksaccess.domain.state import AuthenticationMode, parse_cluster_state

A = "111122223333"
API = AuthenticationMode.API
BOTH = AuthenticationMode.API_AND_CONFIG_MAP
CM = AuthenticationMode.CONFIG_MAP
SSO_DEV = f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Dev_0a1b"
ADMIN_POLICY = AccessPolicyAssociation(
    policy_arn=policy_arn("AmazonEKSClusterAdminPolicy"), scope=CLUSTER_SCOPE
)

ENTRIES = (
    AccessEntry(
        principal_arn=SSO_DEV,
        username="dev:{{SessionName}}",
        kubernetes_groups=("developers",),
        principal_id="AROADEV",
    ),
    AccessEntry(principal_arn=f"arn:aws:iam::{A}:role/Admin", policies=(ADMIN_POLICY,)),
    AccessEntry(principal_arn=f"arn:aws:iam::{A}:user/alice"),
    AccessEntry(principal_arn=f"arn:aws:iam::{A}:role/nodes", type=EntryType.EC2_LINUX),
    AccessEntry(principal_arn=f"arn:aws:iam::{A}:role/fargate", type=EntryType.FARGATE_LINUX),
    AccessEntry(principal_arn=f"arn:aws:iam::{A}:role/recreated", principal_id="AROAOLD"),
)

AWS_AUTH = {
    "mapRoles": f"""\
- rolearn: arn:aws:iam::{A}:role/Admin
  username: admin-cm
  groups: [system:masters]
- rolearn: arn:aws:iam::{A}:role/legacy
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: arn:aws:iam::{A}:role/ops
  username: "ops:{{{{SessionName}}}}"
  groups: [ops, "team-{{{{AccountID}}}}"]
""",
    "mapUsers": f"""\
- userarn: arn:aws:iam::{A}:user/bob
  username: bob
  groups: [viewers]
""",
    "mapAccounts": '- "222233334444"\n',
}


def sts(role: str, session: str, account: str = A, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}"


def run(
    mode: AuthenticationMode,
    arn: str,
    *,
    entries: tuple[AccessEntry, ...] = ENTRIES,
    data: Mapping[str, str] | None = None,
    creator: str | None = None,
    **caller: str,
) -> Resolution:
    aws_auth_data = AWS_AUTH if data is None else data
    return resolve(
        mode=mode,
        access_entries=entries,
        aws_auth=parse_aws_auth(aws_auth_data),
        caller=Caller(arn=arn, **caller),
        creator_arn=creator,
        aws_auth_data=aws_auth_data,
    )


def wheres(resolution: Resolution) -> dict[str, str]:
    return {m.where: m.reason for m in resolution.near_misses}


def kinds(resolution: Resolution) -> dict[str, NearMissKind]:
    return {m.where: m.kind for m in resolution.near_misses}


# (mode, caller arn, source kind, index, username, groups without system:authenticated)
MAPPED = [
    (API, sts("Admin", "s1"), MappingKind.ACCESS_ENTRY, 1, sts("Admin", "s1"), ()),
    (BOTH, sts("Admin", "s1"), MappingKind.ACCESS_ENTRY, 1, sts("Admin", "s1"), ()),
    (CM, sts("Admin", "s1"), MappingKind.MAP_ROLES, 0, "admin-cm", ("system:masters",)),
    # live audit vector: '@' becomes '-' in {{SessionName}}; the entry's path does not matter
    (
        API,
        sts("AWSReservedSSO_Dev_0a1b", "jane@example.com"),
        MappingKind.ACCESS_ENTRY,
        0,
        "dev:jane-example.com",
        ("developers",),
    ),
    (BOTH, sts("ops", "s@2"), MappingKind.MAP_ROLES, 2, "ops:s-2", ("ops", f"team-{A}")),
    (CM, sts("ops", "s9"), MappingKind.MAP_ROLES, 2, "ops:s9", ("ops", f"team-{A}")),
    # aws-auth matching is case-insensitive
    (CM, sts("OPS", "s9"), MappingKind.MAP_ROLES, 2, "ops:s9", ("ops", f"team-{A}")),
    (CM, f"arn:aws:iam::{A}:user/bob", MappingKind.MAP_USERS, 0, "bob", ("viewers",)),
    (BOTH, f"arn:aws:iam::{A}:user/alice", MappingKind.ACCESS_ENTRY, 2, f"arn:aws:iam::{A}:user/alice", ()),
    # mapAccounts: username is the canonical ARN in its original case, no groups
    (
        CM,
        sts("Deploy", "s9", "222233334444"),
        MappingKind.MAP_ACCOUNTS,
        None,
        "arn:aws:iam::222233334444:role/Deploy",
        (),
    ),
    (
        BOTH,
        "arn:aws:iam::222233334444:user/Eve",
        MappingKind.MAP_ACCOUNTS,
        None,
        "arn:aws:iam::222233334444:user/Eve",
        (),
    ),
    # Fargate: {{SessionName}} username and the node-proxier group
    (
        API,
        sts("fargate", "fargate-ip-192-168-1-10"),
        MappingKind.ACCESS_ENTRY,
        4,
        "system:node:fargate-ip-192-168-1-10",
        ("system:bootstrappers", "system:nodes", "system:node-proxier"),
    ),
]


@pytest.mark.parametrize(("mode", "arn", "kind", "index", "username", "groups"), MAPPED)
def test_mapped(
    mode: AuthenticationMode,
    arn: str,
    kind: MappingKind,
    index: int | None,
    username: str,
    groups: tuple[str, ...],
) -> None:
    resolution = run(mode, arn)
    assert resolution.authenticated
    assert resolution.source.kind is kind
    assert resolution.source.index == index
    assert resolution.identity is not None
    assert resolution.identity.username == username
    assert resolution.identity.groups == (*groups, AUTHENTICATED)


NOT_MAPPED = [
    (API, sts("ops", "s9")),  # aws-auth ignored in API mode
    (API, f"arn:aws:iam::{A}:user/bob"),
    (API, sts("Deploy", "s9", "222233334444")),  # mapAccounts ignored too
    (CM, sts("AWSReservedSSO_Dev_0a1b", "jane")),  # access entries ignored in CONFIG_MAP
    (BOTH, sts("nobody", "s9")),
    (BOTH, f"arn:aws:iam::{A}:user/carol"),
    (BOTH, "arn:aws:sts::111122223333:federated-user/Bob"),
]


@pytest.mark.parametrize(("mode", "arn"), NOT_MAPPED)
def test_not_mapped(mode: AuthenticationMode, arn: str) -> None:
    resolution = run(mode, arn)
    assert not resolution.authenticated
    assert resolution.identity is None
    assert resolution.source.kind is MappingKind.NONE
    assert resolution.access_entry is None


def test_canonical_principal_and_access_entry_are_reported() -> None:
    resolution = run(
        API, sts("AWSReservedSSO_Dev_0a1b", "jane@example.com"), user_id="AROADEV:jane@example.com"
    )
    assert resolution.principal_arn == f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_0a1b"
    assert resolution.access_entry is ENTRIES[0]
    assert resolution.session_name == "jane@example.com"


def test_uid_and_extra_like_the_authenticator() -> None:
    arn = sts("Admin", "jane@example.com")
    resolution = run(API, arn, user_id="AROAADMIN:jane@example.com", access_key_id="ASIAEXAMPLE")
    identity = resolution.identity
    assert identity is not None
    assert identity.uid == f"aws-iam-authenticator:{A}:AROAADMIN"
    assert identity.extra == {
        "arn": (arn,),
        "canonicalArn": (f"arn:aws:iam::{A}:role/Admin",),
        "sessionName": ("jane@example.com",),
        "accessKeyId": ("ASIAEXAMPLE",),
        "principalId": ("AROAADMIN",),
        "sigs.k8s.io/aws-iam-authenticator/principalId": ("AROAADMIN",),
    }


def test_uid_for_users_keeps_the_whole_user_id() -> None:
    resolution = run(CM, f"arn:aws:iam::{A}:user/bob", user_id="AIDABOB")
    assert resolution.identity is not None
    assert resolution.identity.uid == f"aws-iam-authenticator:{A}:AIDABOB"


def test_uid_without_user_id_uses_the_canonical_arn() -> None:
    resolution = run(API, sts("Admin", "s9"))
    assert resolution.identity is not None
    assert resolution.identity.uid == f"aws-iam-authenticator:{A}:arn:aws:iam::{A}:role/Admin"
    assert "principalId" not in resolution.identity.extra


def test_access_key_template() -> None:
    data = {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ci\n  username: 'ci:{{{{AccessKeyID}}}}'\n"}
    resolution = run(CM, sts("ci", "s9"), data=data, access_key_id="ASIAKEY")
    assert resolution.identity is not None
    assert resolution.identity.username == "ci:ASIAKEY"


def test_iam_role_arn_is_taken_as_a_session_of_the_role() -> None:
    resolution = run(API, SSO_DEV, session_name="eksaccess")
    assert resolution.principal_arn == f"arn:aws:iam::{A}:role/AWSReservedSSO_Dev_0a1b"
    assert resolution.identity is not None
    assert resolution.identity.username == "dev:eksaccess"
    assert resolution.identity.extra["arn"] == (sts("AWSReservedSSO_Dev_0a1b", "eksaccess"),)


def test_other_partition() -> None:
    entries = (AccessEntry(principal_arn=f"arn:aws-cn:iam::{A}:role/Admin"),)
    resolution = run(API, sts("Admin", "s9", partition="aws-cn"), entries=entries)
    assert resolution.identity is not None
    assert resolution.identity.username == sts("Admin", "s9", partition="aws-cn")
    assert not run(API, sts("Admin", "s9"), entries=entries).authenticated


def test_invalid_caller_arn() -> None:
    with pytest.raises(InvalidArnError):
        run(API, "arn:aws:s3:::bucket")


# --- node identities and template failures ----------------------------------------------------------------


def test_ec2_node_with_private_dns_name() -> None:
    resolution = run(
        BOTH, sts("nodes", "i-0123456789abcdef0"), ec2_private_dns_name="ip-10-0-1-23.ec2.internal"
    )
    assert resolution.identity is not None
    assert resolution.identity.username == "system:node:ip-10-0-1-23.ec2.internal"
    assert resolution.identity.groups == ("system:bootstrappers", "system:nodes", AUTHENTICATED)


def test_human_using_the_node_role_is_denied() -> None:
    resolution = run(API, sts("nodes", "jane"))
    assert not resolution.authenticated
    assert resolution.source.kind is MappingKind.ACCESS_ENTRY
    assert resolution.error is not None and "SessionName did not contain an instance id" in resolution.error


def test_aws_auth_node_row_template_failure() -> None:
    resolution = run(CM, sts("legacy", "jane"))
    assert not resolution.authenticated
    assert resolution.source.kind is MappingKind.MAP_ROLES
    assert resolution.source.index == 1


# --- the cluster creator --------------------------------------------------------------------------------------

CREATOR = sts("platform", "terraform")


def test_creator_is_an_implicit_admin_in_config_map_mode() -> None:
    resolution = run(CM, sts("platform", "jane"), creator=CREATOR)
    assert resolution.source.kind is MappingKind.CLUSTER_CREATOR
    assert resolution.identity is not None
    assert resolution.identity.username == "kubernetes-admin"
    assert resolution.identity.groups == ("system:masters", AUTHENTICATED)


def test_creator_wins_over_aws_auth_in_config_map_mode() -> None:
    data = {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/platform\n  username: p\n  groups: [ops]\n"}
    resolution = run(CM, sts("platform", "s9"), data=data, creator=f"arn:aws:iam::{A}:role/infra/platform")
    assert resolution.source.kind is MappingKind.CLUSTER_CREATOR
    assert "cluster creator" in wheres(resolution)["aws-auth mapRoles[0]"]
    assert kinds(resolution)["aws-auth mapRoles[0]"] is NearMissKind.SHADOWED


@pytest.mark.parametrize("mode", [API, BOTH])
def test_creator_needs_its_access_entry_in_api_modes(mode: AuthenticationMode) -> None:
    resolution = run(mode, sts("platform", "s9"), creator=CREATOR)
    assert not resolution.authenticated
    assert "bootstrapClusterCreatorAdminPermissions" in wheres(resolution)["cluster creator"]
    assert kinds(resolution)["cluster creator"] is NearMissKind.CREATOR_WITHOUT_ENTRY
    entries = (AccessEntry(principal_arn=f"arn:aws:iam::{A}:role/platform", policies=(ADMIN_POLICY,)),)
    with_entry = run(mode, sts("platform", "s9"), creator=CREATOR, entries=entries)
    assert with_entry.source.kind is MappingKind.ACCESS_ENTRY
    assert with_entry.near_misses == ()


def test_other_principals_are_not_the_creator() -> None:
    assert not run(CM, sts("platform2", "s9"), creator=CREATOR, data={}).authenticated


# --- near misses ------------------------------------------------------------------------------------------


def test_shadowed_aws_auth_row_in_both_mode() -> None:
    resolution = run(BOTH, sts("Admin", "s9"))
    assert f"access entry arn:aws:iam::{A}:role/Admin" in wheres(resolution)["aws-auth mapRoles[0]"]
    assert wheres(resolution)["aws-auth mapRoles[0]"].startswith("shadowed")


def test_api_mode_ignores_aws_auth() -> None:
    resolution = run(API, sts("ops", "s9"))
    assert (
        wheres(resolution)["aws-auth mapRoles[2]"] == "authentication mode API ignores the aws-auth ConfigMap"
    )
    accounts = run(API, sts("x", "s9", "222233334444"))
    assert "API ignores" in wheres(accounts)["aws-auth mapAccounts"]
    assert kinds(accounts)["aws-auth mapAccounts"] is NearMissKind.IGNORED_API_MODE


def test_access_entry_in_config_map_mode() -> None:
    resolution = run(CM, sts("AWSReservedSSO_Dev_0a1b", "s9"))
    assert "CONFIG_MAP" in wheres(resolution)[f"access entry {SSO_DEV}"]
    assert kinds(resolution)[f"access entry {SSO_DEV}"] is NearMissKind.ACCESS_ENTRY_IGNORED


def test_role_path_in_rolearn() -> None:
    data = {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/service-role/codebuild\n  username: cb\n"}
    resolution = run(CM, sts("codebuild", "s9"), data=data)
    assert not resolution.authenticated
    reason = wheres(resolution)["aws-auth mapRoles[0]"]
    assert "includes the path /service-role/" in reason
    assert f"arn:aws:iam::{A}:role/codebuild" in reason
    assert kinds(resolution)["aws-auth mapRoles[0]"] is NearMissKind.ROLE_PATH


def test_assumed_role_arn_in_rolearn() -> None:
    data = {"mapRoles": f"- rolearn: {sts('deployer', 'old')}\n  username: d\n"}
    resolution = run(CM, sts("deployer", "new"), data=data)
    assert not resolution.authenticated
    assert "assumed-role ARN" in wheres(resolution)["aws-auth mapRoles[0]"]
    assert kinds(resolution)["aws-auth mapRoles[0]"] is NearMissKind.ASSUMED_ROLE_ARN


def test_same_name_in_another_account() -> None:
    data = {"mapRoles": "- rolearn: arn:aws:iam::999988887777:role/ops\n  username: o\n"}
    resolution = run(CM, sts("ops", "s9"), data=data)
    assert "account 999988887777" in wheres(resolution)["aws-auth mapRoles[0]"]
    assert kinds(resolution)["aws-auth mapRoles[0]"] is NearMissKind.OTHER_ACCOUNT
    entries = (AccessEntry(principal_arn="arn:aws:iam::999988887777:role/ops"),)
    in_entries = run(API, sts("ops", "s9"), entries=entries)
    assert "account 999988887777" in wheres(in_entries)["access entry arn:aws:iam::999988887777:role/ops"]


def test_user_path_difference() -> None:
    data = {"mapUsers": f"- userarn: arn:aws:iam::{A}:user/dev/carol\n  username: carol\n"}
    resolution = run(CM, f"arn:aws:iam::{A}:user/carol", data=data)
    assert not resolution.authenticated
    assert "/dev/" in wheres(resolution)["aws-auth mapUsers[0]"]
    assert kinds(resolution)["aws-auth mapUsers[0]"] is NearMissKind.PATH_MISMATCH


def test_key_spelled_with_other_case() -> None:
    data = {"maproles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: o\n"}
    resolution = run(CM, sts("ops", "s9"), data=data)
    assert not resolution.authenticated
    assert "case-sensitive" in wheres(resolution)['aws-auth key "maproles"']
    assert kinds(resolution)['aws-auth key "maproles"'] is NearMissKind.KEY_CASE
    unrelated = run(CM, sts("other", "s9"), data=data)
    assert 'aws-auth key "maproles"' not in wheres(unrelated)


def test_dropped_key() -> None:
    data = {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  groups: [ops\n"}
    resolution = run(CM, sts("ops", "s9"), data=data)
    assert not resolution.authenticated
    assert "failed to parse" in wheres(resolution)["aws-auth mapRoles"]
    assert kinds(resolution)["aws-auth mapRoles"] is NearMissKind.DROPPED_KEY


def test_dropped_key_without_raw_data() -> None:
    data = {"mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  groups: [ops\n"}
    resolution = resolve(
        mode=CM, access_entries=(), aws_auth=parse_aws_auth(data), caller=Caller(arn=sts("ops", "s9"))
    )
    assert "every mapping in it is ignored" in wheres(resolution)["aws-auth mapRoles"]


def test_recreated_role() -> None:
    stale = run(API, sts("recreated", "s9"), user_id="AROANEW:s")
    assert not stale.authenticated
    assert "recreated role/user" in wheres(stale)[f"access entry arn:aws:iam::{A}:role/recreated"]
    assert kinds(stale)[f"access entry arn:aws:iam::{A}:role/recreated"] is NearMissKind.STALE_PRINCIPAL
    same = run(API, sts("recreated", "s9"), user_id="AROAOLD:s")
    assert same.authenticated
    assert same.identity is not None and same.identity.uid.endswith(":AROAOLD")
    unknown = run(API, sts("recreated", "s9"))  # without a UserId the binding cannot be checked
    assert unknown.authenticated


def test_duplicate_rolearn_last_row_wins() -> None:
    data = {
        "mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: first\n"
        f"- rolearn: arn:aws:iam::{A}:role/OPS\n  username: second\n"
    }
    resolution = run(CM, sts("ops", "s9"), data=data)
    assert resolution.identity is not None and resolution.identity.username == "second"
    assert "mapRoles[1]" in wheres(resolution)["aws-auth mapRoles[0]"]
    assert kinds(resolution)["aws-auth mapRoles[0]"] is NearMissKind.DUPLICATE


def test_roles_before_users() -> None:
    data = {
        "mapRoles": f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: as-role\n",
        "mapUsers": f"- userarn: arn:aws:iam::{A}:role/ops\n  username: as-user\n",
    }
    resolution = run(CM, sts("ops", "s9"), data=data)
    assert resolution.identity is not None and resolution.identity.username == "as-role"
    assert "roles are checked before users" in wheres(resolution)["aws-auth mapUsers[0]"]
    assert kinds(resolution)["aws-auth mapUsers[0]"] is NearMissKind.SHADOWED


def test_no_near_misses_when_cleanly_mapped() -> None:
    assert run(API, sts("AWSReservedSSO_Dev_0a1b", "s9")).near_misses == ()


# --- resolve_in_state --------------------------------------------------------------------------------------


def test_resolve_in_state() -> None:
    state = parse_cluster_state(
        f"""
apiVersion: eksaccess/v1
kind: ClusterState
cluster: {{name: c, region: us-east-1, accountId: "{A}", creatorArn: "{CREATOR}"}}
authenticationMode: CONFIG_MAP
awsAuth:
  maproles: |
    - rolearn: arn:aws:iam::{A}:role/ops
"""
    )
    assert (
        resolve_in_state(state, Caller(arn=sts("platform", "x1"))).source.kind is MappingKind.CLUSTER_CREATOR
    )
    ops = resolve_in_state(state, Caller(arn=sts("ops", "x1")))
    assert not ops.authenticated
    assert 'aws-auth key "maproles"' in wheres(ops)


def test_uid_falls_back_to_the_entry_principal_id() -> None:
    resolution = run(API, sts("AWSReservedSSO_Dev_0a1b", "jane"))
    assert resolution.identity is not None
    assert resolution.identity.uid == f"aws-iam-authenticator:{A}:AROADEV"


SESSION_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-"


@settings(max_examples=50)
@given(st.text(alphabet=SESSION_CHARS, min_size=2, max_size=64))
def test_every_session_of_a_role_gets_the_same_uid(session: str) -> None:
    resolution = run(API, sts("Admin", session), user_id=f"AROAADMIN:{session}")
    assert resolution.identity is not None
    assert resolution.identity.username == sts("Admin", session.replace("@", "-"))
    assert resolution.identity.uid == f"aws-iam-authenticator:{A}:AROAADMIN"
