"""GROUP_WITHOUT_PRINCIPAL: a binding of the cluster names a group that no mapped principal has."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from eksaccess.domain.authz.bootstrap import bootstrap_manifests
from eksaccess.domain.authz.rbac import SubjectKind
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext

SYSTEM_PREFIXES = ("system:", "eks:")


def check(ctx: AuditContext) -> Iterator[Finding]:
    defaults = {
        str(m["metadata"]["name"]) for m in bootstrap_manifests() if m["kind"] == "ClusterRoleBinding"
    }
    have = {g for p in ctx.principals if p.identity for g in p.identity.groups}
    bindings: dict[str, list[str]] = defaultdict(list)
    for binding in ctx.authorizer.index.objects.bindings:
        if binding.namespace == "" and binding.name in defaults:
            continue
        for subject in binding.subjects:
            if subject.kind != SubjectKind.GROUP or subject.name.startswith(SYSTEM_PREFIXES):
                continue
            if subject.name not in have:
                bindings[subject.name].append(binding.describe())
    for group, where in bindings.items():
        more = f" and {len(where) - 1} more" if len(where) > 1 else ""
        yield risk(
            FindingCode.GROUP_WITHOUT_PRINCIPAL,
            subject=f'Group "{group}"',
            detail=f'{where[0]}{more} bind{"s" if not more else ""} group "{group}", which no access entry, '
            "aws-auth row or creator mapping gives",
        )
