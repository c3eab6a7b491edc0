"""The AWS endpoint as one WSGI app: route by the SigV4 credential scope's service, authenticate, inject
faults, dispatch to EKS (rest-json), STS or IAM (query protocol), CloudTrail or CloudWatch Logs (json),
answer errors in the service's format.

``GET /__sandbox/health`` (unsigned) answers ``{"status": "ok"}``: ``sandbox up`` polls it.
``GET /__sandbox/checkip`` (unsigned) answers as https://checkip.amazonaws.com does: this machine's public
IP as the sandbox sees it (the scenario's clientIp) and a newline; clients find it in EKSACCESS_CHECKIP_URL.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from eksaccess.sandbox import oidc
from eksaccess.sandbox.aws import cloudtrail, eks, eks_auth, iam, logs, sts, sts_web_identity
from eksaccess.sandbox.aws.errors import AwsError, AwsProtocol, ErrorKind
from eksaccess.sandbox.aws.identity import authenticate, signature_error
from eksaccess.sandbox.aws.regions import ensure_known_region
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, error_response
from eksaccess.sandbox.context import FaultKind, SandboxContext
from eksaccess.sandbox.scenarios.seed import client_ip
from eksaccess.sandbox.sigv4 import HttpRequest, SigV4Error, parse_signature

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

HEALTH_PATH = "/__sandbox/health"
CHECKIP_PATH = "/__sandbox/checkip"
MAX_BODY = 1024 * 1024
# STS operations AWS leaves unsigned (botocore: ``authtype: none``): the token or assertion is the credential
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Service:
    name: str
    protocol: AwsProtocol
    handle: Callable[[ServiceRequest], AwsResponse]
    presigned_lifetime: timedelta | None = None
    # Whether the payload hash the client declares in x-amz-content-sha256 is taken (UNSIGNED-PAYLOAD
    # included). STS does not: it hashes the body it got (the empty body of a presigned GET).
    declared_payload_hash: bool = True
    # A regional service refuses regions AWS does not have. IAM is global: against AWS, botocore calls
    # iam.amazonaws.com whatever the client's region, so a region that does not exist goes unnoticed.
    regional: bool = True


SERVICES: Mapping[str, Service] = {
    "sts": Service(
        name="sts",
        protocol=AwsProtocol.QUERY,
        handle=sts.handle,
        presigned_lifetime=sts.PRESIGNED_LIFETIME,
        declared_payload_hash=False,
    ),
    "iam": Service(name="iam", protocol=AwsProtocol.QUERY, handle=iam.handle, regional=False),
    "eks": Service(name="eks", protocol=AwsProtocol.REST_JSON, handle=eks.handle),
    "cloudtrail": Service(name="cloudtrail", protocol=AwsProtocol.JSON, handle=cloudtrail.handle),
    "logs": Service(name="logs", protocol=AwsProtocol.JSON, handle=logs.handle),
    "eks-auth": Service(name="eks-auth", protocol=AwsProtocol.REST_JSON, handle=eks_auth.handle),
}


def http_request(environ: WSGIEnvironment) -> HttpRequest:
    """The request as it came off the wire: raw (still percent-encoded) path and query, lower-case headers."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path, _, query = str(raw).partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
    else:
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8"), safe="/~!$&'()*+,;=:@")
        query = environ.get("QUERY_STRING", "")
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = str(value)
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # a Content-Length that is not a number: no body (the signature check then refuses it)
    body = environ["wsgi.input"].read(min(length, MAX_BODY)) if length > 0 else b""
    return HttpRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        raw_path=path or "/",
        raw_query=query,
        headers=headers,
        body=body,
    )


def _query_params(request: HttpRequest) -> dict[str, str]:
    params = dict(parse_qsl(request.raw_query, keep_blank_values=True))
    if request.method == "POST" and "form-urlencoded" in request.headers.get("content-type", ""):
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return {k: v for k, v in params.items() if not k.startswith("X-Amz-")}


def _guess_service(request: HttpRequest) -> Service:
    """For requests without a usable signature: rest paths are EKS, the rest query protocol (STS)."""
    if request.raw_path.startswith(("/clusters", "/access-policies")):
        return SERVICES["eks"]
    target = request.headers.get("x-amz-target", "")
    if target.startswith((cloudtrail.TARGET_PREFIX, logs.TARGET_PREFIX)):
        return SERVICES["cloudtrail" if target.startswith(cloudtrail.TARGET_PREFIX) else "logs"]
    return SERVICES["sts"]


