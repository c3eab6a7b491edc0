"""The ClusterState snapshot: parsing, one-line errors, YAML round trip, the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.cli.commands.schema import schema_text
from eksaccess.domain.access import EntryType, ScopeType
from eksaccess.domain.state import (
    AuthenticationMode,
    ClusterState,
    dump_cluster_state,
    field_path,
    parse_cluster_state,
)
from eksaccess.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "snapshot.yaml"

MINIMAL = """\
apiVersion: eksaccess/v1
kind: ClusterState
cluster: {name: demo, region: us-west-2, accountId: "111122223333"}
authenticationMode: API
"""


def base(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": "eksaccess/v1",
        "kind": "ClusterState",
        "cluster": {"name": "demo", "region": "us-west-2", "accountId": "111122223333"},
        "authenticationMode": "API_AND_CONFIG_MAP",
    }
    data.update(overrides)
    return data


def test_minimal_snapshot() -> None:
    state = parse_cluster_state(MINIMAL)
    assert state.authentication_mode is AuthenticationMode.API
    assert state.access_entry_models == []
    assert state.aws_auth is None
    assert state.kubernetes == []
    assert state.partition == "aws"


def test_example_snapshot_loads_and_converts_to_domain() -> None:
    state = parse_cluster_state(EXAMPLE.read_text(encoding="utf-8"))
    assert state.authentication_mode is AuthenticationMode.API_AND_CONFIG_MAP
    entries = state.access_entries()
    assert len(entries) == 7
    dev = entries[1]
    assert dev.principal_arn.endswith("/AWSReservedSSO_Developer_0a1b2c3d4e5f6789")
    assert dev.kubernetes_groups == ("developers",)
    assert dev.policies[0].scope.type is ScopeType.NAMESPACE
    assert dev.policies[0].scope.covers_namespace("dev-payments")
    assert entries[5].type is EntryType.EC2_LINUX
    assert state.aws_auth is not None and set(state.aws_auth) == {"mapRoles", "mapUsers", "mapAccounts"}
    assert {m["kind"] for m in state.kubernetes} == {"ClusterRoleBinding", "RoleBinding", "Role"}


def test_json_text_is_accepted() -> None:
    state = parse_cluster_state(json.dumps(base()))
    assert state.cluster.name == "demo"


def test_dump_round_trips_the_example() -> None:
    state = parse_cluster_state(EXAMPLE.read_text(encoding="utf-8"))
    text = dump_cluster_state(state)
    assert parse_cluster_state(text) == state
    assert "mapRoles: |" in text  # aws-auth values stay readable block scalars


SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
aws_auth_values = st.text(
    alphabet=st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00"), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["mapRoles", "mapUsers", "mapAccounts", "maproles"]) | aws_auth_values.filter(bool),
        aws_auth_values,
    )
)
def test_dump_round_trips_any_aws_auth_text(aws_auth: dict[str, str]) -> None:
    state = ClusterState.model_validate(base(awsAuth=aws_auth))
    assert parse_cluster_state(dump_cluster_state(state)) == state


ERRORS = [
    ("", "expected a mapping"),
    ("- a\n- b\n", "expected a mapping"),
    ("apiVersion: [\n", "not valid YAML or JSON at line"),
    (
        json.dumps(base(apiVersion="eksaccess/v3")),
        "apiVersion: Input should be 'eksaccess/v1' or 'eksaccess/v2'",
    ),
    (json.dumps(base(kind="Cluster")), "kind:"),
    (json.dumps({k: v for k, v in base().items() if k != "cluster"}), "cluster: is required"),
    (json.dumps(base(authenticationMode="BOTH")), "authenticationMode: Input should be"),
    (json.dumps(base(surprise=1)), "surprise: is not a known field"),
    (
        MINIMAL.replace('accountId: "111122223333"', "accountId: 111122223333"),
        "cluster.accountId: must be a string of 12 digits (quote it in YAML)",
    ),
    (MINIMAL.replace("111122223333", "1111222233"), "cluster.accountId: String should match pattern"),
    (
        json.dumps(base(accessEntries=[{"principalArn": "arn:aws:sts::111122223333:assumed-role/A/sess"}])),
        "accessEntries[0]: The principalArn arn:aws:sts::111122223333:assumed-role/A/sess is an STS",
    ),
    (
        json.dumps(
            base(
                accessEntries=[
                    {"principalArn": "arn:aws:iam::111122223333:role/A"},
                    {
                        "principalArn": "arn:aws:iam::111122223333:role/B",
                        "kubernetesGroups": ["system:masters"],
                    },
                ]
            )
        ),
        "accessEntries[1]: The kubernetes group name system:masters is invalid, it cannot start with system:",
    ),
    (
        json.dumps(
            base(
                accessEntries=[
                    {
                        "principalArn": "arn:aws:iam::111122223333:role/A",
                        "accessPolicies": [{"policyArn": "view", "accessScope": {"type": "cluster"}}],
                    }
                ]
            )
        ),
        "accessEntries[0].accessPolicies[0].policyArn: 'view' is not an access policy ARN",
    ),
    (
        json.dumps(
            base(
                accessEntries=[
                    {
                        "principalArn": "arn:aws:iam::111122223333:role/A",
                        "accessPolicies": [
                            {
                                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                                "accessScope": {"type": "namespace"},
                            }
                        ],
                    }
                ]
            )
        ),
        "accessEntries[0]: An access scope of type namespace needs at least one namespace",
    ),
    (
        json.dumps(base(accessEntries=[{"principalArn": "arn:aws:iam::111122223333:role/A"}] * 2)),
        "two access entries for arn:aws:iam::111122223333:role/A",
    ),
    (
        json.dumps(
            base(accessEntries=[{"principalArn": "arn:aws:iam::444455556666:role/N", "type": "EC2_LINUX"}])
        ),
        "must be in the cluster's account 111122223333",
    ),
    (
        json.dumps(
            base(accessEntries=[{"principalArn": "arn:aws:iam::111122223333:role/N", "type": "NODE"}])
        ),
        "accessEntries[0].type: Input should be",
    ),
    (
        "apiVersion: eksaccess/v1\nkind: ClusterState\ncluster: {name: d, region: us-east-1, "
        'accountId: "111122223333"}\nauthenticationMode: API\nawsAuth:\n  mapRoles:\n    - rolearn: x\n',
        "awsAuth: value of mapRoles must be a string (a YAML block scalar: 'mapRoles: |'), not list",
    ),
    (json.dumps(base(kubernetes=[{"kind": "Role"}])), "kubernetes: manifest [0] has no apiVersion"),
    (
        json.dumps(
            base(
                cluster={
                    "name": "demo",
                    "region": "us-west-2",
                    "accountId": "111122223333",
                    "creatorArn": "bob",
                }
            )
        ),
        "cluster.creatorArn:",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_cluster_state(text, source="snap.yaml")
    line = info.value.message
    assert "\n" not in line
    assert line.startswith("snap.yaml: ")
    assert message in line


def test_broken_map_roles_value_is_named() -> None:
    text = MINIMAL + "awsAuth:\n  mapRoles:\n    - rolearn: x\n"
    with pytest.raises(
        InputError, match=r"awsAuth: value of mapRoles must be a string \(a YAML block scalar"
    ):
        parse_cluster_state(text)


def test_many_problems_are_counted() -> None:
    with pytest.raises(InputError, match=r"cluster: is required \(and 1 more problem\)$"):
        parse_cluster_state(json.dumps({"apiVersion": "eksaccess/v1", "kind": "ClusterState"}))


def test_broken_aws_auth_text_still_loads() -> None:
    state = parse_cluster_state(MINIMAL + 'awsAuth:\n  mapRoles: "- rolearn: [unclosed"\n  maproles: ""\n')
    assert state.aws_auth == {"mapRoles": "- rolearn: [unclosed", "maproles": ""}


def test_field_path() -> None:
    assert field_path(("accessEntries", 2, "principalArn")) == "accessEntries[2].principalArn"
    assert field_path(()) == ""


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "docs" / "schemas" / "cluster-state.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text("cluster-state"), "run: eksaccess schema --write docs/schemas"
