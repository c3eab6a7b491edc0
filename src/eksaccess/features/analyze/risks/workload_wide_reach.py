"""WORKLOAD_ADMIN_ROLE_WIDE_REACH: a role with admin-like IAM (an unconditional Allow of ``*`` or ``iam:*`` on
``*``, from the IAM details audit read) that service accounts hold, in a namespace where at least
``WIDE_REACH`` Kubernetes subjects or IAM principals may create pods or pod-making workloads (who-can-assume's
paths; system:masters and the service account itself not counted). Skipped when IAM was not read."""

from __future__ import annotations

from collections.abc import Iterator

from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.iam.trust import IamPrincipal, action_matches
from eksaccess.domain.risk import risk
from eksaccess.features.analyze.risks.context import AuditContext
from eksaccess.features.analyze.who_can_assume import Asker, Route, reachable_roles, who_can_assume

WIDE_REACH = 5
MASTERS = 'Group "system:masters"'


def admin_like(principal: IamPrincipal) -> bool:
    return any(
        st.allow and not st.negated and not st.conditional and "*" in st.resources
        and (action_matches(st.actions, "iam:PutRolePolicy") and action_matches(st.actions, "iam:CreateRole"))
        for policy in principal.policies
        for st in policy.statements
    )  # fmt: skip


def check(ctx: AuditContext) -> Iterator[Finding]:
    if ctx.graph is None or ctx.state.workload_identity is None:
        return
    asker: Asker | None = None
    for role_arn in reachable_roles(ctx.state):
        principal = ctx.iam_principal(role_arn)
        if principal is None or not admin_like(principal):
            continue
        asker = asker or Asker(ctx.state, ctx.authorizer)
        result = who_can_assume(ctx.state, role_arn, asker=asker)
        reach: dict[str, set[str]] = {}
        for path in result.paths:
            if path.route is Route.CREATE_WORKLOAD and path.subject != MASTERS:
                reach.setdefault(path.service_account.namespace, set()).add(
                    path.principal_arn or path.subject
                )
        wide = {ns: who for ns, who in reach.items() if len(who) >= WIDE_REACH}
        if not wide:
            continue
        namespace, who = max(wide.items(), key=lambda item: len(item[1]))
        yield risk(
            FindingCode.WORKLOAD_ADMIN_ROLE_WIDE_REACH,
            subject=role_arn,
            detail=f"{role_arn} (admin-like IAM) is held by service accounts of namespace {namespace}, where "
            f"{len(who)} subjects and principals may create pods or workloads",
        )
