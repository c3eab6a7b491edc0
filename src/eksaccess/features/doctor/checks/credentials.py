"""The credentials link: can the exec entry's profile get credentials, and assume its role? The fix follows
where the credentials come from (checks.credential_fixes)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.adapters.aws_profiles import CredentialKind, ProfileCredentials
from eksaccess.adapters.ports import DoctorPorts
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
from eksaccess.domain.iam.principal import InvalidArnError, canonicalize
from eksaccess.features.doctor.checks import token
from eksaccess.features.doctor.checks.credential_fixes import credential_fix
from eksaccess.features.doctor.checks.token import clock_fix
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.CREDENTIALS_NOT_FOUND,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="No AWS credentials",
        why="The exec plugin finds no credentials, so it cannot mint a token.",
        fix="by the profile's kind: `aws sso login`, `aws configure`, the environment's variables, the credential_process command (by hand); then `aws sts get-caller-identity --profile P`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CREDENTIALS_INVALID,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="AWS credentials are not valid",
        why="STS refuses the access key (unknown key or wrong secret).",
        fix="a working key in the profile (`aws configure --profile P`, by hand; SSO: `aws sso login`); then `aws sts get-caller-identity`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CREDENTIALS_EXPIRED,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="AWS credentials have expired",
        why="The session credentials (SSO, assumed role) are past their expiry.",
        fix="SSO: `aws sso login --sso-session S`; temporary keys in a file: `aws configure set aws_access_key_id/aws_secret_access_key/aws_session_token` (by hand); assume-role: its source profile's; then `aws sts get-caller-identity`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ASSUME_ROLE_DENIED,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="The role cannot be assumed",
        why="The role's trust policy or the caller's permissions refuse sts:AssumeRole.",
        fix=f"`aws iam update-assume-role-policy --role-name R --policy-document '<the current document plus the missing statement>'` {ADMIN}; without it, the statement to ask for",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.IDENTITY_DIFFERS_FROM_SHELL,
        link=Link.CREDENTIALS,
        severity=Severity.INFO,
        title="kubectl uses another identity than your shell",
        why="The exec entry sets a profile or role, so kubectl's token is not your shell's identity.",
        fix="none (information)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, (*ENTRIES, *token.ENTRIES)).finding


# The credential errors whose fix is renewing the profile's credentials: code, and what to say.
_REFUSED: dict[AwsErrorKind, tuple[FindingCode, str]] = {
    AwsErrorKind.NO_CREDENTIALS: (FindingCode.CREDENTIALS_NOT_FOUND, "Profile {profile}: {error}"),
    AwsErrorKind.PROFILE_NOT_FOUND: (FindingCode.CREDENTIALS_NOT_FOUND, "Profile {profile}: {error}"),
    AwsErrorKind.INVALID_CREDENTIALS: (
        FindingCode.CREDENTIALS_INVALID,
        "STS refused the access key of profile {profile}: {code}: {error}",
    ),
    AwsErrorKind.EXPIRED_CREDENTIALS: (
        FindingCode.CREDENTIALS_EXPIRED,
        "The session credentials of profile {profile} have expired: {error}",
    ),
}


def credentials(
    facts: Facts,
    profile: ProfileCredentials | None = None,
    trust: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """``profile``: where the exec entry's credentials come from; ``trust``: the trust policy of the role
    it assumes, as the administrator read it (None: not read)."""
    if facts.options.as_arn:
        return []
    findings: list[Finding] = []
    base_error = facts.base_caller.error
    error = base_error or facts.caller.error
    name = facts.target.profile or "(default)"
    renew = credential_fix(profile) if profile is not None else ()
    if isinstance(error, AwsCallError):
        refused = _REFUSED.get(error.kind)
        if refused is not None:
            code, says = refused
            findings.append(
                finding(
                    code,
                    detail=says.format(profile=name, code=error.code, error=error),
                    evidence={
                        "profile": name,
                        "error": error.code,
                        "kind": profile.kind.value if profile else None,
                    },
                    fix=renew,
                )
            )
        if error.kind is AwsErrorKind.CLOCK_SKEW:
            findings.append(_clock_refused(facts, error))
        elif error.kind is AwsErrorKind.ACCESS_DENIED:  # GetCallerIdentity is never denied: AssumeRole was
            findings.append(_assume_role_denied(facts, error, trust))
    shell, mine = facts.shell_caller.value, facts.caller.value
    if shell and mine and _canonical(shell.arn) != _canonical(mine.arn):
        findings.append(
            finding(
                FindingCode.IDENTITY_DIFFERS_FROM_SHELL,
                detail=f"kubectl authenticates as {mine.arn} (from the kubeconfig's exec entry), your shell as "
                f"{shell.arn}.",
                evidence={"kubectl": mine.arn, "shell": shell.arn},
            )
        )
    return findings


_AMZ_TIME = re.compile(r"\b(\d{8}T\d{6}Z)\b")


def _clock_refused(facts: Facts, error: AwsCallError) -> Finding:
    """AWS refused the signature for its time: the message names when this machine signed, and AWS's now."""
    times = [
        datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for t in _AMZ_TIME.findall(str(error))
    ]
    signed, aws_now = (times[0], times[-1]) if len(times) >= 2 else (None, None)
    server = facts.server_now
    if signed is not None and aws_now is not None:
        offset = int((aws_now - signed).total_seconds())
        detail = (
            f"AWS refused the signature of profile {facts.target.profile or '(default)'}: this machine signed at "
            f"{signed:%H:%M:%S} UTC, AWS's clock says {aws_now:%H:%M:%S} UTC ({_minutes(offset)} apart): "
            f"{error.code}: {error}"
        )
    else:
        offset = None
        detail = f"AWS refused the signature for its time (this machine's clock): {error.code}: {error}"
    return finding(
        FindingCode.CLOCK_SKEW,
        detail=detail,
        evidence={
            "error": error.code,
            "signedAt": signed.isoformat() if signed else None,
            "awsNow": aws_now.isoformat() if aws_now else None,
            "offsetSeconds": offset,
            "localNow": facts.local_now.isoformat() if facts.local_now else None,
            "serverNow": server.isoformat() if server else None,
        },
        fix=clock_fix(),
    )


