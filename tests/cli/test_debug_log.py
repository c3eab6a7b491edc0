"""--debug's log masking: what must never be written, in the forms it comes in."""

from __future__ import annotations

import io
import logging
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.cli.debug_log import MASK, enable, mask

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="
TOKEN = "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {TOKEN} sent", TOKEN.removeprefix("k8s-aws-v1.")),
        (f"Authorization: Bearer {TOKEN}", TOKEN.removeprefix("k8s-aws-v1.")),
        (f"aws_secret_access_key = {SECRET}", SECRET),
        (f'{{"SecretAccessKey": "{SECRET}", "AccessKeyId": "ASIAEXAMPLE"}}', SECRET),
        (f'{{"SessionToken": "{SESSION}"}}', SESSION),
        (f"aws_session_token={SESSION}", SESSION),
        (
            f"GET /?Action=GetCallerIdentity&X-Amz-Security-Token={SESSION}&X-Amz-Signature=ab12cd34ef56ab12",
            SESSION,
        ),
        ("X-Amz-Signature=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        (f"headers {{'X-Amz-Security-Token': '{SESSION}'}}", SESSION),
        (
            "Credential=AKIAEXAMPLE/20261128/us-west-2/sts/aws4_request, Signature=9f86d081884c7d659a2feaa0c55ad015",
            "9f86d081884c7d659a2feaa0c55ad015",
        ),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    masked = mask(text)
    assert secret not in masked and MASK in masked


def test_what_identifies_stays() -> None:
    text = (
        "sts get_caller_identity (us-west-2) -> ok; key AKIAIOSFODNN7EXAMPLE; GET /api/v1/namespaces -> 200"
    )
    assert mask(text) == text


@given(st.text(alphabet=string.ascii_letters + string.digits + "/+", min_size=20, max_size=60))
def test_any_secret_key_value_is_masked(secret: str) -> None:
    for form in (
        f"aws_secret_access_key = {secret}",
        f'"secretAccessKey": "{secret}"',
        f"SESSION_TOKEN={secret}",
    ):
        assert secret not in mask(form)


def test_records_from_any_logger_go_through_the_mask() -> None:
    out = io.StringIO()
    names = ("", "eksaccess", "botocore", "botocore.credentials", "urllib3")
    levels = {name: logging.getLogger(name).level for name in names}
    handler = enable(out)
    try:
        logging.getLogger("botocore.credentials").info("creds %s", f"aws_secret_access_key={SECRET}")
        logging.getLogger("eksaccess.adapters.kube").debug("sent %s", TOKEN)
        logging.getLogger("botocore.endpoint").debug("chatter that --debug leaves out")
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    written = out.getvalue()
    assert SECRET not in written and TOKEN not in written
    assert "eksaccess: debug: eksaccess.adapters.kube: sent k8s-aws-v1.***" in written
    assert "chatter" not in written
