"""The Kubernetes port: the official client behind the few questions eksaccess asks a cluster.

Answers are plain data (dicts as the API server sends them, or small values); failures become
``KubeCallError`` with the HTTP status, so a 401 (not authenticated), a 403 (not allowed) and a
409 (someone else wrote first) stay distinguishable. Tokens never appear in errors or logs.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s

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


@dataclass(frozen=True, kw_only=True)
class ConfigMapData:
    data: dict[str, str] | None  # None: the ConfigMap does not exist
    resource_version: str | None


class KubeClient:
    """One endpoint, one CA, one bearer token."""

    def __init__(self, *, server: str, ca_data: str | None, token: str | None, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self._timeout = timeout
        config = k8s.Configuration(host=self.server)
        self._ca_file: str | None = None
        if ca_data:
            fd, path = tempfile.mkstemp(prefix="eksaccess-ca-", suffix=".pem")
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.b64decode(ca_data))
            self._ca_file = path
            config.ssl_ca_cert = path
        self._token = token
        config.retries = False
        self._api = k8s.ApiClient(config)

    def close(self) -> None:
        self._api.close()
        if self._ca_file:
            Path(self._ca_file).unlink(missing_ok=True)

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        """One call; returns the decoded JSON body or raises KubeCallError."""
        try:
            response = self._api.call_api(
                path,
                method,
                query_params=list((query or {}).items()),
                header_params=self._headers(),
                body=body,
                _preload_content=False,
                _request_timeout=self._timeout,
            )
        except k8s.ApiException as err:
            raise _api_error(err) from None
        except urllib3.exceptions.MaxRetryError as err:
            raise _transport_error(self.server, err.reason) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise _transport_error(self.server, err) from None
        http = response[0] if isinstance(response, tuple) else response
        raw = http.data
        return json.loads(raw) if raw else None

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
        manifests: list[dict[str, Any]] = []
        for path, kind in RBAC_LISTS:
            out = self.request("GET", path)
            for item in out.get("items") or []:
                item.setdefault("apiVersion", "rbac.authorization.k8s.io/v1")
                item.setdefault("kind", kind)
                _strip_server_fields(item)
                manifests.append(item)
        return manifests

    def namespaces(self) -> list[str]:
        out = self.request("GET", "/api/v1/namespaces")
        return [str((item.get("metadata") or {}).get("name")) for item in out.get("items") or []]


def _strip_server_fields(item: dict[str, Any]) -> None:
    meta = item.get("metadata") or {}
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"):
        meta.pop(key, None)


def _api_error(err: k8s.ApiException) -> KubeCallError:
    status = int(err.status) if err.status else None
    message, reason = f"HTTP {status}", ""
    try:
        body = json.loads(err.body or "")
        message = str(body.get("message") or message)
        reason = str(body.get("reason") or "")
    except (TypeError, ValueError):
        pass
    return KubeCallError(message, status=status, reason=reason)


def _transport_error(server: str, cause: object) -> KubeCallError:
    tls = isinstance(cause, (ssl.SSLError, urllib3.exceptions.SSLError))
    text = str(cause)
    if tls or "CERTIFICATE_VERIFY_FAILED" in text:
        return KubeCallError(f"TLS verification failed for {server}: {text}", status=None, tls=True)
    return KubeCallError(f"cannot reach {server}: {text}", status=None)
