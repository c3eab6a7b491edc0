"""The API server WSGI app: Status bodies byte for byte, discovery, OpenAPI, CRUD, reviews, impersonation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from eksaccess.domain.access import AccessPolicyAssociation, AccessScope, ScopeType
from eksaccess.sandbox.context import FaultInjector, FaultSettings
from eksaccess.sandbox.kube.app import KubeApp
from eksaccess.sandbox.kube.authn import AuthenticationError, KubeUser
from eksaccess.sandbox.kube.protobuf import CONTENT_TYPE, encode_body
from eksaccess.sandbox.kube.storage import KubeObjects

CLUSTER = "demo"
VIEW_DEV = AccessPolicyAssociation(
    policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
    scope=AccessScope(type=ScopeType.NAMESPACE, namespaces=("dev",)),
)
USERS = {
    "admin": KubeUser(username="admin", uid="u-admin", groups=("system:masters", "system:authenticated")),
    "alice": KubeUser(username="alice", uid="u-alice", groups=("devs", "system:authenticated")),
    "viewer": KubeUser(username="viewer", groups=("system:authenticated",), policies=(VIEW_DEV,)),
}


def authenticate(token: str) -> KubeUser:
    if token not in USERS:
        raise AuthenticationError("identity is not mapped")
    return USERS[token]


@pytest.fixture
def client(objects: KubeObjects) -> Iterator[Client]:
    dev = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}
    objects.seed(CLUSTER, manifests=[dev], aws_auth={"mapRoles": "[]"})
    yield Client(KubeApp(cluster=CLUSTER, objects=objects, authenticate=authenticate))


def call(client: Client, method: str, path: str, token: str | None = "admin", **kw: Any) -> tuple[int, Any]:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if "json" in kw:
        kw["data"] = json.dumps(kw.pop("json"))
        kw.setdefault("content_type", "application/json")
    response = client.open(path, method=method, headers=headers, **kw)
    body = response.get_data()
    ctype = response.headers.get("Content-Type", "")
    return response.status_code, json.loads(body) if ctype.startswith("application/json") else body


def test_unauthorized_body_is_kube_apiservers(client: Client) -> None:
    response = client.get("/api/v1/namespaces", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_data() == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",'
        b'"reason":"Unauthorized","code":401}'
    )


def test_forbidden_body(client: Client) -> None:
    code, body = call(client, "GET", "/api/v1/namespaces/kube-system/configmaps/aws-auth", token="alice")
    assert code == 403
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'configmaps "aws-auth" is forbidden: User "alice" cannot get resource "configmaps" in API '
        'group "" in the namespace "kube-system"',
        "reason": "Forbidden",
        "details": {"name": "aws-auth", "kind": "configmaps"},
        "code": 403,
    }
    code, body = call(client, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", token="alice")
    assert body["message"] == (
        'clusterroles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "clusterroles" '
        'in API group "rbac.authorization.k8s.io" at the cluster scope'
    )
    assert body["details"] == {"group": "rbac.authorization.k8s.io", "kind": "clusterroles"}


def test_anonymous_gets_health_but_not_resources(client: Client) -> None:
    assert call(client, "GET", "/healthz", token=None) == (200, b"ok")
    assert call(client, "GET", "/version", token=None)[1]["gitVersion"].startswith("v1.31")
    code, body = call(client, "GET", "/api/v1/namespaces", token=None)
    assert code == 403 and 'User "system:anonymous" cannot list' in body["message"]


def test_access_policy_scoped_to_namespace(client: Client) -> None:
    assert call(client, "GET", "/api/v1/namespaces/dev/configmaps", token="viewer")[0] == 200
    assert call(client, "GET", "/api/v1/namespaces/default/configmaps", token="viewer")[0] == 403


def test_discovery_documents(client: Client) -> None:
    assert call(client, "GET", "/api")[1]["versions"] == ["v1"]
    groups = {g["name"] for g in call(client, "GET", "/apis")[1]["groups"]}
    assert {"apps", "rbac.authorization.k8s.io", "authorization.k8s.io", "authentication.k8s.io"} <= groups
    core = {r["name"]: r for r in call(client, "GET", "/api/v1")[1]["resources"]}
    assert core["configmaps"]["shortNames"] == ["cm"] and core["namespaces"]["namespaced"] is False
    authn = call(client, "GET", "/apis/authentication.k8s.io")[1]
    assert [v["version"] for v in authn["versions"]] == ["v1", "v1beta1", "v1alpha1"]
    assert call(client, "GET", "/nope")[0] == 404


def test_openapi_v3_announces_server_side_field_validation(client: Client) -> None:
    root = call(client, "GET", "/openapi/v3")[1]["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1"} <= set(root)
    code, doc = call(client, "GET", root["api/v1"]["serverRelativeURL"])
    assert code == 200
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert any(p["name"] == "fieldValidation" and p["in"] == "query" for p in patch["parameters"])
    assert call(client, "GET", "/openapi/v2")[0] == 200


def test_crud_conflict_and_strict_validation(client: Client) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    code, created = call(client, "POST", "/api/v1/namespaces/dev/configmaps", json=cm)
    assert code == 201 and created["metadata"]["namespace"] == "dev"
    code, body = call(client, "POST", "/api/v1/namespaces/dev/configmaps", json=cm)
    assert (code, body["reason"], body["message"]) == (409, "AlreadyExists", 'configmaps "c" already exists')
    fresh = {**created, "data": {"a": "2"}}
    assert call(client, "PUT", "/api/v1/namespaces/dev/configmaps/c", json=fresh)[0] == 200
    code, body = call(
        client, "PUT", "/api/v1/namespaces/dev/configmaps/c", json={**created, "data": {"a": "3"}}
    )
    assert code == 409
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your '
        "changes to the latest version and try again"
    )
    assert body["reason"] == "Conflict" and body["details"] == {"name": "c", "kind": "configmaps"}
    bad = {**cm, "metadata": {"name": "d"}, "dta": {}}
    code, body = call(client, "POST", "/api/v1/namespaces/dev/configmaps?fieldValidation=Strict", json=bad)
    assert (code, body["message"]) == (
        400,
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"',
    )
    code, body = call(client, "GET", "/api/v1/namespaces/dev/configmaps/zzz")
    assert (code, body["message"]) == (404, 'configmaps "zzz" not found')
    assert call(client, "POST", "/api/v1/namespaces/nope/configmaps", json=cm)[1]["message"] == (
        'namespaces "nope" not found'
    )
    code, body = call(client, "DELETE", "/api/v1/namespaces/dev/configmaps/c")
    assert (code, body["status"]) == (200, "Success")


def test_patch_types(client: Client) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "p", "labels": {"x": "1"}},
        "data": {"a": "1"},
    }
    call(client, "POST", "/api/v1/namespaces/dev/configmaps", json=cm)
    url = "/api/v1/namespaces/dev/configmaps/p"
    smp = {"metadata": {"labels": {"x": None, "y": "2"}}, "data": {"b": "2"}}
    code, out = call(
        client, "PATCH", url, data=json.dumps(smp), content_type="application/strategic-merge-patch+json"
    )
    assert code == 200 and out["data"] == {"a": "1", "b": "2"} and out["metadata"]["labels"] == {"y": "2"}
    ops = [{"op": "remove", "path": "/data/a"}]
    code, out = call(client, "PATCH", url, data=json.dumps(ops), content_type="application/json-patch+json")
    assert out["data"] == {"b": "2"}
    stale = {"metadata": {"resourceVersion": "1"}, "data": {"c": "3"}}
    code, out = call(
        client, "PATCH", url, data=json.dumps(stale), content_type="application/merge-patch+json"
    )
    assert (code, out["reason"]) == (409, "Conflict")


def test_table_and_label_selector(client: Client) -> None:
    for name, app in (("a", "web"), ("b", "db")):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": app}}}
        call(client, "POST", "/api/v1/namespaces/dev/configmaps", json=cm)
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    code, table = call(
        client, "GET", "/api/v1/namespaces/dev/configmaps?labelSelector=app%3Dweb", headers=accept
    )
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert [r["cells"][0] for r in table["rows"]] == ["a"]
    plain = call(client, "GET", "/api/v1/namespaces/dev/configmaps")[1]
    assert plain["kind"] == "ConfigMapList" and len(plain["items"]) == 2


def test_reviews_json_and_protobuf(client: Client) -> None:
    ssar = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": {},
        "spec": {"resourceAttributes": {"namespace": "dev", "verb": "list", "resource": "configmaps"}},
    }
    url = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    code, out = call(client, "POST", url, token="viewer", data=encode_body(ssar), content_type=CONTENT_TYPE)
    assert code == 201 and out["status"]["allowed"] is True
    code, out = call(client, "POST", url, token="alice", json=ssar)
    assert out["status"] == {"allowed": False}
    ssr = {"apiVersion": "authentication.k8s.io/v1alpha1", "kind": "SelfSubjectReview", "metadata": {}}
    code, out = call(
        client, "POST", "/apis/authentication.k8s.io/v1alpha1/selfsubjectreviews", token="alice", json=ssr
    )
    assert out["apiVersion"] == "authentication.k8s.io/v1alpha1"
    assert out["status"]["userInfo"] == {
        "username": "alice",
        "uid": "u-alice",
        "groups": ["devs", "system:authenticated"],
    }
    ssrr = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "dev"},
    }
    code, out = call(
        client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", token="alice", json=ssrr
    )
    verbs = [r["verbs"] for r in out["status"]["resourceRules"]]
    assert ["create"] in verbs  # system:basic-user: create selfsubjectaccessreviews
    tr = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "alice"}}
    out = call(client, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", json=tr)[1]
    assert out["status"]["authenticated"] is True and out["status"]["user"]["username"] == "alice"


def test_rbac_write_counts_on_next_request(client: Client) -> None:
    url = "/api/v1/namespaces/dev/secrets"
    assert call(client, "GET", url, token="alice")[0] == 403
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "devs-edit"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}],
    }
    assert (
        call(client, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", json=binding)[
            0
        ]
        == 201
    )
    assert call(client, "GET", url, token="alice")[0] == 200


def test_impersonation(client: Client) -> None:
    code, body = call(
        client, "GET", "/api/v1/namespaces/dev/configmaps", token="alice", headers={"Impersonate-User": "bob"}
    )
    assert (code, body["message"]) == (
        403,
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    )
    headers = {"Impersonate-User": "viewer"}
    code, body = call(client, "GET", "/api/v1/namespaces/dev/configmaps", headers=headers)
    # the impersonated identity gets RBAC only, never the access policies of an access entry
    assert code == 403 and 'User "viewer" cannot list' in body["message"]
    headers = {"Impersonate-User": "system:serviceaccount:dev:default"}
    ssr = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    out = call(
        client, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", headers=headers, json=ssr
    )[1]
    assert out["status"]["userInfo"]["groups"] == [
        "system:serviceaccounts",
        "system:serviceaccounts:dev",
        "system:authenticated",
    ]


def test_throttling_fault_answers_429(objects: KubeObjects) -> None:
    faults = FaultInjector(FaultSettings(throttle_rate=1.0))
    app = KubeApp(cluster=CLUSTER, objects=objects, authenticate=authenticate, faults=faults)
    response = Client(app).get("/api/v1/namespaces", headers={"Authorization": "Bearer admin"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json is not None and response.json["reason"] == "TooManyRequests"
