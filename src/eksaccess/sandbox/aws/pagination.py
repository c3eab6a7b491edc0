"""EKS-style pagination: ``maxResults`` 1-100 (default 100), an opaque ``nextToken`` absent at the end."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence

from eksaccess.sandbox.aws.errors import AwsError

DEFAULT_PAGE = 100


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message, status=400)


def _encode(kind: str, after: str) -> str:
    raw = json.dumps({"k": kind, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(kind: str, token: str) -> str:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError, RecursionError):
        raise invalid_parameter("The nextToken provided is not valid.") from None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("a"), str):
        raise invalid_parameter("The nextToken provided is not valid.")
    return str(data["a"])


def page(keys: Sequence[str], params: Mapping[str, str], *, kind: str) -> tuple[list[str], str | None]:
    """One page of sorted ``keys`` after the token's key; returns (page, nextToken or None)."""
    text = params.get("maxResults")
    size = DEFAULT_PAGE
    if text is not None:
        if not text.lstrip("-").isdigit() or not 1 <= int(text) <= 100:
            raise invalid_parameter(
                f"1 validation error detected: Value '{text}' at 'maxResults' failed to satisfy constraint: "
                "Member must have value between 1 and 100"
            )
        size = int(text)
    ordered = sorted(keys)
    token = params.get("nextToken")
    if token:
        after = _decode(kind, token)
        ordered = [key for key in ordered if key > after]
    chunk = ordered[:size]
    more = len(ordered) > size
    return chunk, (_encode(kind, chunk[-1]) if more and chunk else None)
