"""Benchmark of the audit (not run by the tests). Prints a markdown snippet.

    python bench/bench_audit.py [--principals 5000] [--clusters 50] [--regions 5] [--latency-ms 100]
                                [--questions 1000] [--skip-fleet] [--skip-sar] [--json FILE]

1. Full audit of a generated state (the generator of bench_authorize.py: access entries, aws-auth rows,
   roles and bindings), with generated IAM details (trust policies naming users, some account-root trusts
   with identity policies): ClusterState validation, audit, JSON and HTML rendering.
   Then the same audit as users run it, from files: the state and IAM details written as JSON (and the
   state as YAML) into a temporary directory, ``eksaccess audit --snapshot ... --iam ... -o json`` as a
   subprocess, its wall time against the in-process audit of the same run. And a kubeconfig of 150
   clusters as ``aws eks update-kubeconfig`` leaves it: the round-trip reader against the fast one.
2. Fleet: N sandbox clusters spread over R regions, sandbox latency per request; the wall time against
   the floor the concurrency limit sets: ceil(clusters per region / per-region concurrency) x the time of
   one cluster's snapshot alone.
3. Engine vs server: random questions (identity from the state, request attributes) answered by the
   engine and by the sandbox API server's SubjectAccessReview, one at a time; answers must be equal.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.kube import KubeClient
from eksaccess.domain.authz.authorize import Attributes
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.kubeconfig import EksClusterRef, dump_raw, load_config, load_raw, update_kubeconfig
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, audit
from eksaccess.features.analyze.can_i import authorizer_for
from eksaccess.features.analyze.fleet import cached_factory, read_fleet
from eksaccess.features.analyze.report_html import render_html
from eksaccess.features.analyze.snapshot import take_snapshot
from eksaccess.features.analyze.who_can import Directory
from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.testing import running_sandbox

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_authorize", Path(__file__).with_name("bench_authorize.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate_iam(data: dict[str, Any], rng: random.Random, users: int = 1000) -> dict[str, Any]:
    """IAM details for the generated principals: each role trusts 1-3 users by ARN; 5% trust the account root
    (reached by the users whose identity policies allow sts:AssumeRole on role/r-1*); some role chaining."""
    role_arns = [e["principalArn"] for e in data["accessEntries"] if ":role/" in e["principalArn"]]
    role_arns += [m["rolearn"] for m in json.loads(data["awsAuth"]["mapRoles"])]
    user_names = [f"person-{i}" for i in range(users)]
    user_details = [
        {
            "UserName": name,
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "AccessKeyMetadata": [{"Status": "Active"}] if i % 3 == 0 else [],
            "UserPolicyList": [
                {
                    "PolicyName": "assume",
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Resource": f"arn:aws:iam::{ACCOUNT}:role/r-1*",
                            }
                        ]
                    },
                }
            ]
            if i % 10 == 0
            else [],
        }
        for i, name in enumerate(user_names)
    ]
    for m in json.loads(data["awsAuth"]["mapUsers"]):
        name = m["userarn"].rsplit("/", 1)[1]
        user_details.append({"UserName": name, "Arn": m["userarn"], "AccessKeyMetadata": []})
    roles = []
    for i, arn in enumerate(role_arns):
        if i % 20 == 0:
            principals: Any = f"arn:aws:iam::{ACCOUNT}:root"
        else:
            principals = [
                f"arn:aws:iam::{ACCOUNT}:user/{n}" for n in rng.sample(user_names, rng.randint(1, 3))
            ]
            if i % 7 == 0:
                principals.append(rng.choice(role_arns))
        roles.append(
            {
                "RoleName": arn.rsplit("/", 1)[1],
                "Arn": arn,
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
                    ]
                },
                "RolePolicyList": [
                    {
                        "PolicyName": "chain",
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "sts:AssumeRole",
                                    "Resource": f"arn:aws:iam::{ACCOUNT}:role/r-2*",
                                }
                            ]
                        },
                    }
                ]
                if i % 10 == 0
                else [],
            }
        )
    return {"UserDetailList": user_details, "RoleDetailList": roles}


def bench_audit(principals: int, seed: int, figures: dict[str, Any]) -> list[tuple[str, str]]:
    gen = _generator()
    rng = random.Random(seed)
    data = gen.generate(principals, 2000, 20000, seed)
    iam_data = generate_iam(data, rng)
    cpu = time.process_time()
    start = time.perf_counter()
    state = ClusterState.model_validate(data)
    validated = time.perf_counter() - start
    start = time.perf_counter()
    iam = [parse_authorization_details(iam_data)]
    report = audit([AuditInput(state=state)], iam=iam)
    audited = time.perf_counter() - start
    start = time.perf_counter()
    as_json = report.to_json()
    converted = time.perf_counter() - start
    cpu = time.process_time() - cpu
    text = json.dumps(as_json)
    rendered = time.perf_counter() - start
    # What `audit -o json` writes (cli/output.py emit_json: indent 2, the json module's Python encoder):
    # the in-process reference of the CLI run, the same work but for reading the files.
    pretty_cpu = time.process_time()
    start = time.perf_counter()
    json.dumps(as_json, indent=2)
    pretty_time = time.perf_counter() - start
    pretty_cpu = time.process_time() - pretty_cpu
    start = time.perf_counter()
    html = render_html(as_json)
    html_time = time.perf_counter() - start
    total = validated + audited + rendered
    s = as_json["summary"]
    figures["audit"] = {"principals": s["principals"], "seconds": round(total, 2)}
    same_work = (validated + audited + converted + pretty_time, cpu + pretty_cpu)
    from_files = bench_audit_cli(data, iam_data, same_work, figures)
    return [
        (
            f"audit of {s['principals']} principals, 2000 roles, 20000 bindings, {len(iam[0].principals)} IAM principals",
            "",
        ),
        ("ClusterState validation", f"{validated:.2f} s"),
        ("audit (levels, trust chains, 11 risk checks)", f"{audited:.2f} s"),
        ("JSON report", f"{rendered:.2f} s ({len(text) / 2**20:.1f} MiB)"),
        ("**total (target < 10 s)**", f"**{total:.2f} s**"),
        ("HTML report", f"{html_time:.2f} s ({len(html) / 2**20:.1f} MiB)"),
        ("levels", ", ".join(f"{k} {v}" for k, v in s["levels"].items())),
        ("risks", f"{s['risks']} ({s['risksBySeverity']})"),
        ("IAM users who can become cluster-admin", str(s["clusterAdminUsers"])),
        *from_files,
    ]


def _cli() -> list[str]:
    """The console script of the environment this runs in (what `pip install` puts on PATH)."""
    script = Path(sys.executable).with_name("eksaccess")
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from eksaccess.cli.entry import console; console()"]
    )


def _run_cli(args: list[str], out: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one ``eksaccess`` run, its stdout to ``out``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("wb") as stdout:
        done = subprocess.run([*_cli(), *args], stdout=stdout, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: risks of severity error were found
        raise RuntimeError(
            f"eksaccess {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()[-500:]}"
        )
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_audit_cli(
    data: dict[str, Any],
    iam_data: dict[str, Any],
    in_process: tuple[float, float],
    figures: dict[str, Any],
) -> list[tuple[str, str]]:
    """``eksaccess audit`` from files, as users run it, against the in-process audit of this run (wall
    and CPU: on a shared machine the CPU ratio is the steadier of the two)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        state_json, state_yaml, iam = folder / "state.json", folder / "state.yaml", folder / "iam.json"
        state_json.write_text(json.dumps(data, indent=2), encoding="utf-8")  # as snapshot -o json writes
        state_yaml.write_text(
            yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)), encoding="utf-8"
        )
        iam.write_text(json.dumps(iam_data, indent=4), encoding="utf-8")  # as the aws CLI writes
        args = ["audit", "--iam", str(iam), "-o", "json", "--snapshot"]
        json_wall, json_cpu = _run_cli([*args, str(state_json)], folder / "out.json")
        yaml_wall, yaml_cpu = _run_cli([*args, str(state_yaml)], folder / "out-yaml.json")
        sizes = {p.name: p.stat().st_size / 2**20 for p in (state_json, state_yaml, iam)}
        report = (folder / "out.json").stat().st_size / 2**20
    wall, cpu = in_process  # validation, audit, the JSON as the CLI writes it
    figures["auditCli"] = {
        "seconds": round(json_wall, 2),
        "ratio": round(json_wall / wall, 2),
        "cpuSeconds": round(json_cpu, 2),
        "cpuRatio": round(json_cpu / cpu, 2),
        "inProcessSeconds": round(wall, 2),
        "inProcessCpuSeconds": round(cpu, 2),
        "yamlSeconds": round(yaml_wall, 2),
        "yamlCpuSeconds": round(yaml_cpu, 2),
    }
    return [
        (
            f"eksaccess audit from files: state.json {sizes['state.json']:.1f} MiB, iam.json "
            f"{sizes['iam.json']:.1f} MiB, -o json to a file ({report:.1f} MiB)",
            "",
        ),
        ("**CLI wall time (target < 10 s)**", f"**{json_wall:.2f} s** (CPU {json_cpu:.2f} s)"),
        (
            "in process, the same work (validation, audit, the JSON indented as `-o json` writes it)",
            f"{wall:.2f} s (CPU {cpu:.2f} s)",
        ),
        (
            "**ratio CLI from files / in process (target <= 1.5)**",
            f"**{json_wall / wall:.2f}** (CPU {json_cpu / cpu:.2f})",
        ),
        (
            f"the same from state.yaml ({sizes['state.yaml']:.1f} MiB)",
            f"{yaml_wall:.2f} s (CPU {yaml_cpu:.2f} s)",
        ),
    ]


