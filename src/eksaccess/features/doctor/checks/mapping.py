"""The mapping link: which access entry or aws-auth row maps the principal, and if none, why not.

The domain's identity resolution decides (one place for the rule); this check turns its answer and
near misses into findings, and cross-checks with what the live cluster said (the token was refused
although a mapping exists: the entry belongs to a recreated principal).
"""

from __future__ import annotations

from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.arn import InvalidArnError, parse_principal
from eksaccess.domain.awsauth import AwsAuth
from eksaccess.domain.identity import NearMissKind, Resolution, SourceKind
from eksaccess.features.doctor.catalog import Code
from eksaccess.features.doctor.fixes import associate_command, cmd, edit_aws_auth_fix, grant_access_entry_fix
from eksaccess.features.doctor.model import Finding, FixStep
from eksaccess.features.doctor.probe import Facts

_BY_KIND: dict[NearMissKind, Code] = {
    NearMissKind.ROLE_PATH: Code.AWS_AUTH_ROLE_PATH,
    NearMissKind.ASSUMED_ROLE_ARN: Code.AWS_AUTH_ASSUMED_ROLE_ARN,
    NearMissKind.KEY_CASE: Code.AWS_AUTH_KEY_CASE,
    NearMissKind.DROPPED_KEY: Code.AWS_AUTH_MALFORMED,
    NearMissKind.IGNORED_API_MODE: Code.AWS_AUTH_IGNORED_API_MODE,
    NearMissKind.STALE_PRINCIPAL: Code.ACCESS_ENTRY_STALE_PRINCIPAL,
}


def entry_arn_for(principal_arn: str) -> str:
    """The ARN to give an access entry: for roles, the role ARN (IAM's full path is better when known)."""
    try:
        return parse_principal(principal_arn).canonical_arn
    except InvalidArnError:
        return principal_arn


def recreate_entry_fix(facts: Facts, principal: str) -> tuple[FixStep, ...]:
    """Delete the entry bound to the old principal and create it again, with the same policies."""
    cluster = facts.target.cluster_name or ""
    common = [
        *(["--region", facts.target.region] if facts.target.region else []),
        *(["--profile", facts.options.admin_profile] if facts.options.admin_profile else []),
    ]
    subject = parse_principal(principal)
    entry = next(
        (e for e in facts.access_entries.value or [] if _same(e.principal_arn, subject.canonical_arn)), None
    )
    arn = entry.principal_arn if entry else principal
    create = ["aws", "eks", "create-access-entry", "--cluster-name", cluster, "--principal-arn", arn]
    if entry and entry.username:
        create += ["--username", entry.username]
    if entry and entry.kubernetes_groups:
        create += ["--kubernetes-groups", *entry.kubernetes_groups]
    plain = [
        cmd("aws", "eks", "delete-access-entry", "--cluster-name", cluster, "--principal-arn", arn, *common),
        cmd(*create, *common),
    ]
    for assoc in entry.policies if entry else ():
        plain.append(associate_command(cluster, arn, assoc.policy_arn, assoc.scope.namespaces, common))
    return (
        FixStep(
            text="Delete the entry bound to the deleted principal and create it again (same username, groups "
            "and policies); EKS then binds it to the current principal.",
            eksaccess=(
                cmd("eksaccess", "revoke", arn, "--cluster", cluster, "--force", *common),
                cmd("eksaccess", "grant", arn, "--cluster", cluster, "--policy", "view", *common),
            ),
            plain=tuple(plain),
        ),
    )


def _same(entry_arn: str, canonical: str) -> bool:
    try:
        return parse_principal(entry_arn).pathless_arn.lower() == canonical.lower()
    except InvalidArnError:
        return False


