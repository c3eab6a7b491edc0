"""Username and group templates, rendered exactly as aws-iam-authenticator renders them.

Facts (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go ``renderTemplate``): after a match the authenticator replaces, in this order,
``{{EC2PrivateDNSName}}`` (only when present; the session name must be an instance id), then
``{{AccountID}}``, ``{{SessionName}}`` (every ``@`` becomes ``-``), ``{{SessionNameRaw}}`` and
``{{AccessKeyID}}``. Any other ``{{...}}`` text is left as it is.
"""

from __future__ import annotations

import re

EC2_PRIVATE_DNS_NAME = "{{EC2PrivateDNSName}}"
NO_INSTANCE_ID = "SessionName did not contain an instance id"  # the authenticator's text
ACCOUNT_ID = "{{AccountID}}"
SESSION_NAME = "{{SessionName}}"
SESSION_NAME_RAW = "{{SessionNameRaw}}"
ACCESS_KEY_ID = "{{AccessKeyID}}"
KNOWN_TEMPLATES: tuple[str, ...] = (
    EC2_PRIVATE_DNS_NAME,
    ACCOUNT_ID,
    SESSION_NAME,
    SESSION_NAME_RAW,
    ACCESS_KEY_ID,
)

# The authenticator's instanceIDPattern: an EC2 instance id is the whole session name.
INSTANCE_ID = re.compile(r"^i-(\w{8}|\w{17})$")


class TemplateError(ValueError):
    """A template that cannot be rendered for this caller; the authenticator then denies the token."""


def placeholder_private_dns_name(instance_id: str) -> str:
    """What we show when the caller's private DNS name is not known.

    The real authenticator asks EC2 (DescribeInstances) for it; a pure function cannot. We render a
    deterministic stand-in in EC2's resource-name hostname form so that output stays stable; callers that
    know the real name (the sandbox does) pass it instead.
    """
    return f"{instance_id}.compute.internal"


def render(
    text: str,
    *,
    account_id: str,
    session_name: str,
    access_key_id: str,
    ec2_private_dns_name: str | None = None,
) -> str:
    """Render one username or group template for a caller."""
    if EC2_PRIVATE_DNS_NAME in text:
        if not INSTANCE_ID.match(session_name):
            raise TemplateError(NO_INSTANCE_ID)
        dns_name = ec2_private_dns_name or placeholder_private_dns_name(session_name)
        text = text.replace(EC2_PRIVATE_DNS_NAME, dns_name)
    text = text.replace(ACCOUNT_ID, account_id)
    text = text.replace(SESSION_NAME, session_name_value(session_name))
    text = text.replace(SESSION_NAME_RAW, session_name)
    return text.replace(ACCESS_KEY_ID, access_key_id)


def session_name_value(session_name: str) -> str:
    """What ``{{SessionName}}`` renders to: the session name with every ``@`` turned into ``-`` (an e-mail
    address ``alice@example.com`` becomes ``alice-example.com``); ``{{SessionNameRaw}}`` keeps it."""
    return session_name.replace("@", "-")


def at_sign_near_miss(written: str, rendered: str) -> bool:
    """Whether ``written`` (a name in an RBAC binding) is ``rendered`` (a username or group rendered from
    ``{{SessionName}}``) as it would read before ``@`` became ``-``: the binding names the e-mail address."""
    return written != rendered and "@" in written and session_name_value(written) == rendered


def session_template_position(text: str) -> int | None:
    """Index of the first session-name template in ``text``, or None."""
    positions = [i for i in (text.find(SESSION_NAME), text.find(SESSION_NAME_RAW)) if i >= 0]
    return min(positions) if positions else None
