"""k8s-aws-v1 bearer tokens: encode, decode and verify exactly by aws-iam-authenticator's rules.

Facts (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go): the token is ``k8s-aws-v1.`` + unpadded base64url of a
presigned STS GetCallerIdentity URL. The server checks, in this order: size, prefix, encoding, scheme, host,
path, query parameters (allow-list, no duplicates, single values), action, the signed ``x-k8s-aws-id``
header, ``X-Amz-Expires`` 0..900, ``X-Amz-Date`` present and parseable, and age <= 15 minutes by its own
clock. Then it GETs the URL (not here: this module is pure) and reads the JSON answer
(:func:`parse_sts_response`).

Error messages are the authenticator's texts after ``input token was not properly formatted: `` (format
errors, :class:`TokenError`) or ``sts getCallerIdentity failed: `` (:class:`StsError`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from eksaccess.domain.go_text import go_quote
from eksaccess.domain.iam.partitions import region_partition

PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
MAX_TOKEN_LEN = 4096
EXPIRATION = timedelta(minutes=15)
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
GO_DATE_LAYOUT = "20060102T150405Z"
FORMAT_PREFIX = "input token was not properly formatted: "
STS_PREFIX = "sts getCallerIdentity failed: "
THROTTLED_PREFIX = "sts getCallerIdentity was throttled: "

_ALLOWED_PARAMS = frozenset(
    {
        "action",
        "version",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-signedheaders",
    }
)
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_REGION = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?$")

# partition -> (STS domain, dual-stack domain or None); facts 1.3
PARTITION_DOMAINS: dict[str, tuple[str, str | None]] = {
    "aws": ("amazonaws.com", "api.aws"),
    "aws-cn": ("amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    "aws-us-gov": ("amazonaws.com", "api.aws"),
    "aws-iso": ("c2s.ic.gov", None),
    "aws-iso-b": ("sc2s.sgov.gov", None),
    "aws-iso-e": ("cloud.adc-e.uk", None),
    "aws-iso-f": ("csp.hci.ic.gov", None),
    "aws-eusc": ("amazonaws.eu", "api.amazonwebservices.eu"),
}


class TokenError(Exception):
    """A token the authenticator refuses before calling STS. ``str()`` = its text after the wrapper."""

    prefix = FORMAT_PREFIX

    @property
    def log_text(self) -> str:
        """The full error as the authenticator logs it (``access denied ... error="..."``)."""
        return f"{self.prefix}{self}"


class StsError(TokenError):
    """GetCallerIdentity failed or answered something unusable."""

    prefix = STS_PREFIX


class StsThrottledError(StsError):
    """STS answered with a throttling error (the authenticator answers 429)."""

    prefix = THROTTLED_PREFIX


# The console script's cache-hit path imports this module for encode_token: the values here are NamedTuples
# and urllib.parse and the principal model are imported where used, so that import stays free of
# dataclasses and urllib (about 11 ms of start-up).


class TokenRequest(NamedTuple):
    """A verified token: the presigned URL to GET and what its query tells."""

    url: str
    host: str
    region: str
    access_key_id: str
    signed_at: datetime


class StsIdentity(NamedTuple):
    """GetCallerIdentity's answer, checked as the authenticator checks it."""

    arn: str
    canonical_arn: str
    account: str
    user_id: str  # as STS wrote it (AROA...:session for assumed roles)
    principal_id: str  # the part before ':' (the authenticator's UserID)
    session_name: str | None


