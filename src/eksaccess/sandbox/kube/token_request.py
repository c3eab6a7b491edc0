"""TokenRequest: ``POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`` (authentication.k8s.io/v1), what
``kubectl create token NAME --audience sts.amazonaws.com`` sends (JSON, or protobuf from kubectl 1.32).

As kube-apiserver answers it (kubernetes ``pkg/registry/core/serviceaccount/storage/token.go``,
``pkg/apis/authentication/validation``; shared/facts/workload-identity.md §1):

* RBAC: verb ``create`` on ``serviceaccounts/token`` (the API server's authorizer, before this handler);
* the service account must exist (404 NotFound);
* ``spec.expirationSeconds``: default 3600; under 600 "may not specify a duration less than 10 minutes",
  over 2^32 "may not specify a duration larger than 2^32 seconds" (422 Invalid);
* ``spec.audiences``: empty means the API server's audiences (EKS: ``https://kubernetes.default.svc``);
* ``spec.boundObjectRef`` (Pod, Secret or Node): the object must exist (404), its UID match when given
  (409 Conflict), a pod must run as the service account (400);
* the token: RS256, signed by the cluster's OIDC issuer key (``sandbox/oidc.py``), claims ``iss``, ``sub``
  ``system:serviceaccount:NS:NAME``, ``aud`` (array), ``iat``/``nbf``/``exp``, ``kubernetes.io``.

The sandbox's API server does not take these tokens as bearer tokens (it authenticates IAM only).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from eksaccess.domain.go_text import go_quote
from eksaccess.domain.workload.oidc import service_account_claims
from eksaccess.sandbox.kube import protobuf, status
from eksaccess.sandbox.kube.requestinfo import RequestInfo
from eksaccess.sandbox.kube.storage import KubeObjects, NotFoundError

Obj = dict[str, Any]
API_VERSION = "authentication.k8s.io/v1"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600
MAX_EXPIRATION = 2**32
API_AUDIENCES = ("https://kubernetes.default.svc",)
_BOUND_KINDS = {"Pod": ("v1", "pods"), "Secret": ("v1", "secrets"), "Node": ("v1", "nodes")}


def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(name: str, message: str) -> status.ApiError:
    return status.invalid("TokenRequest", "authentication.k8s.io", name, message)


def decode(ctype: str, raw: bytes) -> Obj:
    if not raw:
        return {}
    if ctype == protobuf.CONTENT_TYPE:
        try:
            return protobuf.decode_body(raw, "TokenRequest")
        except (protobuf.ProtobufError, UnicodeDecodeError) as err:
            raise status.bad_request(str(err)) from None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise status.bad_request(f"couldn't get version/kind; json parse error: {err}") from None
    if not isinstance(value, dict):
        raise status.bad_request("the body of the request was not a JSON object")
    return value


class TokenRequestHandler:
    """Answers TokenRequests for one cluster; ``sign`` signs claims with the cluster's issuer key."""

    def __init__(
        self,
        *,
        cluster: str,
        objects: KubeObjects,
        issuer: str,
        sign: Callable[[Mapping[str, Any]], str],
        clock: Callable[[], float],
    ) -> None:
        self.cluster = cluster
        self.objects = objects
        self.issuer = issuer
        self.sign = sign
        self.clock = clock

    def handle(self, info: RequestInfo, body: Obj) -> tuple[int, Obj]:
        if info.verb != "create":
            raise status.method_not_allowed(info.verb, "serviceaccounts/token")
        name, namespace = info.name, info.namespace
        try:
            account = self.objects.get(self.cluster, "v1", "ServiceAccount", namespace, name)
        except NotFoundError:
            raise status.not_found("serviceaccounts", "", name) from None
        spec = dict(body.get("spec") or {})
        seconds = self._expiration(name, spec.get("expirationSeconds"))
        audiences = [str(a) for a in spec.get("audiences") or []] or list(API_AUDIENCES)
        bound = self._bound(name, namespace, spec.get("boundObjectRef"))
        now = int(self.clock())
        meta = account.get("metadata") or {}
        claims = service_account_claims(
            issuer=self.issuer,
            namespace=namespace,
            name=name,
            uid=str(meta.get("uid", "")),
            audiences=audiences,
            issued_at=now,
            expiration_seconds=seconds,
            bound=bound,
        )
        token = self.sign(claims)
        answer: Obj = {
            "kind": "TokenRequest",
            "apiVersion": API_VERSION,
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": _rfc3339(now)},
            "spec": {
                "audiences": audiences,
                "expirationSeconds": seconds,
                "boundObjectRef": spec.get("boundObjectRef"),
            },
            "status": {"token": token, "expirationTimestamp": _rfc3339(now + seconds)},
        }
        return 201, answer

    @staticmethod
    def _expiration(name: str, value: Any) -> int:
        if value is None:
            return DEFAULT_EXPIRATION
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            raise status.bad_request("spec.expirationSeconds must be an integer") from None
        if seconds < MIN_EXPIRATION:
            raise _invalid(
                name,
                f"spec.expirationSeconds: Invalid value: {seconds}: "
                "may not specify a duration less than 10 minutes",
            )
        if seconds > MAX_EXPIRATION:
            raise _invalid(
                name,
                f"spec.expirationSeconds: Invalid value: {seconds}: "
                "may not specify a duration larger than 2^32 seconds",
            )
        return seconds

    def _bound(self, name: str, namespace: str, ref: Any) -> dict[str, dict[str, str]] | None:
        if not isinstance(ref, Mapping) or not ref:
            return None
        kind = str(ref.get("kind", ""))
        if kind not in _BOUND_KINDS:
            raise status.bad_request(f"cannot bind token to object of type {kind}")
        api_version, resource = _BOUND_KINDS[kind]
        target = str(ref.get("name", ""))
        scope = "" if kind == "Node" else namespace
        try:
            obj = self.objects.get(self.cluster, api_version, kind, scope, target)
        except NotFoundError:
            raise status.not_found(resource, "", target) from None
        uid = str((obj.get("metadata") or {}).get("uid", ""))
        wanted = str(ref.get("uid") or "")
        if wanted and wanted != uid:
            raise status.ApiError(
                code=409,
                reason="Conflict",
                message=f"the UID in the bound object reference ({wanted}) does not match the UID in "
                f"record. The object might have been deleted and then recreated",
            )
        if kind == "Pod":
            runs_as = str((obj.get("spec") or {}).get("serviceAccountName") or "default")
            if runs_as != name:
                raise status.bad_request(
                    f"cannot bind token for serviceaccount {go_quote(name)} to pod running with "
                    "different serviceaccount name."
                )
        return {kind.lower(): {"name": target, "uid": uid}}
