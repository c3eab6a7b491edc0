"""Benchmark of ``eksaccess token`` as kubectl's exec plugin against ``aws eks get-token`` (not run by tests).

    python bench/bench_token.py [--runs 20] [--json FILE]

Starts the baseline sandbox, then runs ``kubectl get configmaps`` ``--runs`` times in a row with the exec
entry using ``aws eks get-token`` and then ``eksaccess token`` (each after one warm-up run that fills
kubectl's discovery cache and, for eksaccess, the token cache), and reports the median per command and
the ratio. It also times the plugins alone: ``aws eks get-token``, ``eksaccess token`` on a cache hit
(the console script, and ``python -m eksaccess.cli.entry`` which skips click), on a miss (``--no-cache``),
and the bare interpreter start (``python -c pass``) as the floor. The goal for a hit: under 0.1 s.
Prints a markdown snippet.
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
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eksaccess.domain.kubeconfig import EXEC_V1BETA1, EksClusterRef, ExecPlugin, dump_raw, exec_args
from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

BIN = Path(sys.executable).parent
CLUSTER = "demo"
PROFILE = "admin"
HIT_GOAL_S = 0.1


def timed(argv: Sequence[str], env: Mapping[str, str], runs: int) -> list[float]:
    """Wall time of each of ``runs`` runs (one untimed warm-up first); fails loudly on a failing run."""
    times: list[float] = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {proc.stderr.strip()[-500:]}")
        if i:
            times.append(elapsed)
    return times


def kubeconfig(sb: RunningSandbox, plugin: ExecPlugin, path: Path) -> Path:
    record = sb.store.get_cluster(CLUSTER)
    assert record is not None
    ref = EksClusterRef(
        name=record.name,
        arn=record.arn,
        endpoint=record.endpoint,
        certificate_authority_data=record.certificate_authority_data,
    )
    command, args = exec_args(ref, plugin=plugin)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER,
                "cluster": {
                    "server": ref.endpoint,
                    "certificate-authority-data": ref.certificate_authority_data,
                },
            }
        ],
        "users": [
            {
                "name": CLUSTER,
                "user": {
                    "exec": {
                        "apiVersion": EXEC_V1BETA1,
                        "command": str(BIN / command),
                        "args": list(args),
                        "env": [{"name": "AWS_PROFILE", "value": PROFILE}],
                    }
                },
            }
        ],
        "contexts": [{"name": CLUSTER, "context": {"cluster": CLUSTER, "user": CLUSTER}}],
        "current-context": CLUSTER,
    }
    path.write_text(dump_raw(doc), encoding="utf-8")
    path.chmod(0o600)
    return path


def measure(runs: int) -> dict[str, Any]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl is not on PATH")
    with (
        tempfile.TemporaryDirectory(prefix="bench-token-") as tmp,
        running_sandbox(Path(tmp), "baseline") as sb,
    ):
        home = Path(tmp) / "home"
        home.mkdir()
        env = {
            **{k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")},
            **sb.env_for(),
            "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            "HOME": str(home),
            "EKSACCESS_CACHE_DIR": str(Path(tmp) / "tokens"),
        }
        figures: dict[str, list[float]] = {}
        for plugin in (ExecPlugin.AWS_CLI, ExecPlugin.EKSACCESS):
            config = kubeconfig(sb, plugin, Path(tmp) / f"kubeconfig-{plugin}")
            argv = [
                kubectl,
                "--kubeconfig",
                str(config),
                "--cache-dir",
                str(home / "kcache"),
                "get",
                "configmaps",
            ]
            figures[f"kubectl/{plugin}"] = timed(argv, env, runs)
        plugin_env = {**env, "AWS_PROFILE": PROFILE}
        token_args = ["--region", "us-west-2", "--cluster-name", CLUSTER]
        aws = [str(BIN / "aws"), "--region", "us-west-2", "eks", "get-token", "--cluster-name", CLUSTER]
        figures["plugin/aws"] = timed([*aws, "--output", "json"], plugin_env, runs)
        figures["plugin/eksaccess-hit"] = timed(
            [str(BIN / "eksaccess"), "token", *token_args], plugin_env, runs
        )
        fast = [sys.executable, "-m", "eksaccess.cli.entry", "token", *token_args]
        figures["plugin/token_fast-hit"] = timed(fast, plugin_env, runs)
        miss = [str(BIN / "eksaccess"), "token", *token_args, "--no-cache"]
        figures["plugin/eksaccess-miss"] = timed(miss, plugin_env, max(5, runs // 4))
        figures["python -c pass"] = timed([sys.executable, "-c", "pass"], env, runs)
    return {name: statistics.median(values) for name, values in figures.items()} | {"runs": runs}


def report(m: Mapping[str, Any]) -> str:
    aws, ours = m["kubectl/aws"], m["kubectl/eksaccess"]
    hit = m["plugin/eksaccess-hit"]
    lines = [
        f"`kubectl get configmaps` against the sandbox, {m['runs']} runs in a row each (median per command):",
        "",
        "| exec plugin | median per kubectl command |",
        "|---|---|",
        f"| `aws eks get-token` | {aws * 1000:.0f} ms |",
        f"| `eksaccess token` (cached) | {ours * 1000:.0f} ms |",
        f"| ratio aws / eksaccess | {aws / ours:.2f}x |",
        "",
        "The plugin alone (median):",
        "",
        "| command | median |",
        "|---|---|",
        f"| `aws eks get-token` | {m['plugin/aws'] * 1000:.0f} ms |",
        f"| `eksaccess token`, cache hit | {hit * 1000:.0f} ms |",
        f"| `python -m eksaccess.cli.entry token`, cache hit (no click) | {m['plugin/token_fast-hit'] * 1000:.0f} ms |",
        f"| `eksaccess token --no-cache` (mint) | {m['plugin/eksaccess-miss'] * 1000:.0f} ms |",
        f"| `python -c pass` (interpreter floor) | {m['python -c pass'] * 1000:.0f} ms |",
        "",
        f"Goal, plugin on a hit under {HIT_GOAL_S * 1000:.0f} ms: "
        f"{'met' if hit < HIT_GOAL_S else 'MISSED'} ({hit * 1000:.0f} ms).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures (seconds) as JSON here")
    options = parser.parse_args()
    figures = measure(options.runs)
    print(report(figures))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
