"""``eksaccess token``: the ExecCredential of ``aws eks get-token``, served from a cache when that is safe.

Two paths share this module. ``serve_hit`` is the fast path: standard library only (no click, no boto3,
no botocore), it answers when a cached token is valid for more than 60 more seconds and the credentials
that would sign a new one are still the same identity; otherwise it returns ``None`` and the click command
takes over. ``issue`` is the full path the click command runs: the same lookup, then (on a miss) a token
minted through botocore exactly as the aws CLI mints it, stored atomically for the next kubectl.

Start-up is what this command exists to save, so the hit path imports only small standard modules:
values are ``NamedTuple`` (no ``dataclasses``/``inspect``), no ``urllib``, ``pathlib`` or ``platformdirs``.

Sources: https://github.com/aws/aws-cli/blob/develop/awscli/customizations/eks/get_token.py (aws eks get-token),
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go (the token) and
https://github.com/kubernetes/client-go/blob/master/tools/clientcmd/api/v1/types.go (``ExecConfig``).
The token is a bearer secret: it goes to stdout and into the 0600 cache file, never to stderr or a log.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TextIO

from eksaccess.adapters.aws_credentials_light import CredentialIdentity, resolve_light
from eksaccess.adapters.token_cache import (
    CachedToken,
    CacheKey,
    CacheRead,
    TokenCache,
    default_cache_dir,
    parse_amz_date,
)
from eksaccess.domain.iam.partitions import region_partition
from eksaccess.domain.token import PREFIX as TOKEN_PREFIX
from eksaccess.domain.token import encode_token

EXEC_V1 = "client.authentication.k8s.io/v1"
EXEC_V1BETA1 = "client.authentication.k8s.io/v1beta1"
EXEC_V1ALPHA1 = "client.authentication.k8s.io/v1alpha1"
TOKEN_LIFETIME = timedelta(minutes=14)  # expirationTimestamp = now + 14 min, as the CLI writes it
URL_VALIDITY = timedelta(minutes=15)  # what the authenticator accepts after X-Amz-Date
MIN_REMAINING = timedelta(seconds=60)  # a hit needs more than this left before expirationTimestamp
CLOCK_SLACK = timedelta(seconds=5)
Clock = Callable[
    [], datetime
]  # now, in UTC: injected (tests pass a fixed one; nothing reads it from the env)

PARSE_ERROR_MSG = (
    "Error parsing KUBERNETES_EXEC_INFO, defaulting to {0}. This is likely a bug in your Kubernetes "
    "client. Please update your Kubernetes client."
)
UNRECOGNIZED_MSG = (
    "Unrecognized API version in KUBERNETES_EXEC_INFO, defaulting to {0}. This is likely due to an "
    "outdated eksaccess. Please update eksaccess."
)
DEPRECATION_MSG = (
    "Kubeconfig user entry is using deprecated API version {0}. Run 'aws eks update-kubeconfig' to update."
)

_VALUE_OPTIONS = {
    "--cluster-name": "cluster_name",
    "--cluster-id": "cluster_id",
    "--region": "region",
    "--role-arn": "role_arn",
    "--profile": "profile",
}


class TokenArgs(NamedTuple):
    cluster_id: str  # the x-k8s-aws-id value: --cluster-name, or --cluster-id (Outposts)
    region: str | None = None
    role_arn: str | None = None
    profile: str | None = None
    no_cache: bool = False


class Issued(NamedTuple):
    token: str
    expiration: datetime
    hit: bool
    refusal: str | None = None  # why a cache file was ignored, if one was
    cache_warning: str | None = None  # the cache could not be written (the token is still good)


def negotiate_api_version(exec_info: str | None) -> tuple[str, str | None]:
    """(apiVersion to answer with, note for stderr) from KUBERNETES_EXEC_INFO, as the aws CLI decides."""
    if not exec_info:
        return EXEC_V1BETA1, None
    try:
        info = json.loads(exec_info)
    except ValueError:
        return EXEC_V1BETA1, PARSE_ERROR_MSG.format(EXEC_V1BETA1)
    version = info.get("apiVersion") if isinstance(info, dict) else None
    if version in (EXEC_V1, EXEC_V1BETA1):
        return str(version), None
    if version == EXEC_V1ALPHA1:
        return EXEC_V1ALPHA1, DEPRECATION_MSG.format(EXEC_V1ALPHA1)
    return EXEC_V1BETA1, UNRECOGNIZED_MSG.format(EXEC_V1BETA1)


def render_exec_credential(api_version: str, token: str, expiration: datetime) -> str:
    """The ExecCredential exactly as ``aws eks get-token`` prints it (indent 4, then two newlines)."""
    document = {
        "kind": "ExecCredential",
        "apiVersion": api_version,
        "spec": {},
        "status": {"expirationTimestamp": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), "token": token},
    }
    return json.dumps(document, indent=4, ensure_ascii=False) + "\n\n"


def system_clock() -> datetime:
    """The machine's clock (the ``Clock`` every production path uses)."""
    return datetime.now(UTC)


