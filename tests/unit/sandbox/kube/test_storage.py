"""KubeObjects: seeding, CRUD, the global resourceVersion and optimistic concurrency."""

from __future__ import annotations

import threading

import pytest

from eksaccess.sandbox.kube.storage import (
    DEFAULT_NAMESPACES,
    AlreadyExistsError,
    ConflictError,
    KubeObjects,
    NotFoundError,
)

CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "c", "namespace": "default"},
    "data": {"a": "1"},
}


def test_seed_creates_namespaces_aws_auth_and_manifests(objects: KubeObjects) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
        "rules": [],
    }
    objects.seed("c1", manifests=[role], aws_auth={"mapRoles": "- rolearn: x\n"})
    names = [o["metadata"]["name"] for o in objects.list("c1", "v1", "Namespace")]
    assert sorted(names) == sorted(DEFAULT_NAMESPACES)
    assert objects.aws_auth_data("c1") == {"mapRoles": "- rolearn: x\n"}
    assert objects.get("c1", "rbac.authorization.k8s.io/v1", "ClusterRole", "", "r")["rules"] == []
    assert objects.aws_auth_data("other") is None
    objects.seed("c1", manifests=[role], aws_auth=None)  # idempotent
    roles = {
        o["metadata"]["name"]: o for o in objects.list("c1", "rbac.authorization.k8s.io/v1", "ClusterRole")
    }
    assert "r" in roles and "cluster-admin" in roles
    # aggregation as the controller does it: admin holds edit's and view's rules
    admin_resources = {res for rule in roles["admin"]["rules"] for res in rule.get("resources", [])}
    assert {"rolebindings", "secrets", "pods"} <= admin_resources


def test_crud_and_revision(objects: KubeObjects) -> None:
    before = objects.revision()
    created = objects.create("c1", CM)
    rv = int(created["metadata"]["resourceVersion"])
    assert rv > before and objects.revision() == rv
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    with pytest.raises(AlreadyExistsError):
        objects.create("c1", CM)
    updated = objects.update("c1", {**created, "data": {"a": "2"}})
    assert int(updated["metadata"]["resourceVersion"]) > rv
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert objects.get("c1", "v1", "ConfigMap", "default", "c")["data"] == {"a": "2"}
    objects.delete("c1", "v1", "ConfigMap", "default", "c")
    with pytest.raises(NotFoundError):
        objects.get("c1", "v1", "ConfigMap", "default", "c")
    with pytest.raises(NotFoundError):
        objects.update("c1", CM)


def test_stale_update_conflicts(objects: KubeObjects) -> None:
    created = objects.create("c1", CM)
    objects.update("c1", {**created, "data": {"a": "2"}})
    with pytest.raises(ConflictError):
        objects.update("c1", {**created, "data": {"a": "3"}})
    no_rv = {**CM, "metadata": {"name": "c", "namespace": "default"}, "data": {"a": "4"}}
    assert objects.update("c1", no_rv)["data"] == {"a": "4"}  # unconditional update


def test_concurrent_updates_from_one_version_exactly_one_wins(objects: KubeObjects) -> None:
    created = objects.create("c1", CM)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def writer(i: int) -> None:
        barrier.wait()
        try:
            objects.update("c1", {**created, "data": {"a": str(i)}})
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["ok"]


def test_label_selector_and_namespace_delete(objects: KubeObjects) -> None:
    objects.seed("c1", manifests=[], aws_auth=None)
    for name, labels in [("a", {"app": "web", "tier": "fe"}), ("b", {"app": "db"}), ("c", {})]:
        objects.create("c1", {**CM, "metadata": {"name": name, "namespace": "default", "labels": labels}})

    def pick(sel: str) -> list[str]:
        return [o["metadata"]["name"] for o in objects.list("c1", "v1", "ConfigMap", "default", sel)]

    assert pick("app=web") == ["a"]
    assert pick("app!=web") == ["b", "c"]
    assert pick("app in (web,db)") == ["a", "b"]
    assert pick("app notin (web),tier") == []
    assert pick("!app") == ["c"]
    assert pick("app") == ["a", "b"]
    objects.delete("c1", "v1", "Namespace", "", "default")
    assert objects.list("c1", "v1", "ConfigMap", "default") == []
