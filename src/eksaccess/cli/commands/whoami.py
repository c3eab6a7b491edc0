"""``eksaccess whoami``: which Kubernetes identity an IAM principal gets on a cluster, and why.

Exit codes: 0 mapped, 1 not mapped (kubectl would get 401 Unauthorized), 2 bad input, 3 an AWS or
Kubernetes call failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import DEFAULT_SESSION, build_caller, live_options, output_option, resolve_target
from eksaccess.cli.output import resolution_json
from eksaccess.domain.iam.templates import placeholder_private_dns_name
from eksaccess.errors import InputError

if TYPE_CHECKING:
    from eksaccess.domain.access import AuthenticationMode
    from eksaccess.domain.iam.identity import Resolution
    from eksaccess.domain.state import ClusterState
    from eksaccess.features.cluster_target import TargetFlags
    from eksaccess.features.live_whoami import LiveIdentity


def render_text(resolution: Resolution, state: ClusterState, defaulted_session: bool) -> str:
    from eksaccess.domain.authz.access_policies import policy_name

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


def render_live(found: LiveIdentity) -> str:
    target = found.target
    where = ", ".join(
        part
        for part in (
            f"context {target.context}" if target.context else None,
            f"region {target.region}" if target.region else None,
            f"profile {target.profile}" if target.profile else None,
        )
        if part
    )
    lines = [f"Cluster {target.cluster}" + (f" ({where})" if where else "")]
    if found.seen is not None:
        lines += [
            f"  username     {found.seen.username or '(empty)'}",
            f"  groups       {', '.join(found.seen.groups) or '(none)'}",
        ]
        if found.seen.uid:
            lines.append(f"  uid          {found.seen.uid}")
    else:
        lines.append(f"  NOT AUTHENTICATED  the cluster refused the token: {found.seen_error}")
    lines.append(f"  IAM          {found.iam.arn} (account {found.iam.account})")
    if found.resolution is not None and found.mode is not None:
        lines.append(_mapping_line(found.resolution, found.mode))
    else:
        lines.append(f"  mapped by    unknown: could not read {found.read_error}")
    return "\n".join(lines)


def _mapping_line(resolution: Resolution, authentication_mode: AuthenticationMode) -> str:
    mode = f"authentication mode {authentication_mode}"
    if resolution.identity is None:
        return f"  mapped by    nothing ({mode}): {resolution.error or 'no mapping for this principal'}"
    if resolution.access_entry is not None:
        return f"  mapped by    access entry {resolution.access_entry.principal_arn} ({mode})"
    return f"  mapped by    {resolution.source} ({mode})"


def live_json(found: LiveIdentity) -> dict[str, Any]:
    target = found.target
    seen = found.seen
    return {
        "cluster": target.cluster,
        "context": target.context,
        "region": target.region,
        "profile": target.profile,
        "sources": {k: str(v) for k, v in target.sources.items()},
        "authenticated": found.authenticated,
        "kubernetes": {
            "username": seen.username,
            "groups": list(seen.groups),
            "uid": seen.uid,
            "extra": {k: list(v) for k, v in seen.extra.items()},
        }
        if seen is not None
        else None,
        "kubernetesError": found.seen_error,
        "iam": {"arn": found.iam.arn, "account": found.iam.account, "userId": found.iam.user_id},
        "mapping": resolution_json(found.resolution) if found.resolution is not None else None,
        "authenticationMode": str(found.mode) if found.mode is not None else None,
        "mappingError": found.read_error,
    }


@click.command(
    "whoami",
    epilog="""\b
Examples:
  eksaccess whoami                    # you, on the current context's cluster, live
  eksaccess whoami --context prod -o json
  eksaccess whoami --arn arn:aws:iam::111122223333:role/dev
  eksaccess whoami --snapshot state.yaml --arn arn:aws:iam::111122223333:role/dev""",
)
@click.option("--snapshot", "snapshot", metavar="FILE", help="ClusterState file, or - for stdin.")
@click.option(
    "--arn", "arn", help="Another caller: an IAM user or role ARN, or an STS assumed-role ARN (default: you)."
)
@click.option("--session-name", help=f"Session name for an IAM role ARN (default {DEFAULT_SESSION}).")
@click.option("--access-key-id", help="Access key id, for {{AccessKeyID}} templates.")
@live_options
@output_option("text", "json", "yaml")
def whoami(
    snapshot: str | None,
    arn: str | None,
    session_name: str | None,
    access_key_id: str | None,
    target: TargetFlags,
    output: str,
) -> None:
    """Which Kubernetes identity you (or an IAM principal) get on a cluster, and why.

    With no --arn: you, live, on the kubeconfig context's cluster (or --cluster): the identity the
    cluster sees (as kubectl auth whoami), the IAM principal behind the token, and the mapping that gives
    it (access entry, aws-auth row or cluster creator) when your credentials may read it.

    With --arn: resolves that principal through access entries and the aws-auth ConfigMap in the order
    EKS uses for the authentication mode (of --snapshot FILE, or of the cluster read live), and lists near
    misses: mappings that look meant for it but do not apply. Exit 0 when mapped, 1 when not.
    """
    from eksaccess.cli.state_input import read_state
    from eksaccess.domain.iam.identity import resolve_in_state

    if arn is None:
        if snapshot:
            raise InputError("--snapshot needs --arn: a file cannot say who you are")
        if session_name or access_key_id:
            raise InputError("--session-name and --access-key-id go with --arn")
        from eksaccess.features.live_whoami import live_whoami

        found = live_whoami(resolve_target(target))
        if output != "text":
            emit_data(live_json(found), output)
        else:
            click.echo(render_live(found))
        raise SystemExit(0 if found.authenticated else 1)
    state = read_state(snapshot, target)
    caller, defaulted = build_caller(arn, session_name, access_key_id)
    resolution = resolve_in_state(state, caller)
    if output != "text":
        emit_data(resolution_json(resolution), output)
    else:
        click.echo(render_text(resolution, state, defaulted))
    # SystemExit, not ctx.exit: click returns ctx.exit's code silently when not in standalone mode.
    raise SystemExit(0 if resolution.authenticated else 1)