def bench_kubeconfig(clusters: int, figures: dict[str, Any]) -> list[tuple[str, str]]:
    """A kubeconfig of ``clusters`` EKS clusters as update-kubeconfig writes it: read for an edit (ruamel's
    round trip, comments kept) and read for values (``load_config``, what doctor and kubeconfig use)."""
    raw: dict[str, Any] | None = None
    for i in range(clusters):
        region = f"eu-west-{i % 3 + 1}"
        ref = EksClusterRef(
            name=f"team-{i:03d}",
            arn=f"arn:aws:eks:{region}:{ACCOUNT}:cluster/team-{i:03d}",
            endpoint=f"https://{i:032X}.gr7.{region}.eks.amazonaws.com",
            certificate_authority_data="LS0tLS1CRUdJTi" + "Q" * 1400 + "==",
        )
        raw = update_kubeconfig(raw, ref, profile="platform" if i % 2 else None)[0]
    assert raw is not None
    text = dump_raw(raw)

    def best(read: Any) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            read(text, source="kubeconfig")
            times.append(time.perf_counter() - start)
        return min(times)

    slow, fast = best(load_raw), best(load_config)
    figures["kubeconfig"] = {
        "clusters": clusters,
        "kib": round(len(text) / 1024),
        "roundTripMs": round(slow * 1000, 1),
        "fastMs": round(fast * 1000, 1),
    }
    return [
        (f"kubeconfig of {clusters} clusters ({len(text) / 1024:.0f} KiB), best of 3", ""),
        ("read for an edit (ruamel round trip)", f"{slow * 1000:.0f} ms"),
        (
            "read for values (load_config: json / libyaml)",
            f"{fast * 1000:.1f} ms ({slow / fast:.0f}x faster)",
        ),
    ]


