"""can-i: may this IAM principal do VERB on RESOURCE, and why (or why not).

The chain is walked offline on a ClusterState, wherever it came from: identity resolution (access entry,
aws-auth, cluster creator), then the authorizer chain (system:masters, EKS access policies, RBAC with the
default roles). The answer carries the identity, every allowing reason, and on deny the near misses of both
halves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eksaccess.domain.authz.authorize import Attributes, Authorizer, Decision
from eksaccess.domain.authz.resources import resolve_resource
from eksaccess.domain.iam.identity import Caller, Resolution, resolve_in_state
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """The request to evaluate, as the API server would see it, plus notes on how it was read."""

    attrs: Attributes
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        a = self.attrs
        if not a.is_resource_request:
            return {"verb": a.verb, "path": a.path}
        return {
            "verb": a.verb,
            "resource": a.resource,
            "subresource": a.subresource,
            "apiGroup": a.api_group,
            "name": a.name,
            "namespace": a.namespace,
        }


def build_request(
    verb: str,
    resource: str,
    *,
    name: str = "",
    namespace: str | None = None,
    all_namespaces: bool = False,
) -> Request:
    """Read VERB and RESOURCE the way kubectl auth can-i does; InputError on bad input.

    A RESOURCE starting with ``/`` is a non-resource URL. A namespaced resource is checked in ``namespace``
    (``default`` when not given, all namespaces with ``all_namespaces``); a cluster-scoped one at the cluster
    scope, except a Namespace by name, which the API server checks inside that namespace.
    """
    verb = verb.strip()
    if not verb or any(c.isspace() for c in verb):
        raise InputError(f"invalid verb {verb!r}")
    if all_namespaces and namespace:
        raise InputError("--namespace and --all-namespaces cannot be used together")
    if resource.startswith("/"):
        ignored = ("--name and --namespace do not apply to a non-resource URL",) if name or namespace else ()
        return Request(attrs=Attributes(verb=verb, path=resource), notes=ignored)
    resolved = resolve_resource(resource)
    notes: list[str] = [resolved.note] if resolved.note else []
    if resolved.namespaced:
        ns = "" if all_namespaces else (namespace or DEFAULT_NAMESPACE)
    elif resolved.resource == "namespaces" and resolved.group == "" and name:
        ns = name
    else:
        ns = ""
        if namespace:
            notes.append(f'{resolved.display} is cluster-scoped: --namespace "{namespace}" is ignored')
    attrs = Attributes(
        verb=verb,
        resource=resolved.resource,
        subresource=resolved.subresource,
        api_group=resolved.group,
        name=name,
        namespace=ns,
    )
    return Request(attrs=attrs, notes=tuple(notes))


@dataclass(frozen=True, kw_only=True, slots=True)
class CanIResult:
    allowed: bool
    request: Request
    resolution: Resolution
    decision: Decision | None  # None when the principal is not authenticated

    @property
    def reason(self) -> str:
        if self.decision is not None:
            return self.decision.reason
        return self.resolution.error or "not authenticated: no access entry or aws-auth mapping applies"


def policies_of(resolution: Resolution) -> tuple[Any, ...]:
    """Access policies authorize only for a principal an access entry mapped."""
    entry = resolution.access_entry
    return entry.policies if entry is not None else ()


def evaluate(
    authorizer: Authorizer, resolution: Resolution, request: Request, *, explain: bool = True
) -> CanIResult:
    """Authorize the resolved identity; ``explain=False`` stops at the first grant and skips near misses."""
    identity = resolution.identity
    if identity is None:
        return CanIResult(allowed=False, request=request, resolution=resolution, decision=None)
    entry = resolution.access_entry
    decision = authorizer.authorize(
        request.attrs,
        username=identity.username,
        groups=identity.groups,
        policies=policies_of(resolution),
        principal_arn=entry.principal_arn if entry is not None else "",
        explain=explain,
    )
    return CanIResult(allowed=decision.allowed, request=request, resolution=resolution, decision=decision)


def authorizer_for(state: ClusterState) -> Authorizer:
    """The cluster's authorizer: its RBAC objects plus the default roles, aggregated."""
    return Authorizer.from_manifests(state.kubernetes)


def can_i(
    state: ClusterState, *, caller: Caller, request: Request, authorizer: Authorizer | None = None
) -> CanIResult:
    """Resolve the caller on the cluster, then authorize the request."""
    resolution = resolve_in_state(state, caller)
    return evaluate(authorizer or authorizer_for(state), resolution, request)
