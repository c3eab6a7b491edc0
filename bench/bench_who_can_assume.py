"""Benchmark of who-can-assume (not run by the tests). Prints a markdown snippet.

    python bench/bench_who_can_assume.py [--principals 5000] [--service-accounts 500] [--roles 200]
                                         [--questions 30] [--json FILE]

The state is bench_authorize.py's cluster (5,000 principals through access entries and aws-auth, 2,000
roles, 20,000 bindings over 200 namespaces) with a workloadIdentity section: N service accounts spread over
the namespaces (the sa-0..sa-50 that bindings name among them), R IAM roles, each trusted by IRSA for 1-3
service accounts (a tenth namespace-wide by StringLike), a fifth also given by a Pod Identity association.
Each role costs about ten who-can questions per namespace its service accounts are in (eight pod-making
kinds, then serviceaccounts/token and impersonate per service account). Wall and CPU time are both shown:
the machine is shared. Warm: the authorizer and the principal directory are built and every principal resolved once (as a
session asking several questions of one snapshot has them); each role is then a new question: its
namespaces' who-can answers are not cached from the role before.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from eksaccess.domain.state import API_VERSION, ClusterState
from eksaccess.features.analyze.can_i import authorizer_for
from eksaccess.features.analyze.who_can import Directory
from eksaccess.features.analyze.who_can_assume import Asker, who_can_assume

ACCOUNT = "111122223333"
HOST_PATH = "oidc.eks.eu-west-1.amazonaws.com/id/BENCH0000000000000000000000000000"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_authorize", Path(__file__).with_name("bench_authorize.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trust(subs: list[str], like: bool) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST_PATH}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringLike" if like else "StringEquals": {
                        f"{HOST_PATH}:sub": subs,
                        f"{HOST_PATH}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def add_workload(data: dict[str, Any], accounts: int, roles: int, rng: random.Random) -> list[str]:
    """The workloadIdentity section (in place); the role ARNs."""
    namespaces = [f"ns-{i}" for i in range(200)]
    pairs = list(
        dict.fromkeys((rng.choice(namespaces), f"sa-{rng.randint(0, 50)}") for _ in range(accounts * 2))
    )
    pairs = pairs[:accounts]
    arns = [f"arn:aws:iam::{ACCOUNT}:role/workload-{i}" for i in range(roles)]
    annotations: dict[tuple[str, str], dict[str, str]] = {}
    trust: dict[str, dict[str, Any]] = {}
    associations: list[dict[str, Any]] = []
    pod_trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    }
    used: set[tuple[str, str]] = set()
    for index, arn in enumerate(arns):
        holders = rng.sample(pairs, rng.randint(1, 3))
        like = index % 10 == 0
        subs = [f"system:serviceaccount:{ns}:{'*' if like else name}" for ns, name in holders]
        trust[arn] = _trust(subs, like)
        annotations.setdefault(holders[0], {"eks.amazonaws.com/role-arn": arn})
        if index % 5 == 0:
            free = [p for p in pairs if p not in used]
            if free:
                ns, name = rng.choice(free)
                used.add((ns, name))
                associations.append({"namespace": ns, "serviceAccount": name, "roleArn": arn})
                trust[arn]["Statement"] += pod_trust["Statement"]
    data["apiVersion"] = API_VERSION
    data["workloadIdentity"] = {
        "oidcIssuer": f"https://{HOST_PATH}",
        "oidcProviders": [HOST_PATH],
        "serviceAccounts": [
            {"namespace": ns, "name": name, "annotations": annotations.get((ns, name), {})}
            for ns, name in pairs
        ],
        "podIdentityAssociations": associations,
        "roleTrustPolicies": trust,
    }
    return arns


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--principals", type=int, default=5000)
    parser.add_argument("--service-accounts", type=int, default=500)
    parser.add_argument("--roles", type=int, default=200)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = _generator().generate(args.principals, 2000, 20000, args.seed)
    arns = add_workload(data, args.service_accounts, args.roles, rng)

    start = time.perf_counter()
    state = ClusterState.model_validate(data)
    authorizer = authorizer_for(state)
    directory = Directory(state)
    directory.warm()
    prepared = time.perf_counter() - start
    asked = rng.sample(arns, min(args.questions, len(arns)))
    samples: list[float] = []
    cpu: list[float] = []
    paths: list[int] = []
    holders: list[int] = []
    for arn in asked:
        asker = Asker(state, authorizer, directory)  # no who-can answer carried over from the last role
        start, cpu_start = time.perf_counter(), time.process_time()
        result = who_can_assume(state, arn, asker=asker)
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        paths.append(len(result.paths))
        holders.append(len(result.holders))
    shared = Asker(state, authorizer, directory)
    start = time.perf_counter()
    for arn in arns:
        who_can_assume(state, arn, asker=shared)
    every = time.perf_counter() - start
    samples.sort()
    median, p90, worst = statistics.median(samples), samples[int(len(samples) * 0.9)], samples[-1]
    figures = {
        "principals": args.principals,
        "serviceAccounts": args.service_accounts,
        "roles": args.roles,
        "prepareSeconds": round(prepared, 3),
        "warmMedianSeconds": round(median, 4),
        "warmP90Seconds": round(p90, 4),
        "warmMaxSeconds": round(worst, 4),
        "warmMedianCpuSeconds": round(statistics.median(cpu), 4),
        "loadAverage": round(os.getloadavg()[0], 2),
        "everyRoleSeconds": round(every, 3),
        "medianPaths": statistics.median(paths),
        "medianHolders": statistics.median(holders),
    }
    rows = [
        (
            "state validation, authorizer, directory, every principal resolved",
            f"{prepared * 1000:.0f} ms",
            "",
        ),
        (
            f"who-can-assume, warm, a new role each time (median of {len(samples)}; "
            f"~{figures['medianHolders']:.0f} service accounts, ~{figures['medianPaths']:.0f} paths)",
            f"{median * 1000:.0f} ms (p90 {p90 * 1000:.0f}, max {worst * 1000:.0f}; CPU median "
            f"{figures['warmMedianCpuSeconds'] * 1000:.0f} ms, load average {figures['loadAverage']})",
            "goal: median < 1 s, " + ("met" if median < 1 else "MISSED"),
        ),
        (f"who-can-assume for all {len(arns)} roles, one session", f"{every:.2f} s", ""),
    ]
    print(
        f"who-can-assume on {args.principals} principals, {args.service_accounts} service accounts, "
        f"{args.roles} roles\n"
    )
    print("| measure | time | note |\n|---|---|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
