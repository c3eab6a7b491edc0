"""The aws-iam-authenticator's log lines, as EKS writes them to CloudWatch Logs (control-plane log type
``authenticator``): written by the sandbox, read back by doctor. One place for the format.

logrus's text format (https://github.com/sirupsen/logrus text_formatter.go, as the authenticator's
pkg/server/server.go logs): ``time="..." level=... msg="..."`` then the fields in alphabetical order,
``key=value``; a value with any character outside ``[A-Za-z0-9-._/@^+]`` is Go-quoted (``%q``), an empty
value is bare (``session=``). Each request line carries ``client`` (the API server's loopback connection
to the webhook), ``method=POST`` and ``path=/authenticate``.

* ``access granted`` (info): ``arn`` (the canonical ARN: a role without path), ``groups`` (``[a b]``),
  ``uid`` (``aws-iam-authenticator:ACCOUNT:USERID``), ``username``.
* ``access denied`` (warning): ``error`` (the reason) and, once STS answered, ``arn``.
* ``STS response`` (info): ``accesskeyid``, ``accountid``, ``arn`` (the STS ARN), ``session``,
  ``userid``, ``stsendpoint``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eksaccess.domain.go_text import go_quote

LOG_TYPE = "authenticator"
STREAM_PREFIX = "authenticator-"
GRANTED = "access granted"
DENIED = "access denied"
STS_RESPONSE = "STS response"
_BARE = re.compile(r"^[A-Za-z0-9\-._/@^+]*$")
# key=value where value is "..." (Go-quoted, \" and \\ inside) or bare up to the next space
_FIELD = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^ ]*)')


def log_group(cluster: str) -> str:
    """The CloudWatch Logs group of a cluster's control-plane logs."""
    return f"/aws/eks/{cluster}/cluster"


def _value(text: str) -> str:
    return text if _BARE.match(text) else go_quote(text)


def format_line(
    *, at: datetime, level: str, msg: str, fields: Mapping[str, str], client: str | None = None
) -> str:
    """One line as logrus prints it; with ``client``, a request line (``client``, ``method``, ``path``
    added, as the webhook handler logs)."""
    request = {"client": client, "method": "POST", "path": "/authenticate"} if client is not None else {}
    every = {**fields, **request}
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [f'time="{stamp}"', f"level={level}", f"msg={_value(msg)}"]
    parts += [f"{key}={_value(every[key])}" for key in sorted(every)]
    return " ".join(parts)


def go_groups(groups: Sequence[str]) -> str:
    """``fmt.Sprint`` of a []string: ``[a b]``."""
    return "[" + " ".join(groups) + "]"


def _unquote(value: str) -> str:
    if not (value.startswith('"') and value.endswith('"') and len(value) >= 2):
        return value
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), value[1:-1]
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthenticatorLine:
    """One parsed line: what the authenticator saw and decided."""

    text: str  # the line exactly as logged
    msg: str
    level: str
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str | None:
        return self.fields.get("arn")

    @property
    def granted(self) -> bool:
        return self.msg == GRANTED

    @property
    def denied(self) -> bool:
        return self.msg == DENIED

    @property
    def error(self) -> str | None:
        return self.fields.get("error")

    @property
    def username(self) -> str | None:
        return self.fields.get("username")

    @property
    def groups(self) -> tuple[str, ...]:
        text = self.fields.get("groups", "")
        return tuple(text.strip("[]").split()) if text.strip("[]") else ()


def parse_line(text: str) -> AuthenticatorLine | None:
    """A logrus text line, or None when the text is not one (no ``msg=``)."""
    found = {key: _unquote(value) for key, value in _FIELD.findall(text)}
    if "msg" not in found:
        return None
    msg, level = found.pop("msg"), found.pop("level", "")
    found.pop("time", None)
    return AuthenticatorLine(text=text, msg=msg, level=level, fields=found)


def decision_for(lines: Sequence[AuthenticatorLine], canonical_arn: str) -> AuthenticatorLine | None:
    """The newest ``access granted`` / ``access denied`` line about ``canonical_arn`` (case-insensitive,
    as the authenticator compares ARNs); ``lines`` oldest first."""
    wanted = canonical_arn.lower()
    for line in reversed(lines):
        if (line.granted or line.denied) and (line.arn or "").lower() == wanted:
            return line
    return None
