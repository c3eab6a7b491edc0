"""kube-apiserver's words for a refusal: Go's quoting and the 403 Forbidden message, byte for byte."""

from __future__ import annotations

from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.go_text import go_quote

_SANITIZE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def kube_forbidden_message(attrs: Attributes, username: str, reason: str = "") -> str:
    """kube-apiserver's 403 message (responsewriters.Forbidden + apierrors.NewForbidden).

    ``pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"``;
    non-resource: ``forbidden: User "u" cannot get path "/x"``; a non-empty reason is appended as
    ``: <reason>`` (unquoted, as in current API servers).
    """
    if not attrs.is_resource_request:
        msg = f"User {go_quote(username)} cannot {attrs.verb} path {go_quote(attrs.path)}"
    else:
        where = f"in the namespace {go_quote(attrs.namespace)}" if attrs.namespace else "at the cluster scope"
        msg = (
            f"User {go_quote(username)} cannot {attrs.verb} resource {go_quote(attrs.combined_resource)} "
            f"in API group {go_quote(attrs.api_group)} {where}"
        )
    detail = msg.translate(_SANITIZE) + (f": {reason}" if reason else "")
    qualified = (
        attrs.resource + (f".{attrs.api_group}" if attrs.api_group else "")
        if attrs.is_resource_request
        else ""
    )
    if not qualified:
        return f"forbidden: {detail}"
    if attrs.name:
        return f"{qualified} {go_quote(attrs.name)} is forbidden: {detail}"
    return f"{qualified} is forbidden: {detail}"
