"""``--debug``: log every AWS and Kubernetes call to stderr, with secrets masked.

Masked before a record is written, whoever logged it: bearer tokens (``k8s-aws-v1.``), presigned URL
signatures and session tokens, secret access keys and session tokens in any ``key = value`` or JSON
form, and the Authorization header's signature. Access key ids stay: they identify, they do not grant.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

MASK = "***"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"k8s-aws-v1\.[A-Za-z0-9_\-=]+"), f"k8s-aws-v1.{MASK}"),
    (re.compile(r"(?i)(X-Amz-(?:Signature|Security-Token)=)[^&\s'\"]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)(Signature=)[0-9a-f]{16,}"), rf"\1{MASK}"),
    (re.compile(r"(?i)(Bearer\s+)\S+"), rf"\1{MASK}"),
    (
        re.compile(
            r"(?i)(\"?(?:aws_)?(?:secret_?access_?key|session_?token|security_?token)\"?\s*[:=]\s*[\"']?)"
            r"[^\s\"',}]+"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*[\"']?)[^\s\"',}]+"), rf"\1{MASK}"),
)


def mask(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def enable(stream: TextIO | None = None) -> logging.Handler:
    """eksaccess's own loggers at DEBUG, botocore's credential source at INFO, all through the masking
    formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(MaskingFormatter("eksaccess: debug: %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("eksaccess").setLevel(logging.DEBUG)
    for name, level in (("botocore", logging.WARNING), ("botocore.credentials", logging.INFO)):
        logging.getLogger(name).setLevel(level)  # where credentials came from; not endpoint chatter
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return handler
