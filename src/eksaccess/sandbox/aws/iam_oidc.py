"""IAM OpenID Connect identity providers: Create, Get, List, Delete, Add/RemoveClientID and
UpdateThumbprint, with IAM's validation and errors (botocore's ``iam`` model; shared/facts/
workload-identity.md §2).

* ARN ``arn:aws:iam::ACCOUNT:oidc-provider/<Url without https://>``; one provider per URL per account
  (EntityAlreadyExists 409 "Provider with url URL already exists."); at most 100 per account
  (LimitExceeded 409).
* ``Url`` must begin ``https://`` (no query, fragment or port), 1-255 characters; ``ClientIDList`` entries
  1-255 characters (at most 100); ``ThumbprintList`` 40 hex characters (at most 5), optional (IAM then
  fetches the certificate's thumbprint: the sandbox stores none, and never checks thumbprints, as STS does not
  for issuers whose certificate chains to a trusted CA, EKS's among them).
* Get answers ``Url`` without the scheme; List answers ARNs only; Add/RemoveClientID are idempotent;
  UpdateThumbprint replaces the list. A missing provider: NoSuchEntity 404.
* The caller needs ``iam:<Action>`` on the provider's ARN.

Providers live in the sandbox store's ``oidc_providers`` table (made on first use).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from eksaccess.domain.workload.oidc import (
    MAX_CLIENT_IDS,
    OidcUrlError,
    check_client_id,
    check_provider_url,
    check_thumbprints,
    issuer_host_path,
    parse_provider_arn,
    provider_arn,
)
from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, iso8601, query_response
from eksaccess.sandbox.store import SandboxStore

MAX_PROVIDERS = 100
_TABLE = (
    "CREATE TABLE IF NOT EXISTS oidc_providers (arn TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
    " url TEXT NOT NULL, client_ids TEXT NOT NULL, thumbprints TEXT NOT NULL, tags TEXT NOT NULL,"
    " created_at REAL NOT NULL)"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class OidcProvider:
    arn: str
    account_id: str
    url: str  # as created, with https://
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    created_at: float = 0.0


def put_provider(store: SandboxStore, provider: OidcProvider) -> None:
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "INSERT OR REPLACE INTO oidc_providers VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                provider.arn,
                provider.account_id,
                provider.url,
                json.dumps(list(provider.client_ids)),
                json.dumps(list(provider.thumbprints)),
                json.dumps([list(t) for t in provider.tags]),
                provider.created_at,
            ),
        )


def _row(row: tuple[Any, ...]) -> OidcProvider:
    return OidcProvider(
        arn=str(row[0]),
        account_id=str(row[1]),
        url=str(row[2]),
        client_ids=tuple(json.loads(str(row[3]))),
        thumbprints=tuple(json.loads(str(row[4]))),
        tags=tuple((str(k), str(v)) for k, v in json.loads(str(row[5]))),
        created_at=float(row[6]),
    )


def list_providers(store: SandboxStore, account: str) -> list[OidcProvider]:
    with store.write() as conn:
        conn.execute(_TABLE)
        rows = conn.execute(
            "SELECT * FROM oidc_providers WHERE account_id = ? ORDER BY arn", (account,)
        ).fetchall()
    return [_row(tuple(r)) for r in rows]


def get_provider(store: SandboxStore, arn: str) -> OidcProvider | None:
    with store.write() as conn:
        conn.execute(_TABLE)
        row = conn.execute("SELECT * FROM oidc_providers WHERE arn = ?", (arn,)).fetchone()
    return None if row is None else _row(tuple(row))


def find_provider(store: SandboxStore, account: str, issuer: str) -> OidcProvider | None:
    """The provider of ``account`` for ``issuer`` (compared as IAM's ARNs do: without the scheme)."""
    wanted = issuer_host_path(issuer)
    return next(
        (p for p in list_providers(store, account) if issuer_host_path(p.url) == wanted),
        None,
    )


def _delete(store: SandboxStore, arn: str) -> None:
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute("DELETE FROM oidc_providers WHERE arn = ?", (arn,))


# ------------------------------------------------------------------------------------------ the API


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidInput", message, status=400)


def _members(params: Mapping[str, str], name: str) -> list[str]:
    prefix = f"{name}.member."
    numbered = [
        (int(k[len(prefix) :]), v)
        for k, v in params.items()
        if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]
    return [v for _, v in sorted(numbered)]


def _tags(params: Mapping[str, str]) -> list[tuple[str, str]]:
    tags: list[tuple[str, str]] = []
    index = 1
    while f"Tags.member.{index}.Key" in params:
        tags.append((params[f"Tags.member.{index}.Key"], params.get(f"Tags.member.{index}.Value", "")))
        index += 1
    return tags


def _required(req: ServiceRequest, name: str, member: str) -> str:
    value = req.params.get(name)
    if value is None:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
            "Member must not be null",
            status=400,
        )
    return value


def _provider_for(req: ServiceRequest, action: str) -> OidcProvider:
    arn = _required(req, "OpenIDConnectProviderArn", "openIDConnectProviderArn")
    if parse_provider_arn(arn) is None:
        ensure_allowed(req.caller, action, arn)
        raise _invalid(f"ARN {arn} is not valid.")
    ensure_allowed(req.caller, action, arn)
    provider = get_provider(req.ctx.store, arn)
    if provider is None or provider.account_id != req.caller.account:
        raise AwsError("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", status=404)
    return provider


