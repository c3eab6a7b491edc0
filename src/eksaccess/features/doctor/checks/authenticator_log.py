"""The cluster's own word: the authenticator's log. With the control-plane log type ``authenticator`` on,
EKS writes a line for each token the cluster maps or refuses (CloudWatch Logs, ``/aws/eks/NAME/cluster``,
streams ``authenticator-*``): the ARN the authenticator saw and its decision. doctor reads the last minutes
for this principal (logs:FilterLogEvents) and quotes the line.

A quoted line is the cluster's answer, not an inference: it replaces MAPPING_UNVERIFIED (the mapping
could not be read, yet the cluster said what it made of the principal) and confirms NOT_MAPPED. When the
mapping could not be read and the log is off, the command that turns it on is printed."""

from __future__ import annotations

import json

from eksaccess.domain.authenticator_log import LOG_TYPE, AuthenticatorLine, decision_for, log_group
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
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd, opt
from eksaccess.features.doctor.probe import Facts

ENABLE = {"clusterLogging": [{"types": [LOG_TYPE], "enabled": True}]}

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.AUTHENTICATOR_LOG_LINE,
        link=Link.MAPPING,
        severity=Severity.INFO,
        title="The authenticator's log line for this principal",
        why="The cluster logs what its authenticator made of each token (the ARN it saw, access granted with "
        "the username and groups, or access denied and why): the mapping's outcome, read, not inferred.",
        fix="none (it makes the mapping findings exact: MAPPING_UNVERIFIED is replaced, NOT_MAPPED confirmed)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.AUTHENTICATOR_LOG_OFF,
        link=Link.MAPPING,
        severity=Severity.INFO,
        title="The authenticator's log is off",
        why="The mapping could not be read; with control-plane logging of type authenticator on, the cluster "
        "would say what it made of this principal's token.",
        fix='`aws eks update-cluster-config --logging \'{"clusterLogging":[{"types":["authenticator"],'
        '"enabled":true}]}\'` (CloudWatch Logs charges apply), then doctor again',
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def logged_line(ctx: Context) -> AuthenticatorLine | None:
    """The authenticator's latest line for the diagnosed principal, when its log could be read."""
    lines = ctx.facts.authenticator_log.value
    arn = ctx.resolution.principal_arn if ctx.resolution else None
    return None if lines is None or arn is None else decision_for(lines, _canonical(arn))


def check(ctx: Context) -> list[Finding]:
    """The line quoted (the mapping findings read it too: see mapping_unread), or the log to turn on when
    nothing said what the cluster made of the principal."""
    line = logged_line(ctx)
    if line is not None and ctx.resolution is not None:
        return [_quoted(ctx.facts, line, ctx.resolution.principal_arn)]
    if ctx.facts.authenticator_log.value is None and _unverified(ctx) and _logging_off(ctx.facts):
        return [_off(ctx.facts)]
    return []


def _canonical(arn: str) -> str:
    try:
        return parse_principal(arn).mapping_arn
    except InvalidArnError:
        return arn


def _unverified(ctx: Context) -> bool:
    return any(f.code is FindingCode.MAPPING_UNVERIFIED for f in ctx.findings)


def _logging_off(facts: Facts) -> bool:
    cluster = facts.cluster.value
    return cluster is not None and cluster.logging_on is not None and LOG_TYPE not in cluster.logging_on


def _quoted(facts: Facts, line: AuthenticatorLine, arn: str) -> Finding:
    cluster = facts.target.cluster_name or ""
    if line.granted:
        said = (
            f"access granted: username {line.username!r}, groups [{', '.join(line.groups)}]"
            if line.groups
            else f"access granted: username {line.username!r}, no groups"
        )
    else:
        said = f"access denied: {line.error}"
    return finding(
        FindingCode.AUTHENTICATOR_LOG_LINE,
        detail=f"The authenticator of {cluster} logged for {line.arn}: {said}.\n  {line.text}",
        subject=arn,
        evidence={
            "line": line.text,
            "arn": line.arn,
            "decision": line.msg,
            "error": line.error,
            "username": line.username,
            "groups": list(line.groups),
            "logGroup": log_group(cluster),
        },
    )


def _off(facts: Facts) -> Finding:
    cluster = facts.target.cluster_name or ""
    described = facts.cluster.value
    region = described.region if described else facts.target.region
    profile = facts.options.admin_profile or facts.target.profile
    flags = [*opt("--region", region), *opt("--profile", profile)]
    return finding(
        FindingCode.AUTHENTICATOR_LOG_OFF,
        detail=f"The mapping could not be read, and {cluster} does not log its authenticator: turn the log on "
        "(needs eks:UpdateClusterConfig; CloudWatch Logs charges apply) and run doctor again to read what the "
        "cluster makes of this principal (logs:FilterLogEvents).",
        fix=(
            FixStep(
                text="Turn on the cluster's authenticator log (its lines start with the next token).",
                plain=(
                    cmd(
                        "aws",
                        "eks",
                        "update-cluster-config",
                        "--name",
                        cluster,
                        "--logging",
                        json.dumps(ENABLE, separators=(",", ":")),
                        *flags,
                    ),
                ),
            ),
        ),
    )