def whole_seconds(clock: Clock) -> datetime:
    """Now from ``clock``, in UTC and whole seconds, as the aws CLI stamps tokens."""
    return clock().astimezone(UTC).replace(microsecond=0)


def cache_key(args: TokenArgs, identity: CredentialIdentity) -> CacheKey:
    region = args.region or identity.region or ""
    return CacheKey(
        partition=region_partition(region),  # tokens are accepted across regions, never partitions
        region=region,
        cluster=args.cluster_id,
        role_arn=args.role_arn or "",
        access_key_id=identity.access_key_id,
    )


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _unquote(text: str) -> str:
    """Percent-decoding of the ASCII a presigned URL carries (urllib.parse stays unimported)."""
    return _PERCENT.sub(lambda m: chr(int(m[1], 16)), text)


def _token_fields(token: str) -> dict[str, str] | None:
    """The query of the presigned URL inside a token, or None when it is not a well-formed token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 4096:
        return None
    body = token[len(TOKEN_PREFIX) :]
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except ValueError:
        return None
    if not url.startswith("https://") or "?" not in url or encode_token(url) != token:
        return None
    fields: dict[str, str] = {}
    for pair in url.split("?", 1)[1].split("&"):
        name, _, value = pair.partition("=")
        fields[_unquote(name)] = _unquote(value)
    return fields


def servable(cached: CachedToken, *, now: datetime, fingerprint: str, signing_key_id: str | None) -> bool:
    """Whether a cached token may be served now to this identity.

    The file is not believed on its word: the token must decode to a presigned GetCallerIdentity URL that
    signs x-k8s-aws-id, carries the signing key recorded (and, for static credentials, the caller's own
    key), was signed no later than now, and whose expirationTimestamp is no later than X-Amz-Date + 14 min.
    """
    fields = _token_fields(cached.token)
    if fields is None or cached.fingerprint != fingerprint:
        return False
    if fields.get("Action") != "GetCallerIdentity":
        return False
    if "x-k8s-aws-id" not in fields.get("X-Amz-SignedHeaders", "").lower().split(";"):
        return False
    token_key = fields.get("X-Amz-Credential", "").split("/", 1)[0]
    if not token_key or token_key != (cached.signing_key_id or token_key):
        return False
    if signing_key_id is not None and token_key != signing_key_id:
        return False
    try:
        signed_at = parse_amz_date(fields.get("X-Amz-Date", ""))
    except ValueError:
        return False
    if signed_at > now + CLOCK_SLACK or cached.expiration > signed_at + TOKEN_LIFETIME + CLOCK_SLACK:
        return False
    return cached.expiration - now > MIN_REMAINING


def parse_fast_args(argv: Sequence[str]) -> TokenArgs | None:
    """The token options, or None for anything the fast path leaves to click (help, errors, --clear-cache)."""
    values: dict[str, str] = {}
    no_cache = False
    items = list(argv)
    while items:
        item = items.pop(0)
        name, has_value, value = item.partition("=")
        if item == "--no-cache":
            no_cache = True
            continue
        if name not in _VALUE_OPTIONS or _VALUE_OPTIONS[name] in values:
            return None
        if not has_value:
            if not items:
                return None
            value = items.pop(0)
        values[_VALUE_OPTIONS[name]] = value
    if ("cluster_name" in values) == ("cluster_id" in values):
        return None
    cluster = values.get("cluster_name") or values.get("cluster_id")
    if not cluster:
        return None
    return TokenArgs(
        cluster_id=cluster,
        region=values.get("region") or None,
        role_arn=values.get("role_arn") or None,
        profile=values.get("profile") or None,
        no_cache=no_cache,
    )


def lookup(
    args: TokenArgs, identity: CredentialIdentity, cache: TokenCache, now: datetime
) -> tuple[CacheKey, CacheRead, bool]:
    """(key, what the cache holds, whether it may be served)."""
    key = cache_key(args, identity)
    read = cache.read(key)
    expected_signer = identity.signing_key_id if args.role_arn is None else None
    ok = read.token is not None and servable(
        read.token, now=now, fingerprint=identity.fingerprint, signing_key_id=expected_signer
    )
    return key, read, ok


def serve_hit(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Clock = system_clock,
) -> int | None:
    """Print the cached ExecCredential and return 0, or return None to let the full command run.

    Never raises: whatever goes wrong here, the full path runs and reports it properly.
    """
    environ = os.environ if env is None else env
    try:
        args = parse_fast_args(argv)
        if args is None or args.no_cache:
            return None
        identity = resolve_light(environ, profile=args.profile)
        if identity is None:
            return None
        _, read, ok = lookup(args, identity, TokenCache(default_cache_dir(environ)), whole_seconds(clock))
        if not ok or read.token is None:
            return None
        api_version, note = negotiate_api_version(environ.get("KUBERNETES_EXEC_INFO"))
        output = render_exec_credential(api_version, read.token.token, read.token.expiration)
    except Exception:  # the fast path only ever declines
        return None
    if note:
        (stderr or sys.stderr).write(note + "\n")
    out = stdout or sys.stdout
    out.write(output)
    out.flush()
    return 0


def issue(
    args: TokenArgs, env: Mapping[str, str], *, cache: TokenCache | None = None, clock: Clock = system_clock
) -> Issued:
    """The full path: a cached token when servable, else a new one minted through botocore (and cached)."""
    from eksaccess.adapters.aws_credentials_light import TokenSigner

    now = whole_seconds(clock)
    signer: TokenSigner | None = None
    store: tuple[CacheKey, CredentialIdentity] | None = None
    refusal: str | None = None
    if not args.no_cache:
        cache = cache or TokenCache(default_cache_dir(env))
        identity = resolve_light(env, profile=args.profile)
        if identity is None:
            signer = TokenSigner(profile=args.profile, region=args.region)
            identity = signer.identity()
        key, read, ok = lookup(args, identity, cache, now)
        if ok and read.token is not None:
            return Issued(token=read.token.token, expiration=read.token.expiration, hit=True)
        refusal = str(read.refusal) if read.refusal is not None else None
        store = (key, identity)
    signer = signer or TokenSigner(profile=args.profile, region=args.region)
    url, signing_key = signer.presign(args.cluster_id, role_arn=args.role_arn)
    token, expiration = encode_token(url), now + TOKEN_LIFETIME
    warning = None
    if store is not None and cache is not None:
        warning = _store(cache, store, args, token=token, expiration=expiration, signing_key=signing_key)
    return Issued(token=token, expiration=expiration, hit=False, refusal=refusal, cache_warning=warning)


def _store(
    cache: TokenCache,
    store: tuple[CacheKey, CredentialIdentity],
    args: TokenArgs,
    *,
    token: str,
    expiration: datetime,
    signing_key: str,
) -> str | None:
    key, identity = store
    if args.role_arn is None and identity.signing_key_id not in (None, signing_key):
        # botocore signed with another key than the one the cache is keyed on: never cache that.
        cache.remove(key)
        return "the signing credentials differ from the resolved ones; token not cached"
    cached = CachedToken(
        token=token, expiration=expiration, fingerprint=identity.fingerprint, signing_key_id=signing_key
    )
    try:
        cache.write(key, cached)
    except OSError as err:
        return f"could not write the token cache in {cache.directory}: {err.strerror or err}"
    return None
