"""Template rendering, vectors after
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go and https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.iam.templates import TemplateError, placeholder_private_dns_name, render

CALLER = {"account_id": "111122223333", "access_key_id": "ASIAEXAMPLEKEY000001"}


@pytest.mark.parametrize(
    ("text", "session", "expected"),
    [
        # The live audit example: session a@b.com on role sso_admin
        (
            "arn:aws:sts::{{AccountID}}:assumed-role/sso_admin/{{SessionName}}",
            "a@b.com",
            "arn:aws:sts::111122223333:assumed-role/sso_admin/a-b.com",
        ),
        ("dev:{{SessionNameRaw}}", "a@b.com", "dev:a@b.com"),
        ("dev:{{SessionName}}", "x@y@z", "dev:x-y-z"),
        ("key:{{AccessKeyID}}", "s", "key:ASIAEXAMPLEKEY000001"),
        ("team-{{AccountID}}", "s", "team-111122223333"),
        ("{{SessionName}}-{{SessionNameRaw}}", "a@b", "a-b-a@b"),
        ("plain", "s", "plain"),
        # unknown templates stay as they are
        ("system:node:{{EC2PrivateDNSNameShort}}", "s", "system:node:{{EC2PrivateDNSNameShort}}"),
        ("{{accountid}}", "s", "{{accountid}}"),
    ],
)
def test_render(text: str, session: str, expected: str) -> None:
    assert render(text, session_name=session, **CALLER) == expected


@pytest.mark.parametrize("instance", ["i-0123456789abcdef0", "i-01234567"])
def test_private_dns_name_for_instance_sessions(instance: str) -> None:
    out = render(
        "system:node:{{EC2PrivateDNSName}}",
        session_name=instance,
        ec2_private_dns_name="ip-10-0-1-23.ec2.internal",
        **CALLER,
    )
    assert out == "system:node:ip-10-0-1-23.ec2.internal"


def test_private_dns_name_placeholder_is_derived_from_the_instance() -> None:
    out = render("system:node:{{EC2PrivateDNSName}}", session_name="i-0123456789abcdef0", **CALLER)
    assert out == "system:node:" + placeholder_private_dns_name("i-0123456789abcdef0")
    assert "i-0123456789abcdef0" in out


@pytest.mark.parametrize("session", ["jane", "i-0123", "i-0123456789abcdef", "i-0123456789abcdef0x", ""])
def test_private_dns_name_needs_an_instance_id(session: str) -> None:
    with pytest.raises(TemplateError, match="SessionName did not contain an instance id"):
        render("system:node:{{EC2PrivateDNSName}}", session_name=session, **CALLER)


def test_private_dns_name_not_checked_when_absent() -> None:
    assert render("system:node:{{SessionName}}", session_name="fargate-ip-10", **CALLER) == (
        "system:node:fargate-ip-10"
    )


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=40))
def test_session_name_only_swaps_at_signs(session: str) -> None:
    assert render("{{SessionName}}", session_name=session, **CALLER) == session.replace("@", "-")
    assert render("{{SessionNameRaw}}", session_name=session, **CALLER) == session
