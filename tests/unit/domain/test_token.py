"""Token verification: one case per check of
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go ``Verify``, plus encode/decode properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.token import (
    StsError,
    StsThrottledError,
    TokenError,
    decode_token,
    encode_token,
    parse_sts_response,
    sts_transport_error,
    verify_token,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
DATE = "20240501T115500Z"

BASE_PARAMS: list[tuple[str, str]] = [
    ("Action", "GetCallerIdentity"),
    ("Version", "2011-06-15"),
    ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
    ("X-Amz-Credential", "AKIAEXAMPLE/20240501/us-west-2/sts/aws4_request"),
    ("X-Amz-Date", DATE),
    ("X-Amz-Expires", "60"),
    ("X-Amz-SignedHeaders", "host;x-k8s-aws-id"),
    ("X-Amz-Signature", "ab" * 32),
]


def url_of(
    params: list[tuple[str, str]], host: str = "sts.us-west-2.amazonaws.com", scheme: str = "https"
) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{scheme}://{host}/?{query}"


def replaced(key: str, value: str | None) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in BASE_PARAMS if k != key]
    return out if value is None else [*out, (key, value)]


def check(token: str, **kw: object) -> str:
    with pytest.raises(TokenError) as info:
        verify_token(token, cluster_id="demo", now=NOW, **kw)  # type: ignore[arg-type]
    return str(info.value)


def test_valid_token_is_accepted() -> None:
    req = verify_token(encode_token(url_of(BASE_PARAMS)), cluster_id="demo", now=NOW, region="us-west-2")
    assert req.access_key_id == "AKIAEXAMPLE"
    assert req.region == "us-west-2"
    assert req.signed_at == datetime(2024, 5, 1, 11, 55, tzinfo=UTC)
    assert req.host == "sts.us-west-2.amazonaws.com"


def test_row1_too_large() -> None:
    token = encode_token(url_of([*BASE_PARAMS, ("X-Amz-Security-Token", "x" * 4000)]))
    assert check(token) == "token is too large"


def test_row2_prefix() -> None:
    assert check("k8s-aws-v2.abc") == 'token is missing expected "k8s-aws-v1." prefix'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("aHR0cHM6Ly9=", "illegal base64 data at input byte 11"),
        ("aHR0+HM6", "illegal base64 data at input byte 4"),
        ("aHR0c", "illegal base64 data at input byte 4"),
    ],
)
def test_row3_base64(body: str, message: str) -> None:
    assert check("k8s-aws-v1." + body) == message


def test_row3_url_control_character() -> None:
    assert "invalid control character in URL" in check(encode_token("https://sts.amazonaws.com/\x01"))


def test_row4_scheme() -> None:
    assert check(encode_token(url_of(BASE_PARAMS, scheme="http"))) == (
        'unexpected scheme "http" in pre-signed URL'
    )


@pytest.mark.parametrize(
    ("host", "partition", "message"),
    [
        ("evil.example.com", "aws", 'unexpected hostname "evil.example.com" in pre-signed URL'),
        ("sts.amazonaws.com", "aws-cn", "global endpoint unsupported in partition aws-cn"),
        ("sts.us_west.amazonaws.com", "aws", "invalid region identifier format provided: us_west"),
        (
            "sts.cn-north-1.amazonaws.com.cn",
            "aws",
            "partition {aws} does not support hostname sts.cn-north-1.amazonaws.com.cn",
        ),
    ],
)
def test_row5_host(host: str, partition: str, message: str) -> None:
    assert check(encode_token(url_of(BASE_PARAMS, host=host)), partition=partition) == message


@pytest.mark.parametrize(
    ("host", "partition"),
    [
        ("sts.amazonaws.com", "aws"),
        ("sts.eu-west-1.amazonaws.com", "aws"),
        ("sts-fips.us-east-1.amazonaws.com", "aws"),
        ("sts.us-west-2.api.aws", "aws"),
        ("sts.not-a-region.amazonaws.com", "aws"),
        ("sts.cn-north-1.amazonaws.com.cn", "aws-cn"),
        ("sts.us-gov-west-1.amazonaws.com", "aws-us-gov"),
    ],
)
def test_row5_hosts_accepted(host: str, partition: str) -> None:
    token = encode_token(url_of(BASE_PARAMS, host=host))
    assert verify_token(token, cluster_id="c", now=NOW, partition=partition).host == host


def test_row5_extra_sandbox_host_and_its_region_from_credential() -> None:
    token = encode_token(url_of(BASE_PARAMS, host="127.0.0.1:4566"))
    assert "unexpected hostname" in check(token)
    req = verify_token(token, cluster_id="c", now=NOW, extra_sts_hosts=("127.0.0.1:4566",))
    assert req.region == "us-west-2"


def test_row6_path() -> None:
    url = url_of(BASE_PARAMS).replace("/?", "/sts?")
    assert check(encode_token(url)) == "unexpected path in pre-signed URL"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([*BASE_PARAMS, ("x-amz-date", DATE)], 'duplicate query parameter found: "x-amz-date"'),
        ([*BASE_PARAMS, ("X-Amz-Foo", "1")], 'non-whitelisted query parameter "X-Amz-Foo"'),
        (
            [*BASE_PARAMS, ("Action", "GetCallerIdentity")],
            "query parameter with multiple values not supported",
        ),
    ],
)
def test_row7_query(params: list[tuple[str, str]], message: str) -> None:
    assert check(encode_token(url_of(params))) == message


def test_row7_malformed_query() -> None:
    url = url_of(BASE_PARAMS) + "&bad=%zz"
    assert check(encode_token(url)) == "malformed query parameter"


def test_row8_action() -> None:
    token = encode_token(url_of(replaced("Action", "AssumeRole")))
    assert check(token) == "unexpected action parameter in pre-signed URL"


def test_row9_signed_header() -> None:
    token = encode_token(url_of(replaced("X-Amz-SignedHeaders", "host")))
    assert check(token) == "client did not sign the x-k8s-aws-id header in the pre-signed URL"
    ok = encode_token(url_of(replaced("X-Amz-SignedHeaders", "host;X-K8S-AWS-ID")))
    assert verify_token(ok, cluster_id="c", now=NOW).access_key_id == "AKIAEXAMPLE"


@pytest.mark.parametrize(("value", "shown"), [("901", "901"), ("-1", "-1"), ("abc", "0"), (None, "0")])
def test_row10_expires(value: str | None, shown: str) -> None:
    token = encode_token(url_of(replaced("X-Amz-Expires", value)))
    assert check(token) == f"invalid X-Amz-Expires parameter in pre-signed URL: {shown}"


@pytest.mark.parametrize("value", ["0", "900"])
def test_row10_expires_bounds_accepted(value: str) -> None:
    token = encode_token(url_of(replaced("X-Amz-Expires", value)))
    assert verify_token(token, cluster_id="c", now=NOW).host


def test_row11_date_missing_and_bad() -> None:
    assert check(encode_token(url_of(replaced("X-Amz-Date", None)))) == (
        "X-Amz-Date parameter must be present in pre-signed URL"
    )
    message = check(encode_token(url_of(replaced("X-Amz-Date", "2024-05-01"))))
    assert message.startswith("error parsing X-Amz-Date parameter 2024-05-01 into format 20060102T150405Z: ")


def test_row12_age_by_server_clock() -> None:
    token = encode_token(url_of(BASE_PARAMS))
    signed = datetime(2024, 5, 1, 11, 55, tzinfo=UTC)
    assert verify_token(token, cluster_id="c", now=signed + timedelta(minutes=15)).host
    late = signed + timedelta(minutes=15, seconds=1)
    with pytest.raises(TokenError) as info:
        verify_token(token, cluster_id="c", now=late)
    assert str(info.value) == (
        "X-Amz-Date parameter is expired (15 minute expiration) 2024-05-01 11:55:00 +0000 UTC"
    )
    assert info.value.log_text.startswith("input token was not properly formatted: X-Amz-Date")
    # no "not yet valid" check: a future date passes
    assert verify_token(token, cluster_id="c", now=signed - timedelta(hours=1)).host


def test_row13_get_failed() -> None:
    err = sts_transport_error("connection refused", "us-west-2")
    assert (
        err.log_text
        == "sts getCallerIdentity failed: error during GET: connection refused on us-west-2 endpoint"
    )


def test_row14_non_200() -> None:
    body = "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
    with pytest.raises(StsError) as info:
        parse_sts_response(403, body, region="us-west-2")
    assert info.value.log_text == (
        f"sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-west-2 endpoint. Body: {body}"
    )
    with pytest.raises(StsThrottledError) as throttled:
        parse_sts_response(400, "<Code>Throttling</Code>", region="us-west-2")
    assert throttled.value.log_text.startswith("sts getCallerIdentity was throttled: ")


def _sts_body(arn: str, user_id: str) -> str:
    result = {"Arn": arn, "Account": "111122223333", "UserId": user_id}
    doc = {
        "GetCallerIdentityResponse": {
            "GetCallerIdentityResult": result,
            "ResponseMetadata": {"RequestId": "r"},
        }
    }
    return json.dumps(doc)


def test_row15_json_arn_userid() -> None:
    ok = parse_sts_response(
        200, _sts_body("arn:aws:sts::111122223333:assumed-role/Admin/alice", "AROAX:alice"), region="r"
    )
    assert ok.canonical_arn == "arn:aws:iam::111122223333:role/Admin"
    assert (ok.principal_id, ok.session_name, ok.user_id) == ("AROAX", "alice", "AROAX:alice")
    with pytest.raises(StsError, match="malformed UserID"):
        parse_sts_response(
            200, _sts_body("arn:aws:sts::111122223333:assumed-role/Admin/ab", "AROAX"), region="r"
        )
    with pytest.raises(StsError, match="arn 'arn:aws:s3:::bucket' is invalid"):
        parse_sts_response(200, _sts_body("arn:aws:s3:::bucket", "X"), region="r")
    with pytest.raises(StsError):
        parse_sts_response(200, "<xml/>", region="r")


@given(st.text(min_size=0, max_size=300))
def test_encode_decode_round_trip(url: str) -> None:
    assert decode_token(encode_token(url)) == url
    assert "=" not in encode_token(url)
