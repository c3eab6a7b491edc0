"""Verify AWS Signature Version 4, the way AWS endpoints do, from the request as it came off the wire.

Both forms are handled: the ``Authorization`` header and the presigned query string (``X-Amz-*``
parameters, as in an EKS token). The server rebuilds the canonical request itself:

    METHOD \\n canonical URI \\n canonical query \\n canonical headers \\n \\n signed headers \\n payload hash

* canonical URI: the raw path with dot segments and empty segments removed, then URI-encoded once more
  (non-S3 services encode each path segment twice, so ``%3A`` in an EKS principal ARN becomes ``%253A``);
* canonical query: every parameter decoded, re-encoded with only ``A-Z a-z 0-9 - _ . ~`` left as is,
  sorted by name then value (``X-Amz-Signature`` left out in the query form);
* canonical headers: the signed headers, lower-cased names, values with runs of white space squeezed;
* payload hash: ``x-amz-content-sha256`` when sent (checked against the body) and the service takes it,
  else SHA-256 of the body (STS: always; a presigned GetCallerIdentity GET signs the empty body's hash,
  as botocore and the aws CLI compute it).

String to sign: ``AWS4-HMAC-SHA256 \\n X-Amz-Date \\n DATE/REGION/SERVICE/aws4_request \\n hex(sha256(CR))``;
signing key: HMAC chain ``"AWS4"+secret`` -> date -> region -> service -> ``aws4_request``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 604800
_UNRESERVED = "-_.~"


class SigV4Problem(StrEnum):
    MISSING = "missing"  # no signature at all
    INCOMPLETE = "incomplete"  # a signature, but not a well-formed one
    MISMATCH = "mismatch"  # well-formed, but not what the secret gives
    EXPIRED = "expired"  # signed too long ago
    NOT_YET_VALID = "not-yet-valid"  # signed in the future


class SigV4Error(Exception):
    def __init__(self, problem: SigV4Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpRequest:
    """A request as the server received it. ``headers`` has lower-case names."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes = b""

    def query_pairs(self) -> list[tuple[str, str]]:
        """Decoded query parameters in wire order (``+`` stays a ``+``, as SigV4 wants)."""
        pairs: list[tuple[str, str]] = []
        for piece in self.raw_query.split("&"):
            if not piece:
                continue
            key, _, value = piece.partition("=")
            pairs.append((unquote(key), unquote(value)))
        return pairs


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialScope:
    access_key_id: str
    date: str
    region: str
    service: str

    def text(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True, kw_only=True, slots=True)
class SignatureInfo:
    scope: CredentialScope
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires: int | None = None
    security_token: str | None = None

    @property
    def signed_at(self) -> datetime:
        return datetime.strptime(self.amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)


def _parse_scope(text: str) -> CredentialScope:
    parts = text.split("/")
    if len(parts) != 5 or not all(parts) or parts[4] != "aws4_request":
        raise SigV4Error(
            SigV4Problem.INCOMPLETE,
            f"Credential should be scoped to a valid region, not '{text}'. "
            "Credential should be of the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request.",
        )
    return CredentialScope(access_key_id=parts[0], date=parts[1], region=parts[2], service=parts[3])


def _check_date(amz_date: str) -> None:
    try:
        datetime.strptime(amz_date, AMZ_DATE_FORMAT)
    except ValueError:
        raise SigV4Error(
            SigV4Problem.INCOMPLETE, f"Invalid date {amz_date!r}: expected the format YYYYMMDDTHHMMSSZ"
        ) from None