def fleet_scenario(clusters: int, regions: int) -> str:
    names = [f"us-west-{i + 1}" if i < 2 else f"eu-west-{i - 1}" for i in range(regions)]
    lines = [
        "apiVersion: eksaccess/v1",
        "kind: Scenario",
        "name: fleet-bench",
        "description: Many clusters over several regions.",
        "accounts:",
        f'  "{ACCOUNT}":',
        "    users: [{name: admin}]",
        "clusters:",
    ]
    for i in range(clusters):
        lines += [
            f'  - cluster: {{name: c{i:03d}, region: {names[i % regions]}, accountId: "{ACCOUNT}", creatorArn: "{ADMIN}"}}',
            "    authenticationMode: API_AND_CONFIG_MAP",
            "    accessEntries:",
            f"      - {{principalArn: {ADMIN}, accessPolicies: [{{policyArn: {ADMIN_POLICY}, accessScope: {{type: cluster}}}}]}}",
            f"      - {{principalArn: 'arn:aws:iam::{ACCOUNT}:role/dev', kubernetesGroups: [devs]}}",
            '    awsAuth: {mapRoles: "- rolearn: arn:aws:iam::111122223333:role/ops\\n  groups: [ops]\\n"}',
        ]
    lines += ["profiles:", f"  - {{name: admin, user: '{ADMIN}', region: {names[0]}}}"]
    return "\n".join(lines) + "\n"


