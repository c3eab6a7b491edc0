"""The Kubernetes port: the few questions eksaccess asks a cluster, over HTTPS with urllib3.

Answers are plain data (dicts as the API server sends them, or small values); failures become
``KubeCallError`` with the HTTP status, so a 401 (not authenticated), a 403 (not allowed) and a
409 (someone else wrote first) stay distinguishable. Tokens never appear in errors or logs.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3

from eksaccess.errors import RemoteError

AWS_AUTH = ("kube-system", "aws-auth")

RBAC_LISTS = (
    ("/apis/rbac.authorization.k8s.io/v1/clusterroles", "ClusterRole"),
    ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "ClusterRoleBinding"),
    ("/apis/rbac.authorization.k8s.io/v1/roles", "Role"),
    ("/apis/rbac.authorization.k8s.io/v1/rolebindings", "RoleBinding"),
)


class KubeCallError(RemoteError):
    def __init__(self, message: str, *, status: int | None, reason: str = "", tls: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.tls = tls


@dataclass(frozen=True, kw_only=True)
class WhoAmI:
    username: str
    groups: tuple[str, ...]
    uid: str
    extra: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class AccessReview:
    allowed: bool
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceAccountInfo:
    namespace: str
    name: str
    annotations: dict[str, str]  # eks.amazonaws.com/* only


EKS_ANNOTATIONS = "eks.amazonaws.com/"


@dataclass(frozen=True, kw_only=True)
class ConfigMapData:
    data: dict[str, str] | None  # None: the ConfigMap does not exist
    resource_version: str | None


@functools.lru_cache(maxsize=16)
def _tls_context(ca_data: str | None) -> ssl.SSLContext:
    """As client-go: with certificate-authority-data, that CA and nothing else is trusted (the system's
    roots are not even loaded: loading them costs ~60 ms of CPU per context); without it, the system's.
    One context per CA, shared by every client (contexts are safe to share between threads)."""
    if not ca_data:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname checked, certificate required
    with contextlib.suppress(ValueError, ssl.SSLError):  # unusable CA data: nothing verifies, as for kubectl
        context.load_verify_locations(cadata=base64.b64decode(ca_data).decode("ascii", "replace"))
    return context


class KubeClient:
    """One endpoint, one CA, one bearer token. HTTP through urllib3 (TLS verified against the CA)."""

    def __init__(self, *, server: str, ca_data: str | None, token: str | None, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self._token = token
        self.last_date: str | None = None  # the Date header of the last response (clock comparisons)
        self._pool = urllib3.PoolManager(
            ssl_context=_tls_context(ca_data),
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            maxsize=8,
        )

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "eksaccess",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        """One call; returns the decoded JSON body or raises KubeCallError."""
        url = self.server + path
        if query:
            url += "?" + urlencode(query)
        payload = json.dumps(body).encode() if body is not None else None
        start = time.monotonic()
        try:
            response = self._pool.request(method, url, body=payload, headers=self._headers(), redirect=False)
        except urllib3.exceptions.SSLError as err:
            _log_request(method, url, start, "TLS verification failed")
            raise KubeCallError(
                f"TLS verification failed for {self.server}: {err}", status=None, tls=True
            ) from None
        except urllib3.exceptions.MaxRetryError as err:
            _log_request(method, url, start, f"unreachable: {err.reason}")
            raise _transport_error(self.server, err.reason) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            _log_request(method, url, start, f"unreachable: {err}")
            raise _transport_error(self.server, err) from None
        _log_request(method, url, start, str(response.status))
        self.last_date = response.headers.get("Date")
        if response.status >= 400:
            raise _status_error(response.status, response.data)
        return json.loads(response.data) if response.data else None

    def whoami(self) -> WhoAmI:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        out = self.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", body)
        info = (out.get("status") or {}).get("userInfo") or {}
        return WhoAmI(
            username=info.get("username", ""),
            groups=tuple(info.get("groups") or ()),
            uid=info.get("uid", ""),
            extra={k: tuple(v) for k, v in (info.get("extra") or {}).items()},
        )

    def can_i(
        self,
        verb: str,
        resource: str,
        *,
        group: str = "",
        subresource: str = "",
        namespace: str = "",
        name: str = "",
    ) -> AccessReview:
        attrs = {"verb": verb, "resource": resource, "group": group}
        for key, value in (("subresource", subresource), ("namespace", namespace), ("name", name)):
            if value:
                attrs[key] = value
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        out = self.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
        status = out.get("status") or {}
        return AccessReview(allowed=bool(status.get("allowed")), reason=str(status.get("reason", "")))

    def get_aws_auth(self) -> ConfigMapData:
        namespace, name = AWS_AUTH
        try:
            out = self.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        except KubeCallError as err:
            if err.status == 404:
                return ConfigMapData(data=None, resource_version=None)
            raise
        meta = out.get("metadata") or {}
        return ConfigMapData(data=dict(out.get("data") or {}), resource_version=meta.get("resourceVersion"))

    def put_aws_auth(self, data: Mapping[str, str], resource_version: str | None) -> str:
        """Create (no resource version) or replace the ConfigMap; 409 when someone wrote first."""
        namespace, name = AWS_AUTH
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": dict(data),
        }
        if resource_version is None:
            out = self.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body)
        else:
            body["metadata"]["resourceVersion"] = resource_version
            out = self.request("PUT", f"/api/v1/namespaces/{namespace}/configmaps/{name}", body)
        return str((out.get("metadata") or {}).get("resourceVersion", ""))

    def rbac_manifests(self) -> list[dict[str, Any]]:
        """Every Role, ClusterRole and binding; the four lists are read concurrently (one round trip)."""
        with ThreadPoolExecutor(max_workers=len(RBAC_LISTS), thread_name_prefix="kube-rbac") as pool:
            pages = list(pool.map(lambda path: self.request("GET", path), [path for path, _ in RBAC_LISTS]))
        manifests: list[dict[str, Any]] = []
        for (_, kind), out in zip(RBAC_LISTS, pages, strict=True):
            for item in out.get("items") or []:
                item.setdefault("apiVersion", "rbac.authorization.k8s.io/v1")
                item.setdefault("kind", kind)
                _strip_server_fields(item)
                manifests.append(item)
        return manifests

    def service_accounts(self) -> list[ServiceAccountInfo]:
        """Every ServiceAccount, with its eks.amazonaws.com/* annotations (the others are dropped)."""
        out = self.request("GET", "/api/v1/serviceaccounts")
        found: list[ServiceAccountInfo] = []
        for item in out.get("items") or []:
            meta = item.get("metadata") or {}
            annotations = meta.get("annotations") or {}
            found.append(
                ServiceAccountInfo(
                    namespace=str(meta.get("namespace", "")),
                    name=str(meta.get("name", "")),
                    annotations={
                        str(k): str(v) for k, v in annotations.items() if str(k).startswith(EKS_ANNOTATIONS)
                    },
                )
            )
        return found

    def namespaces(self) -> list[str]:
        out = self.request("GET", "/api/v1/namespaces")
        return [str((item.get("metadata") or {}).get("name")) for item in out.get("items") or []]


log = logging.getLogger(__name__)


def _log_request(method: str, url: str, start: float, outcome: str) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s %s -> %s in %.0f ms", method, url, outcome, (time.monotonic() - start) * 1000)


def _strip_server_fields(item: dict[str, Any]) -> None:
    meta = item.get("metadata") or {}
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"):
        meta.pop(key, None)


def _status_error(status: int, data: bytes) -> KubeCallError:
    message, reason = f"HTTP {status}", ""
    try:
        body = json.loads(data or b"")
        message = str(body.get("message") or message)
        reason = str(body.get("reason") or "")
    except (TypeError, ValueError, AttributeError):
        pass
    return KubeCallError(message, status=status, reason=reason)


def _transport_error(server: str, cause: object) -> KubeCallError:
    tls = isinstance(cause, (ssl.SSLError, urllib3.exceptions.SSLError))
    text = str(cause)
    if tls or "CERTIFICATE_VERIFY_FAILED" in text:
        return KubeCallError(f"TLS verification failed for {server}: {text}", status=None, tls=True)
    return KubeCallError(f"cannot reach {server}: {text}", status=None)
