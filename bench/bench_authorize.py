"""Benchmark of the authorization engine on a large synthetic cluster (not run by the tests).

    python bench/bench_authorize.py [--principals 5000] [--roles 2000] [--bindings 20000] [--seed 7]

Generates a ClusterState with the given numbers of IAM principals (access entries, aws-auth mapRoles and
mapUsers), roles (ClusterRoles and Roles) and bindings (ClusterRoleBindings and RoleBindings), then
measures: can-i through the index and through the naive evaluator, who-can over every principal, and the
peak memory of building and querying. Prints a markdown table.

"Warm" means the Authorizer (default roles, aggregation, RBAC index) and the principal directory are built
and every principal has been resolved once to its Kubernetes identity (``Directory.warm()``); each timed
who-can then asks a request not asked before, so the request's own work (the roles that allow it, the
bindings indexed by subject, each access policy and scope) is inside the timing. The issue's targets:
warm who-can under 100 ms, can-i under 1 ms, peak memory under 1 GB. The naive evaluator scans every
binding per question; who-can's naive figure is the per-principal reference (``who_can_per_principal``)
on it, estimated from 500 principals.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from eksaccess.domain.authz.authorize import Attributes, Authorizer
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.can_i import Request, evaluate
from eksaccess.features.analyze.who_can import Directory, who_can, who_can_per_principal

ACCOUNT = "111122223333"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
RESOURCES = [
    ("", "pods"),
    ("", "pods/log"),
    ("", "pods/exec"),
    ("", "services"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "serviceaccounts"),
    ("apps", "deployments"),
    ("apps", "deployments/scale"),
    ("apps", "statefulsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("networking.k8s.io", "ingresses"),
    ("example.com", "widgets"),
]
CLUSTER_RESOURCES = [("", "nodes"), ("", "namespaces"), ("rbac.authorization.k8s.io", "clusterroles")]


def _rule(rng: random.Random) -> dict[str, Any]:
    group, resource = rng.choice(RESOURCES + CLUSTER_RESOURCES)
    rule: dict[str, Any] = {
        "verbs": rng.sample(VERBS, rng.randint(1, 3)) if rng.random() > 0.05 else ["*"],
        "apiGroups": [group],
        "resources": [resource] if rng.random() > 0.03 else ["*"],
    }
    if rng.random() < 0.05:
        rule["resourceNames"] = [f"obj-{rng.randint(0, 20)}"]
    return rule


def generate(principals: int, roles: int, bindings: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    namespaces = [f"ns-{i}" for i in range(200)]
    groups = [f"team-{i}" for i in range(500)]
    cluster_roles = roles * 3 // 4
    manifests: list[dict[str, Any]] = []
    for i in range(cluster_roles):
        labels = {"rbac.authorization.k8s.io/aggregate-to-view": "true"} if i % 400 == 0 else {}
        rules = [_rule(rng) for _ in range(rng.randint(1, 6))]
        manifests.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"cr-{i}", "labels": labels},
                "rules": rules,
            }
        )
    ns_roles = []
    for i in range(roles - cluster_roles):
        namespace = rng.choice(namespaces)
        ns_roles.append((namespace, f"role-{i}"))
        manifests.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": f"role-{i}", "namespace": namespace},
                "rules": [_rule(rng) for _ in range(rng.randint(1, 4))],
            }
        )
    usernames = [f"user-{i}" for i in range(principals)]
    for i in range(bindings):
        subjects = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.6:
                subjects.append({"kind": "Group", "name": rng.choice(groups)})
            elif roll < 0.9:
                subjects.append({"kind": "User", "name": rng.choice(usernames)})
            else:
                subjects.append(
                    {
                        "kind": "ServiceAccount",
                        "name": f"sa-{rng.randint(0, 50)}",
                        "namespace": rng.choice(namespaces),
                    }
                )
        if i < bindings // 10:
            ref = {"kind": "ClusterRole", "name": f"cr-{rng.randrange(cluster_roles)}"}
            manifests.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": f"crb-{i}"},
                    "roleRef": ref,
                    "subjects": subjects,
                }
            )
            continue
        if ns_roles and rng.random() < 0.3:
            namespace, name = rng.choice(ns_roles)
            ref = {"kind": "Role", "name": name}
        else:
            namespace = rng.choice(namespaces)
            ref = {
                "kind": "ClusterRole",
                "name": rng.choice([f"cr-{rng.randrange(cluster_roles)}", "view", "edit"]),
            }
        manifests.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"rb-{i}", "namespace": namespace},
                "roleRef": ref,
                "subjects": subjects,
            }
        )
    entries, map_roles, map_users = [], [], []
    policies = ["AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminViewPolicy"]
    for i in range(principals):
        these = rng.sample(groups, rng.randint(0, 3))
        if i % 5 < 2:
            entry: dict[str, Any] = {
                "principalArn": f"arn:aws:iam::{ACCOUNT}:role/r-{i}",
                "username": usernames[i],
                "kubernetesGroups": these,
            }
            if rng.random() < 0.2:
                scope = (
                    {"type": "cluster"}
                    if rng.random() < 0.3
                    else {"type": "namespace", "namespaces": rng.sample(namespaces, 2) + ["ns-1*"]}
                )
                entry["accessPolicies"] = [{"policyArn": POLICY + rng.choice(policies), "accessScope": scope}]
            entries.append(entry)
        elif i % 5 < 4:
            map_roles.append(
                {"rolearn": f"arn:aws:iam::{ACCOUNT}:role/r-{i}", "username": usernames[i], "groups": these}
            )
        else:
            map_users.append(
                {"userarn": f"arn:aws:iam::{ACCOUNT}:user/u-{i}", "username": usernames[i], "groups": these}
            )
    return {
        "apiVersion": "eksaccess/v1",
        "kind": "ClusterState",
        "cluster": {"name": "bench", "region": "eu-west-1", "accountId": ACCOUNT},
        "authenticationMode": "API_AND_CONFIG_MAP",
        "accessEntries": entries,
        "awsAuth": {"mapRoles": json.dumps(map_roles), "mapUsers": json.dumps(map_users)},
        "kubernetes": manifests,
    }


def _requests(rng: random.Random, count: int) -> list[Attributes]:
    out = []
    for _ in range(count):
        group, combined = rng.choice(RESOURCES)
        resource, _, sub = combined.partition("/")
        out.append(
            Attributes(
                verb=rng.choice(VERBS),
                resource=resource,
                subresource=sub,
                api_group=group,
                namespace=f"ns-{rng.randrange(200)}",
            )
        )
    return out


def _timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _samples(fns: list[Callable[[], object]]) -> list[float]:
    """Wall time of each call, sorted."""
    samples = []
    for fn in fns:
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return sorted(samples)


def _memory_peak(data: dict[str, Any], requests: list[Request]) -> int:
    """Peak traced memory of validating the state, building the authorizer and directory, and who-can."""
    tracemalloc.start()
    state = ClusterState.model_validate(data)
    authorizer = Authorizer.from_manifests(state.kubernetes)
    directory = Directory(state)
    for request in requests:
        who_can(state, request, authorizer=authorizer, directory=directory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _who_can_call(
    state: ClusterState, request: Request, authorizer: Authorizer, directory: Directory
) -> Callable[[], object]:
    return lambda: who_can(state, request, authorizer=authorizer, directory=directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--principals", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--bindings", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = generate(args.principals, args.roles, args.bindings, args.seed)

    start = time.perf_counter()
    state = ClusterState.model_validate(data)
    validated = time.perf_counter() - start
    start = time.perf_counter()
    indexed = Authorizer.from_manifests(state.kubernetes)
    built = time.perf_counter() - start
    naive = Authorizer.from_manifests(state.kubernetes, naive=True)
    start = time.perf_counter()
    directory = Directory(state)
    directory_built = time.perf_counter() - start

    arns = [e.principal_arn for e in directory.entries] + [m.rolearn for m in directory.aws_auth.roles]
    arns += [m.userarn for m in directory.aws_auth.users]
    resolutions = [
        directory.resolve(Caller(arn=a, session_name="bench" if ":role/" in a else None)) for a in arns
    ]
    identities = [(r.identity.username, r.identity.groups) for r in resolutions if r.identity]
    sample = rng.sample(identities, min(50, len(identities)))
    requests = _requests(rng, args.queries)

    def can_i(authz: Authorizer, explain: bool = False) -> Callable[[], object]:
        return lambda: [
            authz.authorize(a, username=u, groups=g, explain=explain) for a in requests for u, g in sample
        ]

    per = len(requests) * len(sample)
    can_i_index = _timed(can_i(indexed), 3) / per
    naive_requests = requests[:10]
    can_i_naive = _timed(
        lambda: [
            naive.authorize(a, username=u, groups=g, explain=False) for a in naive_requests for u, g in sample
        ],
        1,
    ) / (len(naive_requests) * len(sample))
    explained = _timed(can_i(indexed, explain=True), 1) / per
    can_i_feature = _timed(
        lambda: [evaluate(indexed, r, Request(attrs=requests[0])) for r in resolutions[:500]], 3
    )
    can_i_feature /= min(500, len(resolutions))

    request = Request(attrs=requests[0])
    start = time.perf_counter()
    directory.warm()
    who_can(state, request, authorizer=indexed, directory=directory)
    first = time.perf_counter() - start
    fresh = [Request(attrs=a) for a in dict.fromkeys(requests[1:]) if a != request.attrs][:30]
    warm = _samples([_who_can_call(state, r, indexed, directory) for r in fresh])
    allowed = statistics.median(
        len(who_can(state, r, authorizer=indexed, directory=directory).principals) for r in fresh
    )
    reference = _timed(
        lambda: who_can_per_principal(state, fresh[0], authorizer=indexed, directory=directory), 1
    )

    def step(authz: Authorizer, who: list[tuple[str, tuple[str, ...]]]) -> Callable[[], object]:
        return lambda: [authz.authorize(request.attrs, username=u, groups=g, explain=False) for u, g in who]

    few = identities[:500]
    step_naive = _timed(step(naive, few), 1) * len(identities) / max(1, len(few))  # estimated from 500
    peak = _memory_peak(data, fresh[:5])
    median, p90 = statistics.median(warm), warm[int(len(warm) * 0.9)]
    rows = [
        ("snapshot validation (pydantic, from parsed data)", f"{validated * 1000:.0f} ms", ""),
        ("authorizer build (default roles + aggregation + index)", f"{built * 1000:.0f} ms", ""),
        ("principal directory build (entries + aws-auth)", f"{directory_built * 1000:.0f} ms", ""),
        (
            "can-i: authorize, allowed/denied",
            f"{can_i_index * 1e6:.1f} µs",
            f"naive {can_i_naive * 1e6:.1f} µs (x{can_i_naive / can_i_index:.0f})",
        ),
        ("can-i: authorize with reasons and near misses", f"{explained * 1e6:.1f} µs", ""),
        ("can-i: feature on a resolved identity", f"{can_i_feature * 1e6:.1f} µs", ""),
        (
            f"who-can: first question (resolves the {len(identities)} principals once)",
            f"{first * 1000:.0f} ms",
            "",
        ),
        (
            f"who-can over {len(identities)} principals, warm, a new question each time "
            f"(median of {len(warm)}, ~{allowed:.0f} allowed)",
            f"{median * 1000:.0f} ms (p90 {p90 * 1000:.0f}, max {warm[-1] * 1000:.0f})",
            f"per-principal on the index {reference * 1000:.0f} ms (x{reference / median:.0f}); "
            f"naive evaluator ~{step_naive * 1000:.0f} ms (x{step_naive / median:.0f}; authorize per principal, "
            "allowed/denied only, estimated from 500)",
        ),
        ("peak memory: build + warm + 5 who-can (tracemalloc)", f"{peak / 2**20:.0f} MiB", ""),
    ]
    print(f"{args.principals} principals, {args.roles} roles, {args.bindings} bindings (seed {args.seed})\n")
    print("| measure | value | naive evaluator |")
    print("|---|---|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
