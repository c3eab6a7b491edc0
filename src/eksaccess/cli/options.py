"""The click options commands share, and what they name: one definition each.

* ``output_option``: ``-o/--output`` over the one vocabulary (OUTPUT_FORMATS), ``output_file_option``;
* ``cluster_options``: ``--cluster``, ``--region``, ``--profile``, ``--context``, ``--kubeconfig`` of the
  commands that work on one cluster live, resolved by features.cluster_target;
* ``live_options``: the same of the analysis commands (which may read a snapshot instead);
* ``dry_run_option`` and ``force_option`` of the commands that change access;
* ``build_caller``: the caller that ``--arn`` and ``--session-name`` name;
* ``command_line``: the command as typed, recorded in the history.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from eksaccess.cli.completion import cluster_names, context_names
from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.domain.iam.identity import Caller
    from eksaccess.features.cluster_target import ClusterTarget, TargetFlags

log = logging.getLogger(__name__)

FC = TypeVar("FC", bound=Callable[..., Any])
# The one -o vocabulary: every printing command offers some of these, in this order (text first).
OUTPUT_FORMATS = ("text", "json", "yaml", "html")
OUTPUT_CHOICES = ("text", "json", "yaml")  # the default set: every printing command prints data as both
OUTPUT_ALIASES = {"table": "text"}  # -o table, where it existed before text: scripts keep working
DEFAULT_SESSION = "eksaccess"  # the session name a role ARN is resolved with when none is given


class OutputChoice(click.Choice):  # type: ignore[type-arg]
    """``click.Choice`` over the vocabulary that also takes the old aliases (not shown in the help)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value in OUTPUT_ALIASES and OUTPUT_ALIASES[value] in self.choices:
            value = OUTPUT_ALIASES[value]
        return super().convert(value, param, ctx)


def output_option(*choices: str, default: str = "text") -> Callable[[FC], FC]:
    """The ``-o/--output`` option every printing command carries: ``choices`` from OUTPUT_FORMATS
    (default text and json); ``table`` is taken as ``text``."""
    values = choices or OUTPUT_CHOICES
    unknown = [c for c in values if c not in OUTPUT_FORMATS]
    assert not unknown, f"not in the -o vocabulary: {unknown}"
    return click.option(
        "-o",
        "--output",
        "output",
        type=OutputChoice(values),
        default=default,
        show_default=True,
        help="Output format.",
    )


def output_file_option(func: FC) -> FC:
    """``--output-file FILE``: write what the command prints to FILE instead of stdout."""
    return click.option(
        "--output-file",
        "output_file",
        default=None,
        metavar="FILE",
        help="Write the output to FILE instead of stdout.",
    )(func)


def _target_flag_options(fn: FC, *, cluster_help: str) -> FC:
    fn = click.option(
        "--kubeconfig",
        default=None,
        metavar="FILE",
        help="Kubeconfig file (default: KUBECONFIG, else ~/.kube/config, as kubectl).",
    )(fn)
    fn = click.option(
        "--context",
        default=None,
        shell_complete=context_names,
        help="Kubeconfig context to read the cluster from (default: current).",
    )(fn)
    fn = click.option(
        "--profile",
        default=None,
        help="AWS profile (default: the context's, else AWS_PROFILE, else default).",
    )(fn)
    fn = click.option(
        "--region",
        default=None,
        help="AWS region (default: the context's, else AWS_REGION, AWS_DEFAULT_REGION, the profile's).",
    )(fn)
    return click.option("--cluster", default=None, shell_complete=cluster_names, help=cluster_help)(fn)


def target_flags(kwargs: dict[str, Any]) -> TargetFlags:
    """Take the target options out of a command's keyword arguments."""
    from eksaccess.features.cluster_target import TargetFlags

    return TargetFlags(
        cluster=kwargs.pop("cluster"),
        region=kwargs.pop("region"),
        profile=kwargs.pop("profile"),
        context=kwargs.pop("context"),
        kubeconfig=kwargs.pop("kubeconfig"),
    )


def resolve_target(flags: TargetFlags) -> ClusterTarget:
    """The cluster, region and profile: flags, then the kubeconfig context, then the AWS environment."""
    from eksaccess.features.cluster_target import load_cluster_target

    found = load_cluster_target(flags)
    log.debug("target: %s", found.describe())
    return found


def cluster_options(func: FC) -> FC:
    """--cluster, --region, --profile, --context, --kubeconfig of the commands that work on one cluster
    live. The command receives ``cluster``, ``region`` and ``profile`` already resolved
    (features.cluster_target: flags, then the kubeconfig context, then the AWS environment)."""

    @functools.wraps(func)
    def resolved(*args: Any, **kwargs: Any) -> Any:
        found = resolve_target(target_flags(kwargs))
        return func(*args, cluster=found.cluster, region=found.region, profile=found.profile, **kwargs)

    return _target_flag_options(
        cast(FC, resolved), cluster_help="EKS cluster name (default: the kubeconfig context's)."
    )


def live_options(func: FC) -> FC:
    """The same five options for the analysis commands, which may read a file instead: the command
    receives ``target`` (TargetFlags), resolved only when it reads the cluster live."""

    @functools.wraps(func)
    def gathered(*args: Any, **kwargs: Any) -> Any:
        return func(*args, target=target_flags(kwargs), **kwargs)

    return _target_flag_options(
        cast(FC, gathered), cluster_help="Read this EKS cluster live (default: the kubeconfig context's)."
    )


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
