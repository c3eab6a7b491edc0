"""meta/v1 Status answers exactly as kube-apiserver writes them (apimachinery pkg/api/errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eksaccess.domain.go_text import go_quote

UNAUTHORIZED_BODY: dict[str, Any] = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@dataclass(kw_only=True)
class ApiError(Exception):
    """An error answer: HTTP code, reason and message, with optional details."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    headers: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            out["details"] = self.details
        out["code"] = self.code
        return out

    def __str__(self) -> str:
        return self.message


def qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _details(resource: str, group: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return details


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=404,
        reason="NotFound",
        message=f"{qualified(resource, group)} {go_quote(name)} not found",
        details=_details(resource, group, name),
    )


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=409,
        reason="AlreadyExists",
        message=f"{qualified(resource, group)} {go_quote(name)} already exists",
        details=_details(resource, group, name),
    )


def conflict(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        code=409,
        reason="Conflict",
        message=(
            f"Operation cannot be fulfilled on {qualified(resource, group)} {go_quote(name)}: "
            "the object has been modified; please apply your changes to the latest version and try again"
        ),
        details=_details(resource, group, name),
    )


def forbidden(resource: str, group: str, name: str, message: str) -> ApiError:
    return ApiError(code=403, reason="Forbidden", message=message, details=_details(resource, group, name))


def bad_request(message: str) -> ApiError:
    return ApiError(code=400, reason="BadRequest", message=message)


def invalid(kind: str, group: str, name: str, message: str) -> ApiError:
    details = _details(kind, group, name)
    return ApiError(
        code=422,
        reason="Invalid",
        message=f"{kind}{'.' + group if group else ''} {go_quote(name)} is invalid: {message}",
        details=details,
    )


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        code=415,
        reason="UnsupportedMediaType",
        message=f"the body of the request was in an unknown format - accepted media types include: "
        f'application/json, application/yaml, application/vnd.kubernetes.protobuf (got "{content_type}")',
    )


def method_not_allowed(verb: str, resource: str) -> ApiError:
    return ApiError(
        code=405,
        reason="MethodNotAllowed",
        message="the server does not allow this method on the requested resource",
        details=_details(resource, "", ""),
    )


def resource_not_found() -> ApiError:
    return ApiError(code=404, reason="NotFound", message="the server could not find the requested resource")


def too_many_requests() -> ApiError:
    return ApiError(
        code=429,
        reason="TooManyRequests",
        message="Too many requests, please try again later.",
        details={"retryAfterSeconds": 1},
        headers=(("Retry-After", "1"),),
    )


def internal_error(message: str) -> ApiError:
    return ApiError(
        code=500,
        reason="InternalError",
        message=f"Internal error occurred: {message}",
        details={"causes": [{"message": message}]},
    )
