"""iam:SimulatePrincipalPolicy over the sandbox's identity policies.

The decision is the one every sandbox call is authorized by (``identity.decide``: an explicit Deny beats any
Allow, no Allow is an implicit deny), so a simulated action and a real call of it always agree. Shapes follow
botocore's IAM model (2010-05-08): ``PolicySourceArn`` (a user or role ARN; an STS ARN is InvalidInput
"Invalid Entity Arn: ..."), ``ActionNames.member.N``, ``ResourceArns.member.N`` (default ``*``), ``MaxItems``
and ``Marker``; the answer's ``EvaluationResults`` hold one result per action and resource with
``EvalActionName``, ``EvalResourceName``, ``EvalDecision`` (allowed, implicitDeny, explicitDeny) and the
statement that decided (``MatchedStatements``: the inline policy's name and the entity type; no positions).
The caller needs iam:SimulatePrincipalPolicy on the principal simulated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal
from eksaccess.sandbox.aws.errors import AwsError, validation_error
from eksaccess.sandbox.aws.identity import SANDBOX_POLICY, PolicyDecision, decide, ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, query_response
from eksaccess.sandbox.store import PrincipalRecord, PrincipalType

DEFAULT_MAX_ITEMS = 100
ACTION = "iam:SimulatePrincipalPolicy"


def _members(params: Mapping[str, str], name: str) -> list[str]:
    """``Name.member.1``, ``Name.member.2``, ... in order (the query protocol's list form)."""
    prefix = f"{name}.member."
    numbered = [
        (int(k[len(prefix) :]), v)
        for k, v in params.items()
        if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]
    return [v for _, v in sorted(numbered)]


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidInput", message, status=400)


def _source(req: ServiceRequest, arn: str) -> PrincipalRecord:
    """The user or role ``arn`` names, exactly as IAM spells its ARN (path included)."""
    try:
        principal = parse_principal(arn)
    except InvalidArnError:
        raise _invalid(f"Invalid Entity Arn: {arn}") from None
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
        raise _invalid(f"Invalid Entity Arn: {arn}")
    ensure_allowed(req.caller, ACTION, arn)
    found = req.ctx.store.get_principal(arn)
    if found is None or found.account_id != req.caller.account:
        kind = "user" if principal.kind is PrincipalKind.USER else "role"
        raise AwsError("NoSuchEntity", f"The {kind} with name {principal.name} cannot be found.", status=404)
    return found


def _actions(params: Mapping[str, str]) -> list[str]:
    actions = _members(params, "ActionNames")
    if not actions:
        raise validation_error(
            "1 validation error detected: Value null at 'actionNames' failed to satisfy "
            "constraint: Member must not be null"
        )
    for i, action in enumerate(actions, start=1):
        if not 3 <= len(action) <= 128:
            raise validation_error(
                f"1 validation error detected: Value '{action}' at 'actionNames.{i}.member' failed to satisfy "
                "constraint: Member must have length between 3 and 128"
            )
        if ":" not in action:
            raise _invalid(
                f"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: {action}"
            )
    return actions


def _result(source: PrincipalRecord, action: str, resource: str) -> dict[str, Any]:
    decision = decide(source, action)
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision.value,
        "MatchedStatements": [],
        "MissingContextValues": [],
    }
    if decision is not PolicyDecision.IMPLICIT_DENY:  # an Allow or a Deny statement of the inline policy
        kind = "user" if source.kind is PrincipalType.USER else "role"
        result["MatchedStatements"] = [{"SourcePolicyId": SANDBOX_POLICY, "SourcePolicyType": kind}]
    return result


def _page(req: ServiceRequest, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    text = req.params.get("MaxItems", str(DEFAULT_MAX_ITEMS))
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise validation_error(
            f"1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: "
            "Member must have value between 1 and 1000"
        )
    marker = req.params.get("Marker", "0")
    if not marker.isdigit() or int(marker) > len(items):
        raise _invalid("Invalid Marker.")
    start, size = int(marker), int(text)
    out: dict[str, Any] = {"EvaluationResults": list(items[start : start + size])}
    out["IsTruncated"] = start + size < len(items)
    if out["IsTruncated"]:
        out["Marker"] = str(start + size)
    return out


def simulate_principal_policy(req: ServiceRequest) -> AwsResponse:
    arn = req.params.get("PolicySourceArn", "")
    if not arn:
        raise validation_error(
            "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: "
            "Member must not be null"
        )
    source = _source(req, arn)
    actions = _actions(req.params)
    resources = _members(req.params, "ResourceArns") or ["*"]
    results = [_result(source, action, resource) for action in actions for resource in resources]
    return query_response("iam", "SimulatePrincipalPolicy", _page(req, results), req.request_id)
