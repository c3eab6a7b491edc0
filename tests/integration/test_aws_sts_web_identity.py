"""STS AssumeRoleWithWebIdentity with boto3 (unsigned, as botocore sends it) against the sandbox: the error
codes botocore parses, and the credentials that come back (facts workload-identity.md §3, §8)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa

from eksaccess.domain.workload import jwt
from eksaccess.domain.workload.oidc import service_account_claims
from eksaccess.sandbox.oidc import sign_token
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
ROLE = "arn:aws:iam::111122223333:role/web-irsa"


def _claims(**over: Any) -> dict[str, Any]:
    claims = service_account_claims(
        issuer=ISSUER,
        namespace="apps",
        name="web",
        uid="u",
        audiences=["sts.amazonaws.com"],
        issued_at=int(time.time()),
        expiration_seconds=3600,
    )
    claims.update(over)
    return claims


def _token(sb: RunningSandbox, **over: Any) -> str:
    record = sb.store.get_cluster("demo")
    assert record is not None
    return sign_token(sb.store, record, _claims(**over))


def _assume(sb: RunningSandbox, token: str, **kwargs: Any) -> dict[str, Any]:
    sts = sb.client("sts", "admin", region="us-west-2")
    result: dict[str, Any] = sts.assume_role_with_web_identity(
        RoleArn=kwargs.pop("RoleArn", ROLE), RoleSessionName="s1", WebIdentityToken=token, **kwargs
    )
    return result


def _error(sb: RunningSandbox, token: str, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        _assume(sb, token, **kwargs)
    e = err.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_healthy_and_the_credentials_work(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("irsa-healthy")
    answer = _assume(sb, _token(sb))
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/web-irsa/s1"
    assert answer["SubjectFromWebIdentityToken"] == "system:serviceaccount:apps:web"
    assert answer["Audience"] == "sts.amazonaws.com"
    assert answer["Provider"] == "arn:aws:iam::111122223333:oidc-provider/" + ISSUER.removeprefix("https://")
    creds = answer["Credentials"]
    import boto3

    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-west-2",
    )
    sts = session.client("sts", endpoint_url=sb.aws_endpoint, verify=str(sb.ca_bundle))
    assert sts.get_caller_identity()["Arn"] == "arn:aws:sts::111122223333:assumed-role/web-irsa/s1"


@pytest.mark.parametrize(
    ("scenario", "code", "status", "message"),
    [
        ("irsa-wrong-sub", "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        (
            "irsa-stringequals-wildcard",
            "AccessDenied",
            403,
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ),
        (
            "irsa-no-oidc-provider",
            "InvalidIdentityToken",
            400,
            f"No OpenIDConnect provider found in your account for {ISSUER}",
        ),
    ],
)
def test_scenario_failures(
    make_sandbox: MakeSandbox, scenario: str, code: str, status: int, message: str
) -> None:
    sb = make_sandbox(scenario)
    assert _error(sb, _token(sb)) == (code, status, message)


def test_missing_aud_works(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("irsa-missing-aud")
    assert _assume(sb, _token(sb))["AssumedRoleUser"]["Arn"].endswith("/web-irsa/s1")


def test_token_failures(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("irsa-healthy")
    now = int(time.time())
    code, status, message = _error(sb, _token(sb, exp=now - 10, iat=now - 4000, nbf=now - 4000))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ") and message.endswith(
        f"expiration date/time{now - 10}"
    )
    assert _error(sb, _token(sb, aud=["pods.eks.amazonaws.com"])) == (
        "InvalidIdentityToken",
        400,
        "Incorrect token audience",
    )
    assert _error(sb, _token(sb, aud=[])) == ("InvalidIdentityToken", 400, "Missing a required claim: aud")
    foreign = jwt.sign(_claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048))
    code, status, message = _error(sb, foreign)
    assert (code, status) == ("InvalidIdentityToken", 400) and message.startswith(
        "Couldn't retrieve verification key"
    )
    assert _error(sb, "not.a.jwt")[:2] == ("InvalidIdentityToken", 400)
    other_sa = _token(sb, sub="system:serviceaccount:apps:other")
    assert _error(sb, other_sa)[0] == "AccessDenied"
    assert _error(sb, _token(sb), RoleArn="arn:aws:iam::111122223333:role/missing")[0] == "AccessDenied"


def test_sent_unsigned(make_sandbox: MakeSandbox) -> None:
    """botocore sends AssumeRoleWithWebIdentity without SigV4 (authtype none): the sandbox answers it."""
    sb = make_sandbox("irsa-healthy")
    sts = sb.client("sts", "admin", region="us-west-2")
    seen: list[dict[str, Any]] = []
    sts.meta.events.register("before-send.sts.*", lambda request, **_: seen.append(dict(request.headers)))
    sts.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=_token(sb))
    assert seen and "Authorization" not in seen[0]


def test_verified_claims_for_other_services(make_sandbox: MakeSandbox) -> None:
    """``sandbox.oidc.verified_claims``: what EKS Auth checks of a token (issuer, signature, expiry)."""
    from eksaccess.sandbox.oidc import ServiceAccountTokenError, verified_claims

    sb = make_sandbox("irsa-healthy")
    record = sb.store.get_cluster("demo")
    assert record is not None
    now = time.time()
    assert verified_claims(sb.store, record, _token(sb), now=now)["sub"] == "system:serviceaccount:apps:web"
    with pytest.raises(ServiceAccountTokenError) as expired:
        verified_claims(sb.store, record, _token(sb), now=now + 7200)
    assert expired.value.expired
    with pytest.raises(ServiceAccountTokenError, match="not issued by"):
        verified_claims(sb.store, record, _token(sb, iss="https://elsewhere.example.com"), now=now)
    foreign = jwt.sign(_claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(ServiceAccountTokenError, match="signature"):
        verified_claims(sb.store, record, foreign, now=now)
