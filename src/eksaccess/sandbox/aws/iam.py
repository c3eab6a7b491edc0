"""IAM over the query protocol: users, roles, their trust and identity policies and users' access keys,
as the scenario declared them.

IAM is global: the caller sees the principals of its own account. ``AssumeRolePolicyDocument`` is
URL-encoded JSON, as IAM returns it (botocore decodes it back into a dict).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from eksaccess.sandbox.aws.errors import AwsError, ErrorKind, validation_error
from eksaccess.sandbox.aws.iam_oidc import OIDC_ACTIONS
from eksaccess.sandbox.aws.iam_policies import put_role_policy, put_user_policy
from eksaccess.sandbox.aws.iam_simulate import simulate_principal_policy
from eksaccess.sandbox.aws.identity import SANDBOX_POLICY, ensure_allowed
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, iso8601, query_response
from eksaccess.sandbox.store import PrincipalRecord, PrincipalType

DEFAULT_MAX_ITEMS = 100


def trust_policy(role: PrincipalRecord) -> dict[str, Any]:
    if role.trust_policy is not None:  # the scenario's raw document (trustPolicy)
        return dict(json.loads(role.trust_policy))
    statements: list[dict[str, Any]] = []
    if role.trusted_by:
        principals: str | list[str] = (
            list(role.trusted_by) if len(role.trusted_by) > 1 else role.trusted_by[0]
        )
        statements.append({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"})
    return {"Version": "2012-10-17", "Statement": statements}


def encoded_trust_policy(role: PrincipalRecord) -> str:
    return quote(json.dumps(trust_policy(role), separators=(",", ":")), safe="")


def identity_policies(p: PrincipalRecord) -> list[dict[str, str]]:
    """The principal's identity policy as IAM would list it inline: what the scenario's ``allow`` says
    (absent: every action) and, as a Deny statement, its ``deny``. The sandbox decides every call by the same list."""
    actions = ["*"] if p.allow is None else list(p.allow)
    statements: list[dict[str, Any]] = []
    if actions:
        statements.append({"Effect": "Allow", "Action": actions, "Resource": "*"})
    if p.deny:
        statements.append({"Effect": "Deny", "Action": list(p.deny), "Resource": "*"})
    if not statements:
        return []
    document = {"Version": "2012-10-17", "Statement": statements}
    return [
        {
            "PolicyName": SANDBOX_POLICY,
            "PolicyDocument": quote(json.dumps(document, separators=(",", ":")), safe=""),
        }
    ]


def _user(p: PrincipalRecord) -> dict[str, Any]:
    return {
        "Path": p.path,
        "UserName": p.name,
        "UserId": p.unique_id,
        "Arn": p.arn,
        "CreateDate": iso8601(p.created_at),
    }


def _role(p: PrincipalRecord) -> dict[str, Any]:
    return {
        "Path": p.path,
        "RoleName": p.name,
        "RoleId": p.unique_id,
        "Arn": p.arn,
        "CreateDate": iso8601(p.created_at),
        "AssumeRolePolicyDocument": encoded_trust_policy(p),
        "MaxSessionDuration": p.max_session_duration,
    }


def _no_such(kind: str, name: str) -> AwsError:
    return AwsError("NoSuchEntity", f"The {kind} with name {name} cannot be found.", status=404)


def _principals(req: ServiceRequest, kind: PrincipalType) -> list[PrincipalRecord]:
    prefix = req.params.get("PathPrefix", "/")
    return [
        p
        for p in req.ctx.store.list_principals(req.caller.account)
        if p.kind is kind and p.path.startswith(prefix)
    ]


def _page(req: ServiceRequest, items: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
    text = req.params.get("MaxItems", str(DEFAULT_MAX_ITEMS))
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise validation_error(
            f"1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: "
            "Member must have value between 1 and 1000"
        )
    marker = req.params.get("Marker", "0")
    if not marker.isdigit():
        raise validation_error("Invalid Marker.")
    start, size = int(marker), int(text)
    chunk = list(items[start : start + size])
    result: dict[str, Any] = {key: chunk, "IsTruncated": start + size < len(items)}
    if start + size < len(items):
        result["Marker"] = str(start + size)
    return result


def _arn(req: ServiceRequest, kind: str, name: str) -> str:
    return f"arn:{req.caller.partition}:iam::{req.caller.account}:{kind}/{name}"


def _named_user(req: ServiceRequest, action: str) -> PrincipalRecord:
    """The user named by ``UserName`` or, without one, the calling user (a role session must name one);
    authorized for ``action`` on it."""
    name = req.params.get("UserName")
    if name is None:
        if req.caller.principal.kind is not PrincipalType.USER:
            raise validation_error("Must specify userName when calling with non-User credentials")
        user: PrincipalRecord | None = req.caller.principal
        name = req.caller.principal.name
    else:
        user = req.ctx.store.find_principal(req.caller.account, PrincipalType.USER, name)
    ensure_allowed(req.caller, action, user.arn if user else _arn(req, "user", name))
    if user is None:
        raise _no_such("user", name)
    return user


def get_user(req: ServiceRequest) -> AwsResponse:
    user = _named_user(req, "iam:GetUser")
    return query_response("iam", "GetUser", {"User": _user(user)}, req.request_id)


def update_assume_role_policy(req: ServiceRequest) -> AwsResponse:
    """Replace a role's trust policy. The sandbox models sts:AssumeRole's trust as the principals allowed it
    (Allow statements naming AWS principals for that action); a document that also has statements for
    federated (IRSA) or service (Pod Identity) principals is kept whole, as STS's web identity and EKS Auth
    read it, with the AWS principals of its plain sts:AssumeRole statements as those trusted."""
    name = req.params.get("RoleName", "")
    role = req.ctx.store.find_principal(req.caller.account, PrincipalType.ROLE, name)
    ensure_allowed(req.caller, "iam:UpdateAssumeRolePolicy", role.arn if role else _arn(req, "role", name))
    if role is None:
        raise _no_such("role", name)
    try:
        document = json.loads(req.params.get("PolicyDocument", ""))
    except ValueError:
        raise AwsError("MalformedPolicyDocument", "Syntax errors in policy.", status=400) from None
    trusted: list[str] = []
    statements = document.get("Statement") if isinstance(document, dict) else None
    items: list[Any] = statements if isinstance(statements, list) else [statements]
    if _workload_trust(items):
        trusted = [p for st in items for p in _plain_assume_role_principals(st)]
        raw = json.dumps(document, separators=(",", ":"))
        req.ctx.store.put_principal(replace(role, trusted_by=tuple(dict.fromkeys(trusted)), trust_policy=raw))
        return query_response("iam", "UpdateAssumeRolePolicy", {}, req.request_id)
    for statement in items:
        if not isinstance(statement, dict):
            raise AwsError("MalformedPolicyDocument", "Syntax errors in policy.", status=400)
        actions = statement.get("Action")
        principals = (
            (statement.get("Principal") or {}).get("AWS")
            if isinstance(statement.get("Principal"), dict)
            else None
        )
        modelled = (
            statement.get("Effect") == "Allow"
            and "Condition" not in statement
            and (actions == "sts:AssumeRole" or (isinstance(actions, list) and actions == ["sts:AssumeRole"]))
            and isinstance(principals, str | list)
        )
        if not modelled:
            raise AwsError(
                "MalformedPolicyDocument",
                "The sandbox models trust policies of Allow statements for sts:AssumeRole by AWS principals only.",
                status=400,
            )
        if isinstance(principals, str):
            trusted.append(principals)
        elif isinstance(principals, list):
            trusted += [str(p) for p in principals]
    req.ctx.store.put_principal(replace(role, trusted_by=tuple(dict.fromkeys(trusted)), trust_policy=None))
    return query_response("iam", "UpdateAssumeRolePolicy", {}, req.request_id)


def _workload_trust(items: list[Any]) -> bool:
    """Statements all objects, one of them naming a federated or service principal."""
    if not items or not all(isinstance(st, dict) for st in items):
        return False
    return any(
        isinstance(st.get("Principal"), dict)
        and ("Federated" in st["Principal"] or "Service" in st["Principal"])
        for st in items
    )


def _plain_assume_role_principals(statement: dict[str, Any]) -> list[str]:
    """The AWS principals an unconditional Allow of sts:AssumeRole names (none for anything else)."""
    actions = statement.get("Action")
    names = actions if isinstance(actions, list) else [actions]
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    if statement.get("Effect") != "Allow" or "Condition" in statement or "sts:AssumeRole" not in names:
        return []
    return [aws] if isinstance(aws, str) else [str(p) for p in aws] if isinstance(aws, list) else []


def get_role(req: ServiceRequest) -> AwsResponse:
    name = req.params.get("RoleName", "")
    role = req.ctx.store.find_principal(req.caller.account, PrincipalType.ROLE, name)
    ensure_allowed(req.caller, "iam:GetRole", role.arn if role else _arn(req, "role", name))
    if role is None:
        raise _no_such("role", name)
    return query_response("iam", "GetRole", {"Role": _role(role)}, req.request_id)


def list_users(req: ServiceRequest) -> AwsResponse:
    ensure_allowed(req.caller, "iam:ListUsers", _arn(req, "user", "*"))
    users = [_user(p) for p in _principals(req, PrincipalType.USER)]
    return query_response("iam", "ListUsers", _page(req, users, "Users"), req.request_id)


def list_roles(req: ServiceRequest) -> AwsResponse:
    ensure_allowed(req.caller, "iam:ListRoles", _arn(req, "role", "*"))
    roles = [_role(p) for p in _principals(req, PrincipalType.ROLE)]
    return query_response("iam", "ListRoles", _page(req, roles, "Roles"), req.request_id)


def get_account_authorization_details(req: ServiceRequest) -> AwsResponse:
    ensure_allowed(req.caller, "iam:GetAccountAuthorizationDetails", "*")
    filters = {v for k, v in req.params.items() if k.startswith("Filter.member.")}
    details: list[dict[str, Any]] = []
    for p in req.ctx.store.list_principals(req.caller.account):
        if p.kind is PrincipalType.USER and (not filters or "User" in filters):
            details.append(
                {
                    **_user(p),
                    "GroupList": [],
                    "AttachedManagedPolicies": [],
                    "UserPolicyList": identity_policies(p),
                    "Tags": [],
                }
            )
    users = details
    roles: list[dict[str, Any]] = []
    for p in req.ctx.store.list_principals(req.caller.account):
        if p.kind is PrincipalType.ROLE and (not filters or "Role" in filters):
            role = _role(p)
            del role["MaxSessionDuration"]
            roles.append(
                {
                    **role,
                    "InstanceProfileList": [],
                    "RolePolicyList": identity_policies(p),
                    "AttachedManagedPolicies": [],
                    "Tags": [],
                }
            )
    items: list[Mapping[str, Any]] = [{"UserDetailList": u} for u in users] + [
        {"RoleDetailList": r} for r in roles
    ]
    page = _page(req, items, "Items")
    result: dict[str, Any] = {
        "UserDetailList": [i["UserDetailList"] for i in page["Items"] if "UserDetailList" in i],
        "GroupDetailList": [],
        "RoleDetailList": [i["RoleDetailList"] for i in page["Items"] if "RoleDetailList" in i],
        "Policies": [],
        "IsTruncated": page["IsTruncated"],
    }
    if "Marker" in page:
        result["Marker"] = page["Marker"]
    return query_response("iam", "GetAccountAuthorizationDetails", result, req.request_id)


def list_access_keys(req: ServiceRequest) -> AwsResponse:
    """The user's long-term keys (never a secret); without UserName, the calling user's."""
    user = _named_user(req, "iam:ListAccessKeys")
    keys = [
        {
            "UserName": user.name,
            "AccessKeyId": k.access_key_id,
            "Status": "Active",
            "CreateDate": iso8601(user.created_at),
        }
        for k in req.ctx.store.keys_of(user.arn)
    ]
    return query_response("iam", "ListAccessKeys", _page(req, keys, "AccessKeyMetadata"), req.request_id)


_ACTIONS: dict[str, Callable[[ServiceRequest], AwsResponse]] = {
    "ListAccessKeys": list_access_keys,
    "GetUser": get_user,
    "GetRole": get_role,
    "ListUsers": list_users,
    "ListRoles": list_roles,
    "GetAccountAuthorizationDetails": get_account_authorization_details,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "SimulatePrincipalPolicy": simulate_principal_policy,  # iam_simulate.py
    "PutRolePolicy": put_role_policy,  # iam_policies.py
    "PutUserPolicy": put_user_policy,
    **OIDC_ACTIONS,  # iam_oidc.py: OpenID Connect providers
}


def handle(req: ServiceRequest) -> AwsResponse:
    action = _ACTIONS.get(req.action)
    if action is None:
        raise AwsError.generic(
            ErrorKind.UNKNOWN_OPERATION, f"Could not find operation {req.action} for version 2010-05-08"
        )
    return action(req)
