"""STS over the query protocol: GetCallerIdentity (also JSON, for the authenticator) and AssumeRole."""

from __future__ import annotations

import re
from datetime import timedelta

from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, arn_partition, parse_principal
from eksaccess.sandbox.aws.errors import AwsError, ErrorKind, access_denied, validation_error
from eksaccess.sandbox.aws.identity import (
    AwsCaller,
    ensure_allowed,
    new_access_key_id,
    new_secret,
    new_session_token,
)
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, iso8601, query_json_response, query_response
from eksaccess.sandbox.store import AccessKeyRecord, PrincipalRecord, PrincipalType, SandboxStore

PRESIGNED_LIFETIME = timedelta(minutes=15)  # STS honours presigned GetCallerIdentity for 15 minutes
MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


def handle(req: ServiceRequest) -> AwsResponse:
    action = req.action
    if action == "GetCallerIdentity":
        return _get_caller_identity(req)
    if action == "AssumeRole":
        return _assume_role(req)
    raise AwsError.generic(
        ErrorKind.UNKNOWN_OPERATION, f"Could not find operation {action} for version 2011-06-15"
    )


def _get_caller_identity(req: ServiceRequest) -> AwsResponse:
    # No IAM permission is needed to call GetCallerIdentity: an allow list never blocks it.
    caller = req.caller
    result = {"Arn": caller.arn, "UserId": caller.user_id, "Account": caller.account}
    if req.accept_json:
        return query_json_response("GetCallerIdentity", result, req.request_id)
    return query_response("sts", "GetCallerIdentity", result, req.request_id)


def _duration(req: ServiceRequest, role: PrincipalRecord) -> int:
    text = req.params.get("DurationSeconds")
    if text is None:
        seconds = DEFAULT_DURATION
    else:
        if not text.isdigit():
            raise validation_error(
                f"Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
            )
        seconds = int(text)
    if seconds < MIN_DURATION:
        raise validation_error(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
            "failed to satisfy constraint: "
            f"Member must have value greater than or equal to {MIN_DURATION}"
        )
    if seconds > MAX_DURATION:
        raise validation_error(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
            "failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_DURATION}"
        )
    if req.caller.is_role_session and seconds > CHAINED_MAX_DURATION:
        raise validation_error(
            "The requested DurationSeconds exceeds the 1 hour session limit "
            "for roles assumed by role chaining."
        )
    if seconds > role.max_session_duration:
        raise validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return seconds


def trusts(role: PrincipalRecord, caller: AwsCaller) -> bool:
    """The role's trust list names the caller's user or role ARN, its session ARN, or its account root."""
    partition = caller.partition
    root = f"arn:{partition}:iam::{caller.account}:root"
    return any(entry in (caller.principal.arn, caller.arn, root) for entry in role.trusted_by)


def issue_role_session(
    store: SandboxStore, role: PrincipalRecord, *, session_name: str, expiration: float, chained: bool
) -> tuple[AccessKeyRecord, str]:
    """Temporary credentials of a session of ``role`` (the one way the sandbox mints them: AssumeRole,
    EKS Auth): the stored key and the session's assumed-role ARN (the role's path dropped, as STS does)."""
    key = AccessKeyRecord(
        access_key_id=new_access_key_id("ASIA"),
        secret_access_key=new_secret(),
        principal_arn=role.arn,
        session_token=new_session_token(),
        session_name=session_name,
        expiration=expiration,
        chained=chained,
    )
    store.put_access_key(key)
    partition = arn_partition(role.arn)
    return key, f"arn:{partition}:sts::{role.account_id}:assumed-role/{role.name}/{session_name}"


def _assume_role(req: ServiceRequest) -> AwsResponse:
    role_arn = req.params.get("RoleArn", "")
    session_name = req.params.get("RoleSessionName", "")
    if not role_arn or not session_name:
        missing = "roleArn" if not role_arn else "roleSessionName"
        raise validation_error(
            f"1 validation error detected: Value null at '{missing}' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not _SESSION_NAME.match(session_name):
        raise validation_error(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    try:
        parsed = parse_principal(role_arn)
    except InvalidArnError:
        raise validation_error(f"{role_arn} is invalid") from None
    if parsed.kind is not PrincipalKind.ROLE:
        raise validation_error(f"{role_arn} is invalid")
    caller = req.caller
    ensure_allowed(caller, "sts:AssumeRole", role_arn)
    role = req.ctx.store.get_principal(role_arn)
    if role is None or role.kind is not PrincipalType.ROLE or not trusts(role, caller):
        raise access_denied(caller.arn, "sts:AssumeRole", role_arn)
    seconds = _duration(req, role)
    key, assumed_arn = issue_role_session(
        req.ctx.store,
        role,
        session_name=session_name,
        expiration=req.now.timestamp() + seconds,
        chained=caller.is_role_session,
    )
    expiration = float(key.expiration or 0)
    req.ctx.log.info("sts AssumeRole %s by %s -> %s (%ds)", role.arn, caller.arn, key.access_key_id, seconds)
    result = {
        "Credentials": {
            "AccessKeyId": key.access_key_id,
            "SecretAccessKey": key.secret_access_key,
            "SessionToken": key.session_token,
            "Expiration": iso8601(expiration),
        },
        "AssumedRoleUser": {"AssumedRoleId": f"{role.unique_id}:{session_name}", "Arn": assumed_arn},
        "PackedPolicySize": None,
    }
    return query_response("sts", "AssumeRole", result, req.request_id)
