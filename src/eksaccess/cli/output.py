"""Rendering helpers shared by commands: JSON to stdout, everything else to stderr.

Colour has one switch: the root click context's ``color`` (``--color`` and NO_COLOR, set by cli.main).
click.echo/secho obey it directly; a rich console obeys it through ``console()``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

import click

from eksaccess.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from eksaccess.domain.iam.identity import Resolution

COLOR_CHOICES = ("auto", "always", "never")


def color_setting(flag: str | None, environ: Mapping[str, str]) -> bool | None:
    """click's ``color`` for ``--color FLAG`` and the environment: True always, False never, None: on a TTY.

    The flag wins; without it (or with ``auto``) NO_COLOR, present and not empty, turns colour off
    (https://no-color.org: a command-line argument overrides NO_COLOR).
    """
    if flag == "always":
        return True
    if flag == "never":
        return False
    return False if environ.get("NO_COLOR") else None


def use_color(stream: TextIO) -> bool:
    """Whether text written to ``stream`` may carry colour now: the switch, else whether it is a TTY."""
    ctx = click.get_current_context(silent=True)
    setting = ctx.color if ctx is not None else None
    if setting is not None:
        return setting
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def console(*, stderr: bool = True) -> Console:
    """A rich console that obeys the colour switch (progress bars, tables)."""
    from rich.console import Console

    if not use_color(sys.stderr if stderr else sys.stdout):
        return Console(stderr=stderr, color_system=None)  # no colour, no style: plain text
    ctx = click.get_current_context(silent=True)
    forced = ctx is not None and ctx.color is True  # --color always: colour even into a pipe
    return Console(stderr=stderr, force_terminal=True if forced else None)


def note(message: str) -> None:
    """A message for the person, never for the pipe: stderr."""
    click.echo(message, err=True)


def exit_with(code: int) -> None:
    """End the command with the exit code a feature decided, when it is not 0."""
    if code:
        click.get_current_context().exit(code)


def check_role_arn(value: str | None, option: str = "--role-arn") -> None:
    """InputError unless ``value`` (when given) is an IAM role ARN: checked before any call is made."""
    if value is None:
        return
    from eksaccess.domain.iam.principal import PrincipalKind, parse_principal

    try:
        kind = parse_principal(value).kind
    except InputError as err:
        raise InputError(f"{option}: {err.message}") from None
    if kind is not PrincipalKind.ROLE:
        raise InputError(f"{option} {value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    """How an IAM principal resolves, as whoami -o json prints it (can-i prints a part of it)."""
    identity = resolution.identity
    entry = resolution.access_entry
    return {
        "arn": resolution.arn,
        "principalArn": resolution.principal_arn,
        "authenticated": resolution.authenticated,
        "username": identity.username if identity else None,
        "groups": list(identity.groups) if identity else [],
        "uid": identity.uid if identity else None,
        "sessionName": resolution.session_name,
        "source": {"kind": str(resolution.source.kind), "index": resolution.source.index},
        "accessEntry": entry.principal_arn if entry else None,
        "accessPolicies": [
            {
                "policyArn": p.policy_arn,
                "accessScope": {"type": str(p.scope.type), "namespaces": list(p.scope.namespaces)},
            }
            for p in (entry.policies if entry else ())
        ],
        "error": resolution.error,
        "nearMisses": [
            {"kind": str(m.kind), "where": m.where, "reason": m.reason} for m in resolution.near_misses
        ],
    }
