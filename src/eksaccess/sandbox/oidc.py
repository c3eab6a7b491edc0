"""Each sandbox cluster's OIDC issuer: its signing key, its discovery document and JWKS, and the
service-account tokens it signs.

The issuer URL has EKS's form (``https://oidc.eks.REGION.amazonaws.com/id/ID``, ``domain.workload.oidc``);
nothing listens there, so the sandbox serves the two documents from its own AWS endpoint under a path that
embeds the issuer::

    GET <aws endpoint>/__oidc/oidc.eks.REGION.amazonaws.com/id/ID/.well-known/openid-configuration
    GET <aws endpoint>/__oidc/oidc.eks.REGION.amazonaws.com/id/ID/keys

Clients find the base in ``EKSACCESS_OIDC_BASE_URL`` (``<aws endpoint>/__oidc``, set by ``sandbox env``):
the document of issuer ``https://H/P`` is at ``$EKSACCESS_OIDC_BASE_URL/H/P/.well-known/openid-configuration``.
The documents name the real issuer (``issuer``, ``jwks_uri``), as EKS's do.

One RSA key (2048 bits) per cluster, made on first use (a token, a JWKS fetch, an STS check) and kept in
the sandbox store's ``oidc_keys`` table (the database file is 0600). Keys are never rotated (EKS rotates
every 7 days and keeps old public keys until they expire): a sandbox's tokens stay valid across ``down``/``up``
until they expire; ``reset`` makes new keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from eksaccess.domain.workload import jwt
from eksaccess.domain.workload.oidc import (
    DISCOVERY_PATH,
    JWKS_PATH,
    discovery_document,
    issuer_host_path,
    issuer_url,
)
from eksaccess.sandbox.store import ClusterRecord, SandboxStore

PATH_PREFIX = "/__oidc/"
BASE_URL_VARIABLE = "EKSACCESS_OIDC_BASE_URL"
KEY_BITS = 2048
_DELETED = "DELETED"
_TABLE = (
    "CREATE TABLE IF NOT EXISTS oidc_keys (issuer TEXT PRIMARY KEY, private_key TEXT NOT NULL,"
    " created_at REAL NOT NULL)"
)


def base_url(aws_endpoint: str) -> str:
    return aws_endpoint.rstrip("/") + PATH_PREFIX.rstrip("/")


def cluster_issuer(record: ClusterRecord) -> str:
    return issuer_url(record.arn, record.region)


def signing_key(store: SandboxStore, issuer: str) -> rsa.RSAPrivateKey:
    """The issuer's private key, made (and stored) the first time it is asked for."""
    with store.write() as conn:
        conn.execute(_TABLE)
        row = conn.execute("SELECT private_key FROM oidc_keys WHERE issuer = ?", (issuer,)).fetchone()
        if row is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode("ascii")
            conn.execute("INSERT INTO oidc_keys VALUES (?, ?, ?)", (issuer, pem, time.time()))
            return key
    loaded = serialization.load_pem_private_key(str(row[0]).encode("ascii"), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def cluster_for_issuer(store: SandboxStore, issuer: str) -> ClusterRecord | None:
    """The live sandbox cluster whose issuer is ``issuer`` (compared without scheme or trailing slash)."""
    wanted = issuer_host_path(issuer)
    for record in store.list_clusters():
        if record.status != _DELETED and issuer_host_path(cluster_issuer(record)) == wanted:
            return record
    return None


def jwks(store: SandboxStore, issuer: str) -> dict[str, Any] | None:
    """The issuer's JWKS, or None when no sandbox cluster has this issuer."""
    record = cluster_for_issuer(store, issuer)
    if record is None:
        return None
    key = signing_key(store, cluster_issuer(record))
    return {"keys": [jwt.jwk(key.public_key())]}


def sign_token(store: SandboxStore, record: ClusterRecord, claims: Mapping[str, Any]) -> str:
    return jwt.sign(claims, signing_key(store, cluster_issuer(record)))


def serve(store: SandboxStore, raw_path: str) -> tuple[int, bytes, dict[str, str]] | None:
    """The answer to ``GET /__oidc/<issuer host/path>/(.well-known/openid-configuration|keys)``; None
    for paths it does not know (the caller answers 404)."""
    if not raw_path.startswith(PATH_PREFIX):
        return None
    rest = raw_path[len(PATH_PREFIX) :].split("?", 1)[0]
    for suffix in (DISCOVERY_PATH, JWKS_PATH):
        if rest.endswith(suffix):
            issuer_path = rest[: -len(suffix)]
            record = cluster_for_issuer(store, "https://" + issuer_path)
            if record is None:
                return None
            issuer = cluster_issuer(record)
            body: Mapping[str, Any] | None = (
                discovery_document(issuer) if suffix == DISCOVERY_PATH else jwks(store, issuer)
            )
            headers = {"Cache-Control": "max-age=3600, public"}
            return 200, json.dumps(body, separators=(",", ":")).encode(), headers
    return None


class ServiceAccountTokenError(Exception):
    """A token the cluster's issuer did not sign, for another issuer, malformed, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def verified_claims(store: SandboxStore, record: ClusterRecord, token: str, *, now: float) -> dict[str, Any]:
    """The claims of a token signed by ``record``'s issuer key, issued by its issuer, not expired (what EKS
    Auth checks before it looks at the audience and subject)."""
    try:
        parsed = jwt.parse(token)
    except jwt.JwtError as err:
        raise ServiceAccountTokenError(f"the token is not a valid JWT: {err}") from None
    issuer = cluster_issuer(record)
    if parsed.claims.get("iss") != issuer:
        raise ServiceAccountTokenError(f"the token was not issued by {issuer}")
    try:
        jwt.verify(parsed, [jwt.jwk(signing_key(store, issuer).public_key())])
    except jwt.JwtError as err:
        raise ServiceAccountTokenError(f"the token's signature is not valid: {err}") from None
    exp = parsed.claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ServiceAccountTokenError("the token has no exp claim")
    if exp <= now:
        raise ServiceAccountTokenError("the token has expired", expired=True)
    not_before = parsed.claims.get("nbf", 0)
    if not isinstance(not_before, int | float) or now < not_before:
        raise ServiceAccountTokenError("the token is not valid yet (nbf)")
    return parsed.claims
