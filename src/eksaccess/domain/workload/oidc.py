"""EKS's OIDC issuer and IAM's OIDC identity providers: names, ARNs, condition keys, the discovery document
and the claims of a service-account token. One place for these rules, for the sandbox and the client side.

Facts (shared/facts/workload-identity.md §1-§3; EKS User Guide "enable-iam-roles-for-service-accounts";
botocore's ``iam`` model; kubernetes ``pkg/serviceaccount/claims.go``):

* issuer ``https://oidc.eks.<region>.amazonaws.com/id/<ID>`` (``.amazonaws.com.cn`` in China), ID 32
  upper-case hex (the sandbox derives it from the cluster ARN: SHA-256, first 32 hex digits);
* discovery document at ``<issuer>/.well-known/openid-configuration``, JWKS at ``<issuer>/keys``;
* IAM provider ARN ``arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>``; IAM's
  GetOpenIDConnectProvider returns ``Url`` without the scheme;
* provider ``Url``: 1-255 characters, ``https://``, no query, fragment or port; client ids 1-255 characters
  (at most 100); thumbprints 40 hex characters (at most 5);
* trust condition keys ``<issuer without https://>:sub`` and ``:aud``;
* token ``sub`` ``system:serviceaccount:<namespace>:<name>``; ``aud`` a JSON array.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from eksaccess.domain.iam.partitions import region_partition

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
STS_AUDIENCE = "sts.amazonaws.com"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/keys"
MAX_URL = 255
MAX_CLIENT_ID = 255
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")


class OidcUrlError(ValueError):
    """A provider URL IAM refuses (the message is IAM's InvalidInput text, or close to it)."""


def issuer_id(cluster_arn: str) -> str:
    return hashlib.sha256(cluster_arn.encode("utf-8")).hexdigest().upper()[:32]


def issuer_url(cluster_arn: str, region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://oidc.eks.{region}.{suffix}/id/{issuer_id(cluster_arn)}"


def issuer_host_path(url: str) -> str:
    """The issuer without its scheme (and a trailing slash): what provider ARNs and condition keys hold."""
    return url.removeprefix("https://").removeprefix("http://").rstrip("/")


def provider_arn(account: str, url: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{issuer_host_path(url)}"


def provider_arn_for_region(account: str, url: str, region: str) -> str:
    return provider_arn(account, url, region_partition(region))


_PROVIDER_ARN = re.compile(r"^arn:([\w-]+):iam::(\d{12}):oidc-provider/(.+)$")


def parse_provider_arn(arn: str) -> tuple[str, str, str] | None:
    """(partition, account, host/path) of an OIDC provider ARN; None for anything else."""
    match = _PROVIDER_ARN.match(arn)
    return (match[1], match[2], match[3]) if match else None


def sub_key(issuer: str) -> str:
    return f"{issuer_host_path(issuer)}:sub"


def aud_key(issuer: str) -> str:
    return f"{issuer_host_path(issuer)}:aud"


def service_account_subject(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def parse_service_account_subject(sub: str) -> tuple[str, str] | None:
    if not sub.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = sub[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
    return (namespace, name) if sep and namespace and name else None


def check_provider_url(url: str) -> str:
    """The URL IAM stores (as given), or OidcUrlError."""
    if not 1 <= len(url) <= MAX_URL:
        raise OidcUrlError(
            f"1 validation error detected: Value '{url}' at 'url' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_URL}"
        )
    if not url.startswith("https://"):
        raise OidcUrlError("Invalid value for url. The url must begin with https://")
    rest = url[len("https://") :]
    host = rest.split("/", 1)[0]
    if not host or "?" in url or "#" in url or ":" in host:
        raise OidcUrlError(f"The url {url} is invalid: no query, fragment or port is allowed.")
    return url


def check_thumbprints(thumbprints: Sequence[str]) -> tuple[str, ...]:
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise OidcUrlError(
            f"1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_THUMBPRINTS}"
        )
    for value in thumbprints:
        if not _THUMBPRINT.fullmatch(value):
            raise OidcUrlError(
                f"1 validation error detected: Value '{value}' at 'thumbprintList' failed to satisfy "
                "constraint: Member must have length greater than or equal to 40"
            )
    return tuple(thumbprints)


def check_client_id(client_id: str) -> str:
    if not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise OidcUrlError(
            f"1 validation error detected: Value '{client_id}' at 'clientID' failed to satisfy "
            f"constraint: Member must have length between 1 and {MAX_CLIENT_ID}"
        )
    return client_id


def discovery_document(issuer: str) -> dict[str, Any]:
    """The document EKS serves at ``<issuer>/.well-known/openid-configuration``."""
    return {
        "issuer": issuer,
        "jwks_uri": issuer + JWKS_PATH,
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def service_account_claims(
    *,
    issuer: str,
    namespace: str,
    name: str,
    uid: str,
    audiences: Sequence[str],
    issued_at: int,
    expiration_seconds: int,
    bound: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """A bound service-account token's claims, as kube-apiserver's TokenRequest issues them. ``bound``:
    ``{"pod": {"name": ..., "uid": ...}}`` (or ``secret``/``node``) for a token bound to an object."""
    kube: dict[str, Any] = {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}
    for kind, ref in (bound or {}).items():
        kube[kind] = dict(ref)
    return {
        "aud": list(audiences),
        "exp": issued_at + expiration_seconds,
        "iat": issued_at,
        "iss": issuer,
        "kubernetes.io": kube,
        "nbf": issued_at,
        "sub": service_account_subject(namespace, name),
    }


def token_audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """``aud`` as a tuple: JWT allows one string or an array of strings."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(a for a in aud if isinstance(a, str))
    return ()
