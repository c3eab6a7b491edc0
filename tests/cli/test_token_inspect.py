"""``eksaccess token --inspect``: a token (or an ExecCredential) on stdin, read offline; never a secret out."""

from __future__ import annotations

import contextlib
import io
import json
import string
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from eksaccess.cli.main import main
from eksaccess.domain.token import encode_token

SIGNED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SIGNATURE = "5f0c2b1e9a7d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b"
SESSION = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue/with+slash=="


def _url(
    *,
    akid: str = "ASIAEXAMPLEKEY123456",
    region: str = "us-west-2",
    signature: str = SIGNATURE,
    session: str | None = SESSION,
    signed: datetime = SIGNED,
    headers: str = "host;x-k8s-aws-id",
) -> str:
    query = [
        ("Action", "GetCallerIdentity"),
        ("Version", "2011-06-15"),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{akid}/{signed:%Y%m%d}/{region}/sts/aws4_request"),
        ("X-Amz-Date", f"{signed:%Y%m%dT%H%M%SZ}"),
        ("X-Amz-Expires", "60"),
        *([("X-Amz-Security-Token", session)] if session is not None else []),
        ("X-Amz-SignedHeaders", headers),
        ("X-Amz-Signature", signature),
    ]
    text = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
    return f"https://sts.{region}.amazonaws.com/?{text}"


def _inspect(stdin: str, *args: str, now: datetime = SIGNED + timedelta(minutes=5)) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(["token", "--inspect", *args], clock=lambda: now)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def test_the_fields_of_a_fresh_token() -> None:
    code, out, err = _inspect(encode_token(_url()) + "\n", "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "cluster": None,  # only signed as x-k8s-aws-id: not in the token
        "clusterBound": True,
        "region": "us-west-2",
        "stsHost": "sts.us-west-2.amazonaws.com",
        "accessKeyId": "ASIAEXAMPLEKEY123456",
        "credentials": "temporary",
        "signedAt": "2024-05-01T12:00:00+00:00",
        "expiresAt": "2024-05-01T12:15:00+00:00",  # 15 minutes: X-Amz-Expires=60 is ignored
        "expired": False,
        "secondsLeft": 600,
        "xAmzExpires": 60,
    }


def test_an_expired_token_in_text_and_yaml() -> None:
    token = encode_token(_url(akid="AKIAEXAMPLEKEY654321", session=None))
    later = SIGNED + timedelta(minutes=20)
    code, out, _ = _inspect(token, now=later)
    assert code == 0
    assert "expired:        yes" in out and "AKIAEXAMPLEKEY654321 (long-term credentials)" in out
    assert "x-k8s-aws-id" in out  # why the cluster is not shown
    code, out, _ = _inspect(token, "-o", "yaml", now=later)
    data = YAML(typ="safe").load(out)
    assert (data["expired"], data["secondsLeft"], data["credentials"]) == (True, 0, "long-term")


def test_an_exec_credential_is_read_too() -> None:
    credential = {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {},
        "status": {"expirationTimestamp": "2024-05-01T12:14:00Z", "token": encode_token(_url())},
    }
    code, out, _ = _inspect(json.dumps(credential), "-o", "json")
    assert code == 0 and json.loads(out)["signedAt"] == "2024-05-01T12:00:00+00:00"


def test_an_unsigned_cluster_header_is_said() -> None:
    code, out, _ = _inspect(encode_token(_url(headers="host")), "-o", "json")
    assert code == 0 and json.loads(out)["clusterBound"] is False


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        ("", "no token on stdin"),
        ("hello\n", "is not an EKS token"),
        ("k8s-aws-v1.!!!", "not a readable EKS token"),
        (encode_token("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity"), "no X-Amz-Date"),
        ('{"status": {}}', "not an ExecCredential"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(stdin: str, words: str) -> None:
    code, out, err = _inspect(stdin)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_console_script_reads_stdin(tmp_path: object) -> None:
    """The installed entry point (fast path first): --inspect falls through to the full command."""
    done = subprocess.run(
        [sys.executable, "-m", "eksaccess.cli.entry", "token", "--inspect", "-o", "json"],
        input=encode_token(_url()),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accessKeyId"] == "ASIAEXAMPLEKEY123456"
    assert SIGNATURE not in done.stdout and SESSION not in done.stdout


_SECRET_CHARS = string.ascii_letters + string.digits + "+/="
WINDOW = 12  # no 12 characters in a row of the signature or the session token reach the output


def _windows(secret: str) -> set[str]:
    return {secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)}


@settings(max_examples=60, deadline=None)
@given(
    signature=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    session=st.text(alphabet=_SECRET_CHARS, min_size=WINDOW, max_size=400),
    akid=st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    region=st.sampled_from(["us-west-2", "eu-central-1", "ap-southeast-2"]),
    minutes=st.integers(min_value=-5, max_value=60),
    output=st.sampled_from(["text", "json", "yaml"]),
)
def test_no_part_of_the_signature_or_session_token_is_ever_printed(
    signature: str, session: str, akid: str, region: str, minutes: int, output: str
) -> None:
    now = SIGNED + timedelta(minutes=minutes)
    token = encode_token(_url(akid=akid, region=region, signature=signature, session=session))
    code, out, err = _inspect(token, "-o", output, now=now)
    assert code == 0, err
    printed = out + err
    assert akid in printed
    # the output does not depend on the secrets at all: other secrets, the same output
    other = encode_token(_url(akid=akid, region=region, signature="f" * 64, session="Q" * 40))
    assert _inspect(other, "-o", output, now=now)[1:] == (out, err)
    for secret in (signature, session):
        leaked = {w for w in _windows(secret) if w in printed and w not in akid}
        assert not leaked, leaked
