"""STS AssumeRoleWithWebIdentity (query protocol, unsigned as on AWS: ``authtype: none`` in botocore's model).

The routing sends it here before any SigV4 check (``routing.UNSIGNED_ACTIONS``): the web identity token is
the credential. In order (AWS does not document its order; shared/facts/workload-identity.md §3):

1. parameters (ValidationError): ``RoleArn``, ``RoleSessionName`` (2-64, ``[\\w+=,.@-]*``),
   ``WebIdentityToken`` (4-20000 characters), ``DurationSeconds`` (900-43200);
2. the token is a JWT with an ``iss`` (InvalidIdentityToken);
3. an IAM OIDC provider for ``iss`` in the **role's** account: "No OpenIDConnect provider found in your
   account for ISS" (InvalidIdentityToken);
4. the issuer's keys (a sandbox cluster's issuer; others: "Couldn't retrieve verification key from your
   identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements", the
   double space as AWS prints it) and the RS256 signature (InvalidIdentityToken);
5. ``aud``: present ("Missing a required claim: aud") and one of the provider's client ids ("Incorrect token
   audience") (InvalidIdentityToken);
6. ``exp``: "Token expired: current date/time NOW must be before the expiration date/timeEXP"
   (ExpiredTokenException, 400; the missing space is AWS's);
7. the role exists and its trust policy allows ``sts:AssumeRoleWithWebIdentity`` for the provider with
   the token's ``sub``/``aud`` (``domain.workload.web_identity``): else AccessDenied 403 "Not authorized to
   perform sts:AssumeRoleWithWebIdentity";
8. ``DurationSeconds`` at most the role's MaxSessionDuration (ValidationError).

Credentials are minted as AssumeRole mints them (``sts.issue_role_session``): ``aws sts
get-caller-identity`` with them answers ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``. Session
policies (``Policy``, ``PolicyArns``) are accepted and not applied. Texts marked "sandbox wording" in
docs/workload-identity.md are the sandbox's where AWS's are not known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal
from eksaccess.domain.workload import jwt
from eksaccess.domain.workload.oidc import token_audiences
from eksaccess.domain.workload.web_identity import decide, request_context
from eksaccess.sandbox import oidc
from eksaccess.sandbox.aws.errors import AwsError, validation_error
from eksaccess.sandbox.aws.iam import trust_policy
from eksaccess.sandbox.aws.iam_oidc import find_provider
from eksaccess.sandbox.aws.sts import DEFAULT_DURATION, MAX_DURATION, MIN_DURATION, issue_role_session
from eksaccess.sandbox.aws.wire import AwsResponse, iso8601, query_response
from eksaccess.sandbox.context import SandboxContext
from eksaccess.sandbox.store import PrincipalRecord, PrincipalType

ACTION = "AssumeRoleWithWebIdentity"
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
NO_KEY_TEXT = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
DENIED_TEXT = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def invalid_token(message: str) -> AwsError:
    return AwsError("InvalidIdentityToken", message, status=400)


def _required(params: Mapping[str, str], name: str, member: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise validation_error(
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
            "Member must not be null"
        )
    return value


def _duration(params: Mapping[str, str], role: PrincipalRecord | None) -> int:
    text = params.get("DurationSeconds")
    if text is None:
        return DEFAULT_DURATION
    if not text.isdigit():
        raise validation_error(
            f"Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
        )
    seconds = int(text)
    if seconds < MIN_DURATION:
        raise validation_error(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy "
            f"constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )
    if seconds > MAX_DURATION:
        raise validation_error(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_DURATION}"
        )
    if role is not None and seconds > role.max_session_duration:
        raise validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return seconds


def _check_parameters(params: Mapping[str, str]) -> tuple[str, str, str]:
    role_arn = _required(params, "RoleArn", "roleArn")
    session_name = _required(params, "RoleSessionName", "roleSessionName")
    token = _required(params, "WebIdentityToken", "webIdentityToken")
    if not _SESSION_NAME.match(session_name):
        raise validation_error(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    if not 4 <= len(token) <= 20000:
        raise validation_error(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: "
            "Member must have length between 4 and 20000"
        )
    try:
        parsed = parse_principal(role_arn)
    except InvalidArnError:
        raise validation_error(f"{role_arn} is invalid") from None
    if parsed.kind is not PrincipalKind.ROLE:
        raise validation_error(f"{role_arn} is invalid")
    _duration(params, None)
    return role_arn, session_name, token


def _claims(
    ctx: SandboxContext, role_account: str, token_text: str, now: datetime
) -> tuple[dict[str, Any], str, str]:
    """The verified claims, the provider's ARN and the accepted audience (steps 2-6)."""
    try:
        token = jwt.parse(token_text)
    except jwt.JwtError:
        raise invalid_token("The web identity token is not a valid JWT (sandbox wording).") from None
    claims = token.claims
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise invalid_token("Missing a required claim: iss")
    provider = find_provider(ctx.store, role_account, issuer)
    if provider is None:
        raise invalid_token(f"No OpenIDConnect provider found in your account for {issuer}")
    keys = oidc.jwks(ctx.store, issuer)
    if keys is None:
        raise invalid_token(NO_KEY_TEXT)
    try:
        jwt.verify(token, keys["keys"])
    except jwt.JwtError as err:
        if "no key" in str(err):
            raise invalid_token(NO_KEY_TEXT) from None
        raise invalid_token("The web identity token's signature is not valid (sandbox wording).") from None
    audiences = token_audiences(claims)
    if not audiences:
        raise invalid_token("Missing a required claim: aud")
    accepted = next((a for a in audiences if a in provider.client_ids), None)
    if accepted is None:
        raise invalid_token("Incorrect token audience")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise invalid_token("Missing a required claim: exp")
    current = int(now.timestamp())
    if exp <= current:
        raise AwsError(
            "ExpiredTokenException",
            f"Token expired: current date/time {current} must be before the expiration date/time{int(exp)}",
            status=400,
        )
    return claims, provider.arn, accepted