def bench_fleet(
    clusters: int, regions: int, latency_ms: int, per_region: int, figures: dict[str, Any]
) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(fleet_scenario(clusters, regions))
        # the sandbox in its own process, as AWS and EKS are: its CPU does not share our interpreter's lock
        with running_sandbox(Path(tmp), str(path), latency_ms=latency_ms, process=True) as sb:
            factory = cached_factory(sb.boto_session)

            records = sb.store.list_clusters()
            factory("admin", records[0].region).caller_identity()  # warm the shared botocore loader
            singles = []
            for record in records[:3]:  # one cluster's snapshot alone: the best of three
                start = time.perf_counter()
                take_snapshot(factory("admin", record.region), record.name, record.region)
                singles.append(time.perf_counter() - start)
            single = min(singles)
            region_names = sorted({c.region for c in records})
            fresh = cached_factory(sb.boto_session)  # the fleet starts with no client or identity cached
            fresh("admin", region_names[0]).caller_identity()
            server = lifecycle.running_pid(sb.state_dir)
            server_cpu = _process_cpu(server)
            cpu = time.process_time()
            start = time.perf_counter()
            result = read_fleet(["admin"], region_names, session_factory=fresh, per_region=per_region)
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu
            server_cpu = _process_cpu(server) - server_cpu
    busiest = max(sum(1 for c in result.inputs if c.state.cluster.region == r) for r in region_names)
    floor = math.ceil(busiest / per_region) * single
    cores = len(os.sched_getaffinity(0))
    cpu_floor = (cpu + server_cpu) / cores  # no schedule beats the CPU both sides need, on this machine
    figures["fleet"] = {
        "clusters": clusters,
        "regions": regions,
        "wallSeconds": round(wall, 2),
        "floorSeconds": round(floor, 2),
        "ratio": round(wall / floor, 2),
        "cpuSeconds": round(cpu + server_cpu, 2),
        "cores": cores,
        "ratioToCpuBound": round(wall / max(floor, cpu_floor), 2),
        "failed": len(result.failures),
    }
    return [
        (f"fleet: {clusters} clusters in {regions} regions, sandbox latency {latency_ms} ms per request", ""),
        ("one cluster's snapshot alone", f"{single:.2f} s"),
        (f"floor: ceil({busiest} / {per_region} per region) x one snapshot", f"{floor:.2f} s"),
        ("fleet wall time (discovery, snapshots, IAM)", f"{wall:.2f} s"),
        ("**ratio to the floor (target <= 1.5)**", f"**{wall / floor:.2f}**"),
        (
            f"CPU spent: ours + the sandbox's, over {cores} cores",
            f"({cpu:.2f} s + {server_cpu:.2f} s) / {cores} = {cpu_floor:.2f} s",
        ),
        ("ratio to max(floor, CPU spent / cores)", f"{wall / max(floor, cpu_floor):.2f}"),
        ("clusters read / failed", f"{len(result.inputs)} / {len(result.failures)}"),
    ]