def _checked(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except OidcUrlError as err:
        raise _invalid(str(err)) from None


def create_provider(req: ServiceRequest) -> AwsResponse:
    url = _required(req, "Url", "url")
    arn = provider_arn(req.caller.account, url, req.caller.partition)
    ensure_allowed(req.caller, "iam:CreateOpenIDConnectProvider", arn)
    _checked(lambda: check_provider_url(url))
    client_ids = _members(req.params, "ClientIDList")
    thumbprints = _checked(lambda: check_thumbprints(_members(req.params, "ThumbprintList")))
    for client_id in client_ids:
        _checked(partial(check_client_id, client_id))
    if len(client_ids) > MAX_CLIENT_IDS:
        raise AwsError(
            "LimitExceeded",
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}",
            status=409,
        )
    store = req.ctx.store
    if find_provider(store, req.caller.account, url) is not None or get_provider(store, arn) is not None:
        raise AwsError("EntityAlreadyExists", f"Provider with url {url} already exists.", status=409)
    if len(list_providers(store, req.caller.account)) >= MAX_PROVIDERS:
        raise AwsError(
            "LimitExceeded",
            f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}",
            status=409,
        )
    tags = _tags(req.params)
    put_provider(
        store,
        OidcProvider(
            arn=arn,
            account_id=req.caller.account,
            url=url,
            client_ids=tuple(dict.fromkeys(client_ids)),
            thumbprints=thumbprints,
            tags=tuple(tags),
            created_at=req.now.timestamp(),
        ),
    )
    result: dict[str, Any] = {"OpenIDConnectProviderArn": arn}
    if tags:
        result["Tags"] = [{"Key": k, "Value": v} for k, v in tags]
    return query_response("iam", "CreateOpenIDConnectProvider", result, req.request_id)


def get_provider_call(req: ServiceRequest) -> AwsResponse:
    provider = _provider_for(req, "iam:GetOpenIDConnectProvider")
    result: dict[str, Any] = {
        "Url": issuer_host_path(provider.url),
        "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints),
        "CreateDate": iso8601(provider.created_at),
        "Tags": [{"Key": k, "Value": v} for k, v in provider.tags],
    }
    return query_response("iam", "GetOpenIDConnectProvider", result, req.request_id)


def list_providers_call(req: ServiceRequest) -> AwsResponse:
    ensure_allowed(
        req.caller,
        "iam:ListOpenIDConnectProviders",
        f"arn:{req.caller.partition}:iam::{req.caller.account}:oidc-provider/*",
    )
    items = [{"Arn": p.arn} for p in list_providers(req.ctx.store, req.caller.account)]
    return query_response(
        "iam", "ListOpenIDConnectProviders", {"OpenIDConnectProviderList": items}, req.request_id
    )


def delete_provider(req: ServiceRequest) -> AwsResponse:
    provider = _provider_for(req, "iam:DeleteOpenIDConnectProvider")
    _delete(req.ctx.store, provider.arn)
    return query_response("iam", "DeleteOpenIDConnectProvider", None, req.request_id)


def add_client_id(req: ServiceRequest) -> AwsResponse:
    provider = _provider_for(req, "iam:AddClientIDToOpenIDConnectProvider")
    client_id = _checked(lambda: check_client_id(_required(req, "ClientID", "clientID")))
    if client_id not in provider.client_ids:
        if len(provider.client_ids) >= MAX_CLIENT_IDS:
            raise AwsError(
                "LimitExceeded",
                f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}",
                status=409,
            )
        put_provider(req.ctx.store, replace(provider, client_ids=(*provider.client_ids, client_id)))
    return query_response("iam", "AddClientIDToOpenIDConnectProvider", None, req.request_id)


def remove_client_id(req: ServiceRequest) -> AwsResponse:
    provider = _provider_for(req, "iam:RemoveClientIDFromOpenIDConnectProvider")
    client_id = _checked(lambda: check_client_id(_required(req, "ClientID", "clientID")))
    kept = tuple(c for c in provider.client_ids if c != client_id)
    put_provider(req.ctx.store, replace(provider, client_ids=kept))
    return query_response("iam", "RemoveClientIDFromOpenIDConnectProvider", None, req.request_id)


def update_thumbprint(req: ServiceRequest) -> AwsResponse:
    provider = _provider_for(req, "iam:UpdateOpenIDConnectProviderThumbprint")
    if "ThumbprintList" not in req.params and not _members(req.params, "ThumbprintList"):
        _required(req, "ThumbprintList", "thumbprintList")
    thumbprints = _checked(lambda: check_thumbprints(_members(req.params, "ThumbprintList")))
    put_provider(req.ctx.store, replace(provider, thumbprints=thumbprints))
    return query_response("iam", "UpdateOpenIDConnectProviderThumbprint", None, req.request_id)


OIDC_ACTIONS: dict[str, Callable[[ServiceRequest], AwsResponse]] = {
    "CreateOpenIDConnectProvider": create_provider,
    "GetOpenIDConnectProvider": get_provider_call,
    "ListOpenIDConnectProviders": list_providers_call,
    "DeleteOpenIDConnectProvider": delete_provider,
    "AddClientIDToOpenIDConnectProvider": add_client_id,
    "RemoveClientIDFromOpenIDConnectProvider": remove_client_id,
    "UpdateOpenIDConnectProviderThumbprint": update_thumbprint,
}
