"""aws-auth parsing as the authenticator does it
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.awsauth.go_yaml import v2_scalar_kind
from eksaccess.domain.awsauth.reader import (
    EMPTY_AWS_AUTH,
    AwsAuth,
    inspect_aws_auth,
    parse_aws_auth,
    split_manifest,
    split_manifest_lines,
)
from eksaccess.errors import InputError

NODE = "arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6"
ADMIN = "arn:aws:iam::555555555555:user/admin"

GOOD_ROLES = f"""- rolearn: {NODE}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
    - system:bootstrappers
    - system:nodes
"""
GOOD_USERS = f"""- userarn: {ADMIN}
  username: admin
  groups:
    - system:masters
"""


def roles_of(auth: AwsAuth) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [(r.rolearn, r.username, r.groups) for r in auth.roles]


def test_the_documented_configmap_loads() -> None:
    auth = parse_aws_auth({"mapRoles": GOOD_ROLES, "mapUsers": GOOD_USERS, "mapAccounts": "- 555555555555\n"})
    assert roles_of(auth) == [
        (NODE, "system:node:{{EC2PrivateDNSName}}", ("system:bootstrappers", "system:nodes"))
    ]
    assert [(u.userarn, u.username, u.groups) for u in auth.users] == [(ADMIN, "admin", ("system:masters",))]
    assert auth.accounts == ("555555555555",)
    assert (auth.dropped, auth.ignored_keys, auth.skipped) == ((), (), ())
    assert auth.roles[0].line == 1 and auth.roles[0].index == 0


@pytest.mark.parametrize("data", [None, {}])
def test_nothing_is_the_empty_map(data: dict[str, str] | None) -> None:
    assert parse_aws_auth(data) == EMPTY_AWS_AUTH


@pytest.mark.parametrize("key", ["maproles", "MaPrOlEs", "MapRoles", "mapusers", "MAPACCOUNTS"])
def test_top_level_keys_are_case_sensitive_and_ignored_silently(key: str) -> None:
    auth = parse_aws_auth({key: GOOD_ROLES})
    assert auth.roles == () and auth.users == () and auth.dropped == ()
    assert auth.ignored_keys == (key,)


@pytest.mark.parametrize(
    ("arn_key", "name_key", "groups_key"),
    [("rolearn", "username", "groups"), ("roleARN", "userName", "Groups"), ("rOlEaRn", "UsErNaMe", "gRoUpS")],
)
def test_entry_field_names_are_case_insensitive(arn_key: str, name_key: str, groups_key: str) -> None:
    text = f"- {arn_key}: {NODE}\n  {name_key}: dev\n  {groups_key}: [a, b]\n"
    assert roles_of(parse_aws_auth({"mapRoles": text})) == [(NODE, "dev", ("a", "b"))]


def test_broken_yaml_drops_the_whole_key_but_other_keys_load() -> None:
    broken = GOOD_ROLES + f"- rolearn: {NODE}\n   username: x\n  groups: []\n"
    auth = parse_aws_auth({"mapRoles": broken, "mapUsers": GOOD_USERS, "mapAccounts": "- '555555555555'"})
    assert auth.roles == ()
    assert [d.key for d in auth.dropped] == ["mapRoles"]
    assert auth.dropped[0].line == 7 and auth.dropped[0].error.startswith("yaml: line 7:")
    assert len(auth.users) == 1 and auth.accounts == ("555555555555",)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"rolearn: {NODE}\n", "cannot unmarshal object into Go value of type []config.RoleMapping"),
        ("just a string", "cannot unmarshal string into Go value of type []config.RoleMapping"),
        ('{"rolearn": "x"}', "cannot unmarshal object"),
        ("{not json", "invalid JSON"),
        ("- ~: x\n", "Unsupported map key"),
        ("- [a]: x\n", "invalid map key"),
        ("- rolearn: 'x\n", "yaml: line"),
        ("- a: b\n\t- c\n", "yaml: line"),
    ],
)
def test_yaml_that_cannot_become_a_list_drops_the_key(text: str, error: str) -> None:
    auth = parse_aws_auth({"mapRoles": text, "mapUsers": GOOD_USERS})
    assert auth.roles == () and len(auth.users) == 1
    assert len(auth.dropped) == 1 and error in auth.dropped[0].error


@pytest.mark.parametrize("text", ["", "   \n", '""', "''", "``", "# only a comment\n", "~", "null", "[]"])
def test_empty_values_mean_nothing(text: str) -> None:
    assert parse_aws_auth({"mapRoles": text, "mapUsers": text, "mapAccounts": text}) == AwsAuth()


def test_duplicate_role_any_case_resolves_to_the_later_entry() -> None:
    text = (
        "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: first\n"
        "- rolearn: arn:aws:iam::111122223333:role/ADMIN\n  username: second\n"
    )
    auth = parse_aws_auth({"mapRoles": text})
    assert len(auth.roles) == 2
    match = auth.match_role("arn:aws:iam::111122223333:role/admin")
    assert match is not None and match.username == "second" and match.index == 1 and match.line == 3


def test_matching_is_case_insensitive_for_roles_and_users() -> None:
    auth = parse_aws_auth({"mapRoles": GOOD_ROLES, "mapUsers": GOOD_USERS})
    assert auth.match_role(NODE.upper().replace("ARN:AWS:IAM", "arn:aws:iam")) is not None
    assert auth.match_user("arn:aws:iam::555555555555:user/ADMIN") is not None
    assert auth.match_role("arn:aws:iam::555555555555:role/other") is None
    assert auth.match_user(NODE) is None


@pytest.mark.parametrize(
    ("text", "accounts"),
    [
        ("- 555555555555\n", ("555555555555",)),
        ("- '555555555555'\n", ("555555555555",)),
        ('- "555555555555"\n', ("555555555555",)),
        ("- 012345678901\n", ("012345678901",)),  # go-yaml keeps the text: the zero stays
        ("[111122223333, '444455556666']", ("111122223333", "444455556666")),
    ],
)
def test_map_accounts_quoted_or_not(text: str, accounts: tuple[str, ...]) -> None:
    auth = parse_aws_auth({"mapAccounts": text})
    assert auth.accounts == accounts
    assert all(auth.has_account(a) for a in accounts) and not auth.has_account("999999999999")


def test_map_accounts_skips_bad_items_one_by_one_and_drops_a_non_list() -> None:
    auth = parse_aws_auth({"mapAccounts": "- 111122223333\n- {a: b}\n-\n- 444455556666\n"})
    assert auth.accounts == ("111122223333", "444455556666") and len(auth.skipped) == 2
    assert parse_aws_auth({"mapAccounts": "a: b"}).dropped[0].key == "mapAccounts"


def test_groups_as_a_string_leaves_the_entry_without_groups() -> None:
    auth = parse_aws_auth({"mapRoles": f"- rolearn: {NODE}\n  username: a\n  groups: system:masters\n"})
    assert roles_of(auth) == [(NODE, "a", ())]
    entry = inspect_aws_auth({"mapRoles": f"- rolearn: {NODE}\n  groups: system:masters\n"}).entries[0]
    assert entry.groups_text == "system:masters" and entry.mismatches[0].field == "groups"


def test_space_out_of_place_turns_two_groups_into_one_string() -> None:
    text = f"""- rolearn: {NODE}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
    - system:bootstrappers
     - system:nodes
