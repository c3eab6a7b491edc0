"""The Kubernetes API server of one sandbox cluster, as a WSGI application.

Per request: fault injection -> authentication (bearer token, 401 Status on failure) -> impersonation
(``impersonate`` verb checks; the impersonated identity gets RBAC only) -> authorization (EKS access policies
united with RBAC; 403 Status in kube-apiserver's words) -> discovery, OpenAPI, health, the review kinds or
the stored objects.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.escalation import (
    RoleNotFoundError,
    binding_refusal,
    impersonated_groups,
    impersonation_attributes,
    role_write_refusal,
)
from eksaccess.domain.authz.forbidden import kube_forbidden_message
from eksaccess.domain.authz.rbac import Attributes, parse_rules
from eksaccess.domain.go_text import go_quote
from eksaccess.sandbox.kube import discovery, openapi, protobuf, status
from eksaccess.sandbox.kube.authn import ANONYMOUS, AuthenticationError, KubeUser
from eksaccess.sandbox.kube.controllers import aggregate_cluster_roles_in
from eksaccess.sandbox.kube.discovery import BY_PATH, RBAC, STORED_KINDS, Resource
from eksaccess.sandbox.kube.handlers import ResourceHandler, WriteGuard
from eksaccess.sandbox.kube.node_authorizer import admit_node_write, node_authorizes
from eksaccess.sandbox.kube.requestinfo import RequestInfo, parse_request
from eksaccess.sandbox.kube.reviews import ReviewHandler
from eksaccess.sandbox.kube.storage import KubeObjects
from eksaccess.sandbox.kube.token_request import TokenRequestHandler
from eksaccess.sandbox.kube.token_request import decode as decode_token_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from eksaccess.sandbox.context import FaultInjector, SandboxContext

Reply = tuple[int, Any]
JSON_TYPE = "application/json"
OPENAPI_V2_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
HEALTH = ("/healthz", "/livez", "/readyz")
MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's --max-request-body-bytes default: 413 beyond
_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
}


class AuthorizerCache:
    """Rebuilds the cluster's Authorizer when the stored objects changed (global resourceVersion)."""

    def __init__(self, cluster: str, objects: KubeObjects) -> None:
        self.cluster = cluster
        self.objects = objects
        self._lock = threading.Lock()
        self._revision = -1
        self._authorizer: Authorizer | None = None

    def __call__(self) -> Authorizer:
        revision = self.objects.revision()
        with self._lock:
            if self._authorizer is None or revision != self._revision:
                rbac = [(v, k) for v, k in STORED_KINDS if v.startswith(RBAC)]
                manifests = self.objects.list_all(self.cluster, rbac)
                self._authorizer = Authorizer.from_manifests(manifests)
                self._revision = revision
            return self._authorizer


