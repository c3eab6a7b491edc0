"""Bearer-token authentication of a sandbox cluster, as EKS's aws-iam-authenticator webhook does it.

token -> format checks (domain.token) -> HTTPS GET of the presigned URL on the sandbox STS with this cluster's
``x-k8s-aws-id`` -> canonical ARN -> identity resolution (access entries by authentication mode, the live
kube-system/aws-auth ConfigMap, the implicit creator). Any failure is a plain 401 for the client; the reason
goes to the server log like the authenticator's ``access denied`` line, never the token.

The STS answer is cached for two minutes per token (by SHA-256 of the token, like the API server's webhook
token cache, which also lets one request at a time verify a given token: singleflight); the mapping is resolved again on every request so an aws-auth edit counts on the next one.
"""

from __future__ import annotations

import hashlib
import http.client
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from eksaccess.domain.access import AccessPolicyAssociation
from eksaccess.domain.token import (
    CLUSTER_ID_HEADER,
    StsIdentity,
    TokenError,
    parse_sts_response,
    sts_transport_error,
    verify_token,
)

CACHE_SECONDS = 120.0
STS_TIMEOUT = 10.0


@dataclass(frozen=True, kw_only=True, slots=True)
class KubeUser:
    """An authenticated caller as the API server's filters see it."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    policies: tuple[AccessPolicyAssociation, ...] = ()  # EKS access policies of its access entry
    principal_arn: str = ""


ANONYMOUS = KubeUser(username="system:anonymous", groups=("system:unauthenticated",))


class AuthenticationError(Exception):
    """The token was refused; ``str()`` is the reason for the log (never shown to the client)."""


Authenticate = Callable[[str], KubeUser]


def token_cache_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StsCaller:
    """GETs a presigned URL on the sandbox STS exactly as the authenticator does."""

    def __init__(self, ca_bundle: str | None) -> None:
        self._context = (
            ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
        )

    def get(self, url: str, cluster_id: str, region: str) -> tuple[int, str]:
        parts = urlsplit(url)
        conn = http.client.HTTPSConnection(parts.netloc, timeout=STS_TIMEOUT, context=self._context)
        try:
            conn.request(
                "GET",
                f"{parts.path}?{parts.query}",
                headers={CLUSTER_ID_HEADER: cluster_id, "accept": "application/json"},
            )
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as err:
            raise sts_transport_error(str(err) or type(err).__name__, region) from None
        finally:
            conn.close()


class StsCache:
    """Token hash -> STS answer, for ``CACHE_SECONDS``."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self._ttl = ttl
        self._items: dict[str, tuple[float, StsIdentity, str]] = {}
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[StsIdentity, str] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            return item[1], item[2]

    def lead(self, key: str) -> threading.Event | None:
        """None: the caller verifies the token and then calls ``done``; else the event set when the
        request already verifying it is done (the API server's token cache runs one at a time per token)."""
        with self._lock:
            found = self._inflight.get(key)
            if found is None:
                self._inflight[key] = threading.Event()
            return found

    def done(self, key: str) -> None:
        with self._lock:
            event = self._inflight.pop(key, None)
        if event is not None:
            event.set()

    def put(self, key: str, identity: StsIdentity, access_key_id: str) -> None:
        with self._lock:
            if len(self._items) > 10000:
                self._items.clear()
            self._items[key] = (time.monotonic() + self._ttl, identity, access_key_id)


class TokenVerifier:
    """Token -> STS identity for one cluster (format checks, STS GET, cache)."""

    def __init__(
        self,
        *,
        cluster: str,
        region: str,
        partition: str,
        sts_hosts: tuple[str, ...],
        sts: StsCaller,
        cache: StsCache | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cluster = cluster
        self.region = region
        self.partition = partition
        self.sts_hosts = sts_hosts
        self.sts = sts
        self.cache = cache or StsCache()
        self.clock = clock

    def verify(self, token: str) -> tuple[StsIdentity, str]:
        """(STS identity, access key id); :class:`AuthenticationError` with the authenticator's text."""
        key = token_cache_key(token)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        waiting = self.cache.lead(key)
        if waiting is not None:  # a client's first requests come together with one new token
            waiting.wait(STS_TIMEOUT)
            cached = self.cache.get(key)
            return cached if cached is not None else self._verify(token, key)
        try:
            return self._verify(token, key)
        finally:
            self.cache.done(key)

    def _verify(self, token: str, key: str) -> tuple[StsIdentity, str]:
        try:
            request = verify_token(
                token,
                cluster_id=self.cluster,
                now=self.clock(),
                partition=self.partition,
                region=self.region,
                extra_sts_hosts=self.sts_hosts,
            )
            status, body = self.sts.get(request.url, self.cluster, request.region)
            identity = parse_sts_response(status, body, region=request.region)
        except TokenError as err:
            raise AuthenticationError(err.log_text) from None
        self.cache.put(key, identity, request.access_key_id)
        return identity, request.access_key_id
