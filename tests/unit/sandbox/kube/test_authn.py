"""TokenVerifier: format checks before STS, the STS answer read as the authenticator does, the 2-minute cache."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from eksaccess.domain.token import encode_token
from eksaccess.sandbox.kube.authn import AuthenticationError, StsCache, TokenVerifier

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PARAMS = {
    "Action": "GetCallerIdentity",
    "Version": "2011-06-15",
    "X-Amz-Credential": "AKIAEXAMPLE/20240501/us-west-2/sts/aws4_request",
    "X-Amz-Date": "20240501T115900Z",
    "X-Amz-Expires": "60",
    "X-Amz-SignedHeaders": "host;x-k8s-aws-id",
    "X-Amz-Signature": "ab" * 32,
}
OK_BODY = json.dumps(
    {
        "GetCallerIdentityResponse": {
            "GetCallerIdentityResult": {
                "Arn": "arn:aws:iam::111122223333:user/admin",
                "Account": "111122223333",
                "UserId": "AIDAEXAMPLE",
            }
        }
    }
)


class RecordingSts:
    """Answers like the sandbox STS: 200 for the signed cluster, SignatureDoesNotMatch for any other."""

    def __init__(self, signed_for: str) -> None:
        self.signed_for = signed_for
        self.calls: list[tuple[str, str]] = []

    def get(self, url: str, cluster_id: str, region: str) -> tuple[int, str]:
        self.calls.append((url, cluster_id))
        if cluster_id != self.signed_for:
            return 403, "<Code>SignatureDoesNotMatch</Code>"
        return 200, OK_BODY


def token(host: str = "127.0.0.1:4443", **changes: str) -> str:
    params = {**PARAMS, **changes}
    return encode_token(f"https://{host}/?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()))


def verifier(sts: RecordingSts, cluster: str = "demo") -> TokenVerifier:
    return TokenVerifier(
        cluster=cluster,
        region="us-west-2",
        partition="aws",
        sts_hosts=("127.0.0.1:4443",),
        sts=sts,  # type: ignore[arg-type]
        cache=StsCache(),
        clock=lambda: NOW,
    )


def test_verified_and_cached() -> None:
    sts = RecordingSts("demo")
    check = verifier(sts)
    identity, key = check.verify(token())
    assert (identity.canonical_arn, key) == ("arn:aws:iam::111122223333:user/admin", "AKIAEXAMPLE")
    check.verify(token())
    assert len(sts.calls) == 1 and sts.calls[0][1] == "demo"


def test_token_for_another_cluster_fails_at_sts() -> None:
    with pytest.raises(AuthenticationError) as info:
        verifier(RecordingSts("other")).verify(token())
    assert str(info.value).startswith(
        "sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-west-2 endpoint."
    )


def test_format_errors_never_reach_sts() -> None:
    sts = RecordingSts("demo")
    with pytest.raises(AuthenticationError) as info:
        verifier(sts).verify(token(**{"X-Amz-Date": "20240501T114459Z"}))
    assert str(info.value) == (
        "input token was not properly formatted: X-Amz-Date parameter is expired (15 minute expiration) "
        "2024-05-01 11:44:59 +0000 UTC"
    )
    with pytest.raises(AuthenticationError, match="unexpected hostname"):
        verifier(sts).verify(token(host="127.0.0.1:9999"))
    assert sts.calls == []


class SlowSts(RecordingSts):
    """Holds each STS answer until released, so that requests overlap as a client's first ones do."""

    def __init__(self, signed_for: str) -> None:
        super().__init__(signed_for)
        self.release = threading.Event()
        self.lock = threading.Lock()

    def get(self, url: str, cluster_id: str, region: str) -> tuple[int, str]:
        with self.lock:
            self.calls.append((url, cluster_id))
        self.release.wait(5)
        return (
            (200, OK_BODY) if cluster_id == self.signed_for else (403, "<Code>SignatureDoesNotMatch</Code>")
        )


def overlapping(check: TokenVerifier, sts: SlowSts, n: int) -> list[object]:
    results: list[object] = []

    def run() -> None:
        try:
            results.append(check.verify(token())[1])
        except AuthenticationError as err:
            results.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while not sts.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the others are waiting on the first by now
    sts.release.set()
    for t in threads:
        t.join(5)
    return results


def test_one_token_asked_together_is_verified_once() -> None:
    sts = SlowSts("demo")
    assert overlapping(verifier(sts), sts, 6) == ["AKIAEXAMPLE"] * 6
    assert len(sts.calls) == 1


def test_when_the_first_verification_fails_each_waiting_request_is_refused_on_its_own() -> None:
    sts = SlowSts("other")
    results = overlapping(verifier(sts), sts, 4)
    assert len(results) == 4 and all(isinstance(r, AuthenticationError) for r in results)
    assert len(sts.calls) == 4  # a refusal is not cached: each request asked STS itself
