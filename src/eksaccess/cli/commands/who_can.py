"""``eksaccess who-can``: which IAM principals can do VERB on RESOURCE, and how.

Lists the IAM principals the snapshot knows (access entries, aws-auth rows, cluster creator) that are
allowed, each with its path, then the Kubernetes subjects allowed that no IAM principal maps to.
Exit codes: 0 answered (even when nobody can), 2 bad input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import live_options, output_option

if TYPE_CHECKING:
    from eksaccess.features.analyze.who_can import WhoCanResult
    from eksaccess.features.cluster_target import TargetFlags


def result_json(result: WhoCanResult) -> dict[str, Any]:
    return {
        "request": result.request.to_json(),
        "principals": [
            {
                "arn": p.arn,
                "via": p.via,
                "username": p.username,
                "groups": list(p.groups),
                "source": str(p.source),
                "reasons": [r.to_json() for r in p.reasons],
            }
            for p in result.principals
        ],
        "subjects": [
            {
                "kind": s.kind,
                "name": s.name,
                "namespace": s.namespace,
                "mappedByIam": False,
                "reasons": [r.to_json() for r in s.reasons],
            }
            for s in result.subjects
        ],
        "notes": list(result.notes),
    }


def render_text(result: WhoCanResult) -> str:
    what = result.request.attrs.describe()
    lines = [f"IAM principals that can {what}:"]
    if not result.principals:
        lines.append("  (none)")
    for principal in result.principals:
        lines.append(f"  {principal.arn}")
        lines.append(f"      via {principal.via}")
    lines.append("Kubernetes subjects allowed that no IAM principal maps to:")
    if not result.subjects:
        lines.append("  (none)")
    for subject in result.subjects:
        name = f"{subject.namespace}/{subject.name}" if subject.namespace else subject.name
        lines.append(f"  {subject.kind} {name}")
        lines += [f"      {reason.text}" for reason in subject.reasons[:3]]
        if len(subject.reasons) > 3:
            lines.append(f"      ... and {len(subject.reasons) - 3} more")
    lines += [f"Note: {note}" for note in result.notes]
    return "\n".join(lines)


@click.command(
    "who-can",
    epilog="""\b
Examples:
  eksaccess who-can delete pods -n kube-system
  eksaccess who-can get secrets -A -o yaml
  eksaccess who-can create pods/exec --snapshot state.yaml""",
)
@click.argument("verb")
@click.argument("resource", metavar="RESOURCE[/SUBRESOURCE]|URL")
@click.option("--name", default="", help="The object's name (resourceNames rules need one).")
@click.option("-n", "--namespace", default=None, help="Namespace of the request (default: default).")
@click.option(
    "-A", "--all-namespaces", is_flag=True, help="Ask for all namespaces (cluster-wide grants only)."
)
@click.option("--snapshot", metavar="FILE", help="ClusterState file, or - for stdin.")
@live_options
@output_option("text", "json", "yaml")
def who_can(
    verb: str,
    resource: str,
    name: str,
    namespace: str | None,
    all_namespaces: bool,
    snapshot: str | None,
    target: TargetFlags,
    output: str,
) -> None:
    """Which IAM principals can do VERB on RESOURCE, and how.

    Each principal comes with its path: access entry + access policy, aws-auth row -> group -> binding,
    or the cluster creator. Kubernetes subjects that are allowed but that no IAM principal maps to
    (service accounts, unmapped users and groups) are listed separately.
    """
    from eksaccess.cli.state_input import read_state
    from eksaccess.domain.names import validate_namespace
    from eksaccess.features.analyze.can_i import build_request
    from eksaccess.features.analyze.who_can import who_can as run_who_can

    if namespace is not None:
        validate_namespace(namespace)
    request = build_request(verb, resource, name=name, namespace=namespace, all_namespaces=all_namespaces)
    state = read_state(snapshot, target)
    result = run_who_can(state, request)
    if output != "text":
        emit_data(result_json(result), output)
    else:
        click.echo(render_text(result))
