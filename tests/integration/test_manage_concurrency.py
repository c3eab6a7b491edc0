"""Concurrent writers, rollback and faults on the sandbox.

* 20 ``eksaccess grant`` processes at once on one CONFIG_MAP cluster: every mapping lands (resourceVersion
  read-modify-write, whole cycle retried on 409), nothing else in aws-auth changes a byte.
* rollback restores the aws-auth data byte for byte, and access entries with their policies.
* under the sandbox's fault knobs (500s and throttling on AWS and Kubernetes) apply converges to exactly
  the state a clean run reaches.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.history_files import HistoryFiles
from eksaccess.errors import RemoteError
from eksaccess.features.manage.apply import apply_plan
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.features.manage.desired import dump_cluster_access, export_access, parse_cluster_access
from eksaccess.features.manage.grant import GrantRequest, PolicyRequest, plan_grant
from eksaccess.features.manage.history import recorded_state, rollback_plan
from eksaccess.features.manage.plan import plan_access
from eksaccess.features.retry import Backoff
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
WRITERS = 20
MAP_ROLES = f"""# Managed by hand. Do not reorder.
- rolearn: arn:aws:iam::{ACCT}:role/nodes   # node group
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
    - system:bootstrappers
    - system:nodes

- rolearn: arn:aws:iam::{ACCT}:role/ops
  username: "ops:{{{{SessionName}}}}"
  groups: [ system:masters ]
"""


def scenario(mode: str = "CONFIG_MAP") -> str:
    roles = "\n".join(f"      - {{name: team-{i:02d}}}" for i in range(WRITERS))
    block = "\n".join("        " + line if line else "" for line in MAP_ROLES.splitlines())
    entries = ""
    if mode != "CONFIG_MAP":
        entries = f"""    accessEntries:
      - principalArn: arn:aws:iam::{ACCT}:user/admin
        accessPolicies: [{{policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: {{type: cluster}}}}]
      - principalArn: arn:aws:iam::{ACCT}:role/team-00
        kubernetesGroups: [team]
"""
    return f"""apiVersion: eksaccess/v1
kind: Scenario
name: manage-concurrency
description: many writers
accounts:
  "{ACCT}":
    users: [{{name: admin}}]
    roles:
      - {{name: nodes}}
      - {{name: ops}}
{roles}
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "arn:aws:iam::{ACCT}:user/admin"}}
    authenticationMode: {mode}
{entries}    awsAuth:
      mapRoles: |
{block}
    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
profiles:
  - {{name: admin, user: "arn:aws:iam::{ACCT}:user/admin"}}
"""


def start(
    make_sandbox: MakeSandbox, tmp_path: Path, mode: str = "CONFIG_MAP", **knobs: object
) -> RunningSandbox:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"scenario-{mode}.yaml"
    path.write_text(scenario(mode), encoding="utf-8")
    return make_sandbox(str(path), **knobs)


def session(sb: RunningSandbox) -> AwsSession:
    return AwsSession(session=sb.boto_session("admin"), region="us-west-2")


def test_twenty_concurrent_grants_all_land(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path)
    env = {**os.environ, **sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    procs = [
        subprocess.Popen(
            [
                sys.executable, "-m", "eksaccess.cli.main", "grant", f"arn:aws:iam::{ACCT}:role/team-{i:02d}",
                "--cluster", "demo", "--group", f"team-{i:02d}", "-o", "json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WRITERS)
    ]  # fmt: skip
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0] * WRITERS, [err for code, err in outcomes if code]
    conn = connect(session(sb), "demo")
    data = read_live(conn).state.aws_auth or {}
    conn.close()
    assert data["mapRoles"].startswith(MAP_ROLES)  # untouched bytes, comments and blank line included
    for i in range(WRITERS):
        assert f"rolearn: arn:aws:iam::{ACCT}:role/team-{i:02d}\n" in data["mapRoles"]
    assert data["mapRoles"].count("rolearn:") == WRITERS + 2
    history = HistoryFiles(tmp_path / "history", account=ACCT, region="us-west-2", cluster="demo")
    assert len(history.versions()) == WRITERS


def test_rollback_restores_aws_auth_byte_for_byte(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "API_AND_CONFIG_MAP")
    conn = connect(session(sb), "demo")
    history = HistoryFiles(tmp_path / "h", account=ACCT, region="us-west-2", cluster="demo")
    original = read_live(conn)
    for request in (
        GrantRequest(
            arn=f"arn:aws:iam::{ACCT}:role/team-01",
            policies=(PolicyRequest(policy="view"),),
            via="aws-auth",  # type: ignore[arg-type]
        ),
        GrantRequest(
            arn=f"arn:aws:iam::{ACCT}:role/team-00",
            policies=(PolicyRequest(policy="edit", namespaces=("dev",)),),
        ),
    ):
        view = read_live(conn)
        assert not apply_plan(conn, view, plan_grant(view.state, request), history=history).failed
    changed = read_live(conn).state
    assert changed.aws_auth != original.state.aws_auth

    _, recorded = recorded_state(history, 0)  # before the first change
    view = read_live(conn)
    report = apply_plan(conn, view, rollback_plan(view.state, recorded), history=history, command="rollback")
    assert not report.failed and not report.mismatches
    restored = read_live(conn).state
    assert restored.aws_auth == original.state.aws_auth  # byte-identical strings
    assert restored.access_entries() == original.state.access_entries()
    _, recorded = recorded_state(history, 2)  # forward again: the state version 2 left
    view = read_live(conn)
    assert not apply_plan(conn, view, rollback_plan(view.state, recorded)).failed
    assert read_live(conn).state.aws_auth == changed.aws_auth
    conn.close()


DESIRED_EXTRA = f"""- arn: arn:aws:iam::{ACCT}:role/team-03
  via: access-entry
  groups: [team]
  policies:
  - policy: edit
    namespaces: [dev]
  - policy: view
- arn: arn:aws:iam::{ACCT}:role/team-04
  via: aws-auth
  policies:
  - policy: view
- arn: arn:aws:iam::{ACCT}:role/team-05
  via: aws-auth
  groups: [team]
"""


def _converge(sb: RunningSandbox, desired_text: str, attempts: int) -> tuple[str, int]:
    """Apply until a run finishes (each failed run is resumed by the next); the final exported state."""
    desired = parse_cluster_access(desired_text)
    runs = 0
    for _ in range(attempts):
        runs += 1
        try:
            conn = connect(session(sb), "demo", backoff=Backoff(base=0.005, cap=0.05))
            view = read_live(conn)
            apply_plan(conn, view, plan_access(view.state, desired, prune=True))
            view = read_live(conn)
            if not plan_access(view.state, desired, prune=True).steps:
                text = dump_cluster_access(export_access(view.state))
                conn.close()
                return text, runs
        except RemoteError:
            continue
    raise AssertionError(f"no convergence after {attempts} runs")


def test_faults_converge_to_the_clean_result(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    clean = start(make_sandbox, tmp_path / "clean", "API_AND_CONFIG_MAP")
    base_conn = connect(session(clean), "demo")
    base = dump_cluster_access(export_access(read_live(base_conn).state))
    base_conn.close()
    desired = base + DESIRED_EXTRA
    expected, runs = _converge(clean, desired, 1)
    assert runs == 1
    faulty = start(
        make_sandbox, tmp_path / "faulty", "API_AND_CONFIG_MAP", fault_rate=0.2, throttle_rate=0.2, seed=7
    )
    got, _ = _converge(faulty, desired, 15)
    assert got == expected
