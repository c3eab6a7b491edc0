"""The click options commands share, and what they name: one definition each.

* ``output_option``: ``-o/--output``;
* ``cluster_options``: ``--cluster`` (required), ``--region``, ``--profile`` of the management commands;
* ``live_options``: ``--cluster``, ``--region``, ``--profile`` of the analysis commands (read live);
* ``dry_run_option`` and ``force_option`` of the commands that change access;
* ``build_caller``: the caller that ``--arn`` and ``--session-name`` name;
* ``command_line``: the command as typed, recorded in the history.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.domain.iam.identity import Caller

FC = TypeVar("FC", bound=Callable[..., Any])
OUTPUT_CHOICES = ("text", "json")
DEFAULT_SESSION = "eksaccess"  # the session name a role ARN is resolved with when none is given


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


def cluster_options(func: FC) -> FC:
    """--cluster, --region, --profile: the cluster and the credentials to reach it with."""
    func = click.option("--profile", help="AWS profile (default: AWS_PROFILE or the default profile).")(func)
    func = click.option("--region", help="AWS region of the cluster (default: the profile's).")(func)
    return click.option("--cluster", "cluster", required=True, help="EKS cluster name.")(func)


def live_options(*, required: bool = False) -> Callable[[FC], FC]:
    """``--cluster``, ``--region``, ``--profile``: read the cluster live with these credentials."""

    def decorate(fn: FC) -> FC:
        fn = click.option(
            "--profile", default=None, help="AWS profile (default: the usual AWS_PROFILE chain)."
        )(fn)
        fn = click.option("--region", default=None, help="The cluster's region (default: the profile's).")(fn)
        return click.option("--cluster", required=required, default=None, help="Read this EKS cluster live.")(
            fn
        )

    return decorate


def dry_run_option(text: str = "Show the plan, change nothing.") -> Callable[[FC], FC]:
    """``--dry-run`` (its help ``text``): show what would be done, stop where the real run would refuse."""
    return click.option("--dry-run", is_flag=True, help=text)


def force_option(func: FC) -> FC:
    """``--force``: skip the lock-out guard."""
    return click.option("--force", is_flag=True, help="Skip the lock-out guard.")(func)


def build_caller(arn: str, session_name: str | None, access_key_id: str | None) -> tuple[Caller, bool]:
    """The caller to resolve, and whether the session name was defaulted."""
    from eksaccess.domain.iam.identity import Caller
    from eksaccess.domain.iam.principal import PrincipalKind, parse_principal

    principal = parse_principal(arn)
    if session_name is not None and principal.kind is not PrincipalKind.ROLE:
        if principal.kind is PrincipalKind.ASSUMED_ROLE:
            raise InputError(
                f"--session-name applies to an IAM role ARN; {arn} already names the session "
                f"{principal.session_name!r}"
            )
        raise InputError(f"--session-name applies to an IAM role ARN, not to an IAM {principal.kind}")
    defaulted = principal.kind is PrincipalKind.ROLE and not session_name
    if defaulted:
        session_name = DEFAULT_SESSION
    return Caller(arn=arn, session_name=session_name, access_key_id=access_key_id), defaulted


def command_line() -> str:
    """The command as typed (``eksaccess ARGS``), recorded with each change in the history."""
    return "eksaccess " + " ".join(sys.argv[1:]) if sys.argv[1:] else "eksaccess"
