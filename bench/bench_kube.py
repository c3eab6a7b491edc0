"""Throughput of one sandbox cluster's Kubernetes API: authenticated requests per second.

Starts the sandbox as its own process (scenario "baseline"), gets one token with ``aws eks get-token``, then
sends GETs over keep-alive HTTPS connections from a few client threads and reports requests per second, the
latency percentiles and the CPU the server process used (target: >= 300 req/s on one core).

    .venv/bin/python bench/bench_kube.py --seconds 5 --threads 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.testing import running_sandbox


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _token(env: dict[str, str]) -> str:
    aws = str(Path(sys.executable).parent / "aws")
    proc = subprocess.run(
        [aws, "--region", "us-west-2", "eks", "get-token", "--cluster-name", "demo", "--output", "json"],
        env={**os.environ, **env, "AWS_PROFILE": "admin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(proc.stdout)["status"]["token"])


def _worker(
    url: str, ca: Path, token: str, path: str, stop: float, latencies: list[float], errors: list[int]
) -> None:
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca))
    conn = http.client.HTTPSConnection(parts.netloc, context=context, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    while time.monotonic() < stop:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--path", default="/api/v1/namespaces/dev/configmaps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp), process=True) as sb:
        pid = lifecycle.running_pid(sb.state_dir)
        url = sb.cluster_endpoint("demo")
        token = _token(sb.env)
        latencies: list[float] = []
        errors: list[int] = []
        _worker(
            url, sb.cluster_ca_bundle("demo"), token, args.path, time.monotonic() + 0.5, [], errors
        )  # warm up, fill caches
        cpu_before = _cpu_seconds(pid) if pid else 0.0
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=_worker,
                args=(url, sb.cluster_ca_bundle("demo"), token, args.path, stop, latencies, errors),
            )
            for _ in range(args.threads)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        cpu = (_cpu_seconds(pid) - cpu_before) if pid else float("nan")
    latencies.sort()
    count = len(latencies)
    report = {
        "requests": count,
        "seconds": round(elapsed, 2),
        "requestsPerSecond": round(count / elapsed, 1),
        "p50ms": round(latencies[count // 2] * 1000, 2) if count else None,
        "p99ms": round(latencies[int(count * 0.99)] * 1000, 2) if count else None,
        "serverCpuSeconds": round(cpu, 2),
        "requestsPerServerCpuSecond": round(count / cpu, 1) if cpu else None,
        "non200": len(errors),
    }
    print(json.dumps(report, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
