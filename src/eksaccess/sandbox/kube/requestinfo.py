"""URL -> request attributes, as kube-apiserver's RequestInfoFactory splits them."""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.domain.authz.rbac import Attributes

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_METHOD_VERBS = {
    "POST": "create",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
    "GET": "get",
    "HEAD": "get",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestInfo:
    is_resource: bool
    verb: str
    path: str
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""

    def attributes(self) -> Attributes:
        if not self.is_resource:
            return Attributes(verb=self.verb, path=self.path)
        return Attributes(
            verb=self.verb,
            resource=self.resource,
            subresource=self.subresource,
            api_group=self.group,
            name=self.name,
            namespace=self.namespace,
        )


def parse_request(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    """Split a request path; anything outside /api/v1/... and /apis/<g>/<v>/... is a non-resource request."""
    lowered = method.lower()
    non_resource = RequestInfo(
        is_resource=False, verb=lowered if method not in ("GET", "HEAD") else "get", path=path
    )
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return non_resource
    if parts[0] == "api":
        if len(parts) < 3:
            return non_resource
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return non_resource
        group, version, rest = parts[1], parts[2], parts[3:]
    verb = _METHOD_VERBS.get(method, lowered)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if not name:
        if verb == "get":
            verb = "watch" if query.get("watch") in ("true", "1") else "list"
        elif verb == "delete":
            verb = "deletecollection"
    return RequestInfo(
        is_resource=True,
        verb=verb,
        path=path,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
    )
