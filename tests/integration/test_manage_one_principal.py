"""Many writers on ONE principal: a grant is a merge against the latest state, and "Verified" means it.

20 ``eksaccess grant`` processes at once, each adding something different to the same principal:

* a group on its aws-auth row (resourceVersion conflicts: re-read, re-plan on the ConfigMap just read);
* a group on its access entry (UpdateAccessEntry replaces the whole list: read back after a settle,
  merge again on the fresh state when another writer's list replaced ours);
* a policy on its access entry (associations are independent: ours plus others' is success).

Every writer exits 0 and every change is on the cluster at the end. Figures in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from eksaccess.adapters.aws import AwsSession
from eksaccess.domain.authz.access_policies import AUTO_NODE, CATALOGUE
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.features.manage.plan import find_entry
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
WRITERS = 20
SHARED = f"arn:aws:iam::{ACCT}:role/shared"
NODES = f"arn:aws:iam::{ACCT}:role/nodes"


def scenario(mode: str) -> str:
    entries = ""
    if mode != "CONFIG_MAP":
        entries = f"""    accessEntries:
      - principalArn: arn:aws:iam::{ACCT}:user/admin
        accessPolicies: [{{policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: {{type: cluster}}}}]
      - principalArn: {SHARED}
        kubernetesGroups: [team]
"""
    return f"""apiVersion: eksaccess/v1
kind: Scenario
name: one-principal
description: many writers on one principal
accounts:
  "{ACCT}":
    users: [{{name: admin}}]
    roles: [{{name: nodes}}, {{name: shared}}]
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "arn:aws:iam::{ACCT}:user/admin"}}
    authenticationMode: {mode}
{entries}    awsAuth:
      mapRoles: |
        # hand-written; keep
        - rolearn: {NODES}
          username: system:node:{{{{EC2PrivateDNSName}}}}
          groups: [system:bootstrappers, system:nodes]
        - rolearn: {SHARED}
          username: shared
          groups:
            - team
    kubernetes:
      - {{apiVersion: v1, kind: Namespace, metadata: {{name: dev}}}}
profiles:
  - {{name: admin, user: "arn:aws:iam::{ACCT}:user/admin"}}
"""


def start(make_sandbox: MakeSandbox, tmp_path: Path, mode: str) -> RunningSandbox:
    path = tmp_path / f"one-principal-{mode}.yaml"
    path.write_text(scenario(mode), encoding="utf-8")
    return make_sandbox(str(path))


def run_writers(
    sb: RunningSandbox, tmp_path: Path, commands: Sequence[Sequence[str]]
) -> list[dict[str, object]]:
    """Start every command at once; each must exit 0 with a JSON report. Returns the reports."""
    env = {**os.environ, **sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "eksaccess.cli.main", *command, "-o", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    outcomes = [(*p.communicate(timeout=240), p.returncode) for p in procs]
    failed = [(code, _why(out, err)) for out, err, code in outcomes if code]
    assert not failed, failed
    return [json.loads(out) for out, _, _ in outcomes]


def _why(out: str, err: str) -> object:
    try:
        report = json.loads(out)
    except ValueError:
        return err.strip().splitlines()[-3:]
    return report.get("verification"), report.get("mergeRounds")


def live(sb: RunningSandbox):  # type: ignore[no-untyped-def]
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo")
    try:
        return read_live(conn).state
    finally:
        conn.close()


def test_twenty_groups_on_one_aws_auth_row_all_land(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "CONFIG_MAP")
    reports = run_writers(
        sb,
        tmp_path,
        [
            ["grant", SHARED, "--cluster", "demo", "--via", "aws-auth", "--group", f"sg{i:02d}"]
            for i in range(WRITERS)
        ],
    )
    state = live(sb)
    row = parse_aws_auth(state.aws_auth).match_role(SHARED)
    assert row is not None
    assert set(row.groups) == {"team", *(f"sg{i:02d}" for i in range(WRITERS))}
    assert row.username == "shared"
    text = (state.aws_auth or {})["mapRoles"]
    assert text.startswith("# hand-written; keep\n")
    assert text.count("rolearn:") == 2  # merged into the one row, never a second row
    node = parse_aws_auth(state.aws_auth).match_role(NODES)
    assert node is not None and node.username == "system:node:{{EC2PrivateDNSName}}"
    assert all(r["verification"]["ok"] for r in reports)  # type: ignore[index]
    assert sum(r["conflictsRetried"] for r in reports) > 0  # type: ignore[misc]  # they did collide


def test_twenty_groups_on_one_access_entry_all_land(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "API_AND_CONFIG_MAP")
    reports = run_writers(
        sb,
        tmp_path,
        [["grant", SHARED, "--cluster", "demo", "--group", f"grp{i:02d}"] for i in range(WRITERS)],
    )
    entry = find_entry(live(sb), SHARED)
    assert entry is not None
    assert set(entry.kubernetes_groups) == {"team", *(f"grp{i:02d}" for i in range(WRITERS))}
    assert all(r["verification"]["ok"] for r in reports)  # type: ignore[index]


def twenty_policies() -> list[str]:
    names = [name for name, p in CATALOGUE.items() if p.listed and name != AUTO_NODE]
    if len(names) < WRITERS:
        pytest.fail(f"only {len(names)} listed access policies")
    return names[:WRITERS]


def test_twenty_policies_on_one_access_entry_all_land(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = start(make_sandbox, tmp_path, "API_AND_CONFIG_MAP")
    names = twenty_policies()
    reports = run_writers(
        sb, tmp_path, [["grant", SHARED, "--cluster", "demo", "--policy", name] for name in names]
    )
    entry = find_entry(live(sb), SHARED)
    assert entry is not None
    assert {p.policy_arn.rsplit("/", 1)[-1] for p in entry.policies} == set(names)
    assert set(entry.kubernetes_groups) == {"team"}  # nobody's group list was touched
    assert all(r["verification"]["ok"] for r in reports)  # type: ignore[index]


def test_a_refused_write_is_one_line_exit_two_and_records_nothing(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """EKS refuses CreateAccessEntry for a principal that does not exist (InvalidParameterException): the
    same refusal on every run, so no "run it again" hint, exit 2, and no history version claiming a change."""
    from eksaccess.adapters.history_files import HistoryFiles
    from eksaccess.errors import InputError
    from eksaccess.features.manage.apply import apply_plan
    from eksaccess.features.manage.grant import GrantRequest, plan_grant

    sb = start(make_sandbox, tmp_path, "API_AND_CONFIG_MAP")
    history = HistoryFiles(tmp_path / "h", account=ACCT, region="us-west-2", cluster="demo")
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo")
    try:
        view = read_live(conn)
        ghost = f"arn:aws:iam::{ACCT}:role/no-such-role"
        plan = plan_grant(view.state, GrantRequest(arn=ghost, groups=("team",)))
        with pytest.raises(InputError) as refused:
            apply_plan(conn, view, plan, history=history)
        assert "EKS refused CreateAccessEntry" in refused.value.message
        assert "invalid principal" in refused.value.message
        assert "\n" not in refused.value.message
        assert history.versions() == []
    finally:
        conn.close()
