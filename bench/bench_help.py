"""Start-up of ``--help`` and of usage errors, for every command, against ``eksaccess --help``.

    .venv/bin/python bench/bench_help.py [--runs 7] [--json FILE]

Runs the console script (``eksaccess``, beside this interpreter) as a user does: ``eksaccess --help``, then
for each command ``eksaccess COMMAND --help`` and one usage error (``eksaccess COMMAND --no-such-option``,
exit 2). The variants are run in rounds (every variant once per round, one untimed warm-up round first), so
that the machine's noise falls on all of them alike. Reports the median wall time of each and its ratio to
the median of ``eksaccess --help`` (goal: every ratio at most 1.5). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eksaccess.cli.main import COMMANDS

EKSACCESS = str(Path(sys.executable).parent / "eksaccess")
GOAL_RATIO = 1.5
BASELINE = ("--help",)


def variants() -> dict[tuple[str, ...], int]:
    """argv -> the exit code it must end with."""
    found: dict[tuple[str, ...], int] = {BASELINE: 0}
    for name in sorted(COMMANDS):
        found[(name, "--help")] = 0
        found[(name, "--no-such-option")] = 2
    return found


def run_once(argv: tuple[str, ...], code: int) -> float:
    start = time.perf_counter()
    done = subprocess.run([EKSACCESS, *argv], capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != code:
        raise SystemExit(f"eksaccess {' '.join(argv)}: exit {done.returncode}, not {code}")
    return elapsed


def measure(runs: int) -> dict[tuple[str, ...], float]:
    table = variants()
    times: dict[tuple[str, ...], list[float]] = {argv: [] for argv in table}
    for round_ in range(runs + 1):
        for argv, code in table.items():
            elapsed = run_once(argv, code)
            if round_:
                times[argv].append(elapsed)
    return {argv: statistics.median(values) for argv, values in times.items()}


@dataclass(frozen=True, kw_only=True)
class Row:
    command: str
    help: float  # median seconds of COMMAND --help
    usage: float  # median seconds of a usage error
    base: float  # median seconds of eksaccess --help

    @property
    def worst(self) -> float:
        return max(self.help, self.usage) / self.base


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    options = parser.parse_args()
    medians = measure(options.runs)
    base = medians[BASELINE]
    rows = [
        Row(
            command=name, help=medians[(name, "--help")], usage=medians[(name, "--no-such-option")], base=base
        )
        for name in sorted(COMMANDS)
    ]
    worst = max(rows, key=lambda r: r.worst)
    worst_ratio = worst.worst
    print(
        f"`eksaccess --help`: {base * 1000:.0f} ms (median of {options.runs}); goal: every ratio <= {GOAL_RATIO}."
    )
    print()
    print("| command | `--help` ms | ratio | usage error ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.command} | {r.help * 1000:.0f} | {r.help / base:.2f} | {r.usage * 1000:.0f} | {r.usage / base:.2f} |"
        )
    print()
    verdict = "met" if worst_ratio <= GOAL_RATIO else "MISSED"
    print(f"Slowest: `{worst.command}` at {worst_ratio:.2f}x: {verdict}.")
    if options.json:
        figures = {
            "baselineSeconds": round(base, 4),
            "worstCommand": worst.command,
            "worstRatio": round(worst_ratio, 3),
            "goalRatio": GOAL_RATIO,
            "runs": options.runs,
            "rows": [
                {"command": r.command, "helpSeconds": round(r.help, 4), "usageSeconds": round(r.usage, 4)}
                for r in rows
            ],
        }
        options.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if worst_ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
