"""``eksaccess token --inspect``: what a k8s-aws-v1 token tells, read offline, with no secret in the answer.

The token is a presigned STS GetCallerIdentity URL (shared/facts/doctor-breadth.md §3.2): its X-Amz-Date is
the signing time, the authenticator takes it for 15 minutes after that, and X-Amz-Credential names the
signer's access key id (an identifier, not a secret). The signature and any session token are never
returned. The cluster's name is not in the token: it is signed as the x-k8s-aws-id header, which only STS
can check. Input: the token, or the ExecCredential JSON ``aws eks get-token`` prints.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from eksaccess.domain.token import CLUSTER_ID_HEADER, PREFIX, TokenError, describe_token
from eksaccess.errors import InputError


def _token_text(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{"):  # an ExecCredential (aws eks get-token, eksaccess token)
        try:
            found = json.loads(stripped).get("status", {}).get("token")
        except (ValueError, AttributeError):
            found = None
        if not isinstance(found, str):
            raise InputError("stdin holds JSON without status.token: not an ExecCredential")
        return found.strip()
    return stripped


def inspect_token(text: str, *, now: datetime) -> dict[str, Any]:
    """The token's cluster binding, region, signer, signing time and expiry, as data."""
    token = _token_text(text)
    if not token:
        raise InputError("no token on stdin (pipe a k8s-aws-v1 token or `aws eks get-token` output)")
    if not token.startswith(PREFIX):
        raise InputError(f"stdin is not an EKS token (it does not start with {PREFIX!r})")
    try:
        info = describe_token(token)
    except TokenError as err:
        raise InputError(f"not a readable EKS token: {err}") from None
    left = (info.expires_at - now).total_seconds()
    return {
        "cluster": None,  # signed as the x-k8s-aws-id header only: not readable from the token
        "clusterBound": CLUSTER_ID_HEADER in info.signed_headers,
        "region": info.region,
        "stsHost": info.host,
        "accessKeyId": info.access_key_id,
        "credentials": "temporary" if info.temporary else "long-term",
        "signedAt": info.signed_at.isoformat(),
        "expiresAt": info.expires_at.isoformat(),
        "expired": info.expired(now),
        "secondsLeft": max(0, int(left)),
        "xAmzExpires": info.amz_expires,
    }


def inspect_lines(data: dict[str, Any]) -> list[str]:
    """The text form of :func:`inspect_token`'s answer."""
    left = int(data["secondsLeft"])
    state = "yes" if data["expired"] else f"no ({left // 60} min {left % 60} s left)"
    binding = (
        "not in the token (signed as the x-k8s-aws-id header; only STS can check it)"
        if data["clusterBound"]
        else "none: the x-k8s-aws-id header is not signed (EKS refuses the token)"
    )
    return [
        f"cluster:        {binding}",
        f"region:         {data['region'] or 'unknown'} ({data['stsHost']})",
        f"access key id:  {data['accessKeyId']} ({data['credentials']} credentials)",
        f"signed at:      {data['signedAt']}",
        f"expires at:     {data['expiresAt']} (15 minutes after signing; X-Amz-Expires={data['xAmzExpires']} "
        "is ignored)",
        f"expired:        {state}",
    ]
