"""The token link: is the token well formed and accepted by STS, and are the clocks close enough?"""

from __future__ import annotations

from datetime import timedelta

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
from eksaccess.domain.sts_answer import is_rejection
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.probe import Facts

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.TOKEN_REJECTED,
        link=Link.TOKEN,
        severity=Severity.ERROR,
        title="The cluster rejects the token",
        why="The token is malformed, expired or its signature does not verify at STS.",
        fix="mint tokens with an exec entry (`aws eks update-kubeconfig --alias CONTEXT`) instead of a static token",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CLOCK_SKEW,
        link=Link.TOKEN,
        severity=Severity.ERROR,
        title="Your clock is off",
        why="Tokens are valid 15 minutes from their signing time by the server's clock.",
        fix="synchronize the clock (NTP), by hand",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding

SKEW_LIMIT = timedelta(minutes=5)


def clock_fix() -> tuple[FixStep, ...]:
    return (
        FixStep(
            text="Synchronize this machine's clock (NTP): on Linux turn NTP on as below; on macOS, System Settings "
            "> General > Date & Time > Set time and date automatically. Tokens and AWS signatures are judged by "
            "the server's clock.",
            plain=("sudo timedatectl set-ntp true",),
            by_hand=True,
        ),
    )


def token(facts: Facts, masked: set[FindingCode]) -> list[Finding]:
    """``masked``: the codes found before; a CLOCK_SKEW among them (AWS refused a signature) is not said twice."""
    findings: list[Finding] = []
    if (
        FindingCode.CLOCK_SKEW not in masked
        and facts.server_now
        and facts.local_now
        and abs(facts.server_now - facts.local_now) > SKEW_LIMIT
    ):
        findings.append(
            finding(
                FindingCode.CLOCK_SKEW,
                detail=f"This machine's clock is {facts.local_now:%H:%M:%S} UTC, the server's {facts.server_now:%H:%M:%S} "
                "UTC; tokens are judged by the server's clock.",
                fix=clock_fix(),
            )
        )
    rejected_by_sts = facts.token_sts is not None and is_rejection(*facts.token_sts)
    if FindingCode.CLUSTER_NAME_MISMATCH in masked:
        return findings
    if facts.token_format_error or rejected_by_sts:
        detail = (
            f"input token was not properly formatted: {facts.token_format_error}"
            if facts.token_format_error
            else f"sts getCallerIdentity failed: error from AWS (expected 200, got {facts.token_sts[0]})"
            if facts.token_sts
            else ""
        )
        findings.append(
            finding(
                FindingCode.TOKEN_REJECTED,
                detail=detail,
                evidence={"stsStatus": facts.token_sts[0] if facts.token_sts else None},
                fix=(
                    FixStep(
                        text="Mint tokens with aws eks get-token (no static --token), "
                        "and keep the clock right."
                    ),
                ),
            )
        )
    return findings


def check(ctx: Context) -> list[Finding]:
    return token(ctx.facts, ctx.codes())
