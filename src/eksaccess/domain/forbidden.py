"""kube-apiserver's words for a refusal: Go's quoting and the 403 Forbidden message, byte for byte."""

from __future__ import annotations

from eksaccess.domain.rbac import Attributes

_SANITIZE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v"}


def go_quote(text: str) -> str:
    """Go's ``%q`` for the strings the API server quotes (strconv.Quote)."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


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
