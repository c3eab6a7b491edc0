"""Access entries: EKS's validation rules, default usernames, scopes
(https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.access import (
    CLUSTER_SCOPE,
    AccessEntry,
    AccessEntryValidationError,
    AccessPolicyAssociation,
    AccessScope,
    EntryType,
    ScopeType,
    default_username,
    implicit_groups,
    validate_entry,
    validate_scope,
)
from eksaccess.domain.authz.access_policies import policy_arn
from eksaccess.errors import InputError

ROLE = "arn:aws:iam::111122223333:role/Admin"
PATHED = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Dev_0a1b"
USER = "arn:aws:iam::111122223333:user/Alice"
VIEW = AccessPolicyAssociation(policy_arn=policy_arn("AmazonEKSViewPolicy"), scope=CLUSTER_SCOPE)
AUTO = AccessPolicyAssociation(policy_arn=policy_arn("AmazonEKSAutoNodePolicy"), scope=CLUSTER_SCOPE)


def ns(*names: str) -> AccessScope:
    return AccessScope(type=ScopeType.NAMESPACE, namespaces=names)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (AccessEntry(principal_arn=USER), USER),
        (AccessEntry(principal_arn=ROLE), "arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}"),
        # the role path is dropped
        (
            AccessEntry(principal_arn=PATHED),
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0a1b/{{SessionName}}",
        ),
        (
            AccessEntry(principal_arn="arn:aws-cn:iam::111122223333:role/x/Dev"),
            "arn:aws-cn:sts::111122223333:assumed-role/Dev/{{SessionName}}",
        ),
        (AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX), "system:node:{{EC2PrivateDNSName}}"),
        (AccessEntry(principal_arn=ROLE, type=EntryType.EC2_WINDOWS), "system:node:{{EC2PrivateDNSName}}"),
        (AccessEntry(principal_arn=ROLE, type=EntryType.FARGATE_LINUX), "system:node:{{SessionName}}"),
        (AccessEntry(principal_arn=ROLE, type=EntryType.HYBRID_LINUX), "system:node:{{SessionName}}"),
        (AccessEntry(principal_arn=ROLE, type=EntryType.EC2), "system:node:{{EC2PrivateDNSName}}"),
        (AccessEntry(principal_arn=ROLE, type=EntryType.HYPERPOD_LINUX), "system:node:{{EC2PrivateDNSName}}"),
    ],
)
def test_default_username(entry: AccessEntry, expected: str) -> None:
    assert default_username(entry) == expected


def test_implicit_groups() -> None:
    assert implicit_groups(EntryType.STANDARD) == ()
    assert implicit_groups(EntryType.EC2_LINUX) == ("system:bootstrappers", "system:nodes")
    assert implicit_groups(EntryType.FARGATE_LINUX) == (
        "system:bootstrappers",
        "system:nodes",
        "system:node-proxier",
    )


VALID = [
    AccessEntry(principal_arn=ROLE),
    AccessEntry(principal_arn=PATHED, username="dev:{{SessionName}}", kubernetes_groups=("developers",)),
    AccessEntry(principal_arn=ROLE, username=":john{{SessionName}}"),
    AccessEntry(
        principal_arn=ROLE, username="arn:aws:sts::111122223333:assumed-role/Admin/{{SessionNameRaw}}"
    ),
    AccessEntry(principal_arn=USER, username="alice", kubernetes_groups=("masters", "Team:ops")),
    AccessEntry(principal_arn="arn:aws:iam::444455556666:role/Audit", policies=(VIEW,)),
    AccessEntry(
        principal_arn=ROLE, policies=(AccessPolicyAssociation(policy_arn=VIEW.policy_arn, scope=ns("dev-*")),)
    ),
    AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX),
    AccessEntry(principal_arn=ROLE, type=EntryType.EC2, policies=(AUTO,)),
    # unknown policy names stay opaque
    AccessEntry(
        principal_arn=ROLE,
        policies=(AccessPolicyAssociation(policy_arn=policy_arn("AmazonEKSNew"), scope=CLUSTER_SCOPE),),
    ),
]


@pytest.mark.parametrize("entry", VALID)
def test_valid_entries(entry: AccessEntry) -> None:
    assert validate_entry(entry, cluster_account="111122223333") is entry


INVALID = [
    (
        AccessEntry(principal_arn=ROLE, kubernetes_groups=("system:masters",)),
        "The kubernetes group name system:masters is invalid, it cannot start with system:",
    ),
    (AccessEntry(principal_arn=ROLE, username="system:admin"), "cannot start with system:"),
    (AccessEntry(principal_arn=ROLE, username="eks:x"), "cannot start with eks:"),
    (AccessEntry(principal_arn=ROLE, username="aws:x"), "cannot start with aws:"),
    (AccessEntry(principal_arn=ROLE, username="amazon:x"), "cannot start with amazon:"),
    (AccessEntry(principal_arn=ROLE, username="iam:x"), "cannot start with iam:"),
    (AccessEntry(principal_arn=ROLE, username="john{{SessionName}}"), "a ':' must come before"),
    (AccessEntry(principal_arn=ROLE, username="{{SessionNameRaw}}:x"), "a ':' must come before"),
    (AccessEntry(principal_arn=ROLE, username=""), "must not be empty"),
    (AccessEntry(principal_arn="arn:aws:sts::111122223333:assumed-role/Admin/sess"), "temporary principal"),
    (
        AccessEntry(
            principal_arn="arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
        ),
        "service-linked role",
    ),
    (AccessEntry(principal_arn="arn:aws:iam::111122223333:root"), "only IAM users and roles"),
    (AccessEntry(principal_arn="arn:aws:iam::111122223333:group/devs"), "is invalid"),
    (AccessEntry(principal_arn="Admin"), "is invalid"),
    (
        AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX, policies=(VIEW,)),
        'This operation can only be performed on Access Entries with a type of "STANDARD".',
    ),
    (AccessEntry(principal_arn=ROLE, type=EntryType.EC2, policies=(VIEW,)), 'type of "STANDARD"'),
    (AccessEntry(principal_arn=ROLE, type=EntryType.HYBRID_LINUX, policies=(AUTO,)), 'type of "STANDARD"'),
    (
        AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX, username="system:node:x"),
        "cannot set a username",
    ),
    (
        AccessEntry(principal_arn=ROLE, type=EntryType.FARGATE_LINUX, kubernetes_groups=("ops",)),
        "kubernetes groups",
    ),
    (AccessEntry(principal_arn=USER, type=EntryType.EC2_LINUX), "needs an IAM role"),
    (
        AccessEntry(principal_arn="arn:aws:iam::444455556666:role/nodes", type=EntryType.EC2_LINUX),
        "cluster's account 111122223333",
    ),
    (
        AccessEntry(
            principal_arn=ROLE, policies=(AccessPolicyAssociation(policy_arn=VIEW.policy_arn, scope=ns()),)
        ),
        "at least one namespace",
    ),
    (
        AccessEntry(
            principal_arn=ROLE,
            policies=(
                AccessPolicyAssociation(
                    policy_arn=VIEW.policy_arn, scope=AccessScope(type=ScopeType.CLUSTER, namespaces=("a",))
                ),
            ),
        ),
        "cannot list namespaces",
    ),
    (AccessEntry(principal_arn=ROLE, policies=(VIEW, VIEW)), "associated twice"),
    (
        AccessEntry(
            principal_arn=ROLE,
            policies=(
                AccessPolicyAssociation(
                    policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess", scope=CLUSTER_SCOPE
                ),
            ),
        ),
        "not an access policy ARN",
    ),
]


@pytest.mark.parametrize(("entry", "message"), INVALID)
def test_invalid_entries(entry: AccessEntry, message: str) -> None:
    with pytest.raises(AccessEntryValidationError) as info:
        validate_entry(entry, cluster_account="111122223333")
    assert message in info.value.message
    assert isinstance(info.value, InputError)
    assert "\n" not in info.value.message


def test_stored_node_entries_carry_what_eks_filled_in() -> None:
    stored = AccessEntry(
        principal_arn=ROLE,
        type=EntryType.EC2_LINUX,
        username="system:node:{{EC2PrivateDNSName}}",
        kubernetes_groups=("system:nodes",),
    )
    assert validate_entry(stored, as_stored=True) is stored
    with pytest.raises(AccessEntryValidationError):
        validate_entry(stored)
    with pytest.raises(AccessEntryValidationError):
        validate_entry(
            AccessEntry(principal_arn=ROLE, type=EntryType.EC2_LINUX, kubernetes_groups=("ops",)),
            as_stored=True,
        )
    # a STANDARD entry never holds system: groups, stored or not
    with pytest.raises(AccessEntryValidationError):
        validate_entry(AccessEntry(principal_arn=ROLE, kubernetes_groups=("system:masters",)), as_stored=True)


@pytest.mark.parametrize(
    ("scope", "namespace", "covered"),
    [
        (CLUSTER_SCOPE, "anything", True),
        (CLUSTER_SCOPE, "", True),
        (ns("dev"), "dev", True),
        (ns("dev"), "dev2", False),
        (ns("dev-*"), "dev-a", True),
        (ns("dev-*"), "dev-", True),
        (ns("dev-*"), "dev", False),
        (ns("dev-*"), "prod-dev-a", False),
        (ns("*"), "kube-system", True),
        (ns("a*b"), "axb", False),
        (ns("a*b"), "a*b", True),
        (ns("team-a", "team-b*"), "team-bx", True),
        (ns("team-a", "team-b*"), "team-c", False),
    ],
)
def test_scope_covers_namespace(scope: AccessScope, namespace: str, covered: bool) -> None:
    assert scope.covers_namespace(namespace) is covered


@given(st.text(min_size=1, max_size=10), st.text(max_size=10))
def test_trailing_wildcard_is_a_prefix(prefix: str, rest: str) -> None:
    assert ns(prefix + "*").covers_namespace(prefix + rest)


def test_validate_scope_accepts_good_scopes() -> None:
    validate_scope(CLUSTER_SCOPE)
    validate_scope(ns("a", "b-*"))
    with pytest.raises(AccessEntryValidationError):
        validate_scope(ns(""))
