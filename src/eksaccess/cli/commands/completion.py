"""``eksaccess completion bash|zsh|fish``: print the shell completion script (as ``kubectl completion``)."""

from __future__ import annotations

import click

from eksaccess.cli.completion import SHELLS, completion_script


@click.command(
    "completion",
    epilog="""\b
Examples:
  eval "$(eksaccess completion bash)"          # in ~/.bashrc
  eval "$(eksaccess completion zsh)"           # in ~/.zshrc, after compinit
  eksaccess completion fish > ~/.config/fish/completions/eksaccess.fish""",
)
@click.argument("shell", type=click.Choice(SHELLS), metavar="SHELL")
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL.

    It completes commands and options, and the values eksaccess can know without a call to AWS: scenario
    names (sandbox up --scenario), kubeconfig contexts (--context), the clusters the kubeconfig names
    (--cluster) and access policy names (--policy, short names too).
    """
    click.echo(completion_script(shell, ctx.find_root().command), nl=False)
