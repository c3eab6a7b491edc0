"""What an answer of STS to a presigned GetCallerIdentity means: a decision, or no answer at all.

The authenticator treats any non-200 as a refusal; a diagnosis must not. Throttling, 5xx and a failed
connection decide nothing about the token: they are retried (as botocore retries them) and, if they
persist, reported as a failed call, never as a rejected token.
"""

from __future__ import annotations

THROTTLING_CODES = (
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
)


def is_transient(status: int, body: str) -> bool:
    """True when STS did not decide: no connection (status 0), 429, 5xx, or a throttling error."""
    if status == 0 or status == 429 or status >= 500:
        return True
    return status == 400 and any(
        f"<Code>{code}</Code>" in body or f'"{code}"' in body for code in THROTTLING_CODES
    )


def is_rejection(status: int, body: str) -> bool:
    """STS decided against the token (a signature, an expiry, an unknown key)."""
    return status != 200 and not is_transient(status, body)
