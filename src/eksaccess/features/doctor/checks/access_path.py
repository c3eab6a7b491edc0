"""Checks of the first links: credentials, cluster, network and token.

Each check is a function of the gathered facts returning findings; the most specific finding wins
where two could describe one fault (a token for another cluster name is CLUSTER_NAME_MISMATCH, not
TOKEN_REJECTED).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.adapters.aws_profiles import ProfileCredentials
from eksaccess.adapters.kube import KubeCallError
from eksaccess.domain.arn import InvalidArnError, canonicalize
from eksaccess.domain.sts_answer import is_rejection
from eksaccess.features.doctor.catalog import Code
from eksaccess.features.doctor.checks.credential_fixes import credential_fix
from eksaccess.features.doctor.fixes import cmd, update_kubeconfig_fix
from eksaccess.features.doctor.model import Finding, FixStep
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

SKEW_LIMIT = timedelta(minutes=5)
SLOW_PLUGIN_S = 0.25  # CPU seconds: the aws CLI needs ~0.5 s to start; a cached eksaccess token ~0.05 s


def _profile_flag(facts: Facts) -> list[str]:
    return ["--profile", facts.target.profile] if facts.target.profile else []


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
        if error.kind in (AwsErrorKind.NO_CREDENTIALS, AwsErrorKind.PROFILE_NOT_FOUND):
            findings.append(
                Finding(
                    code=Code.CREDENTIALS_NOT_FOUND,
                    detail=f"Profile {name}: {error}",
                    evidence={"profile": name, "kind": profile.kind.value if profile else None},
                    fix=renew,
                )
            )
        elif error.kind is AwsErrorKind.INVALID_CREDENTIALS:
            findings.append(
                Finding(
                    code=Code.CREDENTIALS_INVALID,
                    detail=f"STS refused the access key of profile {name}: {error.code}: {error}",
                    evidence={
                        "profile": name,
                        "error": error.code,
                        "kind": profile.kind.value if profile else None,
                    },
                    fix=renew,
                )
            )
        elif error.kind is AwsErrorKind.EXPIRED_CREDENTIALS:
            findings.append(
                Finding(
                    code=Code.CREDENTIALS_EXPIRED,
                    detail=f"The session credentials of profile {name} have expired: {error}",
                    evidence={
                        "profile": name,
                        "error": error.code,
                        "kind": profile.kind.value if profile else None,
                    },
                    fix=renew,
                )
            )
        elif error.kind is AwsErrorKind.CLOCK_SKEW:
            findings.append(_clock_refused(facts, error))
        elif error.kind is AwsErrorKind.ACCESS_DENIED:  # GetCallerIdentity is never denied: AssumeRole was
            findings.append(_assume_role_denied(facts, error, trust))
    shell, mine = facts.shell_caller.value, facts.caller.value
    if shell and mine and _canonical(shell.arn) != _canonical(mine.arn):
        findings.append(
            Finding(
                code=Code.IDENTITY_DIFFERS_FROM_SHELL,
                detail=f"kubectl authenticates as {mine.arn} (from the kubeconfig's exec entry), your shell as "
                f"{shell.arn}.",
                evidence={"kubectl": mine.arn, "shell": shell.arn},
            )
        )
    return findings


_AMZ_TIME = re.compile(r"\b(\d{8}T\d{6}Z)\b")


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
    return Finding(
        code=Code.CLOCK_SKEW,
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
    return Finding(
        code=Code.ASSUME_ROLE_DENIED,
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


def cluster(facts: Facts) -> list[Finding]:
    error = facts.cluster.error
    target = facts.target
    name = target.cluster_name or ""
    findings: list[Finding] = []
    if isinstance(error, AwsCallError):
        if error.kind is AwsErrorKind.NOT_FOUND:
            near = ", ".join(f"{n} ({r})" for r, n in facts.near_clusters)
            detail = f"No cluster named {name!r} in region {target.region}."
            if near:
                detail += f" Similar names: {near}."
            findings.append(
                Finding(
                    code=Code.CLUSTER_NOT_FOUND,
                    detail=detail,
                    evidence={
                        "cluster": name,
                        "region": target.region,
                        "near": [list(x) for x in facts.near_clusters],
                    },
                    fix=(
                        FixStep(
                            text="Check the cluster name and region.",
                            plain=(
                                cmd(
                                    "aws",
                                    "eks",
                                    "list-clusters",
                                    "--region",
                                    target.region or "",
                                    *_profile_flag(facts),
                                ),
                            ),
                        ),
                    ),
                )
            )
        elif error.kind is AwsErrorKind.ACCESS_DENIED:
            findings.append(_describe_denied(error))
        return findings
    described = facts.cluster.value
    if described is None:
        return findings
    own = facts.principal_cluster.error  # the administrator read it; the principal itself may not
    if isinstance(own, AwsCallError) and own.kind is AwsErrorKind.ACCESS_DENIED:
        findings.append(_describe_denied(own))
    if described.status not in ("ACTIVE", "UPDATING"):
        findings.append(
            Finding(
                code=Code.CLUSTER_NOT_ACTIVE,
                detail=f"Cluster status is {described.status}.",
                evidence={"status": described.status},
                fix=_not_active_fix(facts, described.status),
            )
        )
    fix = update_kubeconfig_fix(
        cluster=described.name,
        region=described.region,
        profile=target.profile,
        role_arn=target.role_arn,
        kubeconfig=facts.options.kubeconfig,
        alias=target.context,
        user_alias=target.user_name,
    )
    if target.token_cluster_name and target.token_cluster_name != described.name:
        findings.append(
            Finding(
                code=Code.CLUSTER_NAME_MISMATCH,
                detail=f"The exec entry mints tokens for cluster {target.token_cluster_name!r}, but the cluster is "
                f"{described.name!r}; STS then rejects the signature (SignatureDoesNotMatch) and kubectl "
                "sees Unauthorized.",
                evidence={"tokenClusterName": target.token_cluster_name, "clusterName": described.name},
                fix=fix,
            )
        )
    if target.server and described.endpoint and target.server.rstrip("/") != described.endpoint.rstrip("/"):
        findings.append(
            Finding(
                code=Code.ENDPOINT_MISMATCH,
                detail=f"The kubeconfig's server is {target.server}; the cluster's endpoint is {described.endpoint}.",
                evidence={"kubeconfig": target.server, "cluster": described.endpoint},
                fix=fix,
            )
        )
    elif (
        target.ca_data
        and described.certificate_authority_data
        and target.ca_data.strip() != described.certificate_authority_data.strip()
    ):
        findings.append(
            Finding(
                code=Code.CA_MISMATCH,
                detail="The kubeconfig's certificate-authority-data is not the cluster's; kubectl fails with "
                "'x509: certificate signed by unknown authority'.",
                evidence={"kubeconfig": "differs", "cluster": "certificateAuthority.data"},
                fix=fix,
            )
        )
    if target.token_region and target.token_region != described.region:
        findings.append(
            Finding(
                code=Code.REGION_MISMATCH,
                detail=f"The exec entry signs tokens in {target.token_region}; the cluster is in {described.region}.",
                evidence={"tokenRegion": target.token_region, "clusterRegion": described.region},
                fix=fix,
            )
        )
    return findings


def _describe_denied(error: AwsCallError) -> Finding:
    return Finding(
        code=Code.DESCRIBE_CLUSTER_DENIED,
        detail=str(error),
        evidence={"action": "eks:DescribeCluster"},
        fix=(
            FixStep(
                text="Allow eks:DescribeCluster on the cluster in your IAM policy (update-kubeconfig needs it)."
            ),
        ),
    )


def _not_active_fix(facts: Facts, status: str) -> tuple[FixStep, ...]:
    """CREATING: wait until it is ACTIVE; FAILED: read what failed (its health)."""
    where = [
        "--name",
        facts.target.cluster_name or "",
        *(["--region", facts.target.region] if facts.target.region else []),
        *_profile_flag(facts),
    ]
    if status == "CREATING":
        return (
            FixStep(
                text="The cluster is still being created (10-15 minutes): wait until it is ACTIVE, then run kubectl "
                "again.",
                plain=(cmd("aws", "eks", "wait", "cluster-active", *where),),
            ),
        )
    if status == "FAILED":
        return (
            FixStep(
                text="The cluster's creation failed and it cannot be repaired: read what failed (its health "
                "issues), delete it and create it again.",
                plain=(cmd("aws", "eks", "describe-cluster", *where, "--query", "cluster.health"),),
            ),
        )
    return (
        FixStep(
            text=f"The cluster is {status}: see its status and health.",
            plain=(cmd("aws", "eks", "describe-cluster", *where, "--query", "cluster.[status,health]"),),
        ),
    )


def network(facts: Facts, masked: set[Code]) -> list[Finding]:
    """``masked``: the codes found before. A cluster that is not there or not ACTIVE has no endpoint to
    reach: that is a consequence, not a second cause."""
    error = facts.endpoint_version.error
    if not isinstance(error, KubeCallError) or error.status is not None:
        return []
    if masked & {Code.CLUSTER_NOT_ACTIVE, Code.CLUSTER_NOT_FOUND}:
        return []
    server = facts.cluster.value.endpoint if facts.cluster.value else facts.target.server
    if error.tls:
        if Code.CA_MISMATCH in masked:
            return []
        return [Finding(code=Code.TLS_VERIFY_FAILED, detail=str(error), evidence={"server": server})]
    if Code.ENDPOINT_MISMATCH in masked:
        return []
    return [
        Finding(
            code=Code.ENDPOINT_UNREACHABLE,
            detail=str(error),
            evidence={"server": server},
            fix=(
                FixStep(
                    text="Check the endpoint's access (public/private endpoint, security groups, VPN) "
                    "and that the kubeconfig points at the current cluster."
                ),
            ),
        )
    ]


def token(facts: Facts, masked: set[Code]) -> list[Finding]:
    """``masked``: the codes found before; a CLOCK_SKEW among them (AWS refused a signature) is not said twice."""
    findings: list[Finding] = []
    if (
        Code.CLOCK_SKEW not in masked
        and facts.server_now
        and facts.local_now
        and abs(facts.server_now - facts.local_now) > SKEW_LIMIT
    ):
        findings.append(
            Finding(
                code=Code.CLOCK_SKEW,
                detail=f"This machine's clock is {facts.local_now:%H:%M:%S} UTC, the server's {facts.server_now:%H:%M:%S} "
                "UTC; tokens are judged by the server's clock.",
                fix=clock_fix(),
            )
        )
    rejected_by_sts = facts.token_sts is not None and is_rejection(*facts.token_sts)
    if Code.CLUSTER_NAME_MISMATCH in masked:
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
            Finding(
                code=Code.TOKEN_REJECTED,
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


def exec_plugin(facts: Facts) -> list[Finding]:
    """kubectl pays the aws CLI's start-up on every command: say so, with the measured time."""
    run, target = facts.exec_run, facts.target
    if run is None or not run.ok or run.cpu_seconds < SLOW_PLUGIN_S or not target.cluster_name:
        return []
    spent, before = ("spent", "to print") if run.finished else ("had spent", "and not yet printed")
    switch = cmd(
        "eksaccess",
        "kubeconfig",
        "--cluster",
        target.cluster_name,
        *(["--region", target.region] if target.region else []),
        *_profile_flag(facts),
        *(["--role-arn", target.role_arn] if target.role_arn else []),
        *(["--alias", target.context] if target.context else []),
        *(["--kubeconfig", facts.options.kubeconfig] if facts.options.kubeconfig else []),
        "--exec",
        "eksaccess",
    )
    return [
        Finding(
            code=Code.EXEC_PLUGIN_SLOW,
            detail=f"`{target.exec_command} eks get-token` {spent} {run.cpu_seconds:.2f} s of CPU {before} a token, "
            "and kubectl runs it for every command. `eksaccess token` answers from its cache in a few "
            "hundredths of a second.",
            evidence={
                "pluginCpuSeconds": round(run.cpu_seconds, 3),
                "pluginFinished": run.finished,
                "command": target.exec_command,
            },
            fix=(
                FixStep(
                    text="Point the exec entry at `eksaccess token` (same identity, same token format; "
                    "a cached token is reused while more than a minute of it is left).",
                    eksaccess=(switch,),
                ),
            ),
        )
    ]


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
