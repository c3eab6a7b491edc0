"""``eksaccess whoami``: which Kubernetes identity an IAM principal gets on a cluster, and why.

Exit codes: 0 mapped, 1 not mapped (kubectl would get 401 Unauthorized), 2 bad input.
"""

from __future__ import annotations

import click

from eksaccess.adapters.files import read_text, source_name
from eksaccess.cli.options import DEFAULT_SESSION, build_caller, output_option
from eksaccess.cli.output import emit_json, resolution_json
from eksaccess.domain.authz.access_policies import policy_name
from eksaccess.domain.iam.identity import Resolution, resolve_in_state
from eksaccess.domain.iam.templates import placeholder_private_dns_name
from eksaccess.domain.state import ClusterState, parse_cluster_state


def render_text(resolution: Resolution, state: ClusterState, defaulted_session: bool) -> str:
    lines = [f"{resolution.arn}"]
    if resolution.principal_arn != resolution.arn:
        lines.append(f"  principal    {resolution.principal_arn}")
    if defaulted_session:
        lines.append(f"  session      {DEFAULT_SESSION} (assumed; pass --session-name to change it)")
    identity = resolution.identity
    if identity is None:
        lines.append(_not_mapped(resolution, state))
    else:
        source = str(resolution.source)
        if resolution.access_entry is not None:
            source = f"access entry {resolution.access_entry.principal_arn}"
        lines += [
            f"  mapped by    {source} (authentication mode {state.authentication_mode})",
            f"  username     {identity.username or '(empty)'}",
            f"  groups       {', '.join(identity.groups)}",
            f"  uid          {identity.uid}",
        ]
        if placeholder_private_dns_name(resolution.session_name) in identity.username:
            lines.append("  note         the node's private DNS name is unknown offline; a stand-in is shown")
        entry = resolution.access_entry
        if entry is not None and (entry.policies or not entry.type.is_node):
            policies = [f"{policy_name(p.policy_arn)} ({p.scope})" for p in entry.policies]
            lines.append(f"  policies     {', '.join(policies) if policies else 'none'}")
    if resolution.near_misses:
        lines.append("Near misses:")
        lines += [f"  - {m.where}: {m.reason}" for m in resolution.near_misses]
    return "\n".join(lines)


def _not_mapped(resolution: Resolution, state: ClusterState) -> str:
    if resolution.error:
        why = resolution.error
    else:
        why = f"no mapping for this principal in authentication mode {state.authentication_mode}"
    return (
        f"  NOT MAPPED   {why}\n"
        "               kubectl gets: error: You must be logged in to the server (Unauthorized)"
    )


@click.command("whoami")
@click.option(
    "--snapshot", "snapshot", required=True, metavar="FILE", help="ClusterState file, or - for stdin."
)
@click.option(
    "--arn", "arn", required=True, help="The caller: an IAM user or role ARN, or an STS assumed-role ARN."
)
@click.option("--session-name", help=f"Session name for an IAM role ARN (default {DEFAULT_SESSION}).")
@click.option("--access-key-id", help="Access key id, for {{AccessKeyID}} templates.")
@output_option()
def whoami(
    snapshot: str,
    arn: str,
    session_name: str | None,
    access_key_id: str | None,
    output: str,
) -> None:
    """Which Kubernetes identity an IAM principal gets on a cluster, and why.

    Resolves the principal through access entries and the aws-auth ConfigMap in the order EKS uses for
    the snapshot's authentication mode, and lists near misses: mappings that look meant for it but do
    not apply. Exit 0 when mapped, 1 when not.
    """
    state = parse_cluster_state(read_text(snapshot), source=source_name(snapshot))
    caller, defaulted = build_caller(arn, session_name, access_key_id)
    resolution = resolve_in_state(state, caller)
    if output == "json":
        emit_json(resolution_json(resolution))
    else:
        click.echo(render_text(resolution, state, defaulted))
    # SystemExit, not ctx.exit: click returns ctx.exit's code silently when not in standalone mode.
    raise SystemExit(0 if resolution.authenticated else 1)
