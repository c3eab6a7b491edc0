"""One authenticated request, as a service handler sees it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.identity import AwsCaller
from eksaccess.sandbox.context import SandboxContext
from eksaccess.sandbox.sigv4 import HttpRequest


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceRequest:
    ctx: SandboxContext
    http: HttpRequest
    caller: AwsCaller
    service: str
    region: str
    request_id: str
    now: datetime
    params: Mapping[str, str]  # query protocol: form body + query string; rest-json: query string
    accept_json: bool = False

    @property
    def action(self) -> str:
        return self.params.get("Action", "")

    def json_body(self) -> dict[str, Any]:
        """The rest-json body (an empty body is ``{}``); a body that is not a JSON object is refused."""
        if not self.http.body.strip():
            return {}
        try:
            data = json.loads(self.http.body)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise AwsError(
                "SerializationException", "Could not parse the request body as JSON", status=400
            ) from None
        if not isinstance(data, dict):
            raise AwsError("SerializationException", "The request body must be a JSON object", status=400)
        return data