class KubeApp:
    """WSGI application; everything it needs comes in through the constructor."""

    def __init__(
        self,
        *,
        cluster: str,
        objects: KubeObjects,
        authenticate: Callable[[str], KubeUser],
        authorizer: Callable[[], Authorizer] | None = None,
        faults: FaultInjector | None = None,
        log: logging.Logger | None = None,
        kube_version: str = "1.31",
        on_rbac_write: Callable[[], None] | None = None,
        token_requests: TokenRequestHandler | None = None,
    ) -> None:
        self.cluster = cluster
        self.objects = objects
        self.authenticate = authenticate
        self.authorizer = authorizer or AuthorizerCache(cluster, objects)
        self.faults = faults
        self.log = log or logging.getLogger("eksaccess.sandbox.kube")
        self.kube_version = kube_version
        self.on_rbac_write = on_rbac_write
        self.token_requests = token_requests  # serviceaccounts/token (token_request.py)
        self.resources = ResourceHandler(cluster=cluster, objects=objects, on_write=self._written)
        self.reviews = ReviewHandler(authorizer=self.authorizer, authenticate=authenticate)

    def _written(self, res: Resource) -> None:
        if res.kind == "ClusterRole":
            aggregate_cluster_roles_in(self.objects, self.cluster)
        if res.group == RBAC and self.on_rbac_write is not None:
            self.on_rbac_write()

    # WSGI ----------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            code, body, ctype, headers = self._serve(environ)
        except status.ApiError as err:
            code, body, ctype, headers = err.code, err.body(), JSON_TYPE, list(err.headers)
        except Exception as err:  # a server never dies on one request
            self.log.exception("kube %s: internal error", self.cluster)
            failure = status.internal_error(type(err).__name__)
            code, body, ctype, headers = 500, failure.body(), JSON_TYPE, []
        payload = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        headers = [("Content-Type", ctype), ("Content-Length", str(len(payload))), *headers]
        start_response(f"{code} {_REASONS.get(code, 'Status')}", headers)
        return [payload]

    def _serve(self, environ: WSGIEnvironment) -> tuple[int, Any, str, list[tuple[str, str]]]:
        self._faults()
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/")) or "/"
        query = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
        user = self._authenticate(environ)
        user = self._impersonate(environ, user)
        info = parse_request(method, path, query)
        self._authorize(info, user)
        if not info.is_resource:
            return self._non_resource(path, info, query)
        if info.resource == "serviceaccounts" and info.subresource == "token" and self.token_requests:
            ctype = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip()
            request = decode_token_request(ctype, _read_body(environ))
            code, answer = self.token_requests.handle(info, request)
            return code, answer, JSON_TYPE, []
        res = BY_PATH.get((info.group, info.version, info.resource))
        if res is None or (info.namespace and not res.namespaced and res.kind != "Namespace"):
            raise status.resource_not_found()
        accept = str(environ.get("HTTP_ACCEPT", ""))
        ctype = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip()
        raw = _read_body(environ)
        body = _decode(ctype, raw, res) if method in ("POST", "PUT") else None
        admit_node_write(info, user, body)
        if not res.stored:
            code, obj = self.reviews.handle(res, info, body, user)
            return code, obj, JSON_TYPE, []
        table = "as=Table" in accept
        guard = self._escalation_guard(user) if res.group == RBAC else None
        code, obj = self.resources.handle(res, info, query, body, ctype, raw, table, guard)
        return code, obj, JSON_TYPE, []

    def _faults(self) -> None:
        if self.faults is None:
            return
        decision = self.faults.before_request("kube")
        if decision is None:
            return
        if decision.delay_seconds:
            time.sleep(decision.delay_seconds)
        if decision.kind is None:
            return
        if decision.kind.value == "throttle":
            raise status.too_many_requests()
        raise status.internal_error("injected fault")

    # authentication, impersonation, authorization ------------------------------------------------------

    def _authenticate(self, environ: WSGIEnvironment) -> KubeUser:
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized()
        try:
            return self.authenticate(token)
        except AuthenticationError as err:
            client = f"{environ.get('REMOTE_ADDR', '')}:{environ.get('REMOTE_PORT', '')}"
            self.log.warning('access denied cluster=%s client="%s" error="%s"', self.cluster, client, err)
            raise _unauthorized() from None

    def _check(self, attrs: Attributes, user: KubeUser) -> None:
        if node_authorizes(attrs, user):  # Node,RBAC: the Node authorizer is asked first
            return
        decision = self.authorizer().authorize(
            attrs,
            username=user.username,
            groups=user.groups,
            policies=user.policies,
            principal_arn=user.principal_arn,
            explain=False,
        )
        if not decision.allowed:
            message = kube_forbidden_message(attrs, user.username, decision.reason)
            raise status.forbidden(attrs.resource, attrs.api_group, attrs.name, message)

    def _escalation_guard(self, user: KubeUser) -> WriteGuard:
        """The RBAC storage's escalation prevention (https://github.com/kubernetes/kubernetes/blob/master/pkg/registry/rbac/escalation_check.go), on the object about to be stored."""

        def guard(res: Resource, obj: dict[str, Any], stored: dict[str, Any] | None) -> None:
            if stored is not None and _only_gc_fields_differ(obj, stored):
                return
            meta = obj.get("metadata") or {}
            name, namespace = str(meta.get("name", "")), str(meta.get("namespace", "") or "")
            if res.kind in ("Role", "ClusterRole"):
                rules = parse_rules(obj.get("rules"))
                refusal = role_write_refusal(
                    self.authorizer(),
                    username=user.username,
                    groups=user.groups,
                    policies=user.policies,
                    role_kind=res.kind,
                    name=name,
                    namespace=namespace,
                    rules=rules,
                )
            else:
                ref = obj.get("roleRef") or {}
                kind, role = str(ref.get("kind", "")), str(ref.get("name", ""))
                try:
                    refusal = binding_refusal(
                        self.authorizer(),
                        username=user.username,
                        groups=user.groups,
                        policies=user.policies,
                        role_kind=kind,
                        role_name=role,
                        namespace=namespace,
                    )
                except RoleNotFoundError:
                    raise status.not_found(
                        "roles" if kind == "Role" else "clusterroles", RBAC, role
                    ) from None
            if refusal is not None:
                message = f"{status.qualified(res.name, res.group)} {go_quote(name)} is forbidden: {refusal}"
                raise status.forbidden(res.name, res.group, name, message)

        return guard

    def _impersonate(self, environ: WSGIEnvironment, user: KubeUser) -> KubeUser:
        target = str(environ.get("HTTP_IMPERSONATE_USER", "")).strip()
        groups = [g.strip() for g in str(environ.get("HTTP_IMPERSONATE_GROUP", "")).split(",") if g.strip()]
        uid = str(environ.get("HTTP_IMPERSONATE_UID", "")).strip() or None
        extra: dict[str, list[str]] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_IMPERSONATE_EXTRA_"):
                name = unquote(key[len("HTTP_IMPERSONATE_EXTRA_") :].lower().replace("_", "-"))
                extra[name] = [v.strip() for v in str(value).split(",") if v.strip()]
        if not target:
            if groups or uid or extra:
                raise status.internal_error("requested impersonation of groups, uid or extra without a user")
            return user
        for attrs in impersonation_attributes(user=target, groups=groups, uid=uid, extra=extra):
            self._check(attrs, user)
        extras = {k: tuple(v) for k, v in extra.items()}
        groups_after = impersonated_groups(target, groups)
        return KubeUser(username=target, uid=uid or "", groups=groups_after, extra=extras)

    def _authorize(self, info: RequestInfo, user: KubeUser) -> None:
        self._check(info.attributes(), user)

    # non-resource paths --------------------------------------------------------------------------------

    def _non_resource(
        self, path: str, info: RequestInfo, query: dict[str, str]
    ) -> tuple[int, Any, str, list[tuple[str, str]]]:
        if info.verb != "get":
            raise status.method_not_allowed(info.verb, "")
        clean = path.rstrip("/") or "/"
        if clean in HEALTH:
            return 200, b"ok", "text/plain; charset=utf-8", []
        if clean == "/version":
            return 200, discovery.version_info(self.kube_version), JSON_TYPE, []
        doc = _discovery_doc(clean)
        if doc is not None:
            return 200, doc, JSON_TYPE, []
        if clean == "/openapi/v2":
            # an empty gnostic openapi_v2.Document: kubectl <= 1.29 fetches it (apply, validation) and then
            # finds no schema for the kind, so it uses its built-in types; validation is left to the server
            return 200, b"", OPENAPI_V2_TYPE, []
        if clean == "/openapi/v3":
            return 200, openapi.root_doc(), JSON_TYPE, []
        if clean.startswith("/openapi/v3/"):
            body = openapi.doc_for_path(clean[len("/openapi/v3/") :])
            if body is not None:
                return 200, body, JSON_TYPE, [("Cache-Control", "public, immutable")]
        return 404, b"404 page not found\n", "text/plain; charset=utf-8", []


