"""NODE_ROLE_CANNOT_JOIN: a role the cluster shows serving nodes (a node group's or Fargate profile's role, a
node-type access entry, an aws-auth node row) whose kubelets would not authenticate as
``system:node:<name>`` in ``system:nodes`` (``domain.nodes``, the rule doctor --node-role uses too)."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.nodes import judge_in_state, node_roles_in
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext


def check(ctx: AuditContext) -> Iterator[Finding]:
    for use in node_roles_in(ctx.state):
        verdict = judge_in_state(ctx.state, use)
        if verdict.joins:
            continue
        yield risk(
            FindingCode.NODE_ROLE_CANNOT_JOIN,
            subject=use.role_arn,
            detail=f"{use.role_arn} ({use.source}, {use.kind.label} nodes, needs {use.kind.entry_type}): "
            f"{verdict.reason}",
        )
