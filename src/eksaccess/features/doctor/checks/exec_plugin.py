"""kubectl pays the exec plugin's start-up on every command: the measured cost, and the switch to a cache."""

from __future__ import annotations

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
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import profile_flag

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.EXEC_PLUGIN_SLOW,
        link=Link.KUBECONFIG,
        severity=Severity.INFO,
        title="Every kubectl command waits for the aws CLI to start",
        why="kubectl runs the exec plugin for each command and keeps the token only for itself; the aws CLI's start-up dominates that time. `eksaccess token` reuses a valid token from a 0600 cache.",
        fix="`eksaccess kubeconfig --cluster C --alias CONTEXT --exec eksaccess`",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding

SLOW_PLUGIN_S = 0.25  # CPU seconds: the aws CLI needs ~0.5 s to start; a cached eksaccess token ~0.05 s


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
        *profile_flag(facts),
        *(["--role-arn", target.role_arn] if target.role_arn else []),
        *(["--alias", target.context] if target.context else []),
        *(["--kubeconfig", facts.options.kubeconfig] if facts.options.kubeconfig else []),
        "--exec",
        "eksaccess",
    )
    return [
        finding(
            FindingCode.EXEC_PLUGIN_SLOW,
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


def check(ctx: Context) -> list[Finding]:
    return exec_plugin(ctx.facts)
