"""Run every benchmark and write docs/benchmarks.md (what ``make bench`` does).

    .venv/bin/python bench/run.py [--only NAME ...] [--out docs/benchmarks.md]

Each benchmark is its own process with its own time bound; one that is missing (not built yet), fails or
runs out of time is reported as such and the others still run. Any ``bench/bench_*.py`` not listed below is
run too, with no arguments. The record: the machine (nproc, memory, CPU model, Python), the date, the goals
with the measured figures (met or MISSED, plainly), then each benchmark's own report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True, kw_only=True)
class Bench:
    name: str
    script: str
    what: str
    args: tuple[str, ...] = ()
    timeout: float = 600.0
    json: bool = False  # takes --json FILE (structured figures for the goals table)


BENCHES = [
    Bench(
        name="authorize",
        script="bench_authorize.py",
        what="authorization engine on a large synthetic cluster (can-i, who-can)",
        timeout=600,
    ),
    Bench(
        name="kube",
        script="bench_kube.py",
        what="one sandbox cluster's Kubernetes API, authenticated GETs",
        args=("--seconds", "5"),
        timeout=180,
    ),
    Bench(
        name="token",
        script="bench_token.py",
        what="eksaccess token (caching exec plugin) vs aws eks get-token",
        timeout=600,
        json=True,
    ),
    Bench(
        name="audit", script="bench_audit.py", what="audit of a cluster and a fleet", timeout=900, json=True
    ),
    Bench(
        name="load",
        script="bench_load.py",
        what="both sandbox sides under concurrent allowed/denied load",
        args=("--seconds", "5", "--clients", "8"),
        timeout=300,
        json=True,
    ),
    Bench(
        name="fuzz",
        script="bench_fuzz.py",
        what="10,000+ generated inputs per parser and HTTP handler",
        args=("--inputs", "10000", "--seconds", "1800"),
        timeout=2700,
        json=True,
    ),
    Bench(
        name="awsauth-edit",
        script="bench_awsauth_edit.py",
        what="aws-auth edits on a map of 5,000 entries",
        args=("--entries", "5000", "--reps", "7", "--budget", "300"),
        timeout=900,
        json=True,
    ),
    Bench(
        name="doctor",
        script="bench_doctor.py",
        what="doctor vs the manual aws/kubectl procedure at 50 ms latency",
        args=("--latency-ms", "50"),
        timeout=900,
        json=True,
    ),
    Bench(
        name="who-can-assume",
        script="bench_who_can_assume.py",
        what="who-can-assume on 5,000 principals, 500 service accounts, 200 roles",
        timeout=900,
        json=True,
    ),
    Bench(
        name="help",
        script="bench_help.py",
        what="--help and a usage error of every command, against eksaccess --help",
        timeout=600,
        json=True,
    ),
]


@dataclass(kw_only=True)
class Result:
    bench: Bench
    status: str  # ok / failed (exit N) / timed out / not built
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    data: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def discover() -> list[Bench]:
    listed = {b.script for b in BENCHES}
    others = sorted(p.name for p in BENCH.glob("bench_*.py") if p.name not in listed)
    return BENCHES + [
        Bench(name=n.removeprefix("bench_").removesuffix(".py"), script=n, what="(found in bench/)")
        for n in others
    ]


def run_one(bench: Bench) -> Result:
    script = BENCH / bench.script
    if not script.is_file():
        return Result(bench=bench, status="not built yet")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        argv = [sys.executable, str(script), *bench.args, *(["--json", str(out)] if bench.json else [])]
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=bench.timeout)
        except subprocess.TimeoutExpired as err:
            text = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
            return Result(
                bench=bench, status=f"timed out after {bench.timeout:g} s", seconds=bench.timeout, stdout=text
            )
        seconds = time.monotonic() - start
        data = json.loads(out.read_text(encoding="utf-8")) if bench.json and out.is_file() else None
    status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    return Result(
        bench=bench, status=status, seconds=seconds, stdout=proc.stdout, stderr=proc.stderr, data=data
    )


def machine() -> list[str]:
    def cpu_model() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or "unknown"

    def memory() -> str:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        except OSError:
            pass
        return "unknown"

    return [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {memory()} memory, {cpu_model()}",
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
    ]


def goals(results: dict[str, Result]) -> list[str]:
    rows = ["| goal | measured | verdict |", "|---|---|---|"]

    def add(goal: str, measured: str, met: bool | None) -> None:
        rows.append(
            f"| {goal} | {measured} | {'met' if met else 'not measured' if met is None else 'MISSED'} |"
        )

    doctor = results.get("doctor")
    if doctor and doctor.data:
        d = doctor.data
        add(
            "doctor at least 10x faster than the manual procedure",
            f"{d['speedup']}x ({d['manualMedianSeconds']} s vs {d['doctorMedianSeconds']} s)",
            d["speedup"] >= 10,
        )
        add(
            "doctor's wall time within 1.5x of its critical path",
            f"{d['wallOverCriticalPath']}x ({d['doctorMedianSeconds']} s vs {d['doctorRounds']:g} rounds x {d['latencyMs']} ms = {d['criticalPathSeconds']} s; network phase alone {d['networkOverCriticalPath']}x)",
            (d["wallOverCriticalPath"] or 99) <= 1.5,
        )
    else:
        add(
            "doctor at least 5x faster / within 1.5x of its critical path",
            doctor.status if doctor else "not run",
            None,
        )
    edit = results.get("awsauth-edit")
    if edit and edit.data:
        e = edit.data
        worst = max(e["edits"], key=lambda r: r["medianMs"])
        add(
            f"every aws-auth edit under 50 ms on {e['entries']} entries (median of its runs)",
            f"slowest: {worst['edit']} {worst['medianMs']} ms (max {worst['maxMs']} ms)",
            e["allUnderGoal"],
        )
        add(
            "aws-auth edits byte-stable",
            "every check passed" if e["byteStable"] else "; ".join(e["failures"]),
            e["byteStable"],
        )
    else:
        add("aws-auth edits under 50 ms and byte-stable", edit.status if edit else "not run", None)
    audit = results.get("audit")
    a = audit.data if audit and audit.data else {}
    if "audit" in a:
        add(
            f"full audit of {a['audit']['principals']} principals under 10 s",
            f"{a['audit']['seconds']} s",
            a["audit"]["seconds"] < 10,
        )
    if "auditCli" in a:
        c = a["auditCli"]
        add(
            "`eksaccess audit` from files (JSON) under 10 s and within 1.5x of the in-process audit",
            f"{c['seconds']} s, {c['ratio']}x ({c['inProcessSeconds']} s in process; CPU {c['cpuRatio']}x)",
            c["seconds"] < 10 and c["ratio"] <= 1.5,
        )
    if "fleet" in a:
        f = a["fleet"]
        add(
            f"fleet of {f['clusters']} clusters in {f['regions']} regions within 1.5x of the concurrency floor",
            f"{f['ratio']}x ({f['wallSeconds']} s vs {f['floorSeconds']} s; CPU of both sides "
            f"{f['cpuSeconds']} s on {f['cores']} cores: {f['ratioToCpuBound']}x of what that allows)",
            f["ratio"] <= 1.5 and not f["failed"],
        )
    if "sar" in a:
        s = a["sar"]
        add(
            "engine equals SubjectAccessReview and is at least 100x faster",
            f"{s['equal']} / {s['questions']} equal, {s['speedup']}x",
            s["equal"] == s["questions"] and s["speedup"] >= 100,
        )
    if not a:
        add("audit speed, fleet, engine vs server", audit.status if audit else "not run", None)
    token = results.get("token")
    if token and token.data:
        t = token.data
        add(
            "`eksaccess token` cache hit under 0.1 s of plugin time",
            f"{t['plugin/eksaccess-hit'] * 1000:.0f} ms (aws eks get-token {t['plugin/aws'] * 1000:.0f} ms); "
            f"kubectl get configmaps {t['kubectl/aws'] / t['kubectl/eksaccess']:.2f}x faster",
            t["plugin/eksaccess-hit"] < 0.1,
        )
    else:
        add("`eksaccess token` cache hit under 0.1 s", token.status if token else "not run", None)
    load = results.get("load")
    if load and load.data:
        for side in load.data:
            bad = ", ".join(f"{k}: {v}" for k, v in side["unexpected"].items()) or "none"
            add(
                f"{side['side']} side under load: no errors but the expected 401/403",
                f"{side['requestsPerSecond']} req/s, p99 {side['p99ms']} ms, unexpected: {bad}",
                not side["unexpected"],
            )
    helps = results.get("help")
    if helps and helps.data:
        h = helps.data
        add(
            f"every --help and usage error within {h['goalRatio']}x of `eksaccess --help`",
            f"slowest: {h['worstCommand']} {h['worstRatio']:.2f}x (eksaccess --help {h['baselineSeconds'] * 1000:.0f} ms)",
            h["worstRatio"] <= h["goalRatio"],
        )
    else:
        add("every --help within 1.5x of `eksaccess --help`", helps.status if helps else "not run", None)
    assume = results.get("who-can-assume")
    if assume and assume.data:
        w = assume.data
        add(
            f"who-can-assume on {w['principals']} principals, {w['serviceAccounts']} service accounts and "
            f"{w['roles']} roles, warm, under 1 s (median of a new role each time)",
            f"median {w['warmMedianSeconds'] * 1000:.0f} ms (p90 {w['warmP90Seconds'] * 1000:.0f}, "
            f"max {w['warmMaxSeconds'] * 1000:.0f}; CPU median {w.get('warmMedianCpuSeconds', 0) * 1000:.0f} ms; "
            f"load {w.get('loadAverage', '?')}; ~{w['medianPaths']:.0f} paths)",
            w["warmMedianSeconds"] < 1,
        )
    else:
        add("who-can-assume under 1 s", assume.status if assume else "not run", None)
    fuzz = results.get("fuzz")
    if fuzz and fuzz.data:
        hyp = [o for o in fuzz.data if o["engine"] == "hypothesis"]
        short = [o["target"] for o in hyp if o["inputs"] < 10_000]
        found = sum(len(o["findings"]) for o in fuzz.data)
        measured = f"{len(hyp)} targets, {min(o['inputs'] for o in hyp)}-{max(o['inputs'] for o in hyp)} inputs each; {found} findings"
        add(
            "10,000+ fuzz inputs per parser, no finding",
            measured + (f"; under 10,000: {', '.join(short)}" if short else ""),
            not short and not found,
        )
    return rows


def run_row(r: Result) -> str:
    return f"| {r.bench.script} | {r.bench.what} | {r.status} | {r.seconds:.0f} |"


def section(r: Result) -> list[str]:
    out = [f"## {r.bench.script}", ""]
    if r.status == "not built yet":
        return [*out, f"Not run: bench/{r.bench.script} does not exist yet."]
    out.append(f"`python bench/{r.bench.script} {' '.join(r.bench.args)}`: {r.status}, {r.seconds:.0f} s")
    out.append("")
    body = r.stdout.strip() or "(no output)"
    out += body.splitlines() if body.lstrip().startswith("|") or "\n|" in body else ["```", body, "```"]
    if r.status != "ok" and r.stderr.strip():
        out += ["", "stderr (last lines):", "", "```", *r.stderr.strip().splitlines()[-15:], "```"]
    return out


def render(results: list[Result]) -> str:
    by_name = {r.bench.name: r for r in results}
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`); every figure below comes from this one run.",
        "",
    ]
    out += machine() + ["", "## Goals", ""] + goals(by_name) + ["", "## Runs", ""]
    out += ["| benchmark | what | status | seconds |", "|---|---|---|---:|"]
    out += [run_row(r) for r in results]
    for r in results:
        out += ["", *section(r)]
    return "\n".join(out) + "\n"


def merge(existing: str, results: list[Result]) -> str:
    """``existing`` with only the rows and sections of ``results`` replaced (``--only``): the goals they
    measure, their row of the runs table, their own section. The rest stays as the last full run wrote it."""
    lines = existing.splitlines()
    measured = [row for row in goals({r.bench.name: r for r in results})[2:] if " | not run | " not in row]
    fresh_goals = {row.split(" | ")[0]: row for row in measured}
    fresh_rows = {f"| {r.bench.script} |": run_row(r) for r in results}
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith("## "):
            skipping = False
            fresh = next((r for r in results if line == f"## {r.bench.script}"), None)
            if fresh is not None:
                out += [*section(fresh), ""]
                skipping = True
                continue
        if skipping:
            continue
        goal = fresh_goals.pop(line.split(" | ")[0], None) if line.startswith("| ") else None
        row = next((new for prefix, new in fresh_rows.items() if line.startswith(prefix)), None)
        out.append(goal or row or line)
    if fresh_goals:  # goals the last full run did not have: at the top of the goals table
        at = out.index("| goal | measured | verdict |") + 2
        out[at:at] = list(fresh_goals.values())
    new = [r for r in results if f"## {r.bench.script}" not in lines]  # benches the last full run lacked
    if new:
        rows = [i for i, line in enumerate(out) if line.startswith("| bench_")]
        at = rows[-1] + 1 if rows else len(out)
        out[at:at] = [run_row(r) for r in new]
        for r in new:
            out += ["", *section(r)]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    results = []
    for bench in discover():
        if args.only and bench.name not in args.only:
            continue
        print(f"bench: {bench.script} ...", file=sys.stderr, flush=True)
        result = run_one(bench)
        print(f"bench: {bench.script}: {result.status} ({result.seconds:.0f} s)", file=sys.stderr, flush=True)
        results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = bool(args.only) and args.out.is_file()
    text = merge(args.out.read_text(encoding="utf-8"), results) if partial else render(results)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
