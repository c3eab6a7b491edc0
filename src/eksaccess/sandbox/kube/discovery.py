"""The resources a sandbox cluster serves, and the legacy discovery documents kubectl reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CRUD_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
CREATE_ONLY: tuple[str, ...] = ("create",)


@dataclass(frozen=True, kw_only=True, slots=True)
class Resource:
    group: str
    version: str
    name: str  # plural, as in URLs and RBAC rules
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = CRUD_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def stored(self) -> bool:
        return self.verbs != CREATE_ONLY

    @property
    def group_version(self) -> str:
        return self.api_version


RBAC = "rbac.authorization.k8s.io"
AUTHZ = "authorization.k8s.io"
AUTHN = "authentication.k8s.io"

RESOURCES: tuple[Resource, ...] = (
    Resource(
        group="", version="v1", name="namespaces", kind="Namespace", namespaced=False, short_names=("ns",)
    ),
    Resource(
        group="", version="v1", name="configmaps", kind="ConfigMap", namespaced=True, short_names=("cm",)
    ),
    Resource(group="", version="v1", name="secrets", kind="Secret", namespaced=True),
    Resource(
        group="",
        version="v1",
        name="serviceaccounts",
        kind="ServiceAccount",
        namespaced=True,
        short_names=("sa",),
    ),
    Resource(
        group="",
        version="v1",
        name="pods",
        kind="Pod",
        namespaced=True,
        short_names=("po",),
        categories=("all",),
    ),
    Resource(
        group="",
        version="v1",
        name="services",
        kind="Service",
        namespaced=True,
        short_names=("svc",),
        categories=("all",),
    ),
    Resource(group="", version="v1", name="events", kind="Event", namespaced=True, short_names=("ev",)),
    Resource(group="", version="v1", name="nodes", kind="Node", namespaced=False, short_names=("no",)),
    Resource(
        group="apps",
        version="v1",
        name="deployments",
        kind="Deployment",
        namespaced=True,
        short_names=("deploy",),
        categories=("all",),
    ),
    Resource(group=RBAC, version="v1", name="roles", kind="Role", namespaced=True),
    Resource(group=RBAC, version="v1", name="rolebindings", kind="RoleBinding", namespaced=True),
    Resource(group=RBAC, version="v1", name="clusterroles", kind="ClusterRole", namespaced=False),
    Resource(
        group=RBAC, version="v1", name="clusterrolebindings", kind="ClusterRoleBinding", namespaced=False
    ),
    Resource(
        group=AUTHZ,
        version="v1",
        name="selfsubjectaccessreviews",
        kind="SelfSubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    Resource(
        group=AUTHZ,
        version="v1",
        name="selfsubjectrulesreviews",
        kind="SelfSubjectRulesReview",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    Resource(
        group=AUTHZ,
        version="v1",
        name="subjectaccessreviews",
        kind="SubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    Resource(
        group=AUTHZ,
        version="v1",
        name="localsubjectaccessreviews",
        kind="LocalSubjectAccessReview",
        namespaced=True,
        verbs=CREATE_ONLY,
    ),
    *(
        Resource(
            group=AUTHN,
            version=v,
            name="selfsubjectreviews",
            kind="SelfSubjectReview",
            namespaced=False,
            verbs=CREATE_ONLY,
        )
        for v in ("v1", "v1beta1", "v1alpha1")
    ),
    Resource(
        group=AUTHN,
        version="v1",
        name="tokenreviews",
        kind="TokenReview",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
)

BY_PATH: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.name): r for r in RESOURCES}
BY_KIND: dict[tuple[str, str], Resource] = {(r.api_version, r.kind): r for r in RESOURCES if r.stored}
STORED_KINDS: tuple[tuple[str, str], ...] = tuple(BY_KIND)
RBAC_KINDS: tuple[tuple[str, str], ...] = tuple((r.api_version, r.kind) for r in RESOURCES if r.group == RBAC)


def group_versions() -> dict[str, list[str]]:
    """Group -> versions, preferred first, in the order served."""
    out: dict[str, list[str]] = {}
    for res in RESOURCES:
        versions = out.setdefault(res.group, [])
        if res.version not in versions:
            versions.append(res.version)
    return out


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def api_group_list() -> dict[str, Any]:
    groups = []
    for group, versions in group_versions().items():
        if not group:
            continue
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    for entry in api_group_list()["groups"]:
        if entry["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **entry}
    return None


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    served = [r for r in RESOURCES if r.group == group and r.version == version]
    if not served:
        return None
    items: list[dict[str, Any]] = []
    for res in served:
        item: dict[str, Any] = {
            "name": res.name,
            "singularName": res.singular,
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": list(res.verbs),
        }
        if res.short_names:
            item["shortNames"] = list(res.short_names)
        if res.categories:
            item["categories"] = list(res.categories)
        items.append(item)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": items,
    }


def version_info(kube_version: str) -> dict[str, str]:
    """/version like an EKS cluster of that minor version (``1.31`` -> ``v1.31.0-eks-sandbox``)."""
    major, _, minor = (kube_version or "1.31").partition(".")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{major}.{minor}.0-eks-sandbox",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.22.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
