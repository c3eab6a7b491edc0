"""This machine's public (egress) IP, as AWS's check-IP service sees it.

``GET https://checkip.amazonaws.com`` answers the caller's public IPv4 address as plain text and a newline
(the service the AWS CLI's documentation uses; shared/facts/doctor-breadth.md §2.5). EKSACCESS_CHECKIP_URL
points elsewhere (the sandbox serves its own); AWS_CA_BUNDLE, when set, is the CA bundle, as for every AWS
endpoint botocore calls. The address is what the cluster's public endpoint sees only when both leave
through the same NAT or proxy.
"""

from __future__ import annotations

import ipaddress
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping

CHECKIP_URL = "https://checkip.amazonaws.com"
URL_VARIABLE = "EKSACCESS_CHECKIP_URL"
TIMEOUT_S = 5.0
MAX_ANSWER = 256


class CheckIpError(Exception):
    """The service could not be asked, or answered something that is not an IP address."""


def checkip_url(env: Mapping[str, str]) -> str:
    return env.get(URL_VARIABLE) or CHECKIP_URL


def egress_ip(env: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> str:
    """The address the check-IP service answers (IPv4, or IPv6 if it ever answers one)."""
    url = checkip_url(env)
    bundle = env.get("AWS_CA_BUNDLE")
    context = ssl.create_default_context(cafile=bundle) if bundle else ssl.create_default_context()
    request = urllib.request.Request(url, headers={"User-Agent": "eksaccess"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            text = response.read(MAX_ANSWER).decode("ascii", errors="replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise CheckIpError(f"{url}: {reason}") from None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise CheckIpError(f"{url} answered {text[:40]!r}, not an IP address") from None
