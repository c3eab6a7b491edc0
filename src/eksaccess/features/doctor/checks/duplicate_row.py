"""Duplicate aws-auth rows: the row that maps the principal shares its ARN with other rows of the key.

The authenticator keys mapRoles by the lower-cased rolearn, so the **last** row for a role wins and the
others are ignored silently (mapUsers: one of the case variants, at random;
https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go).
When the winner is what the person needs, the other rows are only a trap for the next editor (a warning);
when the winner grants nothing while an earlier row does, the wrong row wins (an error). Either way the fix
keeps one row, the one ``eksaccess repair aws-auth`` keeps (features/manage/repair.py: one rule).
"""

from __future__ import annotations

from eksaccess.domain.awsauth.repair import DuplicateRows, duplicate_rows, grants_of, keep_one_row
from eksaccess.domain.findings import (
    ADMIN,
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam.identity import MappingKind, Resolution
from eksaccess.errors import InputError
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import repair_aws_auth_fix
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

_FIX = (
    f"`eksaccess repair aws-auth --cluster C` / `kubectl patch configmap aws-auth` without the other rows "
    f"(every other byte kept), pinned to the resourceVersion read, {ADMIN}"
)

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.AWS_AUTH_DUPLICATE_ROW,
        link=Link.MAPPING,
        severity=Severity.WARNING,
        title="Another aws-auth row maps the same ARN",
        why="The authenticator uses one row per ARN (the last mapRoles row) and ignores the others silently: "
        "the next person to edit the ignored row changes nothing.",
        fix=_FIX + ": the row in use is kept",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.AWS_AUTH_DUPLICATE_WRONG_ROW,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="A duplicate aws-auth row with the wrong groups wins",
        why="Several rows map the ARN; the one the authenticator uses grants nothing, while an earlier one "
        "is bound by RBAC.",
        fix=_FIX + ": the earlier row that RBAC grants is kept, the winning one removed",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding

_KEYS = {MappingKind.MAP_ROLES: "mapRoles", MappingKind.MAP_USERS: "mapUsers"}


def _rows_of(facts: Facts, resolution: Resolution) -> DuplicateRows | None:
    """The duplicate rows among which the principal's mapping was chosen, if any."""
    read = facts.aws_auth.value
    key = _KEYS.get(resolution.source.kind)
    if read is None or key is None or resolution.source.index is None:
        return None
    grants = grants_of(facts.rbac.value) if facts.rbac.ok and facts.rbac.value is not None else None
    return next(
        (
            d
            for d in duplicate_rows(read.data, grants)
            if d.key == key and resolution.source.index in d.indexes
        ),
        None,
    )


def duplicate_row(facts: Facts, resolution: Resolution) -> list[Finding]:
    found = _rows_of(facts, resolution)
    read = facts.aws_auth.value
    if found is None or read is None:
        return []
    data = dict(read.data or {})
    rows = ", ".join(found.where(i) for i in found.indexes)
    groups = ", ".join(found.groups) or "none"
    removed = ", ".join(found.where(i) for i in found.removed)
    if found.wrong_row_wins:
        code = FindingCode.AWS_AUTH_DUPLICATE_WRONG_ROW
        detail = (
            f"{rows} all map {found.arn}; the authenticator uses the last, {found.where(found.winner)}, whose "
            f"username and groups no binding names, and ignores {found.where(found.keep)} (groups: {groups}), "
            "which RBAC grants."
        )
        text = f"remove the winning row {removed}, so that {found.where(found.keep)} (groups: {groups}) maps"
    else:
        code = FindingCode.AWS_AUTH_DUPLICATE_ROW
        detail = (
            f"{rows} all map {found.arn}; the authenticator uses {found.where(found.keep)} (groups: {groups}) "
            f"and ignores {removed}."
        )
        text = f"remove the ignored row{'s' if len(found.removed) > 1 else ''} {removed}"
    try:
        patch = keep_one_row(data, found.arn, found.username, found.groups)
    except InputError:
        patch = data  # the edit is refused: name the rows, print no command that would fail
    changed = {k: v for k, v in patch.items() if data.get(k) != v}
    fix = (
        repair_aws_auth_fix(
            writer=writer_of(facts),
            text=f"{text} ({found.arn}), keeping every other byte; the write is refused if aws-auth changed "
            "since doctor read it.",
            repaired=changed,
            resource_version=read.resource_version,
        )
        if changed
        else ()
    )
    evidence = {
        "arn": found.arn,
        "rows": [found.where(i) for i in found.indexes],
        "used": found.where(found.winner),
        "kept": found.where(found.keep),
    }
    return [finding(code, detail=detail, evidence=evidence, fix=fix)]


def check(ctx: Context) -> list[Finding]:
    """Only where aws-auth mapped the principal (an access entry or the creator make the rows moot)."""
    if ctx.resolution is None or not ctx.read or not ctx.resolution.authenticated or ctx.errors():
        return []
    return duplicate_row(ctx.facts, ctx.resolution)