"""
    auth = parse_aws_auth({"mapRoles": text, "mapUsers": GOOD_USERS, "mapAccounts": "- 555555555555"})
    assert roles_of(auth) == [
        (NODE, "system:node:{{EC2PrivateDNSName}}", ("system:bootstrappers - system:nodes",))
    ]
    assert len(auth.users) == 1 and auth.accounts == ("555555555555",) and auth.dropped == ()


@pytest.mark.parametrize(
    ("value", "username"),
    [
        ("yes", None),
        ("on", None),
        ("y", None),
        ("1234", None),
        ("0x1F", None),
        ("'yes'", "yes"),
        ("alice", "alice"),
    ],
)
def test_yaml_1_1_non_strings_leave_the_field_empty(value: str, username: str | None) -> None:
    auth = parse_aws_auth({"mapRoles": f"- rolearn: {NODE}\n  username: {value}\n"})
    assert auth.roles[0].username == username


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- username: x\n", "One of rolearn or SSO must be supplied"),
        ("- just-a-string\n", "One of rolearn or SSO must be supplied"),
        ("- rolearn: 12\n", "One of rolearn or SSO must be supplied"),
        ('- rolearn: ""\n', "One of rolearn or SSO must be supplied"),
        (f"- rolearn: {NODE}\n  sso: {{permissionSetName: A, accountID: '111122223333'}}\n", "Only one of"),
        ("- sso: {permissionSetName: A, accountID: '111122223333'}\n", "never match on EKS"),
    ],
)
def test_invalid_role_entries_are_skipped_one_by_one(text: str, reason: str) -> None:
    auth = parse_aws_auth({"mapRoles": text + f"- rolearn: {NODE}\n"})
    assert [r.rolearn for r in auth.roles] == [NODE]
    assert (
        len(auth.skipped) == 1
        and reason in auth.skipped[0]
        and auth.skipped[0].startswith("mapRoles[0] (line 1)")
    )


def test_users_need_userarn() -> None:
    auth = parse_aws_auth({"mapUsers": f"- rolearn: {ADMIN}\n" + GOOD_USERS})
    assert [u.userarn for u in auth.users] == [ADMIN] and "userarn must be supplied" in auth.skipped[0]


def test_duplicate_keys_in_an_entry_are_allowed_and_the_last_wins() -> None:
    # sigs.k8s.io/yaml's non-strict YAMLToJSON passes duplicate keys (its own test says so).
    auth = parse_aws_auth({"mapRoles": f"- rolearn: {NODE}\n  username: a\n  username: b\n"})
    assert auth.roles[0].username == "b" and auth.dropped == ()


def test_case_variant_fields_resolve_in_sorted_key_order() -> None:
    # JSON keys come out sorted; encoding/json lets the last matching key win: "rolearn" sorts after "roleARN".
    auth = parse_aws_auth(
        {"mapRoles": "- rolearn: arn:aws:iam::1:role/a\n  roleARN: arn:aws:iam::1:role/b\n"}
    )
    assert auth.roles[0].rolearn == "arn:aws:iam::1:role/a"


def test_only_the_first_yaml_document_counts() -> None:
    auth = parse_aws_auth({"mapRoles": GOOD_ROLES + "---\n- rolearn: arn:aws:iam::1:role/b\n"})
    assert [r.rolearn for r in auth.roles] == [NODE]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes", "bool"),
        ("Off", "bool"),
        ("~", "null"),
        ("12", "number"),
        ("-0b101", "number"),
        ("017", "number"),
        ("1_000", "number"),
        (".5", "number"),
        ("1e400", "str"),
        ("2001-12-14", "str"),
        ("0xZZ", "str"),
        ("99999999999999999999", "number"),
        ("arn:aws:iam::1:role/x", "str"),
        ("True", "bool"),
        ("yess", "str"),
    ],
)
def test_go_yaml_v2_plain_scalar_resolution(text: str, kind: str) -> None:
    assert v2_scalar_kind(text) == kind


MANIFEST = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
{"".join("    " + line + chr(10) for line in GOOD_ROLES.splitlines())}  mapAccounts: '- "555555555555"'
"""


