"""Rendering helpers shared by commands: JSON to stdout, everything else to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from eksaccess.errors import InputError

OUTPUT_CHOICES = ("text", "json")
FC = TypeVar("FC", bound=Callable[..., Any])


def output_option(*choices: str, default: str = "text") -> Callable[[FC], FC]:
    """The ``-o/--output`` option every printing command carries."""
    values = choices or OUTPUT_CHOICES
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Choice(values),
        default=default,
        show_default=True,
        help="Output format.",
    )


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def note(message: str) -> None:
    """A message for the person, never for the pipe: stderr."""
    click.echo(message, err=True)


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
