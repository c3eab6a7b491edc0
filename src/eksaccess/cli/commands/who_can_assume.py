"""``eksaccess who-can-assume ROLE_ARN``: who can obtain an IAM role's credentials through the cluster's
workload identity (IRSA, EKS Pod Identity), and how.

Each row is a path: IAM principal (when one maps) -> Kubernetes subject -> what it may do -> service
account -> mechanism -> the role. Exit codes: 0 answered (even when nobody can), 2 bad input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from eksaccess.cli.data_output import emit_data
from eksaccess.cli.options import live_options, output_option

if TYPE_CHECKING:
    from eksaccess.features.analyze.who_can_assume import WhoCanAssumeResult
    from eksaccess.features.cluster_target import TargetFlags


def result_json(result: WhoCanAssumeResult) -> dict[str, Any]:
    return {
        "roleArn": result.role_arn,
        "serviceAccounts": [
            {
                "namespace": h.service_account.namespace,
                "name": h.service_account.name,
                "mechanism": str(h.mechanism),
                "annotated": h.annotated,
                "detail": h.detail,
            }
            for h in result.holders
        ],
        "paths": [
            {
                "principalArn": p.principal_arn or None,
                "via": p.via or None,
                "subject": p.subject,
                "route": str(p.route),
                "actions": list(p.actions),
                "grant": p.grant,
                "serviceAccount": str(p.service_account),
                "mechanism": str(p.mechanism),
                "path": p.describe(),
            }
            for p in result.paths
        ],
        "principals": list(result.principals()),
        "subjects": list(result.subjects()),
        "notes": list(result.notes),
    }


def render_text(result: WhoCanAssumeResult) -> str:
    lines = [f"Service accounts that obtain {result.role_arn}:"]
    if not result.holders:
        lines.append("  (none)")
    for holder in result.holders:
        mark = " (annotated)" if holder.annotated else ""
        lines.append(f"  {holder.service_account}  {holder.mechanism}{mark}  {holder.detail}".rstrip())
    lines.append(
        "Who can obtain it (IAM principal -> Kubernetes subject -> how -> service account -> mechanism):"
    )
    if not result.paths:
        lines.append("  (none)")
    else:
        lines += _table(result)
    lines += [f"Note: {note}" for note in result.notes]
    return "\n".join(lines)


HEADER = ("IAM PRINCIPAL", "KUBERNETES SUBJECT", "HOW", "SERVICE ACCOUNT", "MECHANISM")


def _table(result: WhoCanAssumeResult) -> list[str]:
    rows = [HEADER]
    for p in result.paths:
        how = p.actions[0] + (f" (+{len(p.actions) - 1} more)" if len(p.actions) > 1 else "")
        rows.append((p.principal_arn or "-", p.subject, how, str(p.service_account), str(p.mechanism)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    return [
        "  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(row[:-1])) + "  " + row[-1] for row in rows
    ]


@click.command(
    "who-can-assume",
    epilog="""\b
Examples:
  eksaccess who-can-assume arn:aws:iam::111122223333:role/web-irsa --cluster demo
  eksaccess who-can-assume arn:aws:iam::111122223333:role/s3-writer --snapshot state.yaml -o json""",
)
@click.argument("role_arn", metavar="ROLE_ARN")
@click.option(
    "--snapshot", metavar="FILE", help="ClusterState file (apiVersion eksaccess/v2), or - for stdin."
)
@live_options
@output_option("text", "json", "yaml")
def who_can_assume(role_arn: str, snapshot: str | None, target: TargetFlags, output: str) -> None:
    """Which Kubernetes subjects, and IAM principals behind them, can obtain ROLE_ARN's credentials.

    Directly, as the service account IRSA or a Pod Identity association gives the role; or by escalation:
    creating pods (or deployments, jobs and other pod-making workloads) in its namespace, creating
    serviceaccounts/token for it, or impersonating it.
    """
    from eksaccess.cli.state_input import read_state
    from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal
    from eksaccess.errors import InputError
    from eksaccess.features.analyze.who_can_assume import who_can_assume as run

    try:
        principal = parse_principal(role_arn)
    except InvalidArnError as err:
        raise InputError(f"ROLE_ARN: {err.message}") from None
    if principal.kind is not PrincipalKind.ROLE:
        raise InputError(f"ROLE_ARN: {role_arn} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    state = read_state(snapshot, target)
    result = run(state, role_arn)
    if output != "text":
        emit_data(result_json(result), output)
    else:
        click.echo(render_text(result))
