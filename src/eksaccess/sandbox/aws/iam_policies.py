"""iam:PutRolePolicy and iam:PutUserPolicy: add an inline identity policy to a role or user.

The sandbox models a principal's identity policy as two lists of action patterns (``allow``, ``deny``; see
``identity.decide``), so it takes documents it can fold into them: statements with ``Effect`` Allow or Deny,
``Action`` a string or a list, ``Resource`` ``*``, no ``Condition``, ``NotAction`` or ``NotResource``. An
Allow adds its actions to ``allow`` (a principal allowed everything stays so), a Deny adds them to ``deny``.
Other documents are refused with MalformedPolicyDocument, saying what the sandbox models. As in IAM, the
caller needs the action on the principal, and an unknown name is NoSuchEntity.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from eksaccess.sandbox.aws.errors import AwsError, validation_error
from eksaccess.sandbox.aws.identity import ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, query_response
from eksaccess.sandbox.store import PrincipalRecord, PrincipalType

_UNMODELLED = (
    'The sandbox models identity policies of Allow and Deny statements with Action and Resource "*" only.'
)


def _malformed(message: str = "Syntax errors in policy.") -> AwsError:
    return AwsError("MalformedPolicyDocument", message, status=400)


def _statements(text: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except ValueError:
        raise _malformed() from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise _malformed()
    raw = document["Statement"]
    items: list[Any] = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(s, dict) for s in items):
        raise _malformed()
    return items


def _actions(statement: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    effect, actions, resource = statement.get("Effect"), statement.get("Action"), statement.get("Resource")
    listed = [actions] if isinstance(actions, str) else actions
    resources = [resource] if isinstance(resource, str) else resource
    modelled = (
        effect in ("Allow", "Deny")
        and isinstance(listed, list)
        and all(isinstance(a, str) and (a == "*" or ":" in a) for a in listed)
        and resources == ["*"]
        and not {"Condition", "NotAction", "NotResource", "Principal"} & set(statement)
    )
    if not modelled:
        raise _malformed(_UNMODELLED)
    return str(effect), tuple(listed or ())


def put_policy(req: ServiceRequest, kind: PrincipalType) -> PrincipalRecord:
    """Fold the document into the principal's lists and store it; answer the principal as stored."""
    key, action = (
        ("RoleName", "iam:PutRolePolicy") if kind is PrincipalType.ROLE else ("UserName", "iam:PutUserPolicy")
    )
    name = req.params.get(key, "")
    if not req.params.get("PolicyName"):
        raise validation_error(
            "1 validation error detected: Value null at 'policyName' failed to satisfy constraint: "
            "Member must not be null"
        )
    principal = req.ctx.store.find_principal(req.caller.account, kind, name)
    resource = (
        principal.arn
        if principal
        else f"arn:{req.caller.partition}:iam::{req.caller.account}:{kind.value}/{name}"
    )
    ensure_allowed(req.caller, action, resource)
    if principal is None:
        raise AwsError("NoSuchEntity", f"The {kind.value} with name {name} cannot be found.", status=404)
    allow, deny = principal.allow, principal.deny
    for statement in _statements(req.params.get("PolicyDocument", "")):
        effect, actions = _actions(statement)
        if effect == "Deny":
            deny = tuple(dict.fromkeys([*deny, *actions]))
        elif allow is not None:
            allow = tuple(dict.fromkeys([*allow, *actions]))
    stored = replace(principal, allow=allow, deny=deny)
    req.ctx.store.put_principal(stored)
    return stored


def put_role_policy(req: ServiceRequest) -> AwsResponse:
    put_policy(req, PrincipalType.ROLE)
    return query_response("iam", "PutRolePolicy", None, req.request_id)


def put_user_policy(req: ServiceRequest) -> AwsResponse:
    put_policy(req, PrincipalType.USER)
    return query_response("iam", "PutUserPolicy", None, req.request_id)
