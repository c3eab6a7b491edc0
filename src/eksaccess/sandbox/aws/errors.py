"""AWS errors in the sandbox, and the codes each protocol gives them.

A handler raises ``AwsError(code, message, status)`` with the code of its own protocol; generic failures
(authentication, throttling, server faults, access denied) are raised as ``AwsError.generic(kind, ...)``
and get the code their service's protocol uses, so botocore raises the same exception names as against AWS.
"""

from __future__ import annotations

from enum import StrEnum


class AwsProtocol(StrEnum):
    QUERY = "query"  # STS, IAM: XML ErrorResponse
    REST_JSON = "rest-json"  # EKS: x-amzn-ErrorType + {"message": ...}
    JSON = "json"  # CloudTrail, CloudWatch Logs (JSON 1.1): {"__type": ...}; codes as rest-json


class ErrorKind(StrEnum):
    MISSING_AUTH = "missing-auth"
    INCOMPLETE_SIGNATURE = "incomplete-signature"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED_TOKEN = "expired-token"
    ACCESS_DENIED = "access-denied"
    THROTTLED = "throttled"
    SERVER_FAULT = "server-fault"
    UNKNOWN_OPERATION = "unknown-operation"


# kind -> (query code, rest-json code, HTTP status for query, HTTP status for rest-json)
_CODES: dict[ErrorKind, tuple[str, str, int, int]] = {
    ErrorKind.MISSING_AUTH: ("MissingAuthenticationToken", "MissingAuthenticationTokenException", 403, 403),
    ErrorKind.INCOMPLETE_SIGNATURE: ("IncompleteSignature", "IncompleteSignatureException", 400, 400),
    ErrorKind.UNKNOWN_KEY: ("InvalidClientTokenId", "UnrecognizedClientException", 403, 403),
    ErrorKind.BAD_SIGNATURE: ("SignatureDoesNotMatch", "InvalidSignatureException", 403, 403),
    ErrorKind.EXPIRED_TOKEN: ("ExpiredToken", "ExpiredTokenException", 403, 403),
    ErrorKind.ACCESS_DENIED: ("AccessDenied", "AccessDeniedException", 403, 403),
    ErrorKind.THROTTLED: ("Throttling", "ThrottlingException", 400, 429),
    ErrorKind.SERVER_FAULT: ("InternalFailure", "ServerException", 500, 500),
    ErrorKind.UNKNOWN_OPERATION: ("InvalidAction", "UnknownOperationException", 400, 404),
}

INVALID_TOKEN_TEXT = "The security token included in the request is invalid."
EXPIRED_TOKEN_TEXT = "The security token included in the request is expired"


class AwsError(Exception):
    """An error answer. ``code`` may be None for a generic ``kind``, resolved per protocol."""

    def __init__(
        self, code: str | None, message: str, *, status: int = 400, kind: ErrorKind | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.kind = kind

    @classmethod
    def generic(cls, kind: ErrorKind, message: str) -> AwsError:
        return cls(None, message, kind=kind)

    def resolve(self, protocol: AwsProtocol) -> tuple[str, int]:
        """The (code, HTTP status) this error has in ``protocol``."""
        if self.kind is not None:
            query_code, json_code, query_status, json_status = _CODES[self.kind]
            if protocol is AwsProtocol.QUERY:
                return query_code, query_status
            return json_code, json_status
        return self.code or "InternalFailure", self.status

    @property
    def sender_fault(self) -> bool:
        return self.status < 500


def access_denied(caller_arn: str, action: str, resource: str, *, explicit: bool = False) -> AwsError:
    """AccessDenied(Exception) as AWS words it; ``explicit``: a Deny statement refused the call."""
    why = " with an explicit deny in an identity-based policy" if explicit else ""
    return AwsError.generic(
        ErrorKind.ACCESS_DENIED,
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}{why}",
    )


def validation_error(message: str) -> AwsError:
    """Query-protocol parameter errors (STS, IAM)."""
    return AwsError("ValidationError", message, status=400)
