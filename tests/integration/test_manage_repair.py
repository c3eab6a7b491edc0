"""``eksaccess repair aws-auth`` on the sandbox: the rows that never match are rewritten through the plan/apply
engine (history, rollback, verification), concurrently with other writers, and nothing else changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from eksaccess.adapters.aws import AwsSession
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.features.manage.connect import connect, read_live
from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]
ACCT = "111122223333"
WRITERS = 6
MAP_ROLES = f"""# hand-written
- rolearn: arn:aws:iam::{ACCT}:role/teams/deployer   # the path never matches
  username: deployer
  groups:
    - system:masters
- rolearn: arn:aws:sts::{ACCT}:assumed-role/developer/alice
  username: "developer:{{{{SessionName}}}}"
  groups: [dev-team]
- rolearn: arn:aws:iam::{ACCT}:role/ops
  username: ops
  groups: [ops]
"""


def _scenario() -> str:
    roles = "\n".join(f"      - {{name: team-{i}}}" for i in range(WRITERS))
    block = "\n".join("        " + line for line in MAP_ROLES.splitlines())
    return f"""apiVersion: eksaccess/v1
kind: Scenario
name: repair
description: rows that never match
accounts:
  "{ACCT}":
    users: [{{name: admin}}]
    roles:
      - {{name: deployer, path: /teams/}}
      - {{name: developer}}
      - {{name: ops}}
{roles}
clusters:
  - cluster: {{name: demo, region: us-west-2, accountId: "{ACCT}", version: "1.31", creatorArn: "arn:aws:iam::{ACCT}:user/admin"}}
    authenticationMode: CONFIG_MAP
    awsAuth:
      mapRoles: |
{block}
profiles:
  - {{name: admin, user: "arn:aws:iam::{ACCT}:user/admin"}}
"""


def _eksaccess(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "eksaccess.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _aws_auth(sb: RunningSandbox) -> dict[str, str]:
    conn = connect(AwsSession(session=sb.boto_session("admin"), region="us-west-2"), "demo")
    try:
        return dict(read_live(conn).state.aws_auth or {})
    finally:
        conn.close()


def test_repair_rewrites_the_rows_beside_concurrent_grants_and_rolls_back(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "repair.yaml"
    path.write_text(_scenario(), encoding="utf-8")
    sb = make_sandbox(str(path))
    env = {**os.environ, **sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    procs = [_eksaccess(env, "repair", "aws-auth", "--cluster", "demo")]
    procs += [
        _eksaccess(
            env, "grant", f"arn:aws:iam::{ACCT}:role/team-{i}", "--cluster", "demo", "--group", f"g{i}"
        )
        for i in range(WRITERS)
    ]
    outcomes = [p.communicate(timeout=180) + (p.returncode,) for p in procs]
    assert [code for _, _, code in outcomes] == [0] * len(procs), [err for _, err, code in outcomes if code]
    assert "Verified" in outcomes[0][0], outcomes[0]
    data = _aws_auth(sb)
    auth = parse_aws_auth(data)
    deployer = auth.match_role(f"arn:aws:iam::{ACCT}:role/deployer")
    developer = auth.match_role(f"arn:aws:iam::{ACCT}:role/developer")
    assert deployer is not None and deployer.groups == ("system:masters",)
    assert developer is not None and developer.username == "developer:{{SessionName}}"
    for i in range(WRITERS):
        row = auth.match_role(f"arn:aws:iam::{ACCT}:role/team-{i}")
        assert row is not None and row.groups == (f"g{i}",)
    text = data["mapRoles"]
    assert (
        text.startswith("# hand-written\n")
        and f"- rolearn: arn:aws:iam::{ACCT}:role/ops\n  username: ops\n" in text
    )
    again = _eksaccess(env, "repair", "aws-auth", "--cluster", "demo")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "No changes" in out, (out, err)
    # the repair is in the history like any change: undo everything, back to the scenario's bytes
    history = _eksaccess(env, "history", "--cluster", "demo", "-o", "json")
    out, err = history.communicate(timeout=60)
    assert history.returncode == 0, err
    rollback = _eksaccess(env, "rollback", "--cluster", "demo", "--to", "0", "--force")
    out, err = rollback.communicate(timeout=120)
    assert rollback.returncode == 0, (out, err)
    assert _aws_auth(sb)["mapRoles"] == MAP_ROLES


def test_repair_of_nothing_plans_nothing(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    sb = make_sandbox("baseline")
    env = {**os.environ, **sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    proc = _eksaccess(env, "repair", "aws-auth", "--cluster", "demo", "--dry-run")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "No changes" in out and "no row that can be repaired" in err


def test_repair_keeps_one_row_per_arn_the_one_rbac_grants(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    """aws-auth-duplicate-row: the later row for the developer (a group bound nowhere) wins; repair removes it,
    keeps the earlier row (bound to edit in dev) and every other byte, and records the change."""
    sb = make_sandbox("aws-auth-duplicate-row")
    before = _aws_auth(sb)["mapRoles"]
    env = {**os.environ, **sb.env_for("admin"), "EKSACCESS_HISTORY_DIR": str(tmp_path / "history")}
    proc = _eksaccess(env, "repair", "aws-auth", "--cluster", "demo")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "aws-auth.row.dedupe" in out and "Verified" in out, (out, err)
    after = _aws_auth(sb)["mapRoles"]
    assert after == before[: before.index("# added later")]
    developer = parse_aws_auth({"mapRoles": after}).match_role(f"arn:aws:iam::{ACCT}:role/developer")
    assert developer is not None and developer.groups == ("dev-editors",)
    assert list((tmp_path / "history").rglob("*.json"))
    again = _eksaccess(env, "repair", "aws-auth", "--cluster", "demo", "--dry-run")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "No changes" in out, (out, err)
