"""``eksaccess token``: a drop-in for ``aws eks get-token`` that reuses a valid token (caching exec plugin).

kubectl runs the exec plugin once per process; ``aws eks get-token`` costs about half a second of
start-up each time. This command prints the same ExecCredential, from a per-identity cache when the
token has more than 60 s left (docs/token.md). The cache hit is normally served before click is even
imported (``eksaccess.token_fast.serve_hit``); this command is the full path: options, errors, minting.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from eksaccess.cli.options import output_option
from eksaccess.cli.output import check_role_arn, note
from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.token_fast import Clock


@click.command(
    "token",
    epilog="""\b
Examples:
  eksaccess token --cluster-name demo --region us-east-1
  eksaccess token --cluster-name demo --role-arn arn:aws:iam::111122223333:role/admin
  eksaccess token --clear-cache
  aws eks get-token --cluster-name demo | eksaccess token --inspect""",
)
@click.option("--cluster-name", help="Name of the EKS cluster to create a token for.")
@click.option("--cluster-id", help="Id of the cluster (local clusters on AWS Outposts only).")
@click.option("--region", help="Region of the STS endpoint to sign for (default: as the aws CLI finds it).")
@click.option("--role-arn", help="Assume this role (session EKSGetTokenAuth) to sign the token.")
@click.option("--profile", help="AWS profile whose credentials sign the token.")
@click.option("--no-cache", is_flag=True, help="Mint a new token; neither read nor write the cache.")
@click.option("--clear-cache", is_flag=True, help="Remove every cached token, then exit.")
@click.option(
    "--inspect",
    is_flag=True,
    help="Read a token (or an ExecCredential) on stdin and print its region, signer's access key id, signing "
    "time and expiry; never the signature or a session token.",
)
@output_option("text", "json", "yaml")
@click.pass_obj
def token(
    obj: dict[str, Any] | None,
    cluster_name: str | None,
    cluster_id: str | None,
    region: str | None,
    role_arn: str | None,
    profile: str | None,
    no_cache: bool,
    clear_cache: bool,
    inspect: bool,
    output: str,
) -> None:
    """Print an ExecCredential for kubectl, exactly as `aws eks get-token` does, reusing valid tokens."""
    from eksaccess.adapters.token_cache import TokenCache, default_cache_dir
    from eksaccess.token_fast import (
        TokenArgs,
        issue,
        negotiate_api_version,
        render_exec_credential,
        system_clock,
    )

    if inspect:
        _inspect(output, (obj or {}).get("clock", system_clock))
        return
    if output != "text":
        raise InputError("-o goes with --inspect (the ExecCredential is always JSON)")
    check_role_arn(role_arn)
    env = dict(os.environ)
    if clear_cache:
        cache = TokenCache(default_cache_dir(env))
        removed = cache.clear()
        note(f"Removed {removed} cached token file{'s' if removed != 1 else ''} from {cache.directory}.")
        return
    if cluster_name and cluster_id:
        raise InputError("--cluster-name and --cluster-id cannot be used together")
    identifier = cluster_name or cluster_id
    if not identifier:
        raise InputError("Either parameter --cluster-name or --cluster-id must be specified.")
    args = TokenArgs(
        cluster_id=identifier, region=region, role_arn=role_arn, profile=profile, no_cache=no_cache
    )
    api_version, exec_note = negotiate_api_version(env.get("KUBERNETES_EXEC_INFO"))
    issued = issue(args, env, clock=(obj or {}).get("clock", system_clock))
    if exec_note:
        note(exec_note)
    if issued.refusal:
        note(f"eksaccess: ignored a cached token file ({issued.refusal}); it has been replaced.")
    if issued.cache_warning:
        note(f"eksaccess: {issued.cache_warning}")
    click.echo(render_exec_credential(api_version, issued.token, issued.expiration), nl=False)


def _inspect(output: str, clock: Clock) -> None:
    """``--inspect``: the token on stdin, read offline (features/token_inspect.py)."""
    from eksaccess.cli.data_output import emit_data
    from eksaccess.features.token_inspect import inspect_lines, inspect_token

    data = inspect_token(sys.stdin.read(), now=clock())
    if output == "text":
        click.echo("\n".join(inspect_lines(data)))
    else:
        emit_data(data, output)