def suggested_grant(facts: Facts, principal_arn: str) -> tuple[FixStep, ...]:
    """The access a person usually needs: edit in the context's namespace, else view cluster-wide."""
    namespace = facts.options.namespace or facts.target.namespace
    policy, short = ("AmazonEKSEditPolicy", "edit") if namespace else ("AmazonEKSViewPolicy", "view")
    return grant_access_entry_fix(
        cluster=facts.target.cluster_name or "",
        region=facts.target.region,
        principal_arn=principal_arn,
        policy=policy,
        short=short,
        namespaces=(namespace,) if namespace else (),
        admin_profile=facts.options.admin_profile,
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
    cluster = facts.target.cluster_name or ""
    admin = facts.options.admin_profile
    principal = resolution.principal_arn
    findings: list[Finding] = []
    grant = suggested_grant(facts, entry_arn_for(principal))
    aws_auth_grant = edit_aws_auth_fix(
        text=f"As a cluster administrator, map {principal} in aws-auth (mapRoles for roles, without any path).",
        grant=cmd(
            "eksaccess",
            "grant",
            principal,
            "--cluster",
            cluster,
            "--policy",
            "view",
            "--via",
            "aws-auth",
            *(["--profile", admin] if admin else []),
        ),
    )
    for miss in resolution.near_misses:
        code = _BY_KIND.get(miss.kind)
        if code is None:
            continue
        fix: tuple[FixStep, ...]
        if code is Code.ACCESS_ENTRY_STALE_PRINCIPAL and not resolution.authenticated:
            fix = recreate_entry_fix(facts, principal)
        elif code is Code.AWS_AUTH_IGNORED_API_MODE:
            fix = grant
        else:
            fix = edit_aws_auth_fix(text=f"Fix {miss.where}: {miss.reason}")
        if (resolution.authenticated or live_authenticated) and code is not Code.AWS_AUTH_MALFORMED:
            continue  # it maps some other way; the near miss is only noise
        findings.append(
            Finding(code=code, detail=f"{miss.where}: {miss.reason}", evidence={"where": miss.where}, fix=fix)
        )
    if resolution.authenticated:
        for miss in resolution.near_misses:
            if miss.kind is NearMissKind.SHADOWED:
                findings.append(
                    Finding(
                        code=Code.AWS_AUTH_SHADOWED,
                        detail=f"{miss.where}: {miss.reason}",
                        evidence={"where": miss.where},
                    )
                )
        if resolution.source.kind is SourceKind.MAP_ACCOUNTS:
            findings.append(
                Finding(
                    code=Code.MAPPED_VIA_ACCOUNT_ONLY,
                    detail=f"{principal} is authenticated only because its account is in mapAccounts: username is the "
                    "ARN and there are no groups.",
                    fix=grant if mode is not AuthenticationMode.CONFIG_MAP else aws_auth_grant,
                )
            )
        if live_unauthorized and token_ok and resolution.source.kind is SourceKind.ACCESS_ENTRY:
            findings.append(
                Finding(
                    code=Code.ACCESS_ENTRY_STALE_PRINCIPAL,
                    detail=f"The access entry for {principal} exists, yet the cluster refuses the token: the entry is "
                    "bound to the unique ID of an earlier principal with this name (deleted and recreated).",
                    fix=recreate_entry_fix(facts, principal),
                )
            )
        return findings
    if any(f.severity.value == "error" for f in findings) or live_authenticated:
        return findings  # the cluster accepted the token: it maps the principal in a way we could not read
    if mode is AuthenticationMode.CONFIG_MAP:
        findings.append(
            Finding(
                code=Code.AWS_AUTH_ENTRY_MISSING,
                detail=f"The cluster reads aws-auth only (CONFIG_MAP) and no mapRoles/mapUsers entry matches {principal}.",
                evidence={"principal": principal, "mode": mode.value},
                fix=aws_auth_grant,
            )
        )
    elif mode is not None:
        detail = f"The cluster (mode {mode.value}) has no access entry for {principal}"
        if mode is AuthenticationMode.API_AND_CONFIG_MAP and aws_auth is not None:
            detail += ", and aws-auth does not map it either"
        findings.append(
            Finding(
                code=Code.ACCESS_ENTRY_MISSING,
                detail=detail + ".",
                evidence={"principal": principal, "mode": mode.value},
                fix=grant,
            )
        )
    return findings
