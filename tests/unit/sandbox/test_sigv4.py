"""SigV4 verification against requests signed by botocore's own signer (header and presigned forms)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.sandbox.sigv4 import (
    HttpRequest,
    SigV4Error,
    SigV4Problem,
    canonical_uri,
    parse_signature,
    verify_signature,
    verify_time,
)

AKID = "AKIAEXAMPLESANDBOX01"
SECRET = "sandbox/secret+key/EXAMPLE0000000000000000"
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _to_server(request: AWSRequest) -> HttpRequest:
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(
        method=prepared.method, raw_path=parts.path, raw_query=parts.query, headers=headers, body=body
    )


def _signed(
    method: str,
    url: str,
    *,
    data: bytes = b"",
    token: str | None = None,
    service: str = "eks",
    headers: dict[str, str] | None = None,
) -> HttpRequest:
    request = AWSRequest(method=method, url=url, data=data, headers=headers or {})
    SigV4Auth(Credentials(AKID, SECRET, token), service, "us-west-2").add_auth(request)
    return _to_server(request)


def _presigned(cluster: str = "demo", token: str | None = None) -> HttpRequest:
    request = AWSRequest(
        method="GET",
        url="https://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={"x-k8s-aws-id": cluster},
    )
    SigV4QueryAuth(Credentials(AKID, SECRET, token), "sts", "us-west-2", expires=60).add_auth(request)
    return _to_server(request)


ENTRY_URL = (
    "https://127.0.0.1:8443/clusters/demo/access-entries/"
    "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fteam%2Fdev"
)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", ENTRY_URL, b""),
        ("GET", "https://127.0.0.1:8443/clusters/demo/access-entries?maxResults=5&nextToken=a%2Bb%3D", b""),
        ("POST", "https://127.0.0.1:8443/clusters/demo/access-entries", b'{"principalArn": "x"}'),
        ("DELETE", ENTRY_URL + "/access-policies/arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FX", b""),
        ("POST", "https://127.0.0.1:8443/", b"Action=GetCallerIdentity&Version=2011-06-15"),
    ],
)
def test_header_form_signed_by_botocore_verifies(method: str, url: str, data: bytes) -> None:
    request = _signed(method, url, data=data)
    info = parse_signature(request)
    assert not info.presigned
    assert info.scope.access_key_id == AKID
    assert (info.scope.region, info.scope.service) == ("us-west-2", "eks")
    verify_signature(request, info, SECRET)


def test_session_token_is_read_from_header_and_query() -> None:
    assert parse_signature(_signed("GET", ENTRY_URL, token="TOKEN")).security_token == "TOKEN"
    assert parse_signature(_presigned(token="TOKEN2")).security_token == "TOKEN2"


def test_wrong_secret_is_a_mismatch() -> None:
    request = _signed("GET", ENTRY_URL)
    with pytest.raises(SigV4Error) as err:
        verify_signature(request, parse_signature(request), SECRET + "x")
    assert err.value.problem is SigV4Problem.MISMATCH
    assert "does not match" in err.value.message


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: HttpRequest(
            method="DELETE", raw_path=r.raw_path, raw_query=r.raw_query, headers=r.headers, body=r.body
        ),
        lambda r: HttpRequest(
            method=r.method, raw_path=r.raw_path + "x", raw_query=r.raw_query, headers=r.headers, body=r.body
        ),
        lambda r: HttpRequest(
            method=r.method,
            raw_path=r.raw_path,
            raw_query=r.raw_query + "&a=b",
            headers=r.headers,
            body=r.body,
        ),
        lambda r: HttpRequest(
            method=r.method,
            raw_path=r.raw_path,
            raw_query=r.raw_query,
            headers={**r.headers, "host": "127.0.0.1:9"},
            body=r.body,
        ),
        lambda r: HttpRequest(
            method=r.method,
            raw_path=r.raw_path,
            raw_query=r.raw_query,
            headers=r.headers,
            body=b'{"principalArn": "y"}',
        ),
    ],
)
def test_any_tampering_breaks_the_header_signature(tamper: object) -> None:
    request = _signed("POST", "https://127.0.0.1:8443/clusters/demo/access-entries?x=1", data=b'{"a": 1}')
    changed = tamper(request)  # type: ignore[operator]
    with pytest.raises(SigV4Error) as err:
        verify_signature(changed, parse_signature(changed), SECRET)
    assert err.value.problem is SigV4Problem.MISMATCH


def test_presigned_token_url_verifies_with_its_cluster_header() -> None:
    request = _presigned("demo")
    info = parse_signature(request)
    assert info.presigned and info.expires == 60
    assert "x-k8s-aws-id" in info.signed_headers
    verify_signature(request, info, SECRET)


def test_presigned_url_for_another_cluster_is_a_mismatch() -> None:
    request = _presigned("demo")
    other = HttpRequest(
        method="GET",
        raw_path=request.raw_path,
        raw_query=request.raw_query,
        headers={**request.headers, "x-k8s-aws-id": "prod"},
    )
    with pytest.raises(SigV4Error) as err:
        verify_signature(other, parse_signature(other), SECRET)
    assert err.value.problem is SigV4Problem.MISMATCH


def test_presigned_url_missing_signed_header_is_a_mismatch() -> None:
    request = _presigned("demo")
    bare = HttpRequest(
        method="GET",
        raw_path=request.raw_path,
        raw_query=request.raw_query,
        headers={"host": request.headers["host"]},
    )
    with pytest.raises(SigV4Error) as err:
        verify_signature(bare, parse_signature(bare), SECRET)
    assert err.value.problem is SigV4Problem.MISMATCH


def test_no_signature_is_missing() -> None:
    request = HttpRequest(method="GET", raw_path="/", raw_query="Action=GetCallerIdentity", headers={})
    with pytest.raises(SigV4Error) as err:
        parse_signature(request)
    assert err.value.problem is SigV4Problem.MISSING


@pytest.mark.parametrize(
    "auth",
    [
        "AWS4-HMAC-SHA1 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-west-2/eks, SignedHeaders=host, Signature=00",
    ],
)
def test_malformed_authorization_is_incomplete(auth: str) -> None:
    request = HttpRequest(
        method="GET",
        raw_path="/",
        raw_query="",
        headers={"authorization": auth, "x-amz-date": "20240501T120000Z", "host": "h"},
    )
    with pytest.raises(SigV4Error) as err:
        parse_signature(request)
    assert err.value.problem is SigV4Problem.INCOMPLETE


def _info_at(moment: datetime, *, presigned: bool) -> object:
    request = _presigned() if presigned else _signed("GET", ENTRY_URL)
    info = parse_signature(request)
    from dataclasses import replace

    return replace(info, amz_date=moment.strftime("%Y%m%dT%H%M%SZ"))


@pytest.mark.parametrize(
    ("age", "presigned", "problem"),
    [
        (timedelta(minutes=14), False, None),
        (timedelta(minutes=16), False, SigV4Problem.EXPIRED),
        (timedelta(minutes=-16), False, SigV4Problem.NOT_YET_VALID),
        (timedelta(minutes=-14), False, None),
        (timedelta(minutes=14), True, None),
        (timedelta(minutes=15, seconds=1), True, SigV4Problem.EXPIRED),
    ],
)
def test_time_window(age: timedelta, presigned: bool, problem: SigV4Problem | None) -> None:
    info = _info_at(NOW - age, presigned=presigned)
    lifetime = timedelta(minutes=15) if presigned else None
    if problem is None:
        verify_time(info, now=NOW, presigned_lifetime=lifetime)  # type: ignore[arg-type]
    else:
        with pytest.raises(SigV4Error) as err:
            verify_time(info, now=NOW, presigned_lifetime=lifetime)  # type: ignore[arg-type]
        assert err.value.problem is problem


def test_presigned_default_lifetime_is_x_amz_expires() -> None:
    info = _info_at(NOW - timedelta(seconds=61), presigned=True)
    with pytest.raises(SigV4Error):
        verify_time(info, now=NOW)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1),
        min_size=1,
        max_size=4,
    ),
    params=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=4),
)
def test_any_path_and_query_botocore_signs_verifies(segments: list[str], params: dict[str, str]) -> None:
    from urllib.parse import quote as q

    from botocore.utils import percent_encode_sequence

    path = "/" + "/".join(q(s, safe="") for s in segments)
    query = percent_encode_sequence(params)
    url = f"https://127.0.0.1:8443{path}" + (f"?{query}" if query else "")
    request = _signed("GET", url)
    verify_signature(request, parse_signature(request), SECRET)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("", "/"),
        ("/a/./b/../c", "/a/c"),
        ("/a//b/", "/a/b/"),
        ("/clusters/x/access-entries/arn%3Aaws%3Aiam", "/clusters/x/access-entries/arn%253Aaws%253Aiam"),
    ],
)
def test_canonical_uri(raw: str, expected: str) -> None:
    assert canonical_uri(raw) == expected
