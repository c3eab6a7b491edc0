"""``eksaccess list``: a mapping that does not apply says why (issue 19, "Human output"), in the words identity
resolution gives its near misses (domain/iam/identity.py), not only "does not apply". The cases follow the
rules EKS documents (https://docs.aws.amazon.com/eks/latest/userguide/migrating-access-entries.html: an access
entry wins over aws-auth, API ignores aws-auth, CONFIG_MAP ignores access entries) and the authenticator's
(https://github.com/kubernetes-sigs/aws-iam-authenticator: the last of duplicate mapRoles rows wins, a rolearn
with a path never matches)."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.cli.commands.manage import access_table
from eksaccess.domain.state import ClusterState
from eksaccess.features.manage.model import list_access

A = "111122223333"
DEV = f"arn:aws:iam::{A}:role/developer"
ADMIN = f"arn:aws:iam::{A}:user/admin"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def state(mode: str, map_roles: str, *entries: str) -> ClusterState:
    records: list[dict[str, Any]] = [
        {
            "principalArn": arn,
            "accessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}],
        }
        for arn in entries
    ]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": A, "creatorArn": ADMIN},
            "authenticationMode": mode,
            "accessEntries": records,
            "awsAuth": {"mapRoles": map_roles},
        }
    )


def row(arn: str, groups: str) -> str:
    return f"- rolearn: {arn}\n  username: developer\n  groups: [{groups}]\n"


def effective(subject: ClusterState) -> list[tuple[str, str, str]]:
    """(principal, mechanism, EFFECTIVE cell) of each row of the printed table."""
    rows = list_access(subject)
    lines = access_table("demo", str(subject.authentication_mode), rows)
    start = lines[1].index("EFFECTIVE")
    return [(r.principal, str(r.mechanism), line[start:]) for r, line in zip(rows, lines[2:], strict=True)]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param(
            state("API_AND_CONFIG_MAP", row(DEV, "devs"), DEV, ADMIN),
            (DEV, "mapRoles", f"no: shadowed: the access entry {DEV} wins over aws-auth"),
            id="access-entry-wins",
        ),
        pytest.param(
            state("API", row(DEV, "devs"), ADMIN),
            (DEV, "mapRoles", "no: ignored: the authentication mode is API"),
            id="api-ignores-aws-auth",
        ),
        pytest.param(
            state("CONFIG_MAP", row(DEV, "devs"), DEV),
            (DEV, "accessEntry", "no: ignored: the authentication mode is CONFIG_MAP"),
            id="config-map-ignores-entries",
        ),
        pytest.param(
            state("CONFIG_MAP", row(DEV, "editors") + row(DEV, "viewers")),
            (DEV, "mapRoles", "no: another row for the same rolearn, mapRoles[1], comes later and wins"),
            id="later-duplicate",
        ),
        pytest.param(
            state("CONFIG_MAP", row(f"arn:aws:iam::{A}:role/teams/developer", "devs")),
            (
                f"arn:aws:iam::{A}:role/teams/developer",
                "mapRoles",
                f"no: rolearn includes the path /teams/; the authenticator compares the path-less ARN {DEV}, "
                "so remove the path",
            ),
            id="role-path",
        ),
        pytest.param(
            state("CONFIG_MAP", row(f"arn:aws:sts::{A}:assumed-role/developer/alice", "devs")),
            (
                f"arn:aws:sts::{A}:assumed-role/developer/alice",
                "mapRoles",
                f"no: holds an STS assumed-role ARN, which never matches; use the role ARN {DEV}",
            ),
            id="assumed-role-arn",
        ),
    ],
)
def test_why_a_mapping_does_not_apply(subject: ClusterState, expected: tuple[str, str, str]) -> None:
    found = effective(subject)
    assert expected in found
    assert all(
        cell == "yes" or (cell.startswith("no: ") and cell != "no: does not apply") for *_, cell in found
    )


def test_the_winning_rows_say_yes() -> None:
    found = effective(state("CONFIG_MAP", row(DEV, "editors") + row(DEV, "viewers")))
    assert found == [
        (DEV, "mapRoles", "no: another row for the same rolearn, mapRoles[1], comes later and wins"),
        (DEV, "mapRoles", "yes"),
        (ADMIN, "clusterCreator", "yes"),
    ]


def test_the_table_header() -> None:
    lines = access_table("demo", "API", list_access(state("API", "", ADMIN)))
    assert lines[0] == "Cluster demo (authentication mode API)"
    assert lines[1].split() == [
        "PRINCIPAL",
        "MECHANISM",
        "TYPE",
        "USERNAME",
        "GROUPS",
        "POLICIES",
        "EFFECTIVE",
    ]
    assert lines[2].split()[:2] == [ADMIN, "accessEntry"] and lines[2].endswith("  yes")
