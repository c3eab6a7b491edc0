"""doctor against the manual procedure it replaces, on a sandbox with 50 ms of latency per request.

    .venv/bin/python bench/bench_doctor.py [--latency-ms 50] [--doctor-runs 3] [--manual-runs 2] [--json FILE]

Scenario "developer-locked-out" (the developer's role has no access entry). Both sides answer the same
questions: who am I, does the cluster exist and where, which access entries exist and what does the
developer's one say (and its policies), what aws-auth maps, who does the cluster think I am, can I get pods.

* doctor: ``eksaccess doctor --context developer --admin-profile admin --verb get --resource pods -n dev``
  as one process (start-up included).
* manual: the seed's sequence, each step its own ``aws`` or ``kubectl`` process, one after the other, as a
  person types them (``aws sts get-caller-identity``, ``aws eks describe-cluster``, ``list-access-entries``,
  ``describe-access-entry``, ``list-associated-access-policies``, ``kubectl get configmap aws-auth``,
  ``kubectl auth whoami``, ``kubectl auth can-i get pods``, ``kubectl get pods``).

Every request that reaches the sandbox (AWS and Kubernetes side, the Kubernetes side's own STS calls
included) is recorded with its start time. doctor's critical path is the longest chain of dependent calls
times the latency: calls are grouped into rounds, a call that starts before every call of the current round
has had its latency is concurrent with them; the number of rounds is the chain's length. Reports the
medians, the ratio manual / doctor (goal: >= 10, issue 17) and doctor's wall time / critical path (goal: <= 1.5), also
for the network phase alone (first call to last answer).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/developer"
REGION = "us-west-2"


class CallLog:
    """Wraps the sandbox's FaultInjector: every request of either side passes through before_request."""

    def __init__(self, injector: Any) -> None:
        self.calls: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        inner = injector.before_request

        def record(service: str) -> Any:
            with self._lock:
                self.calls.append((time.monotonic(), service))
            return inner(service)

        injector.before_request = record

    def window(self, start: float, end: float) -> list[tuple[float, str]]:
        with self._lock:
            return sorted(c for c in self.calls if start <= c[0] <= end)


def rounds(calls: list[tuple[float, str]], latency: float) -> int:
    """Length of the chain of dependent calls: a call starting within ``latency`` of its round's first call
    was issued without waiting for that round's answers, so it belongs to the same round."""
    count, round_start = 0, None
    for at, _ in calls:
        if round_start is None or at >= round_start + latency:
            count += 1
            round_start = at
    return count


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    return time.monotonic() - start, proc.returncode, proc.stderr[-300:]


def manual_steps(sb: Any, kubectl: str | None) -> list[tuple[str, list[str], str]]:
    aws = str(Path(sys.executable).parent / "aws")
    eks = [aws, "--region", REGION, "eks"]
    steps = [
        ("developer", [aws, "sts", "get-caller-identity"], "aws"),
        ("developer", [*eks, "describe-cluster", "--name", "demo"], "aws"),
        ("admin", [*eks, "list-access-entries", "--cluster-name", "demo"], "aws"),
        ("admin", [*eks, "describe-access-entry", "--cluster-name", "demo", "--principal-arn", ROLE], "aws"),
        (
            "admin",
            [*eks, "list-associated-access-policies", "--cluster-name", "demo", "--principal-arn", ROLE],
            "aws",
        ),
    ]
    if kubectl:
        kc = [kubectl, "--kubeconfig", str(sb.kubeconfig)]
        steps += [
            (
                "admin",
                [
                    *kc,
                    "--context",
                    "admin",
                    "get",
                    "configmap",
                    "aws-auth",
                    "-n",
                    "kube-system",
                    "-o",
                    "yaml",
                ],
                "kubectl",
            ),
            ("developer", [*kc, "--context", "developer", "auth", "whoami"], "kubectl"),
            (
                "developer",
                [*kc, "--context", "developer", "auth", "can-i", "get", "pods", "-n", "dev"],
                "kubectl",
            ),
            ("developer", [*kc, "--context", "developer", "get", "pods", "-n", "dev"], "kubectl"),
        ]
    return steps


