"""The mapping link: which access entry or aws-auth row maps the principal, and if none, why not.

The domain's identity resolution decides (one place for the rule); this check turns its answer and
near misses into findings, and cross-checks with what the live cluster said (the token was refused
although a mapping exists: the entry belongs to a recreated principal).
"""

from __future__ import annotations

from typing import Any

from eksaccess.domain.access import (
    CLUSTER_SCOPE,
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    AuthenticationMode,
    ScopeType,
)
from eksaccess.domain.authz.access_policies import policy_arn
from eksaccess.domain.awsauth import edit as awsauth_edit
from eksaccess.domain.awsauth.findings import (
    AWS_AUTH_ASSUMED_ROLE_ARN,
    AWS_AUTH_KEY_CASE,
    AWS_AUTH_MALFORMED,
    AWS_AUTH_ROLE_PATH,
    AWS_AUTH_SHADOWED,
)
from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.awsauth.repair import repair
from eksaccess.domain.findings import (
    ADMIN,
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam import sso
from eksaccess.domain.iam.identity import MappingKind, NearMissKind, Resolution
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal, same_principal
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import (
    aws_auth_grant_fix,
    grant_access_entry_fix,
    repair_aws_auth_fix,
    restore_entry_fix,
)
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of
from eksaccess.features.manage.translate import default_aws_auth_username, policy_group

_BY_KIND: dict[NearMissKind, FindingCode] = {
    NearMissKind.ROLE_PATH: FindingCode.AWS_AUTH_ROLE_PATH,
    NearMissKind.ASSUMED_ROLE_ARN: FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
    NearMissKind.KEY_CASE: FindingCode.AWS_AUTH_KEY_CASE,
    NearMissKind.DROPPED_KEY: FindingCode.AWS_AUTH_MALFORMED,
    NearMissKind.IGNORED_API_MODE: FindingCode.AWS_AUTH_IGNORED_API_MODE,
    NearMissKind.STALE_PRINCIPAL: FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL,
}


_SAID_BY_SSO = frozenset({FindingCode.ACCESS_ENTRY_MISSING, FindingCode.AWS_AUTH_ENTRY_MISSING})

_REPAIRED = frozenset(
    {
        FindingCode.AWS_AUTH_ROLE_PATH,
        FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
        FindingCode.AWS_AUTH_MALFORMED,
        FindingCode.AWS_AUTH_KEY_CASE,
    }
)


# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.ACCESS_ENTRY_MISSING,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="No access entry for this principal",
        why="The cluster maps IAM principals through access entries and has none for this one.",
        fix=f"`eksaccess grant ARN --cluster C --policy edit -n NS` / `aws eks create-access-entry` + `associate-access-policy`, {ADMIN}",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.AWS_AUTH_ENTRY_MISSING,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="No aws-auth mapping for this principal",
        why="The aws-auth ConfigMap has no mapRoles/mapUsers entry matching this principal.",
        fix=f"`eksaccess grant ARN --via aws-auth --policy edit -n NS` / `kubectl apply` of the binding + `kubectl patch configmap aws-auth` pinned to the resourceVersion read, {ADMIN}",
        reporters=DOCTOR,
    ),
    AWS_AUTH_ROLE_PATH,
    AWS_AUTH_ASSUMED_ROLE_ARN,
    AWS_AUTH_MALFORMED,
    AWS_AUTH_KEY_CASE,
    Definition(
        code=FindingCode.AWS_AUTH_IGNORED_API_MODE,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The aws-auth mapping is ignored in API mode",
        why="In authentication mode API the cluster reads access entries only.",
        fix="an access entry (as ACCESS_ENTRY_MISSING)",
        reporters=DOCTOR,
    ),
    AWS_AUTH_SHADOWED,
    Definition(
        code=FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The access entry belongs to a deleted principal",
        why="Access entries bind the principal's unique ID; a recreated role or user no longer matches.",
        fix=f"`eksaccess revoke ARN --via access-entry --force` then `eksaccess grant` with the same type, username, groups and every policy with its scope / `aws eks delete-access-entry`, `create-access-entry`, `associate-access-policy` per policy, {ADMIN}",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.MAPPED_VIA_ACCOUNT_ONLY,
        link=Link.MAPPING,
        severity=Severity.WARNING,
        title="Mapped only through mapAccounts",
        why="mapAccounts authenticates with the ARN as username and no groups: usually 403 everywhere.",
        fix="a mapping of its own (as ACCESS_ENTRY_MISSING, or AWS_AUTH_ENTRY_MISSING in CONFIG_MAP)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def entry_arn_for(principal_arn: str) -> str:
    """The ARN to give an access entry: for roles, the role ARN (IAM's full path is better when known)."""
    try:
        return parse_principal(principal_arn).canonical_arn
    except InvalidArnError:
        return principal_arn


def recreate_entry_fix(facts: Facts, principal: str) -> tuple[FixStep, ...]:
    """Delete the entry bound to the old principal and create it again exactly as it was."""
    subject = parse_principal(principal)
    entry = next(
        (e for e in facts.access_entries.value or [] if same_principal(e.principal_arn, subject)), None
    )
    return restore_entry_fix(writer=writer_of(facts), entry=entry or AccessEntry(principal_arn=principal))


def wanted_access(facts: Facts) -> tuple[str, str, tuple[str, ...]]:
    """The access a person usually needs: edit in the context's namespace, else view cluster-wide."""
    namespace = facts.options.namespace or facts.target.namespace
    if namespace:
        return "AmazonEKSEditPolicy", "edit", (namespace,)
    return "AmazonEKSViewPolicy", "view", ()


def suggested_grant(facts: Facts, principal_arn: str) -> tuple[FixStep, ...]:
    policy, short, namespaces = wanted_access(facts)
    return grant_access_entry_fix(
        writer=writer_of(facts),
        principal_arn=principal_arn,
        policy=policy,
        short=short,
        namespaces=namespaces,
    )


def suggested_aws_auth_grant(
    facts: Facts, principal_arn: str, access: tuple[str, str, tuple[str, ...]] | None = None
) -> tuple[FixStep, ...]:
    """A row for the principal with a group bound to the policy's ClusterRole, exactly as ``grant --via
    aws-auth`` writes it (the plain form patches aws-auth at the version doctor read). ``access``: (policy,
    short name, namespaces), else what a person usually needs (``wanted_access``)."""
    policy, short, namespaces = access or wanted_access(facts)
    arn = entry_arn_for(principal_arn)
    scope = AccessScope(type=ScopeType.NAMESPACE, namespaces=namespaces) if namespaces else CLUSTER_SCOPE
    grants = policy_group(
        AccessPolicyAssociation(policy_arn=policy_arn(policy, _partition(arn)), scope=scope)
    )
    groups = [g.group for g in grants]
    existing = facts.rbac.value or []
    manifests = [g.binding for g in grants if g.binding is not None and not _has(existing, g.binding)]
    read = facts.aws_auth.value
    patch: dict[str, str] | None = None
    if read is not None:
        data = dict(read.data or {})
        is_user = parse_principal(arn).kind is not PrincipalKind.ROLE
        auth = parse_aws_auth(data)
        row = auth.match_user(arn) if is_user else auth.match_role(arn)
        username = (row.username if row else None) or default_aws_auth_username(arn)
        groups = list(dict.fromkeys([*(row.groups if row else ()), *groups]))
        edited = (
            awsauth_edit.upsert_user(data, arn, username=username, groups=groups)
            if is_user
            else awsauth_edit.upsert_role(data, arn, username=username, groups=groups)
        )
        patch = {k: v for k, v in edited.items() if data.get(k) != v}
    return aws_auth_grant_fix(
        writer=writer_of(facts),
        principal_arn=arn,
        short=short,
        namespaces=namespaces,
        patch=patch,
        resource_version=read.resource_version if read else None,
        manifests=manifests,
    )


def _has(manifests: list[dict[str, Any]], wanted: dict[str, Any]) -> bool:
    meta = wanted["metadata"]
    return any(
        m.get("kind") == wanted["kind"]
        and (m.get("metadata") or {}).get("name") == meta["name"]
        and (m.get("metadata") or {}).get("namespace") == meta.get("namespace")
        for m in manifests
    )


def _partition(arn: str) -> str:
    try:
        return parse_principal(arn).partition
    except InvalidArnError:
        return "aws"


def aws_auth_repair(facts: Facts) -> tuple[FixStep, ...]:
    """The rows that can never match rewritten, the keys that do not parse re-read (``repair aws-auth``)."""
    read = facts.aws_auth.value
    if read is None:
        return ()
    before = dict(read.data or {})
    found = repair(before)
    if not found.changed:
        return ()
    what = [f"key {r.written} -> {r.name}" for r in found.renames]
    what += [f"{r.where}: rolearn {r.written} -> {r.corrected}" for r in found.rows]
    what += [f"{k.key}: re-read as its {k.rows} row(s) were meant" for k in found.keys]
    patch: dict[str, str | None] = {k: v for k, v in found.data.items() if before.get(k) != v}
    patch |= {k: None for k in before if k not in found.data}  # a renamed key: deleted by the merge patch
    return repair_aws_auth_fix(
        writer=writer_of(facts),
        text="rewrite the aws-auth rows that can never match (" + "; ".join(what) + "), keeping every other "
        "byte; the write is refused if aws-auth changed since doctor read it.",
        repaired=patch,
        resource_version=read.resource_version,
    )


def mapping(
    facts: Facts,
    resolution: Resolution,
    mode: AuthenticationMode | None,
    aws_auth: AwsAuth | None,
    live_unauthorized: bool,
    token_ok: bool,
    *,
    live_authenticated: bool = False,
) -> list[Finding]:
    principal = resolution.principal_arn
    who = principal + sso.describe(principal)  # names the permission set of an SSO role
    findings: list[Finding] = []
    grant = suggested_grant(facts, entry_arn_for(principal))
    config_map = mode is AuthenticationMode.CONFIG_MAP
    repaired = aws_auth_repair(facts)
    for miss in resolution.near_misses:
        code = _BY_KIND.get(miss.kind)
        if code is None:
            continue
        if (resolution.authenticated or live_authenticated) and code is not FindingCode.AWS_AUTH_MALFORMED:
            continue  # it maps some other way; the near miss is only noise
        fix: tuple[FixStep, ...] = ()
        if code is FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL and not resolution.authenticated:
            fix = recreate_entry_fix(facts, principal)
        elif code is FindingCode.AWS_AUTH_IGNORED_API_MODE:
            fix = grant
        elif code in _REPAIRED:
            fix, repaired = repaired, ()  # one repair rewrites every such row: print it once
        findings.append(
            finding(
                code,
                detail=f"{miss.where}: {miss.reason}{sso.describe(principal)}",
                evidence={"where": miss.where},
                fix=fix,
            )
        )
    if resolution.authenticated:
        for miss in resolution.near_misses:
            if miss.kind is NearMissKind.SHADOWED:
                findings.append(
                    finding(
                        FindingCode.AWS_AUTH_SHADOWED,
                        detail=f"{miss.where}: {miss.reason}",
                        evidence={"where": miss.where},
                    )
                )
        if resolution.source.kind is MappingKind.MAP_ACCOUNTS:
            findings.append(
                finding(
                    FindingCode.MAPPED_VIA_ACCOUNT_ONLY,
                    detail=f"{who} is authenticated only because its account is in mapAccounts: username is the "
                    "ARN and there are no groups.",
                    fix=suggested_aws_auth_grant(facts, principal) if config_map else grant,
                )
            )
        if live_unauthorized and token_ok and resolution.source.kind is MappingKind.ACCESS_ENTRY:
            findings.append(
                finding(
                    FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL,
                    detail=f"The access entry for {who} exists, yet the cluster refuses the token: the entry is "
                    "bound to the unique ID of an earlier principal with this name (deleted and recreated).",
                    evidence={"principal": principal, "restsOn": "the cluster's 401"},
                    fix=recreate_entry_fix(facts, principal),
                )
            )
        return findings
    if any(f.severity.value == "error" for f in findings) or live_authenticated:
        return findings  # the cluster accepted the token: it maps the principal in a way we could not read
    if mode is AuthenticationMode.CONFIG_MAP:
        findings.append(
            finding(
                FindingCode.AWS_AUTH_ENTRY_MISSING,
                detail=f"The cluster reads aws-auth only (CONFIG_MAP) and no mapRoles/mapUsers entry matches {who}.",
                evidence={"principal": principal, "mode": mode.value},
                fix=suggested_aws_auth_grant(facts, principal),
            )
        )
    elif mode is not None:
        detail = f"The cluster (mode {mode.value}) has no access entry for {who}"
        if mode is AuthenticationMode.API_AND_CONFIG_MAP and aws_auth is not None:
            detail += ", and aws-auth does not map it either"
        findings.append(
            finding(
                FindingCode.ACCESS_ENTRY_MISSING,
                detail=detail + ".",
                evidence={"principal": principal, "mode": mode.value},
                fix=grant,
            )
        )
    return findings


def check(ctx: Context) -> list[Finding]:
    """The mapping as read (the unread case is mapping_unread's)."""
    if ctx.resolution is None or not ctx.read:
        return []
    found = mapping(
        ctx.facts,
        ctx.resolution,
        ctx.mode,
        ctx.aws_auth,
        ctx.live_unauthorized,
        ctx.token_ok and not ctx.errors(),
        live_authenticated=ctx.live_identity is not None,
    )
    if FindingCode.SSO_ROLE_STALE_SUFFIX in ctx.codes():  # checks/sso.py said why nothing maps
        found = [f for f in found if f.code not in _SAID_BY_SSO]
    return ctx.decided(found)
