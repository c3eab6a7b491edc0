"""Shell completion of option values, attached with ``shell_complete=``: click calls these on TAB.

* ``scenario_names``: the built-in sandbox scenarios (the YAML files shipped in the package);
* ``context_names``: the kubeconfig's contexts (``--kubeconfig`` when already typed, else KUBECONFIG, else
  ~/.kube/config, as kubectl merges them);
* ``cluster_names``: the EKS cluster names the kubeconfig's exec entries name (no AWS call on TAB);
* ``policy_names``: the EKS access policies, by name and by short name (``view``, ``admin``...).

A completer never fails: a kubeconfig that cannot be read completes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from eksaccess.errors import EksAccessError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

SCENARIO_PACKAGE = "eksaccess.sandbox.scenarios"
SHELLS = ("bash", "zsh", "fish")


def _matching(
    values: Iterable[str], incomplete: str, *, help_of: dict[str, str] | None = None
) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    helps = help_of or {}
    return [CompletionItem(v, help=helps.get(v)) for v in sorted(set(values)) if v.startswith(incomplete)]


def builtin_scenarios() -> list[str]:
    """The names of the built-in scenarios, read from the package's files (no model is loaded)."""
    from importlib import resources

    folder = resources.files(SCENARIO_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def scenario_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A built-in scenario's name; when none starts so, a scenario file (the shell completes the path)."""
    from click.shell_completion import CompletionItem

    return _matching(builtin_scenarios(), incomplete) or [CompletionItem(incomplete, type="file")]


def _kubeconfig_of(ctx: click.Context) -> object | None:
    """The merged kubeconfig the command would read (None when it cannot be read)."""
    from eksaccess.adapters.kubeconfig_files import load

    explicit = ctx.params.get("kubeconfig")
    try:
        return load(explicit if isinstance(explicit, str) else None, os.environ).config
    except (EksAccessError, OSError, ValueError):
        return None


def context_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from eksaccess.domain.kubeconfig import Kubeconfig

    config = _kubeconfig_of(ctx)
    if not isinstance(config, Kubeconfig):
        return []
    current = {config.current_context: "current context"} if config.current_context else {}
    return _matching(config.contexts, incomplete, help_of=current)


def kubeconfig_cluster_names(config: object) -> dict[str, str]:
    """cluster name -> the context that names it, from each context's EKS exec entry (its
    ``--cluster-name``), else from the EKS cluster ARN the context's cluster entry is named after."""
    from eksaccess.domain.kubeconfig import Kubeconfig, eks_exec

    if not isinstance(config, Kubeconfig):
        return {}
    found: dict[str, str] = {}
    for context in config.contexts.values():
        user = config.users.get(context.user)
        spec = eks_exec(user) if user is not None else None
        name = spec.cluster_name if spec is not None else None
        if not name and ":cluster/" in context.cluster:  # arn:aws:eks:REGION:ACCOUNT:cluster/NAME
            name = context.cluster.rsplit(":cluster/", 1)[1]
        if name:
            found.setdefault(name, f"context {context.name}")
    return found


def cluster_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    names = kubeconfig_cluster_names(_kubeconfig_of(ctx))
    return _matching(names, incomplete, help_of=names)


def policy_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from eksaccess.domain.authz.access_policies import CATALOGUE, SHORT_NAMES

    helps = dict(SHORT_NAMES)  # short name -> the policy it stands for
    helps |= {name: policy.description for name, policy in CATALOGUE.items()}
    return _matching(helps, incomplete, help_of=helps)


def completion_script(shell: str, command: click.Command, prog_name: str = "eksaccess") -> str:
    """The script that ``eval``/``source`` installs: click's completion for ``prog_name``."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - the command's Choice allows only SHELLS
        raise click.BadParameter(f"no completion for {shell}")
    complete_var = "_{}_COMPLETE".format(prog_name.replace("-", "_").upper())
    return cls(command, {}, prog_name, complete_var).source()