def _process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), 0 when unknown."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sar_scenario(data: dict[str, Any]) -> str:
    cluster = {
        "cluster": {"name": "sar", "region": "us-west-2", "accountId": ACCOUNT},
        "authenticationMode": "API_AND_CONFIG_MAP",
        "accessEntries": [
            {
                "principalArn": ADMIN,
                "accessPolicies": [{"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}],
            }
        ],
        "kubernetes": data["kubernetes"],
    }
    scenario = {
        "apiVersion": "eksaccess/v1",
        "kind": "Scenario",
        "name": "sar-bench",
        "description": "A generated cluster for SubjectAccessReview comparisons.",
        "accounts": {ACCOUNT: {"users": [{"name": "admin"}]}},
        "clusters": [cluster],
        "profiles": [{"name": "admin", "user": ADMIN, "region": "us-west-2"}],
    }
    return json.dumps(scenario)


def bench_sar(questions: int, seed: int, figures: dict[str, Any]) -> list[tuple[str, str]]:
    gen = _generator()
    rng = random.Random(seed)
    data = gen.generate(300, 300, 2000, seed)
    data["kubernetes"] += [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{i}"}} for i in range(200)
    ]
    state = ClusterState.model_validate(data)
    directory = Directory(state)
    arns = [e.principal_arn for e in directory.entries] + [m.rolearn for m in directory.aws_auth.roles]
    identities = []
    for arn in arns:
        resolution = directory.resolve(Caller(arn=arn, session_name="bench" if ":role/" in arn else None))
        if resolution.identity is not None:
            identities.append((resolution.identity.username, resolution.identity.groups))
    asked = [(rng.choice(identities), a) for a in gen._requests(rng, questions)]
    asked += [
        ((u, g), Attributes(verb=rng.choice(["get", "list"]), resource="nodes")) for u, g in identities[:0]
    ]
    authorizer = authorizer_for(state)
    start = time.perf_counter()
    engine = [authorizer.authorize(a, username=u, groups=g, explain=False).allowed for (u, g), a in asked]
    engine_time = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sar.json"
        path.write_text(sar_scenario(data))
        with running_sandbox(Path(tmp), str(path)) as sb:
            session = AwsSession(session=sb.boto_session("admin", "us-west-2"), region="us-west-2")
            described = session.describe_cluster("sar")
            assert described.endpoint is not None
            kube = KubeClient(
                server=described.endpoint,
                ca_data=described.certificate_authority_data,
                token=session.presign_token("sar"),
            )
            start = time.perf_counter()
            server = [_sar(kube, u, g, a) for (u, g), a in asked]
            server_time = time.perf_counter() - start
            kube.close()
    same = sum(1 for x, y in zip(engine, server, strict=True) if x == y)
    figures["sar"] = {"questions": len(asked), "equal": same, "speedup": round(server_time / engine_time)}
    return [
        (f"engine vs SubjectAccessReview: {len(asked)} random questions, {len(identities)} identities", ""),
        ("**answers equal**", f"**{same} / {len(asked)}** ({sum(engine)} allowed)"),
        (
            "engine, all questions",
            f"{engine_time * 1000:.1f} ms ({engine_time / len(asked) * 1e6:.0f} µs each)",
        ),
        (
            "server, one SubjectAccessReview at a time",
            f"{server_time:.2f} s ({server_time / len(asked) * 1000:.1f} ms each)",
        ),
        ("**engine speed-up (target >= 100x)**", f"**{server_time / engine_time:.0f}x**"),
    ]


def _sar(kube: KubeClient, username: str, groups: tuple[str, ...], attrs: Attributes) -> bool:
    resource = {
        "verb": attrs.verb,
        "group": attrs.api_group,
        "resource": attrs.resource,
        "subresource": attrs.subresource,
        "namespace": attrs.namespace,
        "name": attrs.name,
    }
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": username, "groups": list(groups), "resourceAttributes": resource},
    }
    out = kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body)
    return bool((out.get("status") or {}).get("allowed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--principals", type=int, default=5000)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--per-region", type=int, default=4)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--skip-sar", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the goal figures here")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    rows = bench_audit(args.principals, args.seed, figures)
    rows += bench_kubeconfig(150, figures)
    if not args.skip_fleet:
        rows += bench_fleet(args.clusters, args.regions, args.latency_ms, args.per_region, figures)
    if not args.skip_sar:
        rows += bench_sar(args.questions, args.seed, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |" if value else f"| *{name}* | |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