def encode_token(presigned_url: str) -> str:
    """``k8s-aws-v1.`` + unpadded base64url of the URL (what ``aws eks get-token`` prints)."""
    return PREFIX + base64.urlsafe_b64encode(presigned_url.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The presigned URL inside a token; :class:`TokenError` when it is not a k8s-aws-v1 token."""
    if not token.startswith(PREFIX):
        raise TokenError(f'token is missing expected "{PREFIX}" prefix')
    body = token[len(PREFIX) :]
    _check_base64(body)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", errors="replace")


def _check_base64(body: str) -> None:
    """Go's base64.RawURLEncoding strictness: alphabet only, no padding, no dangling 6 bits."""
    for index, char in enumerate(body):
        if char not in _B64_ALPHABET:
            raise TokenError(f"illegal base64 data at input byte {index}")
    if len(body) % 4 == 1:
        raise TokenError(f"illegal base64 data at input byte {len(body) - 1}")


def verify_token(
    token: str,
    *,
    cluster_id: str,
    now: datetime,
    partition: str = "aws",
    region: str = "us-east-1",
    extra_sts_hosts: Sequence[str] = (),
) -> TokenRequest:
    """Check a token exactly as the authenticator's ``Verify`` does before it calls STS.

    ``cluster_id`` is not checked here (only STS can: the signature covers ``x-k8s-aws-id``); it is kept
    in the signature so callers state which cluster they verify for. ``extra_sts_hosts`` are host[:port]
    values accepted besides the partition's STS hosts (the sandbox's own STS endpoint).
    """
    from urllib.parse import urlsplit

    del cluster_id
    if len(token) > MAX_TOKEN_LEN:
        raise TokenError("token is too large")
    url = decode_token(token)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise TokenError(f"parse {go_quote(url)}: net/url: invalid control character in URL")
    try:
        parts = urlsplit(url)
    except ValueError as err:
        raise TokenError(f"parse {go_quote(url)}: {err}") from None
    if parts.scheme != "https":
        raise TokenError(f'unexpected scheme "{parts.scheme}" in pre-signed URL')
    host = parts.netloc
    if host not in extra_sts_hosts:
        _verify_host(host, partition, region)
    if parts.path != "/":
        raise TokenError("unexpected path in pre-signed URL")
    params = _query(parts.query)
    if params.get("action") != "GetCallerIdentity":
        raise TokenError("unexpected action parameter in pre-signed URL")
    signed = [h.lower() for h in params.get("x-amz-signedheaders", "").split(";")]
    if CLUSTER_ID_HEADER not in signed:
        raise TokenError(f"client did not sign the {CLUSTER_ID_HEADER} header in the pre-signed URL")
    expires = _atoi(params.get("x-amz-expires", ""))
    if expires is None or not 0 <= expires <= 900:
        raise TokenError(f"invalid X-Amz-Expires parameter in pre-signed URL: {expires or 0}")
    date_text = params.get("x-amz-date", "")
    if not date_text:
        raise TokenError("X-Amz-Date parameter must be present in pre-signed URL")
    credential = params.get("x-amz-credential", "")
    access_key_id = credential.split("/")[0]
    signed_at = _parse_amz_date(date_text)
    if now > signed_at + EXPIRATION:
        raise TokenError(f"X-Amz-Date parameter is expired (15 minute expiration) {go_time(signed_at)}")
    scope = credential.split("/")
    token_region = _host_region(host) or (scope[2] if len(scope) > 2 else region)
    return TokenRequest(
        url=url, host=host, region=token_region, access_key_id=access_key_id, signed_at=signed_at
    )


def token_region(token: str) -> str | None:
    """The region a k8s-aws-v1 token was signed for (its STS host's, else its credential scope's); None
    when it is not such a token. The cluster's name is not in it: only a signed header carries it."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(decode_token(token))
        scope = dict(parse_qsl(parts.query)).get("X-Amz-Credential", "").split("/")
    except (TokenError, ValueError):
        return None
    host_region = _host_region(parts.netloc)
    if host_region and host_region != "global":
        return host_region
    return scope[2] if len(scope) > 2 and scope[2] else None


class TokenInfo(NamedTuple):
    """What a k8s-aws-v1 token tells without asking anyone (no secret in it: the signature and the session
    token stay out). The cluster's name is not in the token (only a signed header carries it)."""

    host: str
    region: str | None
    access_key_id: str
    signed_at: datetime
    expires_at: datetime  # 15 minutes after signing, the authenticator's rule (X-Amz-Expires is ignored)
    amz_expires: int | None  # X-Amz-Expires as sent (aws eks get-token: 60)
    temporary: bool  # signed with session credentials (ASIA..., an X-Amz-Security-Token)
    signed_headers: tuple[str, ...]

    def expired(self, now: datetime) -> bool:
        return now > self.expires_at


def describe_token(token: str) -> TokenInfo:
    """Decode a token (facts: doctor-breadth.md §3.2); :class:`TokenError` when it is not a k8s-aws-v1 token
    whose URL carries X-Amz-Date and X-Amz-Credential."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(decode_token(token.strip()))
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError as err:
        raise TokenError(f"the presigned URL cannot be read: {err}") from None
    date_text, credential = params.get("x-amz-date", ""), params.get("x-amz-credential", "")
    if not date_text or not credential:
        raise TokenError("the presigned URL has no X-Amz-Date or X-Amz-Credential")
    signed_at = _parse_amz_date(date_text)
    scope = credential.split("/")
    host_region = _host_region(parts.netloc)
    scope_region = scope[2] if len(scope) > 2 else None
    region = host_region if host_region and host_region != "global" else scope_region
    access_key_id = scope[0]
    return TokenInfo(
        host=parts.netloc,
        region=region or None,
        access_key_id=access_key_id,
        signed_at=signed_at,
        expires_at=signed_at + EXPIRATION,
        amz_expires=_atoi(params.get("x-amz-expires", "")),
        temporary=access_key_id.startswith("ASIA") or "x-amz-security-token" in params,
        signed_headers=tuple(h for h in params.get("x-amz-signedheaders", "").split(";") if h),
    )


def go_time(moment: datetime) -> str:
    """Go's ``time.Time.String()`` for a UTC time: ``2022-06-01 12:00:00 +0000 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def _query(raw: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed query parameter") from None
    if ";" in raw or re.search(r"%(?![0-9A-Fa-f]{2})", raw):  # Go's ParseQuery: no ';', valid escapes
        raise TokenError("malformed query parameter")
    seen_exact: dict[str, int] = {}
    for key, _ in pairs:
        seen_exact[key] = seen_exact.get(key, 0) + 1
    lowered: dict[str, str] = {}
    for key, value in pairs:
        if key.lower() in lowered and seen_exact[key] == 1:
            raise TokenError(f'duplicate query parameter found: "{key}"')
        if key.lower() not in _ALLOWED_PARAMS:
            raise TokenError(f'non-whitelisted query parameter "{key}"')
        if seen_exact[key] != 1:
            raise TokenError("query parameter with multiple values not supported")
        lowered[key.lower()] = value
    return lowered


def _atoi(text: str) -> int | None:
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
        return None
    return int(text)


def _parse_amz_date(text: str) -> datetime:
    try:
        if not re.fullmatch(r"\d{8}T\d{6}Z", text):
            raise ValueError
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise TokenError(
            f'error parsing X-Amz-Date parameter {text} into format {GO_DATE_LAYOUT}: parsing time "{text}" '
            f'as "{GO_DATE_LAYOUT}": cannot parse "{text}" as "2006"'
        ) from None


def _host_region(host: str) -> str | None:
    labels = host.split(".")
    if host == "sts.amazonaws.com":
        return "global"
    if len(labels) >= 3 and labels[0] in ("sts", "sts-fips"):
        return labels[1]
    return None


def _verify_host(host: str, partition: str, server_region: str) -> None:
    labels = host.split(".")
    if host == "sts.amazonaws.com":
        if partition != "aws":
            raise TokenError(f"global endpoint unsupported in partition {partition}")
        return
    if len(labels) < 3 or labels[0] not in ("sts", "sts-fips"):
        raise TokenError(f'unexpected hostname "{host}" in pre-signed URL')
    region, domain = labels[1], ".".join(labels[2:])
    if not _REGION.match(region):
        raise TokenError(f"invalid region identifier format provided: {region}")
    sts_domain, dual_domain = PARTITION_DOMAINS.get(partition, PARTITION_DOMAINS["aws"])
    if region == server_region and domain == sts_domain and labels[0] == "sts":
        return
    if region_partition(region) != partition or domain not in (sts_domain, dual_domain):
        raise TokenError(f"partition {{{partition}}} does not support hostname {host}")


def parse_sts_response(status: int, body: str, *, region: str) -> StsIdentity:
    """Read GetCallerIdentity's HTTP answer as the authenticator does (facts 1.4 rows 14-15)."""
    if status != 200:
        if "Throttling" in body:
            raise StsThrottledError(body)
        raise StsError(f"error from AWS (expected 200, got {status}) on {region} endpoint. Body: {body}")
    try:
        doc = json.loads(body)
        result = doc["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
        arn, account, user_id = str(result["Arn"]), str(result["Account"]), str(result["UserId"])
    except (ValueError, KeyError, TypeError) as err:
        raise StsError(f"{type(err).__name__}: {err}") from None
    from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal

    try:
        principal = parse_principal(arn)
    except InvalidArnError as err:
        raise StsError(f"arn '{arn}' is invalid: {err}") from None
    session: str | None = None
    principal_id = user_id
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        principal_id, sep, session = user_id.partition(":")
        if not sep or not principal_id or not session:
            raise StsError(f'malformed UserID "{user_id}"')
    return StsIdentity(
        arn=arn,
        canonical_arn=principal.canonical_arn,
        account=account,
        user_id=user_id,
        principal_id=principal_id,
        session_name=session,
    )


def sts_transport_error(error: str, region: str) -> StsError:
    """Row 13: the GET itself failed (connection refused, timeout, TLS)."""
    return StsError(f"error during GET: {error} on {region} endpoint")
