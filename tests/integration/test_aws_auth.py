"""SigV4 authentication of the sandbox AWS endpoint with real boto3: error codes as AWS sends them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import (
    RunningSandbox,
    get_caller_identity_by_url,
    https_request,
    presign_token_url,
)

ACCOUNT = "111122223333"
REGION = "us-west-2"
MakeSandbox = Callable[..., RunningSandbox]
raw = https_request
get_identity = get_caller_identity_by_url


def _client(sb: RunningSandbox, service: str, key: str, secret: str, token: str | None = None) -> object:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=sb.aws_endpoint,
        verify=str(sb.ca_bundle),
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_health_answers_unsigned(sandbox: RunningSandbox) -> None:
    status, _, body = raw(sandbox, sandbox.aws_endpoint + "/__sandbox/health")
    assert status == 200 and b'"ok"' in body


def test_get_caller_identity_of_a_user(sandbox: RunningSandbox) -> None:
    identity = sandbox.client("sts", "admin").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert identity["Account"] == ACCOUNT
    assert identity["UserId"].startswith("AIDA") and len(identity["UserId"]) == 21


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId"),
        ("iam", lambda c: c.list_roles(), "InvalidClientTokenId"),
        ("eks", lambda c: c.list_clusters(), "UnrecognizedClientException"),
    ],
)
def test_unknown_key(make_sandbox: MakeSandbox, service: str, call: object, code: str) -> None:
    sb = make_sandbox("invalid-keys")
    client = sb.client(service, "broken")
    with pytest.raises(ClientError) as err:
        call(client)  # type: ignore[operator]
    assert _code(err) == (code, 403)
    assert "security token included in the request is invalid" in str(err.value)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
        ("eks", lambda c: c.describe_cluster(name="demo"), "InvalidSignatureException"),
    ],
)
def test_wrong_secret(make_sandbox: MakeSandbox, service: str, call: object, code: str) -> None:
    sb = make_sandbox("invalid-keys")
    with pytest.raises(ClientError) as err:
        call(sb.client(service, "wrong-secret"))  # type: ignore[operator]
    assert _code(err) == (code, 403)
    assert "signature we calculated does not match" in str(err.value)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("sts", lambda c: c.get_caller_identity(), "ExpiredToken"),
        ("eks", lambda c: c.list_clusters(), "ExpiredTokenException"),
    ],
)
def test_expired_session_credentials(
    make_sandbox: MakeSandbox, service: str, call: object, code: str
) -> None:
    sb = make_sandbox("expired-credentials")
    with pytest.raises(ClientError) as err:
        call(sb.client(service, "stale"))  # type: ignore[operator]
    assert _code(err) == (code, 403)


def test_temporary_key_needs_its_session_token(sandbox: RunningSandbox) -> None:
    creds = sandbox.client("sts", "admin").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-admin", RoleSessionName="s1"
    )["Credentials"]
    good = _client(sandbox, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert "assumed-role/eks-admin/s1" in good.get_caller_identity()["Arn"]  # type: ignore[attr-defined]
    for token in (None, creds["SessionToken"][:-4] + "AAAA"):
        bad = _client(sandbox, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], token)
        with pytest.raises(ClientError) as err:
            bad.get_caller_identity()  # type: ignore[attr-defined]
        assert _code(err) == ("InvalidClientTokenId", 403)


def test_unsigned_request_is_missing_authentication_token(sandbox: RunningSandbox) -> None:
    status, _, body = raw(
        sandbox,
        sandbox.aws_endpoint + "/",
        method="POST",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in body


def test_presigned_token_url_is_accepted_with_json(sandbox: RunningSandbox) -> None:
    url = presign_token_url(sandbox, "developer", "demo")
    status, body = get_identity(sandbox, url, "demo")
    assert status == 200
    assert isinstance(body, dict)
    result = body["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert result["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/")
    assert result["UserId"].startswith("AROA") and ":" in result["UserId"]
    assert result["Account"] == ACCOUNT


def test_presigned_url_for_another_cluster_is_refused(sandbox: RunningSandbox) -> None:
    url = presign_token_url(sandbox, "admin", "prod")
    status, body = get_identity(sandbox, url, "demo")
    assert status == 403
    assert isinstance(body, dict) and body["Error"]["Code"] == "SignatureDoesNotMatch"


def test_tampered_presigned_url_is_refused(sandbox: RunningSandbox) -> None:
    url = presign_token_url(sandbox, "admin", "demo")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["X-Amz-Expires"] = "900"
    tampered = parts._replace(query=urlencode(query)).geturl()
    status, body = get_identity(sandbox, tampered, "demo")
    assert status == 403 and isinstance(body, dict) and body["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("shift", "ok"),
    [(timedelta(minutes=14), True), (timedelta(minutes=16), False), (timedelta(minutes=-16), False)],
)
def test_presigned_url_is_valid_fifteen_minutes(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, shift: timedelta, ok: bool
) -> None:
    signed_at = datetime.now(UTC).replace(tzinfo=None) - shift
    with monkeypatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
        url = presign_token_url(sandbox, "admin", "demo")
    status, body = get_identity(sandbox, url, "demo")
    if ok:
        assert status == 200
    else:
        assert status == 403 and isinstance(body, dict)
        assert body["Error"]["Code"] == "SignatureDoesNotMatch"
        assert "Signature" in body["Error"]["Message"]


def test_header_signature_older_than_fifteen_minutes_is_refused(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20),
    )
    with pytest.raises(ClientError) as err:
        sandbox.client("sts", "admin").get_caller_identity()
    assert _code(err) == ("SignatureDoesNotMatch", 403)
    assert "Signature expired" in str(err.value)


def test_get_caller_identity_by_post_in_xml_also_decodes(sandbox: RunningSandbox) -> None:
    url = presign_token_url(sandbox, "admin", "demo")
    status, _, body = raw(sandbox, url, headers={"x-k8s-aws-id": "demo"})
    assert status == 200 and b"<GetCallerIdentityResult>" in body
    assert base64.b64encode(b"x")  # the URL itself is what aws eks get-token encodes