def answer(ctx: SandboxContext, params: Mapping[str, str], *, now: datetime, request_id: str) -> AwsResponse:
    role_arn, session_name, token = _check_parameters(params)
    account = parse_principal(role_arn).account
    claims, provider_arn, audience = _claims(ctx, account, token, now)
    sub = str(claims.get("sub", ""))
    role = ctx.store.get_principal(role_arn)
    if role is None or role.kind is not PrincipalType.ROLE:
        ctx.log.info("sts %s %s: no such role", ACTION, role_arn)
        raise AwsError("AccessDenied", DENIED_TEXT, status=403)
    decision = decide(
        trust_policy(role),
        provider_arn=provider_arn,
        context=request_context(issuer=str(claims["iss"]), sub=sub, audience=audience),
    )
    if not decision.allowed:
        why = "; ".join(m.describe() for m in decision.misses) or "no statement for this provider"
        ctx.log.info("sts %s %s denied for %s: %s", ACTION, role_arn, sub, why)
        raise AwsError("AccessDenied", DENIED_TEXT, status=403)
    seconds = _duration(params, role)
    key, assumed_arn = issue_role_session(
        ctx.store, role, session_name=session_name, expiration=now.timestamp() + seconds, chained=False
    )
    ctx.log.info("sts %s %s by %s -> %s (%ds)", ACTION, role.arn, sub, key.access_key_id, seconds)
    result = {
        "Credentials": {
            "AccessKeyId": key.access_key_id,
            "SecretAccessKey": key.secret_access_key,
            "SessionToken": key.session_token,
            "Expiration": iso8601(float(key.expiration or 0)),
        },
        "SubjectFromWebIdentityToken": sub,
        "AssumedRoleUser": {"AssumedRoleId": f"{role.unique_id}:{session_name}", "Arn": assumed_arn},
        "Provider": provider_arn,
        "Audience": audience,
    }
    return query_response("sts", ACTION, result, request_id)
