"""Rendering helpers shared by commands: JSON to stdout, everything else to stderr."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.domain.iam.identity import Resolution


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


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
