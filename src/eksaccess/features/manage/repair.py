"""``repair aws-auth``: rewrite the aws-auth rows that can never match, as a plan.

A key spelled in another letter case (``maproles``) moves to its name; a rolearn with the role's path or an
STS assumed-role ARN becomes the path-less role ARN (username and groups kept); a key that does not parse is
re-read line by line as its author meant it; an ARN several rows map keeps one row (the one the
authenticator uses, unless only an earlier one is granted anything by RBAC). Each is a step of
the ordinary plan, so apply guards it against lock-outs, writes it against the resourceVersion it read
(re-reading and repairing again on a conflict), records it in the history and verifies it.
"""

from __future__ import annotations

from eksaccess.domain.awsauth.repair import DuplicateRows, duplicate_rows, grants_of, repair
from eksaccess.domain.state import ClusterState
from eksaccess.features.manage.plan import Plan, build_plan
from eksaccess.features.manage.steps import Action, Step, StepCode


def plan_repair(state: ClusterState) -> Plan:
    found = repair(state.aws_auth)
    steps = [
        Step(
            code=StepCode.KEY_RENAME,
            principal=rename.name,
            action=Action.UPDATE,
            replaces=rename.written,
            before=f"key {rename.written} (ignored: keys are case-sensitive)",
            after=f"key {rename.name}",
        )
        for rename in found.renames
    ]
    steps += [
        Step(
            code=StepCode.KEY_REPAIR,
            principal=key.key,
            action=Action.UPDATE,
            before="does not parse: the authenticator drops every row of it",
            after=f"re-read as {key.rows} row{'s' if key.rows != 1 else ''}",
        )
        for key in found.keys
    ]
    steps += [
        Step(
            code=StepCode.ROLE_REPAIR,
            principal=row.corrected,
            action=Action.UPDATE,
            username=row.username,
            groups=row.groups,
            replaces=row.written,
            before=f"{row.where} rolearn {row.written} (never matches)",
            after=f"rolearn {row.corrected}",
        )
        for row in found.rows
    ]
    steps += [
        dedupe_step(found_rows) for found_rows in duplicate_rows(found.data, grants_of(state.kubernetes))
    ]
    notices = [
        f"aws-auth {key} does not parse and cannot be re-read with certainty: fix it by hand "
        "(`eksaccess lint aws-auth` says where)"
        for key in found.unrepaired
    ]
    if not steps and not notices:
        notices.append("aws-auth has no row that can be repaired")
    return build_plan(state, [], extra=steps, notices=notices)


def dedupe_step(found: DuplicateRows) -> Step:
    removed = ", ".join(found.where(i) for i in found.removed)
    why = "grants nothing while an earlier one does" if found.wrong_row_wins else "is the one used"
    return Step(
        code=StepCode.ROW_DEDUPE,
        principal=found.arn,
        action=Action.UPDATE,
        username=found.username,
        groups=found.groups,
        before=f"{len(found.indexes)} rows map it ({', '.join(found.where(i) for i in found.indexes)}; "
        f"the last one, {found.where(found.winner)}, {why})",
        after=f"one row, {found.where(found.keep)}: {removed} removed",
    )
