"""doctor --fix with --admin-profile: the cluster-side repairs, as the eksaccess form of each fix prints them.

Each command goes through the same plan/apply engine as when a person pastes it (the plan is shown first,
the lock-out guard holds, the change is recorded in the history and can be rolled back). Only eksaccess's
own writing commands are run, in the order printed, and the first that fails stops the rest.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eksaccess.domain.findings import Severity
from eksaccess.features.doctor.model import Report

CLUSTER_VERBS = frozenset({"grant", "revoke", "repair"})


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandRun:
    command: str
    exit_code: int


def cluster_commands(report: Report) -> list[list[str]]:
    """The eksaccess-form cluster-side commands of the error and warning findings, in order, once each."""
    seen: set[str] = set()
    out: list[list[str]] = []
    for finding in report.findings:
        if finding.severity is Severity.INFO:
            continue
        for step in finding.fix:
            if step.by_hand:
                continue
            for command in step.eksaccess:
                argv = shlex.split(command)
                if (
                    len(argv) > 1
                    and argv[0] == "eksaccess"
                    and argv[1] in CLUSTER_VERBS
                    and command not in seen
                ):
                    seen.add(command)
                    out.append(argv[1:])
    return out


def apply_cluster_fixes(report: Report, run: Callable[[Sequence[str]], int]) -> list[CommandRun]:
    """Run each command with ``run`` (argv without the program name -> exit code); stop at a failure."""
    done: list[CommandRun] = []
    for argv in cluster_commands(report):
        code = run(argv)
        done.append(CommandRun(command=shlex.join(["eksaccess", *argv]), exit_code=code))
        if code != 0:
            break
    return done