class AwsApp:
    """WSGI application of the AWS endpoint."""

    def __init__(self, ctx: SandboxContext, *, clock: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.respond(http_request(environ))
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))]
        headers += list(response.headers.items())
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [response.body]

    def respond(self, request: HttpRequest) -> AwsResponse:
        request_id = str(uuid.uuid4())
        if request.raw_path == HEALTH_PATH:
            body = json.dumps({"status": "ok", "endpoint": self.ctx.aws_endpoint}).encode()
            return AwsResponse(status=200, body=body, content_type="application/json")
        if request.raw_path == CHECKIP_PATH:
            answer = (client_ip(self.ctx.store) + "\n").encode()
            return AwsResponse(status=200, body=answer, content_type="text/plain;charset=UTF-8")
        if request.raw_path.startswith(oidc.PATH_PREFIX):  # the clusters' OIDC issuers (sandbox/oidc.py)
            return _oidc_document(self.ctx, request)
        accept_json = "application/json" in request.headers.get("accept", "")
        service = _guess_service(request)
        if service.name == "sts" and _query_params(request).get("Action") in UNSIGNED_ACTIONS:
            return self._unsigned(request, request_id, accept_json)
        akid = "-"
        action = "-"
        try:
            try:
                info = parse_signature(request)
            except SigV4Error as err:
                raise signature_error(err) from None
            akid = info.scope.access_key_id
            found = SERVICES.get(info.scope.service)
            if found is None:
                raise AwsError.generic(
                    ErrorKind.UNKNOWN_OPERATION, f"The sandbox does not serve {info.scope.service!r}"
                )
            service = found
            if service.regional:
                ensure_known_region(info.scope.region)
            self._faults(service.name)
            now = self.clock()
            caller = authenticate(
                self.ctx.store,
                request,
                info,
                now=now,
                presigned_lifetime=service.presigned_lifetime,
                declared_payload_hash=service.declared_payload_hash,
            )
            params = _query_params(request)
            action = params.get("Action") or request.headers.get("x-amz-target", "").rpartition(".")[2]
            action = action or request.method + " " + request.raw_path.split("?")[0]
            service_request = ServiceRequest(
                ctx=self.ctx,
                http=request,
                caller=caller,
                service=service.name,
                region=info.scope.region,
                request_id=request_id,
                now=now,
                params=params,
                accept_json=accept_json,
            )
            response = service.handle(service_request)
        except AwsError as err:
            response = error_response(
                err, service.protocol, service.name, request_id, accept_json=accept_json
            )
            self.ctx.log.info(
                "aws %s %s key=%s -> %d %s",
                service.name,
                action,
                akid,
                response.status,
                err.resolve(service.protocol)[0],
            )
            return response
        self.ctx.log.info("aws %s %s key=%s -> %d", service.name, action, akid, response.status)
        return response

    def _unsigned(self, request: HttpRequest, request_id: str, accept_json: bool) -> AwsResponse:
        """AssumeRoleWithWebIdentity (sts_web_identity.py) without SigV4, as STS takes it."""
        action = _query_params(request).get("Action", "")
        try:
            self._faults("sts")
            if action != sts_web_identity.ACTION:
                raise AwsError.generic(ErrorKind.UNKNOWN_OPERATION, f"The sandbox does not model {action}")
            response = sts_web_identity.answer(
                self.ctx, _query_params(request), now=self.clock(), request_id=request_id
            )
        except AwsError as err:
            response = error_response(err, AwsProtocol.QUERY, "sts", request_id, accept_json=accept_json)
            self.ctx.log.info(
                "aws sts %s unsigned -> %d %s", action, response.status, err.resolve(AwsProtocol.QUERY)[0]
            )
            return response
        self.ctx.log.info("aws sts %s unsigned -> %d", action, response.status)
        return response

    def _faults(self, service: str) -> None:
        decision = self.ctx.faults.before_request(service)
        if decision is None:
            return
        if decision.delay_seconds:
            time.sleep(decision.delay_seconds)
        if decision.kind is FaultKind.THROTTLE:
            raise AwsError.generic(ErrorKind.THROTTLED, "Rate exceeded")
        if decision.kind is FaultKind.SERVER_ERROR:
            raise AwsError.generic(
                ErrorKind.SERVER_FAULT, "An internal error occurred (injected by the sandbox)."
            )


def _oidc_document(ctx: SandboxContext, request: HttpRequest) -> AwsResponse:
    answer = oidc.serve(ctx.store, request.raw_path) if request.method in ("GET", "HEAD") else None
    if answer is None:
        return AwsResponse(status=404, body=b"Not Found", content_type="text/plain")
    status, body, headers = answer
    return AwsResponse(status=status, body=body, content_type="application/json", headers=headers)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def make_aws_app(ctx: SandboxContext, **kwargs: Any) -> AwsApp:
    return AwsApp(ctx, **kwargs)