def _minutes(seconds: int) -> str:
    return f"{abs(seconds) / 60:.0f} min" if abs(seconds) >= 60 else f"{abs(seconds)} s"


def _assume_role_denied(facts: Facts, error: AwsCallError, trust: Mapping[str, Any] | None) -> Finding:
    """The statement the role's trust policy lacks, and the whole new document to write as the writer."""
    role = facts.target.role_arn or _role_in(str(error)) or ""
    caller = facts.base_caller.value.arn if facts.base_caller.value else _caller_in(str(error))
    name = facts.target.profile or "(default)"
    writer = writer_of(facts)
    statement = {"Effect": "Allow", "Principal": {"AWS": caller or "CALLER_ARN"}, "Action": "sts:AssumeRole"}
    fix: tuple[FixStep, ...]
    if trust is not None and caller and role:
        document = dict(trust)
        statements = document.get("Statement") or []
        document["Statement"] = [*(statements if isinstance(statements, list) else [statements]), statement]
        fix = (
            FixStep(
                text=f"As {writer.who}, add to the trust policy of {role} the statement that lets {caller} assume "
                f"it (the rest of the document is kept as it is): {json.dumps(statement)}",
                plain=(
                    cmd(
                        "aws",
                        "iam",
                        "update-assume-role-policy",
                        "--role-name",
                        role.rsplit("/", 1)[-1],
                        "--policy-document",
                        json.dumps(document, separators=(",", ":")),
                        *(["--profile", writer.profile] if writer.profile else []),
                    ),
                ),
            ),
        )
    else:
        fix = (
            FixStep(
                text=f"Ask the owner of {role or 'the role'} to add this statement to its trust policy: "
                f"{json.dumps(statement)} (doctor reads the current policy with --admin-profile), or use a "
                "profile that may assume it.",
                by_hand=True,
            ),
        )
    return finding(
        FindingCode.ASSUME_ROLE_DENIED,
        detail=f"The role cannot be assumed (profile {name}): {error}",
        evidence={"roleArn": role or None, "profile": name, "caller": caller, "missingStatement": statement},
        fix=fix,
    )


def _caller_in(message: str) -> str | None:
    """The caller ARN in an AccessDenied message ('User: ARN is not authorized to perform: ...')."""
    head, marker, _ = message.partition(" is not authorized")
    return head.rsplit("User: ", 1)[-1].strip() if marker and "User: " in head else None


def _role_in(message: str) -> str | None:
    """The role ARN in an AccessDenied message ('... sts:AssumeRole on resource: ARN')."""
    marker = "on resource: "
    return message.split(marker, 1)[1].strip() if marker in message else None


def _canonical(arn: str) -> str:
    try:
        return canonicalize(arn).lower()
    except InvalidArnError:
        return arn.lower()


def check(ctx: Context) -> list[Finding]:
    return credentials(ctx.facts, *_credential_context(ctx.facts, ctx.ports))


def _credential_context(
    facts: Facts, ports: DoctorPorts
) -> tuple[ProfileCredentials | None, dict[str, Any] | None]:
    """Where the failing credentials come from, and (AssumeRole refused) the role's trust policy as the
    administrator reads it."""
    error = facts.base_caller.error or facts.caller.error
    if facts.options.as_arn or not isinstance(error, AwsCallError):
        return None, None
    profile = ports.describe_profile(facts.target.profile)
    trust = None
    role = facts.target.role_arn or (profile.role_arn if profile.kind is CredentialKind.ASSUME_ROLE else None)
    if (
        error.kind is AwsErrorKind.ACCESS_DENIED
        and role
        and facts.options.admin_profile
        and facts.admin_caller.ok
    ):
        admin = ports.aws(profile=facts.options.admin_profile, region=facts.target.region)
        trust = admin.role_trust_policy(role)
    return profile, trust
