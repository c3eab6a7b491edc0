"""Which cluster a command works on, in which region and with which AWS profile: one resolution for
every cluster command.

Each value comes from the first place that says it:

1. the flags (``--cluster``, ``--region``, ``--profile``);
2. the kubeconfig context (``--context``, else the current one) as kubectl would run it: its exec
   entry's cluster name (``aws eks get-token --cluster-name``, ``aws-iam-authenticator -i``,
   ``eksaccess token --cluster-name``, else the cluster entry's EKS ARN), region (``--region`` argument,
   ``AWS_REGION``/``AWS_DEFAULT_REGION`` in its env, else the cluster ARN's) and profile (``--profile``
   argument, ``AWS_PROFILE`` in its env);
3. the AWS environment as the aws CLI v2 resolves it: ``AWS_REGION``, then ``AWS_DEFAULT_REGION``, then
   the profile's ``region`` (read by the session); ``AWS_PROFILE``, else the default profile.

The context comes before the environment when it chose the cluster (no ``--cluster``) or was named
(``--context``), as kubectl would use it. With ``--cluster`` and no ``--context`` the command line is the
aws CLI's: flags, then the environment (``AWS_PROFILE=admin eksaccess grant --cluster demo`` is admin's),
and the current context fills in only what both leave open, and only when it is about that cluster. When
neither a flag nor the context names a cluster, the command cannot guess one: an InputError (exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from eksaccess.domain.kubeconfig import ContextEntry, EksExec, Kubeconfig, eks_exec
from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig

_CLUSTER_ARN = re.compile(r"^arn:[\w-]+:eks:(?P<region>[\w-]+):\d{12}:cluster/(?P<name>[A-Za-z0-9][\w-]*)$")


class Source(StrEnum):
    """Where a value came from."""

    FLAG = "flag"
    CONTEXT = "kubeconfig context"
    ENVIRONMENT = "environment"
    AWS_CONFIG = "aws config"  # left to the session: the profile's region, the default profile


@dataclass(frozen=True, kw_only=True)
class TargetFlags:
    """What the command line said."""

    cluster: str | None = None
    region: str | None = None
    profile: str | None = None
    context: str | None = None
    kubeconfig: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClusterTarget:
    """The cluster, region and profile a command uses, and where each came from. ``region`` or
    ``profile`` None: the session resolves it from the AWS config (``sources`` says AWS_CONFIG)."""

    cluster: str
    region: str | None
    profile: str | None
    role_arn: str | None = None  # the role the context's exec entry assumes to mint its token
    context: str | None = None  # the context that was read, when one was
    namespace: str | None = None  # the context's namespace
    server: str | None = None  # the context's API server and CA, as kubectl would reach the cluster
    ca_data: str | None = field(default=None, repr=False)
    sources: Mapping[str, Source] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for stderr: ``cluster demo (kubeconfig context), region us-east-1 (flag), ...``."""
        parts = [f"cluster {self.cluster} ({self.sources.get('cluster', Source.FLAG)})"]
        for name, value in (("region", self.region), ("profile", self.profile)):
            parts.append(f"{name} {value or '(aws config)'} ({self.sources.get(name, Source.AWS_CONFIG)})")
        return ", ".join(parts)


@dataclass(frozen=True, kw_only=True)
class _ContextSays:
    context: ContextEntry
    cluster: str | None
    region: str | None
    profile: str | None
    role_arn: str | None
    server: str | None
    ca_data: str | None


def _context_says(config: Kubeconfig, name: str | None) -> _ContextSays | None:
    context = config.context(name)
    if context is None:
        return None
    entry = config.clusters.get(context.cluster)
    user = config.users.get(context.user)
    info: EksExec | None = eks_exec(user) if user is not None else None
    arn = _CLUSTER_ARN.match(entry.name) if entry is not None else None
    spec = user.exec if user is not None else None
    env_region = (spec.env_value("AWS_REGION") or spec.env_value("AWS_DEFAULT_REGION")) if spec else None
    return _ContextSays(
        context=context,
        cluster=(info.cluster_name if info else None) or (arn["name"] if arn else None),
        region=(info.region if info else None) or env_region or (arn["region"] if arn else None),
        profile=info.profile if info else None,
        role_arn=info.role_arn if info else None,
        server=entry.server if entry else None,
        ca_data=entry.certificate_authority_data if entry else None,
    )


def resolve_cluster_target(
    flags: TargetFlags, config: Kubeconfig | None, env: Mapping[str, str]
) -> ClusterTarget:
    """The target from ``flags``, then ``config``'s context, then ``env`` (pure: nothing is read here)."""
    said = _context_says(config, flags.context) if config is not None else None
    if flags.context and said is None:
        raise InputError(f"context {flags.context!r} does not exist in the kubeconfig")
    if said is not None and flags.cluster and not flags.context and said.cluster != flags.cluster:
        said = None  # the current context is about another cluster
    sources: dict[str, Source] = {}
    cluster = flags.cluster or (said.cluster if said else None)
    if not cluster:
        where = f"context {said.context.name!r}" if said else "the kubeconfig's current context"
        raise InputError(
            f"no cluster: pass --cluster NAME, or use a kubeconfig context that names its EKS cluster "
            f"({where} does not)"
        )
    sources["cluster"] = Source.FLAG if flags.cluster else Source.CONTEXT
    context_leads = not flags.cluster or bool(flags.context)
    environment_region = (
        (env.get("AWS_REGION"), Source.ENVIRONMENT),
        (env.get("AWS_DEFAULT_REGION"), Source.ENVIRONMENT),
    )
    context_region = ((said.region if said else None, Source.CONTEXT),)
    region, sources["region"] = _first(
        (flags.region, Source.FLAG),
        *(
            (*context_region, *environment_region)
            if context_leads
            else (*environment_region, *context_region)
        ),
    )
    environment_profile = ((env.get("AWS_PROFILE"), Source.ENVIRONMENT),)
    context_profile = ((said.profile if said else None, Source.CONTEXT),)
    profile, sources["profile"] = _first(
        (flags.profile, Source.FLAG),
        *(
            (*context_profile, *environment_profile)
            if context_leads
            else (*environment_profile, *context_profile)
        ),
    )
    return ClusterTarget(
        cluster=cluster,
        region=region,
        profile=profile,
        role_arn=said.role_arn if said else None,
        context=said.context.name if said else None,
        namespace=said.context.namespace if said else None,
        server=said.server if said else None,
        ca_data=said.ca_data if said else None,
        sources=sources,
    )


def _first(*candidates: tuple[str | None, Source]) -> tuple[str | None, Source]:
    for value, source in candidates:
        if value:
            return value, source
    return None, Source.AWS_CONFIG


def load_cluster_target(
    flags: TargetFlags,
    env: Mapping[str, str] | None = None,
    load: Callable[[str | None, Mapping[str, str]], LoadedKubeconfig] | None = None,
) -> ClusterTarget:
    """Read the kubeconfig files as kubectl finds them (``--kubeconfig``, ``KUBECONFIG``, ``~/.kube/config``)
    and resolve. A kubeconfig that cannot be read is an error only when the command needs it: with
    ``--cluster`` and no ``--context`` or ``--kubeconfig``, the flags are enough."""
    from eksaccess.adapters import kubeconfig_files

    environ = os.environ if env is None else env
    reader = load or kubeconfig_files.load
    needs_it = bool(flags.context or flags.kubeconfig or not flags.cluster)
    try:
        config: Kubeconfig | None = reader(flags.kubeconfig, environ).config
    except InputError:
        if needs_it:
            raise
        config = None
    return resolve_cluster_target(flags, config, environ)
