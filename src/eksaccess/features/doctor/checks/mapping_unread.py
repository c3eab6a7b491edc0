"""The mapping could not be read: say so and which read would decide, and when the cluster refuses a token
STS accepts, infer that nothing maps the principal, printing only the fixes right in every case it cannot
rule out."""

from __future__ import annotations

import dataclasses

from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.authenticator_log import AuthenticatorLine
from eksaccess.domain.findings import (
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
from eksaccess.domain.iam.identity import Resolution
from eksaccess.features.doctor.checks.authenticator_log import logged_line
from eksaccess.features.doctor.checks.mapping import entry_arn_for, wanted_access
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd, opt
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.NOT_MAPPED,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The cluster maps no identity for this principal (inferred)",
        why="STS accepts the token yet the cluster answers 401, and the mapping could not be read to say which row or entry is missing or wrong.",
        fix="CONFIG_MAP: `eksaccess repair aws-auth` then `eksaccess grant --via aws-auth` (right whatever the unread rows hold); access entries: only the read that decides",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.MAPPING_UNVERIFIED,
        link=Link.MAPPING,
        severity=Severity.WARNING,
        title="The mapping could not be read",
        why="Without access to the access entries or aws-auth, doctor cannot tell why the identity is refused.",
        fix="none (the read that would decide: `--admin-profile`)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    if ctx.resolution is None or ctx.read:
        return []
    line = logged_line(ctx)  # the cluster's own word, when its authenticator log could be read
    found: list[Finding] = []
    if ctx.live_identity is None and ctx.live_unauthorized and ctx.token_ok and not ctx.errors():
        missing = _inferred_missing(ctx.facts, ctx.mode, ctx.resolution)
        found += ctx.decided([missing if line is None or not line.denied else _confirmed(missing, line)])
    if ctx.live_identity is None and line is None:
        found.append(finding(FindingCode.MAPPING_UNVERIFIED, detail=_unverified(ctx.facts)))
    return found


def _confirmed(missing: Finding, line: AuthenticatorLine) -> Finding:
    """NOT_MAPPED as the authenticator's log says it: read, not inferred."""
    return dataclasses.replace(
        missing,
        detail=missing.detail.split(" Inferred, not read")[0]
        + f" Confirmed by the cluster's authenticator log: access denied ({line.error}).",
        evidence={**missing.evidence, "inferred": False, "authenticatorLog": line.text},
    )


def _inferred_missing(facts: Facts, mode: AuthenticationMode | None, resolution: Resolution) -> Finding:
    """The token is valid (STS accepts it for this cluster) yet the cluster answers 401: nothing maps the
    principal as it is now. Without the mapping, the cause is one of several; the fix printed is only
    what is right in each of them, and the read that decides is named."""
    arn = entry_arn_for(resolution.principal_arn)
    config_map = mode is AuthenticationMode.CONFIG_MAP
    causes = (
        [
            FindingCode.AWS_AUTH_ENTRY_MISSING,
            FindingCode.AWS_AUTH_ROLE_PATH,
            FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
            FindingCode.AWS_AUTH_MALFORMED,
        ]
        if config_map
        else [FindingCode.ACCESS_ENTRY_MISSING, FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL]
        + ([FindingCode.AWS_AUTH_ENTRY_MISSING] if mode is AuthenticationMode.API_AND_CONFIG_MAP else [])
    )
    if sso.permission_set_role(resolution.principal_arn):  # a mapping of the set's earlier role
        causes.append(FindingCode.SSO_ROLE_STALE_SUFFIX)
    return finding(
        FindingCode.NOT_MAPPED,
        detail=f"The cluster refuses a valid token for {resolution.principal_arn}"
        f"{sso.describe(resolution.principal_arn)} (STS accepts it; mode "
        f"{mode.value if mode else 'unknown'}), so nothing maps this principal as it is now. Inferred, not read: "
        f"the cause is one of {', '.join(c.value for c in causes)}.",
        evidence={"principal": arn, "inferred": True, "causes": [c.value for c in causes]},
        fix=inferred_fix(facts, arn, mode),
    )


def _unverified(facts: Facts) -> str:
    admin = facts.options.admin_profile
    if admin is None:
        return (
            "Neither the access entries nor aws-auth could be read with these credentials; pass "
            "--admin-profile to let doctor read them and say exactly why."
        )
    failure = facts.access_entries.error or facts.aws_auth.error or facts.admin_caller.error
    return (
        f"The administrator profile {admin} could not read the access entries or aws-auth either"
        + (f" ({failure})" if failure else "")
        + "; use a profile that can (eks:ListAccessEntries, or a Kubernetes identity that may read "
        "kube-system/aws-auth)."
    )


def inferred_fix(facts: Facts, principal_arn: str, mode: AuthenticationMode | None) -> tuple[FixStep, ...]:
    """What is right whatever the unread mapping holds. In CONFIG_MAP: repair the rows that never match,
    then map the principal (each a no-op where it is not needed). With access entries, a missing entry and
    one bound to a deleted principal need different repairs: only the read that decides is printed."""
    writer = writer_of(facts)
    cluster, flags = writer.cluster, writer.aws_flags()
    decide = FixStep(
        text=f"Let doctor read the mapping as {writer.who} to name the exact cause and its fix.",
        eksaccess=(
            cmd("eksaccess", "doctor", *opt("--context", facts.target.context), "--admin-profile", "ADMIN"),
        ),
        plain=(
            cmd(
                "aws",
                "eks",
                "describe-access-entry",
                "--cluster-name",
                cluster,
                "--principal-arn",
                principal_arn,
                *flags,
            )
            if mode is not AuthenticationMode.CONFIG_MAP
            else writer.kubectl("-n", "kube-system", "get", "configmap", "aws-auth", "-o", "yaml"),
        ),
        by_hand=True,
    )
    if mode is not AuthenticationMode.CONFIG_MAP:
        return (decide,)
    _, short, namespaces = wanted_access(facts)
    ns_flags = [x for ns in namespaces for x in ("--namespace", ns)]
    return (
        FixStep(
            text=f"As {writer.who} (pass their --profile): rewrite the aws-auth rows that can never match, then "
            f"map {principal_arn} (each does nothing where it is not needed).",
            eksaccess=(
                cmd("eksaccess", "repair", "aws-auth", "--cluster", cluster, *flags),
                cmd(
                    "eksaccess",
                    "grant",
                    principal_arn,
                    "--cluster",
                    cluster,
                    "--via",
                    "aws-auth",
                    "--policy",
                    short,
                    *ns_flags,
                    *flags,
                ),
            ),
        ),
        decide,
    )