def run(latency_ms: int, doctor_runs: int, manual_runs: int) -> dict[str, Any]:
    from eksaccess.sandbox.testing import running_sandbox

    kubectl = shutil.which("kubectl")
    latency = latency_ms / 1000
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(Path(tmp), "developer-locked-out", latency_ms=latency_ms) as sb,
    ):
        assert sb.server is not None and sb.server.ctx is not None
        log = CallLog(sb.server.ctx.faults)
        home = Path(tmp) / "home"
        home.mkdir()
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

        def env(profile: str | None) -> dict[str, str]:
            out = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", **sb.env_for(profile)}
            if profile is None:
                out.pop("AWS_PROFILE", None)
            return out

        doctor_argv = [
            sys.executable, "-m", "eksaccess.cli.main", "doctor", "--kubeconfig", str(sb.kubeconfig),
            "--context", "developer", "--admin-profile", "admin", "--verb", "get", "--resource", "pods", "-n", "dev",
        ]  # fmt: skip
        timed(doctor_argv, env(None), Path(tmp))  # warm the OS caches once, not measured
        doctor: list[dict[str, Any]] = []
        for _ in range(doctor_runs):
            start = time.monotonic()
            seconds, code, err = timed(doctor_argv, env(None), Path(tmp))
            calls = log.window(start, start + seconds)
            network = (calls[-1][0] - calls[0][0] + latency) if calls else 0.0
            doctor.append(
                {
                    "seconds": seconds,
                    "exit": code,
                    "calls": len(calls),
                    "rounds": rounds(calls, latency),
                    "networkSeconds": network,
                }
            )
        manual: list[dict[str, Any]] = []
        steps = manual_steps(sb, kubectl)
        for _ in range(manual_runs):
            start = time.monotonic()
            per_step = []
            for profile, argv, _tool in steps:
                seconds, code, _ = timed(argv, env(profile), Path(tmp))
                per_step.append(
                    {
                        "command": " ".join(a for a in argv[1:] if not a.startswith("/"))[:80],
                        "seconds": round(seconds, 2),
                        "exit": code,
                    }
                )
            total = time.monotonic() - start
            manual.append(
                {"seconds": total, "calls": len(log.window(start, start + total)), "steps": per_step}
            )
    d_median = statistics.median(r["seconds"] for r in doctor)
    m_median = statistics.median(r["seconds"] for r in manual)
    d_rounds = statistics.median(r["rounds"] for r in doctor)
    critical = d_rounds * latency
    network = statistics.median(r["networkSeconds"] for r in doctor)
    return {
        "latencyMs": latency_ms,
        "kubectl": bool(kubectl),
        "doctor": doctor,
        "manual": manual,
        "doctorMedianSeconds": round(d_median, 2),
        "manualMedianSeconds": round(m_median, 2),
        "speedup": round(m_median / d_median, 2),
        "speedupGoal": 5.0,
        "doctorCalls": statistics.median(r["calls"] for r in doctor),
        "doctorRounds": d_rounds,
        "criticalPathSeconds": round(critical, 3),
        "wallOverCriticalPath": round(d_median / critical, 2) if critical else None,
        "networkPhaseSeconds": round(network, 3),
        "networkOverCriticalPath": round(network / critical, 2) if critical else None,
        "criticalPathGoal": 1.5,
        "manualCalls": statistics.median(r["calls"] for r in manual),
    }


def table(r: dict[str, Any]) -> str:
    ok: Callable[[bool], str] = lambda good: "met" if good else "MISSED"  # noqa: E731
    lines = [
        f"sandbox latency {r['latencyMs']} ms per request; kubectl {'present' if r['kubectl'] else 'absent (manual side: aws steps only)'}",
        "",
        "| measure | value | goal |",
        "|---|---:|---|",
        f"| doctor, median wall time (one process) | {r['doctorMedianSeconds']} s | |",
        f"| manual procedure, median wall time ({len(r['manual'][0]['steps'])} processes) | {r['manualMedianSeconds']} s | |",
        f"| manual / doctor | {r['speedup']}x | >= 10x: {ok(r['speedup'] >= 10)} |",
        f"| doctor's calls to the sandbox / rounds of dependent calls | {r['doctorCalls']:g} / {r['doctorRounds']:g} | |",
        f"| doctor's critical path (rounds x latency) | {r['criticalPathSeconds']} s | |",
        f"| doctor wall time / critical path | {r['wallOverCriticalPath']}x | <= 1.5x: {ok((r['wallOverCriticalPath'] or 99) <= 1.5)} |",
        f"| doctor network phase (first call to last answer) / critical path | {r['networkOverCriticalPath']}x | (context) |",
        f"| manual procedure's calls to the sandbox | {r['manualCalls']:g} | |",
        "",
        "manual steps (last run): "
        + "; ".join(f"{s['command']} {s['seconds']} s" for s in r["manual"][-1]["steps"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--doctor-runs", type=int, default=3)
    parser.add_argument("--manual-runs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.latency_ms, args.doctor_runs, args.manual_runs)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
