"""The API server's Node authorizer and NodeRestriction admission plugin, for kubelets.

EKS runs ``--authorization-mode=Node,RBAC`` with NodeRestriction: a caller that is a node to the Node
authorizer (``system:node:<name>`` in ``system:nodes``) may create, read and update Node objects before RBAC
is asked; NodeRestriction then refuses a node's write to any Node object but its own. Other callers, even
in ``system:nodes``, get no opinion and fall to RBAC, which binds nothing to ``system:nodes`` in a cluster
with the Node authorizer. The rules are ``domain.nodes``'s, shared with doctor.
"""

from __future__ import annotations

from typing import Any

from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.go_text import go_quote
from eksaccess.domain.nodes import node_allows, node_identity, node_refusal
from eksaccess.sandbox.kube import status
from eksaccess.sandbox.kube.authn import KubeUser
from eksaccess.sandbox.kube.requestinfo import RequestInfo


def node_authorizes(attrs: Attributes, user: KubeUser) -> bool:
    """Whether the Node authorizer allows the request (False: no opinion, RBAC decides)."""
    if not attrs.is_resource_request:
        return False
    node = node_identity(user.username, user.groups)
    return node_allows(node, verb=attrs.verb, api_group=attrs.api_group, resource=attrs.combined_resource)


def admit_node_write(info: RequestInfo, user: KubeUser, body: dict[str, Any] | None) -> None:
    """NodeRestriction: a node writes only its own Node object (403 in the plugin's words)."""
    if not info.is_resource or info.group != "" or info.resource != "nodes":
        return
    node = node_identity(user.username, user.groups)
    name = info.name or str(((body or {}).get("metadata") or {}).get("name") or "")
    resource = f"nodes/{info.subresource}" if info.subresource else "nodes"
    refusal = node_refusal(node, verb=info.verb, api_group=info.group, resource=resource, name=name)
    if refusal is not None:
        message = f"nodes {go_quote(name)} is forbidden: {refusal}"
        raise status.forbidden("nodes", "", name, message)
