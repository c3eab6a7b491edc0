"""Judge one node role against a cluster's state: the report doctor --node-role prints."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eksaccess.domain.findings import Finding, Severity
from eksaccess.domain.nodes import NodeRoleUse, NodeVerdict, judge_in_state, kind_for_role, node_roles_in
from eksaccess.domain.state import ClusterState
from eksaccess.features.doctor.checks.nodes import node_findings
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.model import finding_json


@dataclass(frozen=True, kw_only=True)
class NodeReport:
    state: ClusterState
    use: NodeRoleUse
    verdict: NodeVerdict
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        verdict = self.verdict
        identity = verdict.resolution.identity
        cluster = self.state.cluster
        return {
            "cluster": {
                "name": cluster.name,
                "region": cluster.region,
                "authenticationMode": self.state.authentication_mode.value,
            },
            "nodeRole": {
                "arn": self.use.role_arn,
                "kind": self.use.kind.value,
                "source": self.use.source,
                "wantedType": self.use.kind.entry_type.value,
            },
            "kubelet": {
                "sessionName": verdict.session_name,
                "nodeName": verdict.node_name,
                "authenticated": identity is not None,
                "mappedBy": str(verdict.resolution.source),
                "username": identity.username if identity else None,
                "groups": list(identity.groups) if identity else [],
                "joins": verdict.joins,
                "reason": verdict.reason,
            },
            "findings": [finding_json(f) for f in self.findings],
        }


def diagnose_node(
    state: ClusterState, role_arn: str, *, writer: Writer, aws_auth_version: str | None = None
) -> NodeReport:
    use = kind_for_role(role_arn, node_roles_in(state))
    verdict = judge_in_state(state, replace(use, role_arn=role_arn))
    findings = node_findings(
        verdict,
        mode=state.authentication_mode,
        aws_auth=state.aws_auth,
        aws_auth_version=aws_auth_version,
        writer=writer,
    )
    return NodeReport(state=state, use=use, verdict=verdict, findings=tuple(findings))
