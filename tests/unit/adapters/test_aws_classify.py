"""classify: botocore's failures become typed AwsCallError kinds (what doctor turns into findings)."""

from __future__ import annotations

import botocore.exceptions as bce
import pytest

from eksaccess.adapters.aws import AwsErrorKind, classify

SKEWED = (
    "Signature expired: 20261204T164820Z is now earlier than 20261204T165320Z (20261204T170820Z - 15 min.)"
)
AHEAD = (
    "Signature not yet current: 20261204T172000Z is still later than 20261204T170500Z "
    "(20261204T165000Z + 15 min.)"
)


def _client_error(code: str, message: str) -> bce.ClientError:
    return bce.ClientError({"Error": {"Code": code, "Message": message}}, "GetCallerIdentity")


@pytest.mark.parametrize(
    ("err", "kind", "code", "says"),
    [
        (
            _client_error("SignatureDoesNotMatch", SKEWED),
            AwsErrorKind.CLOCK_SKEW,
            "SignatureDoesNotMatch",
            SKEWED,
        ),
        (
            _client_error("SignatureDoesNotMatch", AHEAD),
            AwsErrorKind.CLOCK_SKEW,
            "SignatureDoesNotMatch",
            AHEAD,
        ),
        (
            _client_error("SignatureDoesNotMatch", "The request signature we calculated does not match"),
            AwsErrorKind.INVALID_CREDENTIALS,
            "SignatureDoesNotMatch",
            "does not match",
        ),
        (
            _client_error("RequestExpired", "Request has expired."),
            AwsErrorKind.CLOCK_SKEW,
            "RequestExpired",
            "expired",
        ),
        (
            _client_error(
                "RequestTimeTooSkewed", "The difference between the request time and the current time"
            ),
            AwsErrorKind.CLOCK_SKEW,
            "RequestTimeTooSkewed",
            "difference",
        ),
        (
            _client_error("ExpiredToken", "The security token included in the request is expired"),
            AwsErrorKind.EXPIRED_CREDENTIALS,
            "ExpiredToken",
            "expired",
        ),
        (
            bce.CredentialRetrievalError(
                provider="custom-process", error_msg="credential helper: no cached login for this profile\n"
            ),
            AwsErrorKind.NO_CREDENTIALS,
            "",
            "custom-process: credential helper: no cached login for this profile",
        ),
        (
            bce.TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed"),
            AwsErrorKind.EXPIRED_CREDENTIALS,
            "",
            "Token has expired and refresh failed",
        ),
        (
            bce.SSOTokenLoadError(error_msg="Token for my-sso does not exist"),
            AwsErrorKind.EXPIRED_CREDENTIALS,
            "",
            "Token for my-sso does not exist",
        ),
        (
            bce.UnauthorizedSSOTokenError(),
            AwsErrorKind.EXPIRED_CREDENTIALS,
            "",
            "aws sso login",
        ),
        (bce.NoCredentialsError(), AwsErrorKind.NO_CREDENTIALS, "", "no AWS credentials"),
    ],
    ids=[
        "signature-expired",
        "signature-not-yet-current",
        "signature-mismatch",
        "request-expired",
        "request-time-too-skewed",
        "expired-token",
        "credential-process-failing",
        "sso-token-expired",
        "sso-token-missing",
        "sso-token-unauthorized",
        "no-credentials",
    ],
)
def test_classify(err: Exception, kind: AwsErrorKind, code: str, says: str) -> None:
    failure = classify(err, "GetCallerIdentity")
    assert (failure.kind, failure.code, failure.operation) == (kind, code, "GetCallerIdentity")
    assert says in str(failure)
    assert str(failure) == str(failure).strip()