def _discovery_doc(path: str) -> Any:
    parts = path.strip("/").split("/")
    if path == "/api":
        return discovery.api_versions()
    if path == "/apis":
        return discovery.api_group_list()
    if parts[0] == "api" and len(parts) == 2:
        return discovery.resource_list("", parts[1])
    if parts[0] == "apis" and len(parts) == 2:
        return discovery.api_group(parts[1])
    if parts[0] == "apis" and len(parts) == 3:
        return discovery.resource_list(parts[1], parts[2])
    return None


def _only_gc_fields_differ(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Updates that touch only ownerReferences/finalizers skip the escalation check."""

    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _GC_AND_SERVER_FIELDS}
        return {**{k: v for k, v in obj.items() if k != "metadata"}, "metadata": meta}

    return strip(new) == strip(old)


_GC_AND_SERVER_FIELDS = frozenset(
    {
        "ownerReferences",
        "finalizers",
        "resourceVersion",
        "generation",
        "managedFields",
        "uid",
        "creationTimestamp",
    }
)


def _unauthorized() -> status.ApiError:
    return status.ApiError(code=401, reason="Unauthorized", message="Unauthorized")


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    if length > MAX_BODY_BYTES:
        raise status.ApiError(
            code=413,
            reason="RequestEntityTooLarge",
            message=f"Request entity too large: limit is {MAX_BODY_BYTES}",
        )
    data: bytes = environ["wsgi.input"].read(length)
    return data


def _decode(ctype: str, raw: bytes, res: Resource) -> dict[str, Any] | None:
    if not raw:
        return None
    if ctype == protobuf.CONTENT_TYPE:
        try:
            return protobuf.decode_body(raw, res.kind)
        except (protobuf.ProtobufError, UnicodeDecodeError) as err:
            if "not supported" in str(err):
                raise status.unsupported_media_type(ctype) from None
            raise status.bad_request(str(err)) from None
    if ctype in ("", JSON_TYPE, "application/yaml", "*/*"):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as err:  # RecursionError: nesting too deep
            raise status.bad_request(f"couldn't get version/kind; json parse error: {err}") from None
        if not isinstance(value, dict):
            raise status.bad_request("the body of the request was not a JSON object")
        return value
    raise status.unsupported_media_type(ctype)


def make_kube_app(cluster_name: str, ctx: SandboxContext) -> WSGIApplication:
    """The API server of one sandbox cluster (authentication through the sandbox STS, see mapping.py)."""
    from eksaccess.sandbox.kube.mapping import ClusterAuthenticator

    objects = KubeObjects(ctx.store)
    record = ctx.store.get_cluster(cluster_name)
    authenticate = ClusterAuthenticator(cluster=cluster_name, ctx=ctx, objects=objects)
    tokens = None
    if record is not None:
        from eksaccess.sandbox.oidc import cluster_issuer, sign_token

        tokens = TokenRequestHandler(
            cluster=cluster_name,
            objects=objects,
            issuer=cluster_issuer(record),
            sign=lambda claims: sign_token(ctx.store, record, claims),
            clock=lambda: time.time() + ctx.clock_offset.total_seconds(),  # the scenario's clock
        )
    return KubeApp(
        cluster=cluster_name,
        objects=objects,
        authenticate=authenticate,
        faults=ctx.faults,
        log=ctx.log,
        kube_version=record.version if record else "1.31",
        token_requests=tokens,
    )
