"""The sandbox under load: concurrent authenticated requests, allowed and denied, for a bounded time.

    .venv/bin/python bench/bench_load.py [--seconds 5] [--clients 8] [--in-process] [--json FILE]

Kubernetes side: kubectl-style GETs over keep-alive HTTPS from ``--clients`` threads, a mix of the admin's
token (200), the developer's token inside its namespace (200) and outside it (403), and a bad token (401).
AWS side: SigV4-signed requests (signed before the clock starts, so the client's signing is not measured):
STS GetCallerIdentity and EKS DescribeCluster / ListAccessEntries by the admin (200), ListAccessEntries by
the developer role, which lacks the permission (403 AccessDeniedException), and a wrong signature (403). Reports, per side,
requests per second, p50 and p99 latency, and every response whose status was not the one expected for its
kind (the goal: none). Exit 1 when an unexpected status was seen.
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ACCT = "111122223333"
REGION = "us-west-2"


@dataclass(frozen=True, kw_only=True)
class Shot:
    """One prepared request and the status it must get."""

    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    expect: int = 200


@dataclass(kw_only=True)
class SideResult:
    side: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, dict[int, int]] = field(default_factory=dict)
    unexpected: dict[str, int] = field(default_factory=dict)  # "kind -> status" -> count

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "side": self.side,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "requestsPerSecond": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50ms": round(lat[n // 2] * 1000, 2) if n else None,
            "p99ms": round(lat[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
            "statusesByKind": {k: {str(s): c for s, c in v.items()} for k, v in sorted(self.by_kind.items())},
            "unexpected": self.unexpected,
        }


def _worker(
    base: str, ca: Path, shots: list[Shot], offset: int, stop: float, result: SideResult, lock: threading.Lock
) -> None:
    parts = urlsplit(base)
    context = ssl.create_default_context(cafile=str(ca))
    conn = http.client.HTTPSConnection(parts.netloc, context=context, timeout=30)
    latencies: list[float] = []
    seen: list[tuple[str, int, int]] = []
    i = offset
    while time.monotonic() < stop:
        shot = shots[i % len(shots)]
        i += 1
        start = time.perf_counter()
        try:
            conn.request(shot.method, shot.path, body=shot.body or None, headers=shot.headers)
            response = conn.getresponse()
            response.read()
            code = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPSConnection(parts.netloc, context=context, timeout=30)
            code = 0  # connection error
        latencies.append(time.perf_counter() - start)
        seen.append((shot.kind, code, shot.expect))
    conn.close()
    with lock:
        result.latencies += latencies
        result.requests += len(latencies)
        for kind, code, expect in seen:
            result.by_kind.setdefault(kind, {}).setdefault(code, 0)
            result.by_kind[kind][code] += 1
            if code != expect:
                key = f"{kind} -> {code}"
                result.unexpected[key] = result.unexpected.get(key, 0) + 1


def hammer(side: str, base: str, ca: Path, shots: list[Shot], *, seconds: float, clients: int) -> SideResult:
    """Send ``shots`` round robin from ``clients`` threads for ``seconds``."""
    result = SideResult(side=side)
    lock = threading.Lock()
    warm = threading.Thread(
        target=_worker, args=(base, ca, shots, 0, time.monotonic() + 0.3, SideResult(side="warm"), lock)
    )
    warm.start()
    warm.join()
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_worker, args=(base, ca, shots, k * 7, stop, result, lock), daemon=True)
        for k in range(clients)
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    result.seconds = time.monotonic() - began
    return result


def kube_shots(sb: Any) -> list[Shot]:
    from eksaccess.domain.token import encode_token
    from eksaccess.sandbox.testing import presign_token_url

    admin = encode_token(presign_token_url(sb, "admin", "demo"))
    developer = encode_token(presign_token_url(sb, "developer", "demo"))

    def get(kind: str, path: str, token: str, expect: int) -> Shot:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": "kubectl/v1.31.0 (load)",
        }
        return Shot(kind=kind, method="GET", path=path, headers=headers, expect=expect)

    return [
        get("admin list configmaps", "/api/v1/namespaces/kube-system/configmaps", admin, 200),
        get("admin get aws-auth", "/api/v1/namespaces/kube-system/configmaps/aws-auth", admin, 200),
        get("developer list pods in dev", "/api/v1/namespaces/dev/pods", developer, 200),
        get(
            "developer list secrets in kube-system", "/api/v1/namespaces/kube-system/secrets", developer, 403
        ),
        get("developer list nodes", "/api/v1/nodes", developer, 403),
        get("bad token", "/api/v1/namespaces/dev/pods", "k8s-aws-v1.bm90LWEtdG9rZW4", 401),
    ]


def aws_shots(sb: Any) -> list[Shot]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    base = sb.aws_endpoint

    def creds(profile: str) -> Any:
        return sb.boto_session(profile).get_credentials().get_frozen_credentials()

    def signed(
        kind: str,
        profile: str | Any,
        service: str,
        method: str,
        path: str,
        body: bytes,
        expect: int,
        ctype: str = "",
    ) -> Shot:
        c = creds(profile) if isinstance(profile, str) else profile
        headers = {"Content-Type": ctype} if ctype else {}
        request = AWSRequest(method=method, url=base + path, data=body, headers=headers)
        SigV4Auth(Credentials(c.access_key, c.secret_key, c.token), service, REGION).add_auth(request)
        return Shot(
            kind=kind,
            method=method,
            path=path,
            headers=dict(request.headers.items()),
            body=body,
            expect=expect,
        )

    form = "application/x-www-form-urlencoded; charset=utf-8"
    gci = b"Action=GetCallerIdentity&Version=2011-06-15"
    admin = creds("admin")
    forged = Credentials(admin.access_key, "x" * 40)
    out = []
    for _ in range(3):  # a few signatures of each, so no two back-to-back requests are byte-identical
        out += [
            signed("sts GetCallerIdentity", "admin", "sts", "POST", "/", gci, 200, form),
            signed("eks DescribeCluster", "admin", "eks", "GET", "/clusters/demo", b"", 200),
            signed("eks ListAccessEntries", "admin", "eks", "GET", "/clusters/demo/access-entries", b"", 200),
            signed(
                "eks ListAccessEntries denied",
                "developer",
                "eks",
                "GET",
                "/clusters/demo/access-entries",
                b"",
                403,
            ),
            signed("bad signature", forged, "sts", "POST", "/", gci, 403, form),
        ]
    return out


def run(sb: Any, *, seconds: float, clients: int) -> list[dict[str, Any]]:
    kube = hammer(
        "kubernetes",
        sb.cluster_endpoint("demo"),
        sb.cluster_ca_bundle("demo"),  # each cluster serves with its own CA, as on EKS
        kube_shots(sb),
        seconds=seconds,
        clients=clients,
    )
    aws = hammer("aws", sb.aws_endpoint, sb.ca_bundle, aws_shots(sb), seconds=seconds, clients=clients)
    return [kube.summary(), aws.summary()]


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| side | requests | req/s | p50 ms | p99 ms | unexpected statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        bad = ", ".join(f"{k}: {v}" for k, v in r["unexpected"].items()) or "none"
        lines.append(
            f"| {r['side']} | {r['requests']} | {r['requestsPerSecond']} | {r['p50ms']} | {r['p99ms']} | {bad} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, opener: Callable[..., Any] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per side")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--in-process", action="store_true", help="run the sandbox in this process")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from eksaccess.sandbox.testing import running_sandbox

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(Path(tmp), "baseline", process=not args.in_process) as sb,
    ):
        results = run(sb, seconds=args.seconds, clients=args.clients)
    print(
        f"{args.clients} concurrent clients, {args.seconds:g} s per side, sandbox {'in-process' if args.in_process else 'as its own process'}\n"
    )
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["unexpected"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
