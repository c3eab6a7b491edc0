"""RS256 JWTs and JWKs (RFC 7515/7517/7638), as the sandbox's issuers sign them and STS checks them."""

from __future__ import annotations

import base64
import json
from functools import cache

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from eksaccess.domain.workload import jwt


@cache
def _key(n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_sign_then_verify_with_the_jwks() -> None:
    key = _key()
    token = jwt.sign({"sub": "system:serviceaccount:apps:web", "aud": ["sts.amazonaws.com"]}, key)
    parsed = jwt.parse(token)
    assert parsed.header == {"alg": "RS256", "kid": jwt.key_id(key.public_key())}
    assert parsed.claims["aud"] == ["sts.amazonaws.com"]
    jwt.verify(parsed, [jwt.jwk(key.public_key())])
    assert all("=" not in part for part in token.split("."))


def test_jwk_shape() -> None:
    public = _key().public_key()
    jwk = jwt.jwk(public)
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert jwk["e"] == "AQAB" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert jwt.public_key_from_jwk(jwk).public_numbers() == public.public_numbers()


def test_key_id_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638 section 3.1's example key and thumbprint
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
        "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91"
        "CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    public = jwt.public_key_from_jwk({"kty": "RSA", "n": n, "e": "AQAB"})
    assert jwt.key_id(public) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "system:serviceaccount:kube-system:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_claims_fail() -> None:
    key = _key()
    token = jwt.sign({"sub": "system:serviceaccount:apps:web"}, key)
    with pytest.raises(jwt.JwtError, match="signature"):
        jwt.verify(jwt.parse(_tamper(token)), [jwt.jwk(key.public_key())])


def test_other_key_with_same_kid_fails() -> None:
    key, other = _key(), rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.sign({"sub": "x"}, other)
    with pytest.raises(jwt.JwtError, match="no key"):
        jwt.verify(jwt.parse(token), [jwt.jwk(key.public_key())])
    forged_jwk = dict(jwt.jwk(key.public_key()), kid=jwt.key_id(other.public_key()))
    with pytest.raises(jwt.JwtError, match="signature"):
        jwt.verify(jwt.parse(token), [forged_jwk])


@pytest.mark.parametrize(
    "text",
    ["", "a.b", "a.b.c.d", "!!!.e30.x", "e30.bm90IGpzb24.x", "WzFd.e30.x"],
)
def test_malformed_tokens(text: str) -> None:
    with pytest.raises(jwt.JwtError):
        jwt.parse(text)


def test_alg_none_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    token = jwt.parse(f"{header}.e30.")
    with pytest.raises(jwt.JwtError, match="algorithm"):
        jwt.verify(token, [jwt.jwk(_key().public_key())])
