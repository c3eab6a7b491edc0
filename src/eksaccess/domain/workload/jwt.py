"""RS256 JSON Web Tokens (JWS compact serialisation, RFC 7515/7519) and RSA JSON Web Keys (RFC 7517/7518).

What a Kubernetes service-account issuer signs and what STS checks: a header ``{"alg": "RS256", "kid": ...}``,
a JSON claims object, and a PKCS#1 v1.5 SHA-256 signature over ``b64url(header) "." b64url(claims)``,
all three parts unpadded base64url. Only RS256 is produced and accepted (EKS's discovery document lists
``id_token_signing_alg_values_supported: ["RS256"]``). The ``kid`` of a key is its RFC 7638 thumbprint.

Pure: keys and times come in as arguments (the caller's clock).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RS256"


class JwtError(ValueError):
    """A token that is not a well-formed RS256 JWT, or whose signature does not verify."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise JwtError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwtError("not base64url") from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def jwk(public: rsa.RSAPublicKey) -> dict[str, str]:
    """The public key as a JWK, as a JWKS lists it: kty, kid (thumbprint), use, alg, n, e."""
    numbers = public.public_numbers()
    n, e = _int_b64(numbers.n), _int_b64(numbers.e)
    return {"kty": "RSA", "kid": key_id(public), "use": "sig", "alg": ALGORITHM, "n": n, "e": e}


def key_id(public: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no whitespace."""
    numbers = public.public_numbers()
    canonical = json.dumps(
        {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}, separators=(",", ":")
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_key_from_jwk(key: Mapping[str, Any]) -> rsa.RSAPublicKey:
    if key.get("kty") != "RSA":
        raise JwtError("the key is not an RSA key")
    try:
        n = int.from_bytes(b64url_decode(str(key["n"])), "big")
        e = int.from_bytes(b64url_decode(str(key["e"])), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, ValueError) as err:
        raise JwtError(f"the key is not a valid RSA JWK: {err}") from None


def sign(claims: Mapping[str, Any], private: rsa.RSAPrivateKey) -> str:
    header = {"alg": ALGORITHM, "kid": key_id(private.public_key())}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, dict(claims))
    )
    signature = private.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


@dataclass(frozen=True, kw_only=True, slots=True)
class Jwt:
    """A parsed (not yet verified) token."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def _json_part(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(text))
    except (JwtError, ValueError, UnicodeDecodeError):
        raise JwtError(f"the {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise JwtError(f"the {what} is not a JSON object")
    return value


def parse(token: str) -> Jwt:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwtError("a JWT has three dot-separated parts")
    header = _json_part(parts[0], "header")
    claims = _json_part(parts[1], "payload")
    signature = b64url_decode(parts[2]) if parts[2] else b""
    return Jwt(
        header=header,
        claims=claims,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
    )


def verify(token: Jwt, keys: Sequence[Mapping[str, Any]]) -> None:
    """Check the RS256 signature with the JWKS key of the token's ``kid`` (without a kid: any key).
    Raises JwtError when no key verifies it."""
    if token.header.get("alg") != ALGORITHM:
        raise JwtError(f"unsupported algorithm {token.header.get('alg')!r}")
    candidates = [k for k in keys if token.kid is None or k.get("kid") == token.kid]
    if not candidates:
        raise JwtError(f"no key with kid {token.kid!r}")
    for key in candidates:
        public = public_key_from_jwk(key)
        try:
            public.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise JwtError("the signature does not verify")