def _from_header(auth: str, headers: Mapping[str, str]) -> SignatureInfo:
    algorithm, _, rest = auth.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SigV4Error(SigV4Problem.INCOMPLETE, f"Unsupported AWS 'algorithm': {algorithm!r}")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise SigV4Error(
            SigV4Problem.INCOMPLETE,
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing),
        )
    amz_date = headers.get("x-amz-date", "")
    if not amz_date:
        raise SigV4Error(
            SigV4Problem.INCOMPLETE,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    _check_date(amz_date)
    return SignatureInfo(
        scope=_parse_scope(fields["Credential"]),
        amz_date=amz_date,
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
        signature=fields["Signature"],
        presigned=False,
        security_token=headers.get("x-amz-security-token"),
    )


def _from_query(params: Mapping[str, str]) -> SignatureInfo:
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise SigV4Error(SigV4Problem.INCOMPLETE, "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'")
    missing = [
        name
        for name in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
        if not params.get(name)
    ]
    if missing:
        raise SigV4Error(
            SigV4Problem.INCOMPLETE,
            " ".join(f"AWS query-string parameters must include '{name}'." for name in missing),
        )
    expires: int | None = None
    if "X-Amz-Expires" in params:
        text = params["X-Amz-Expires"]
        if not text.isdigit() or not 0 <= int(text) <= MAX_PRESIGN_EXPIRES:
            raise SigV4Error(SigV4Problem.INCOMPLETE, f"X-Amz-Expires must be 0..{MAX_PRESIGN_EXPIRES}")
        expires = int(text)
    _check_date(params["X-Amz-Date"])
    return SignatureInfo(
        scope=_parse_scope(params["X-Amz-Credential"]),
        amz_date=params["X-Amz-Date"],
        signed_headers=tuple(params["X-Amz-SignedHeaders"].split(";")),
        signature=params["X-Amz-Signature"],
        presigned=True,
        expires=expires,
        security_token=params.get("X-Amz-Security-Token"),
    )


def parse_signature(request: HttpRequest) -> SignatureInfo:
    """Read the signature's parts from the header or the query; MISSING if there is none."""
    auth = request.headers.get("authorization")
    if auth:
        return _from_header(auth, request.headers)
    params = dict(request.query_pairs())
    if "X-Amz-Signature" in params or "X-Amz-Credential" in params or "X-Amz-Algorithm" in params:
        return _from_query(params)
    raise SigV4Error(SigV4Problem.MISSING, "Request is missing Authentication Token")


def _remove_dot_segments(path: str) -> str:
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and kept else ""
    return first + "/".join(kept) + last


def canonical_uri(raw_path: str) -> str:
    return quote(_remove_dot_segments(raw_path), safe="/~")


def canonical_query(request: HttpRequest, *, presigned: bool) -> str:
    pairs = [
        (quote(key, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
        for key, value in request.query_pairs()
        if not (presigned and key == "X-Amz-Signature")
    ]
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _canonical_headers(request: HttpRequest, signed: tuple[str, ...]) -> str:
    lines = []
    for name in signed:
        if name not in request.headers:
            raise SigV4Error(
                SigV4Problem.MISMATCH,
                f"The request signature we calculated does not match the signature you provided. "
                f"Signed header '{name}' is not present in the request.",
            )
        lines.append(f"{name}:{' '.join(request.headers[name].split())}")
    return "\n".join(lines) + "\n"


def payload_hash(request: HttpRequest, *, declared_hash: bool = True) -> str:
    """The canonical request's last line. ``declared_hash``: the service takes the hash the client
    declares in ``x-amz-content-sha256`` (``UNSIGNED-PAYLOAD`` included); without it (STS) the server
    hashes the body it received, whatever the header says, in both the header and the presigned form."""
    declared = request.headers.get("x-amz-content-sha256")
    actual = hashlib.sha256(request.body).hexdigest()
    if declared is None or not declared_hash:
        return actual
    if declared != UNSIGNED_PAYLOAD and declared != actual:
        raise SigV4Error(
            SigV4Problem.MISMATCH,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    return declared


def canonical_request(request: HttpRequest, info: SignatureInfo, *, declared_hash: bool = True) -> str:
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request, presigned=info.presigned),
            _canonical_headers(request, info.signed_headers),
            ";".join(info.signed_headers),
            payload_hash(request, declared_hash=declared_hash),
        ]
    )


def string_to_sign(info: SignatureInfo, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, info.amz_date, info.scope.text(), digest])


def signing_key(secret_access_key: str, scope: CredentialScope) -> bytes:
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (scope.date, scope.region, scope.service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def expected_signature(
    request: HttpRequest, info: SignatureInfo, secret_access_key: str, *, declared_hash: bool = True
) -> str:
    to_sign = string_to_sign(info, canonical_request(request, info, declared_hash=declared_hash))
    return hmac.new(
        signing_key(secret_access_key, info.scope), to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()


_MISMATCH_TEXT = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def verify_signature(
    request: HttpRequest, info: SignatureInfo, secret_access_key: str, *, declared_hash: bool = True
) -> None:
    """Raise MISMATCH unless the signature is exactly what the secret gives for this request
    (``declared_hash``: see ``payload_hash``)."""
    if "host" not in info.signed_headers:
        raise SigV4Error(SigV4Problem.MISMATCH, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if info.scope.date != info.amz_date[:8]:
        raise SigV4Error(
            SigV4Problem.MISMATCH,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{info.scope.date}' != '{info.amz_date[:8]}', from '{info.amz_date}'.",
        )
    expected = expected_signature(request, info, secret_access_key, declared_hash=declared_hash)
    if not hmac.compare_digest(expected, info.signature.lower()):
        raise SigV4Error(SigV4Problem.MISMATCH, _MISMATCH_TEXT)


def _fmt(moment: datetime) -> str:
    return moment.strftime(AMZ_DATE_FORMAT)


def verify_time(info: SignatureInfo, *, now: datetime, presigned_lifetime: timedelta | None = None) -> None:
    """Reject signatures outside AWS's window: 15 minutes of skew for headers; for presigned
    requests ``presigned_lifetime`` (default ``X-Amz-Expires``) after ``X-Amz-Date``."""
    signed_at = info.signed_at
    if signed_at - now > MAX_SKEW:
        raise SigV4Error(
            SigV4Problem.NOT_YET_VALID,
            f"Signature not yet current: {info.amz_date} is still later than {_fmt(now + MAX_SKEW)} "
            f"({_fmt(now)} + 15 min.)",
        )
    if info.presigned:
        lifetime = presigned_lifetime or timedelta(seconds=info.expires or 0)
        if now > signed_at + lifetime:
            minutes = int(lifetime.total_seconds() // 60)
            raise SigV4Error(
                SigV4Problem.EXPIRED,
                f"Signature expired: {info.amz_date} is now earlier than {_fmt(now - lifetime)} "
                f"({_fmt(now)} - {minutes} min.)",
            )
        return
    if now - signed_at > MAX_SKEW:
        raise SigV4Error(
            SigV4Problem.EXPIRED,
            f"Signature expired: {info.amz_date} is now earlier than {_fmt(now - MAX_SKEW)} "
            f"({_fmt(now)} - 15 min.)",
        )
