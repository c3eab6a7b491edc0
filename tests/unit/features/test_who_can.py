"""who-can on a ClusterState: IAM principals with their paths, then subjects no principal maps to.
The cluster is the one of test_can_i (access entries, aws-auth rows, mapAccounts, RBAC), repeated here.
On random states, the fast who-can answers exactly as the straightforward per-principal one (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.iam.identity import Caller, MappingKind
from eksaccess.domain.state import parse_cluster_state
from eksaccess.features.analyze.can_i import authorizer_for, build_request, can_i
from eksaccess.features.analyze.who_can import Directory, who_can, who_can_per_principal

A = "111122223333"
OTHER = "222233334444"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def crb(name: str, role: str, *subjects: dict[str, str], namespace: str = "") -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def group(name: str) -> dict[str, str]:
    return {"kind": "Group", "name": name}


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "name": name}


STATE: dict[str, Any] = {
    "apiVersion": "eksaccess/v1",
    "kind": "ClusterState",
    "cluster": {
        "name": "prod",
        "region": "eu-west-1",
        "accountId": A,
        "arn": f"arn:aws:eks:eu-west-1:{A}:cluster/prod",
    },
    "authenticationMode": "API_AND_CONFIG_MAP",
    "accessEntries": [
        {
            "principalArn": f"arn:aws:iam::{A}:role/Admin",
            "accessPolicies": [
                {"policyArn": POLICY + "AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}
            ],
        },
        {
            "principalArn": f"arn:aws:iam::{A}:role/Dev",
            "kubernetesGroups": ["developers"],
            "accessPolicies": [
                {
                    "policyArn": POLICY + "AmazonEKSViewPolicy",
                    "accessScope": {"type": "namespace", "namespaces": ["dev-*"]},
                }
            ],
        },
        {"principalArn": f"arn:aws:iam::{A}:user/alice", "username": "alice"},
    ],
    "awsAuth": {
        "mapRoles": (
            f"- rolearn: arn:aws:iam::{A}:role/ops\n  username: ops:{{{{SessionName}}}}\n  groups: [ops]\n"
            f"- rolearn: arn:aws:iam::{A}:role/breakglass\n  username: breakglass\n  groups: [system:masters]\n"
        ),
        "mapUsers": f"- userarn: arn:aws:iam::{A}:user/bob\n  username: bob\n  groups: [viewers]\n",
        "mapAccounts": f'- "{OTHER}"\n',
    },
    "kubernetes": [
        crb("ops-view", "view", group("ops")),
        crb("developers-edit", "edit", group("developers"), namespace="dev-a"),
        crb("bob-view", "view", user("bob"), namespace="prod"),
        crb("ci", "edit", {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}),
        crb("auditors", "view", group("auditors")),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "secret-reader"},
            "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}],
        },
        crb("reader", "secret-reader", user(f"arn:aws:iam::{OTHER}:role/reader")),
    ],
}


def ask(verb: str, resource: str, state: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    cluster = parse_cluster_state(json.dumps(state or STATE))
    return who_can(cluster, build_request(verb, resource, **kwargs))


def arns(result: Any) -> dict[str, str]:
    return {p.arn: p.via for p in result.principals}


def test_delete_pods_in_dev_a() -> None:
    result = ask("delete", "pods", namespace="dev-a")
    found = arns(result)
    assert (
        found[f"arn:aws:iam::{A}:role/Admin"]
        == "access entry -> access policy AmazonEKSClusterAdminPolicy (cluster)"
    )
    assert found[f"arn:aws:iam::{A}:role/Dev"] == (
        'access entry -> Group "developers" -> RoleBinding "developers-edit/dev-a" -> ClusterRole "edit"'
    )
    assert found[f"arn:aws:iam::{A}:role/breakglass"].startswith(
        'aws-auth mapRoles[1] -> Group "system:masters"'
    )
    assert f"arn:aws:iam::{A}:role/ops" not in found  # view only
    assert f"arn:aws:iam::{A}:user/alice" not in found
    subjects = {(s.kind, s.name, s.namespace) for s in result.subjects}
    assert ("ServiceAccount", "deployer", "ci") in subjects
    assert not any(s.name == "system:masters" for s in result.subjects)  # breakglass maps to it


def test_list_pods_in_prod_shows_aws_auth_paths_and_unmapped_groups() -> None:
    result = ask("list", "pods", namespace="prod")
    found = arns(result)
    assert found[f"arn:aws:iam::{A}:role/ops"] == (
        'aws-auth mapRoles[0] -> Group "ops" -> ClusterRoleBinding "ops-view" -> ClusterRole "view"'
    )
    assert found[f"arn:aws:iam::{A}:user/bob"] == (
        'aws-auth mapUsers[0] -> User "bob" -> RoleBinding "bob-view/prod" -> ClusterRole "view"'
    )
    assert f"arn:aws:iam::{A}:role/Dev" not in found  # its policy is scoped to dev-*
    assert ("Group", "auditors") in {(s.kind, s.name) for s in result.subjects}


def test_principals_bound_by_arn_through_map_accounts() -> None:
    result = ask("get", "secrets", namespace="default")
    found = arns(result)
    assert found[f"arn:aws:iam::{OTHER}:role/reader"].startswith("aws-auth mapAccounts -> User")
    reader = next(p for p in result.principals if p.arn == f"arn:aws:iam::{OTHER}:role/reader")
    assert reader.source is MappingKind.MAP_ACCOUNTS
    assert not any(s.name == f"arn:aws:iam::{OTHER}:role/reader" for s in result.subjects)


def test_any_principal_of_a_mapped_account() -> None:
    result = ask("get", "/version")
    assert f"arn:aws:iam::{OTHER}:*" in arns(result)
    assert ("Group", "system:unauthenticated") in {(s.kind, s.name) for s in result.subjects}


def test_system_masters_listed_when_no_principal_maps_to_it() -> None:
    state = {**STATE, "awsAuth": None}
    result = ask("delete", "nodes", state)
    assert any(s.kind == "Group" and s.name == "system:masters" for s in result.subjects)


def test_who_can_agrees_with_can_i_for_every_known_principal() -> None:
    cluster = parse_cluster_state(json.dumps(STATE))
    callers = [
        f"arn:aws:iam::{A}:role/Admin",
        f"arn:aws:iam::{A}:role/Dev",
        f"arn:aws:iam::{A}:user/alice",
        f"arn:aws:iam::{A}:role/ops",
        f"arn:aws:iam::{A}:role/breakglass",
        f"arn:aws:iam::{A}:user/bob",
    ]
    for verb, resource, ns in [
        ("delete", "pods", "dev-a"),
        ("list", "pods", "prod"),
        ("get", "secrets", "dev-b"),
        ("create", "rolebindings.rbac.authorization.k8s.io", "dev-a"),
    ]:
        request = build_request(verb, resource, namespace=ns)
        listed = set(arns(who_can(cluster, request)))
        for arn in callers:
            session = "eksaccess-who-can" if ":role/" in arn else None
            allowed = can_i(cluster, caller=Caller(arn=arn, session_name=session), request=request).allowed
            assert (arn in listed) is allowed, (verb, resource, ns, arn)


# ------------------------------------------------------------ fast who-can == the per-principal reference

ROLES = [f"arn:aws:iam::{A}:role/{n}" for n in ("ops", "dev", "team/dev", "Admin")]
USERS = [f"arn:aws:iam::{A}:user/{n}" for n in ("alice", "bob")] + [f"arn:aws:iam::{OTHER}:role/reader"]
USERNAMES = [None, "alice", "ops:{{SessionName}}", "shared", "x:{{SessionNameRaw}}"]
GROUPS = ["devs", "ops", "viewers"]
NAMESPACES = ["dev-a", "prod"]
POLICIES = ["AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSMadeUp"]


@st.composite
def access_entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    entries = []
    for arn in draw(st.lists(st.sampled_from(ROLES + USERS), max_size=4, unique=True)):
        entry: dict[str, Any] = {"principalArn": arn}
        if username := draw(st.sampled_from(USERNAMES)):
            entry["username"] = username
        entry["kubernetesGroups"] = draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))
        policies = []
        for name in draw(st.lists(st.sampled_from(POLICIES), max_size=2, unique=True)):
            namespaces = draw(st.lists(st.sampled_from([*NAMESPACES, "dev-*"]), min_size=1, max_size=2))
            scope = (
                {"type": "namespace", "namespaces": namespaces}
                if draw(st.booleans())
                else {"type": "cluster"}
            )
            policies.append({"policyArn": POLICY + name, "accessScope": scope})
        entry["accessPolicies"] = policies
        entries.append(entry)
    return entries


@st.composite
def aws_auth(draw: st.DrawFn) -> dict[str, str] | None:
    if not draw(st.integers(0, 3)):
        return None
    row_groups = st.lists(st.sampled_from([*GROUPS, "system:masters"]), max_size=2, unique=True)
    row_names = st.sampled_from(["shared", "ops:{{SessionName}}", "bob", "{{AccountID}}-x"])
    roles = [
        {"rolearn": draw(st.sampled_from(ROLES)), "username": draw(row_names), "groups": draw(row_groups)}
        for _ in range(draw(st.integers(0, 3)))
    ]
    users = [
        {"userarn": draw(st.sampled_from(USERS[:2])), "username": draw(row_names), "groups": draw(row_groups)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    data = {"mapRoles": json.dumps(roles), "mapUsers": json.dumps(users)}
    if draw(st.integers(0, 3)):
        data["mapAccounts"] = json.dumps([OTHER])
    return data


@st.composite
def rbac(draw: st.DrawFn) -> list[dict[str, Any]]:
    subject = st.one_of(
        st.sampled_from(GROUPS + ["system:masters", "system:authenticated"]).map(group),
        st.sampled_from(["alice", "shared", "bob", "ops:eksaccess-who-can", *ROLES, USERS[2]]).map(user),
        st.sampled_from(NAMESPACES).map(
            lambda ns: {"kind": "ServiceAccount", "name": "app", "namespace": ns}
        ),
    )
    name = draw(st.sampled_from(["custom", "cluster-admin"]))  # may override the default cluster-admin
    manifests: list[dict[str, Any]] = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": [
                {
                    "verbs": draw(st.lists(st.sampled_from(["get", "list", "delete", "*"]), min_size=1)),
                    "apiGroups": ["", "apps"],
                    "resources": draw(
                        st.lists(st.sampled_from(["pods", "secrets", "*", "nodes"]), min_size=1)
                    ),
                }
            ],
        }
    ]
    if draw(st.booleans()):  # an IAM ARN as a User subject, for principals only mapAccounts maps
        manifests.append(crb("by-arn", name, user(draw(st.sampled_from([ROLES[1], USERS[2]])))))
    for i in range(draw(st.integers(0, 6))):
        namespace = draw(st.sampled_from(["", *NAMESPACES]))
        role = draw(st.sampled_from(["view", "edit", "admin", "cluster-admin", "custom", "missing"]))
        manifests.append(crb(f"b{i}", role, *draw(st.lists(subject, max_size=3)), namespace=namespace))
    return manifests


@st.composite
def states(draw: st.DrawFn) -> Any:
    data = {
        **STATE,
        "authenticationMode": draw(st.sampled_from(["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"])),
        "accessEntries": draw(access_entries()),
        "awsAuth": draw(aws_auth()),
        "kubernetes": draw(rbac()),
    }
    creator = draw(st.sampled_from([None, ROLES[0], USERS[1]]))
    data["cluster"] = {**STATE["cluster"], "creatorArn": creator}
    return parse_cluster_state(json.dumps(data))


questions = st.tuples(
    st.sampled_from(["get", "list", "delete", "create", "impersonate"]),
    st.sampled_from(["pods", "secrets", "nodes", "deployments", "/version", "/metrics"]),
    st.sampled_from([None, *NAMESPACES]),
    st.booleans(),
)


@settings(max_examples=120)
@given(states(), st.lists(questions, min_size=1, max_size=4))
def test_fast_who_can_equals_the_per_principal_reference(cluster: Any, asked: list[Any]) -> None:
    """Warm (one authorizer and directory for every question), who-can answers exactly as asking the whole
    chain, principal by principal, on the naive evaluator that scans every binding."""
    authorizer = authorizer_for(cluster)
    directory = Directory(cluster)
    naive = Authorizer.from_manifests(cluster.kubernetes, naive=True)
    for verb, resource, namespace, all_namespaces in asked:
        if resource.startswith("/"):
            request = build_request(verb, resource)
        else:
            request = build_request(
                verb, resource, namespace=namespace, all_namespaces=all_namespaces and not namespace
            )
        fast = who_can(cluster, request, authorizer=authorizer, directory=directory)
        reference = who_can_per_principal(cluster, request, authorizer=naive, directory=Directory(cluster))
        assert fast == reference
