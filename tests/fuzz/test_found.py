"""Regressions: the inputs the fuzzers found, each with the behaviour it now has (docs/reliability.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from werkzeug.test import Client

from eksaccess.domain.awsauth.reader import split_manifest
from eksaccess.domain.go_text import go_quote
from eksaccess.domain.state import parse_cluster_state
from eksaccess.domain.token import TokenError, encode_token, verify_token
from eksaccess.errors import InputError
from eksaccess.sandbox.kube.app import MAX_BODY_BYTES, make_kube_app
from eksaccess.sandbox.scenarios.model import parse_scenario
from eksaccess.sandbox.testing import RunningSandbox, presign_token_url, running_sandbox


def test_token_with_control_characters_gets_a_one_line_go_quoted_message() -> None:
    token = encode_token("https://sts.amazonaws.com/\r\nX-Injected: 1\x1f")
    with pytest.raises(TokenError) as caught:
        verify_token(token, cluster_id="demo", now=datetime.now(UTC))
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert (
        message
        == 'parse "https://sts.amazonaws.com/\\r\\nX-Injected: 1\\x1f": net/url: invalid control character in URL'
    )


def test_go_quote_matches_strconv_quote() -> None:
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("\t\x00\x7f\u2028é") == '"\\t\\x00\\x7f\\u2028é"'


@pytest.mark.parametrize("text", ["\x98", "a: b\n\x85c", "cluster: \x01"])
def test_unreadable_characters_are_one_line_errors(text: str) -> None:
    for parse in (parse_cluster_state, parse_scenario):
        with pytest.raises(InputError) as caught:
            parse(text)
        assert "\n" not in str(caught.value)


def test_aws_auth_data_key_with_control_characters_is_quoted_in_the_message() -> None:
    with pytest.raises(InputError) as caught:
        split_manifest('data:\n  "a\\rb\\x0b": 12\n')
    assert str(caught.value) == 'data."a\\rb\\u000b" must be a string, got a number (12): quote it'


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("found"), "baseline") as sb:
        yield sb


def test_kube_side_refuses_bodies_over_three_mebibytes_with_413(sandbox: RunningSandbox) -> None:
    assert sandbox.server is not None and sandbox.server.ctx is not None
    client = Client(make_kube_app("demo", sandbox.server.ctx))
    token = encode_token(presign_token_url(sandbox, "admin", "demo"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "big"},
            "data": {"x": "y" * MAX_BODY_BYTES},
        }
    )
    response = client.post("/api/v1/namespaces/dev/configmaps", data=body, headers=headers)
    assert response.status_code == 413
    assert response.json is not None and response.json["reason"] == "RequestEntityTooLarge"
    fits = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fits"}, "data": {"x": "y" * 1000}}
    )
    assert client.post("/api/v1/namespaces/dev/configmaps", data=fits, headers=headers).status_code == 201


def _raw(sb: RunningSandbox, url: str, payload: bytes) -> bytes:
    import socket
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    cafile = sb.ca_bundle if url == sb.aws_endpoint else sb.cluster_ca_bundle("demo")
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection((parts.hostname, parts.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
    ):
        tls.sendall(payload)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "payload",
    [
        b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Injected: a\rb\r\nConnection: close\r\n\r\n",
        b"BOGUS\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"Connection: close\r\n\r\n",
    ],
)
def test_raw_garbage_over_loopback_gets_a_client_error_and_the_server_lives(
    sandbox: RunningSandbox, payload: bytes
) -> None:
    for url in (sandbox.aws_endpoint, sandbox.cluster_endpoint("demo")):
        reply = _raw(sandbox, url, payload)
        if reply.startswith(b"HTTP/"):
            status = int(reply.split(b" ", 2)[1])
        else:  # no version in the request line: http.server answers HTTP/0.9 style, the code in the body
            found = re.search(rb"Error code: (\d+)", reply)
            status = int(found.group(1)) if found else 0
        assert reply == b"" or 400 <= status < 500, (url, reply[:200])
        health = _raw(sandbox, url, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert health.startswith(b"HTTP/1.1 "), health[:100]


def test_deeply_nested_json_bodies_are_400_on_both_sides(sandbox: RunningSandbox) -> None:
    assert sandbox.server is not None and sandbox.server.ctx is not None
    kube = Client(make_kube_app("demo", sandbox.server.ctx))
    token = encode_token(presign_token_url(sandbox, "admin", "demo"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    nested = b"[" * 100_000
    assert (
        kube.put("/apis/apps/v1/namespaces/dev/deployments/x", data=nested, headers=headers).status_code
        == 400
    )
    patch = {**headers, "Content-Type": "application/merge-patch+json"}
    assert kube.patch("/api/v1/namespaces/dev/configmaps/x", data=nested, headers=patch).status_code == 400
    eks = sandbox.client("eks", "admin")
    eks.meta.events.register(
        "before-sign.eks.CreateAccessEntry", lambda request, **_: setattr(request, "data", nested)
    )
    with pytest.raises(ClientError) as caught:
        eks.create_access_entry(clusterName="demo", principalArn="arn:aws:iam::111122223333:role/x")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_escaped_lone_surrogate_in_a_snapshot_is_an_input_error() -> None:
    text = '{"apiVersion": "eksaccess/v1", "kind": "ClusterState", "accessEntries": [{"principalArn": "a\\udab6"}]}'
    with pytest.raises(InputError, match="lone surrogate"):
        parse_cluster_state(text)
