"""History files (private, atomic, numbered, concurrent-safe), rollback plans, retry, CLI policy order."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from eksaccess.adapters.history_files import HistoryFiles, default_root
from eksaccess.adapters.kube import KubeCallError
from eksaccess.cli.commands.manage import grant
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.history import recorded_state, rollback_plan, snapshot
from eksaccess.features.manage.steps import StepCode
from eksaccess.features.retry import Backoff, retry

ACCT = "111122223333"
DATA = {
    "mapRoles": "# keep me\n- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n  groups: [system:masters]\n"
}


def files(tmp_path: Path) -> HistoryFiles:
    return HistoryFiles(tmp_path / "h", account=ACCT, region="us-west-2", cluster="demo")


def test_records_are_private_numbered_and_never_share_a_number(tmp_path: Path) -> None:
    history = files(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda i: history.create({"command": f"c{i}"}), range(16)))
    assert sorted(versions) == list(range(1, 17)) and history.versions() == list(range(1, 17))
    for path in history.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.directory.stat().st_mode) == 0o700
    history.update(3, {"command": "changed"})
    assert history.read(3) == {"command": "changed", "version": 3}
    assert not [p for p in history.directory.iterdir() if p.name.startswith(".tmp")]


def test_root_comes_from_the_environment(tmp_path: Path) -> None:
    assert default_root({"EKSACCESS_HISTORY_DIR": str(tmp_path)}) == tmp_path
    assert default_root({}).name == "history"


def live(mode: str = "API", data: dict[str, str] | None = None, entries: list[str] = ()) -> ClusterState:  # type: ignore[assignment]
    return ClusterState.model_validate(
        {
            "apiVersion": "eksaccess/v1",
            "kind": "ClusterState",
            "cluster": {"name": "demo", "region": "us-west-2", "accountId": ACCT},
            "authenticationMode": mode,
            "accessEntries": [{"principalArn": a} for a in entries],
            "awsAuth": data,
        }
    )


def test_rollback_restores_entries_and_aws_auth_verbatim(tmp_path: Path) -> None:
    before = live("API_AND_CONFIG_MAP", DATA, ["arn:aws:iam::111122223333:user/admin"])
    now = live(
        "API_AND_CONFIG_MAP",
        {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/x\n"},
        ["arn:aws:iam::111122223333:user/alice"],
    )
    history = files(tmp_path)
    history.create({"before": snapshot(before, "7"), "after": snapshot(now, "9")})
    version, recorded = recorded_state(history, None)
    plan = rollback_plan(now, recorded)
    assert version == 1
    assert {s.code for s in plan.steps} == {
        StepCode.ENTRY_CREATE,
        StepCode.ENTRY_DELETE,
        StepCode.AWS_AUTH_RESTORE,
    }
    assert plan.after.aws_auth == DATA and [e.principal_arn for e in plan.after.access_entries()] == [
        "arn:aws:iam::111122223333:user/admin"
    ]
    assert rollback_plan(before, recorded).steps == ()
    with pytest.raises(InputError, match="no history version 5"):
        recorded_state(history, 5)


def test_retry_gives_up_on_real_errors_and_retries_transient_ones() -> None:
    calls: list[int] = []
    backoff = Backoff(attempts=4, sleep=lambda _: None)

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise KubeCallError("throttled", status=429)
        return "ok"

    assert retry(flaky, backoff) == "ok" and len(calls) == 3
    with pytest.raises(KubeCallError):
        retry(lambda: (_ for _ in ()).throw(KubeCallError("forbidden", status=403)), backoff)
    assert all(0 <= backoff.delay(a) <= backoff.cap for a in range(20))


def test_policy_and_namespace_order_on_the_command_line() -> None:
    args = [
        "arn:aws:iam::1:user/a",
        "--cluster",
        "c",
        "--policy",
        "edit",
        "--namespace",
        "a",
        "--namespace",
        "b",
        "--policy",
        "view",
    ]
    with grant.make_context("grant", list(args)) as ctx:
        found = ctx.meta["eksaccess.policies"]
    assert [(p.policy, p.namespaces) for p in found] == [("edit", ("a", "b")), ("view", ())]
    with pytest.raises(click.UsageError, match="must follow"):
        grant.make_context(
            "grant", ["arn:aws:iam::1:user/a", "--cluster", "c", "--namespace", "a", "--policy", "x"]
        )
