"""``eksaccess can-i``: may an IAM principal do VERB on RESOURCE on a cluster, and why.

Exit codes: 0 yes, 1 no (including a principal that is not authenticated), 2 bad input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import build_caller, live_options, output_option
from eksaccess.cli.output import resolution_json

if TYPE_CHECKING:
    from eksaccess.domain.authz.authorize import Reason
    from eksaccess.features.analyze.can_i import CanIResult
    from eksaccess.features.cluster_target import TargetFlags


def result_json(result: CanIResult) -> dict[str, Any]:
    decision = result.decision
    identity = resolution_json(result.resolution)
    misses = [
        {"kind": "identity", "where": m.where, "detail": m.reason} for m in result.resolution.near_misses
    ]
    if decision is not None:
        misses += [m.to_json() for m in decision.near_misses]
    return {
        "allowed": result.allowed,
        "request": result.request.to_json(),
        "identity": {
            "arn": identity["arn"],
            "principalArn": identity["principalArn"],
            "authenticated": identity["authenticated"],
            "username": identity["username"],
            "groups": identity["groups"],
            "source": identity["source"],
            "accessEntry": identity["accessEntry"],
        },
        "reason": result.reason,
        "reasons": [r.to_json() for r in decision.reasons] if decision else [],
        "nearMisses": misses,
        "notes": list(result.request.notes),
    }


def _identity_line(result: CanIResult) -> str:
    resolution = result.resolution
    identity = resolution.identity
    if identity is None:
        return f"  identity     {resolution.principal_arn}: not authenticated"
    source = str(resolution.source)
    if resolution.access_entry is not None:
        source = "access entry"
    return (
        f'  identity     username "{identity.username}", groups {", ".join(identity.groups)} (via {source})'
    )


def _reason_lines(reasons: tuple[Reason, ...]) -> list[str]:
    lines = []
    for index, reason in enumerate(reasons):
        lines.append(f"  {'allowed by' if index == 0 else 'also':<12} {reason.text}")
        if reason.rule is not None:
            lines.append(f"  {'':<12}   rule {reason.rule.describe()}")
    return lines


def render_text(result: CanIResult) -> str:
    lines = ["yes" if result.allowed else "no", f"  request      {result.request.attrs.describe()}"]
    lines.append(_identity_line(result))
    decision = result.decision
    if decision is not None and decision.allowed:
        lines += _reason_lines(decision.reasons)
    elif result.reason:
        lines.append(f"  reason       {result.reason}")
    misses = [f"{m.where}: {m.reason}" for m in result.resolution.near_misses]
    if decision is not None:
        misses += [f"{m.where}: {m.detail}" for m in decision.near_misses]
    if misses:
        lines.append("Near misses:")
        lines += [f"  - {miss}" for miss in misses]
    lines += [f"Note: {note}" for note in result.request.notes]
    return "\n".join(lines)


@click.command(
    "can-i",
    epilog="""\b
Examples:
  eksaccess can-i get pods -n team-a --arn arn:aws:iam::111122223333:role/dev
  eksaccess can-i create deployments.apps --arn arn:aws:iam::111122223333:role/ci -o json
  eksaccess can-i list secrets -A --arn arn:aws:iam::111122223333:user/alice --snapshot state.yaml""",
)
@click.argument("verb")
@click.argument("resource", metavar="RESOURCE[/SUBRESOURCE]|URL")
@click.option("--name", default="", help="The object's name (resourceNames rules need one).")
@click.option("-n", "--namespace", default=None, help="Namespace of the request (default: default).")
@click.option(
    "-A", "--all-namespaces", is_flag=True, help="Ask for all namespaces (cluster-wide grants only)."
)
@click.option("--arn", required=True, help="The caller: an IAM user or role ARN, or an STS assumed-role ARN.")
@click.option("--session-name", help="Session name for an IAM role ARN (default eksaccess).")
@click.option("--snapshot", metavar="FILE", help="ClusterState file, or - for stdin.")
@live_options
@output_option("text", "json", "yaml")
def can_i(
    verb: str,
    resource: str,
    name: str,
    namespace: str | None,
    all_namespaces: bool,
    arn: str,
    session_name: str | None,
    snapshot: str | None,
    target: TargetFlags,
    output: str,
) -> None:
    """Can an IAM principal do VERB on RESOURCE, and why.

    RESOURCE takes kubectl's forms (pods, po, deployments.apps, pods/log, deploy/scale) or a non-resource
    URL starting with /. Walks the whole chain offline: access entry or aws-auth mapping, then
    system:masters, EKS access policies and RBAC (with the default roles). Exit 0 yes, 1 no.
    """
    from eksaccess.cli.state_input import read_state
    from eksaccess.domain.names import validate_namespace
    from eksaccess.features.analyze.can_i import build_request
    from eksaccess.features.analyze.can_i import can_i as run_can_i

    if namespace is not None:
        validate_namespace(namespace)
    request = build_request(verb, resource, name=name, namespace=namespace, all_namespaces=all_namespaces)
    state = read_state(snapshot, target)
    caller, _ = build_caller(arn, session_name, None)
    result = run_can_i(state, caller=caller, request=request)
    if output != "text":
        emit_data(result_json(result), output)
    else:
        click.echo(render_text(result))
    raise SystemExit(0 if result.allowed else 1)