def test_split_manifest_yaml_with_block_offsets() -> None:
    data, offsets = split_manifest_lines(MANIFEST)
    assert data == {"mapRoles": GOOD_ROLES, "mapAccounts": '- "555555555555"'}
    assert offsets == {"mapRoles": 7}  # line 1 of mapRoles is manifest line 8


def test_split_manifest_json_and_bare_data_and_list() -> None:
    as_json = '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"mapUsers": "- userarn: x\\n"}}'
    assert split_manifest(as_json) == {"mapUsers": "- userarn: x\n"}
    assert split_manifest("mapUsers: |\n  - userarn: x\n") == {"mapUsers": "- userarn: x\n"}
    listed = "kind: List\nitems:\n- kind: ConfigMap\n  data:\n    mapAccounts: '[]'\n"
    assert split_manifest(listed) == {"mapAccounts": "[]"}
    assert split_manifest("kind: ConfigMap\nmetadata: {name: aws-auth}\n") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("kind: Secret\ndata: {}\n", "expected a ConfigMap"),
        ("- a\n- b\n", "expected a ConfigMap"),
        ("kind: ConfigMap\ndata:\n  mapRoles:\n    - rolearn: x\n", "must be a string"),
        ("kind: ConfigMap\ndata:\n  mapAccounts: 111122223333\n", "must be a string"),
        ("kind: ConfigMap\ndata: [1]\n", "mapping"),
        ("a: [\n", "not valid YAML"),
        ("{bad json", "not valid JSON"),
        ('{"kind": "ConfigMap", "data": {"mapRoles": 1}}', "must be a string"),
    ],
)
def test_split_manifest_refuses_what_kubernetes_would(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        split_manifest(text)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["mapRoles", "mapUsers", "mapAccounts", "maproles"]), st.text(max_size=200)
    )
)
def test_parse_never_raises_on_arbitrary_text(data: dict[str, str]) -> None:
    auth = parse_aws_auth(data)
    assert {d.key for d in auth.dropped} <= set(data)


YAMLISH = st.lists(
    st.sampled_from(
        [
            "- ",
            "  ",
            "rolearn: ",
            "userarn: ",
            "groups:",
            "username: ",
            "[",
            "]",
            "{",
            "}",
            "'",
            '"',
            "\n",
            "#",
            ": ",
            "arn:aws:iam::111122223333:role/x",
            "yes",
            "~",
            "&a ",
            "*a",
            "<<: ",
            "---\n",
            "\t",
            "|",
            ">",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(YAMLISH, YAMLISH, YAMLISH)
def test_parse_never_raises_on_yaml_like_text(roles: str, users: str, accounts: str) -> None:
    auth = parse_aws_auth({"mapRoles": roles, "mapUsers": users, "mapAccounts": accounts})
    for role in auth.roles:
        assert role.rolearn and auth.match_role(role.rolearn) is not None
