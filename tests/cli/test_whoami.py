"""``eksaccess whoami`` on examples/snapshot.yaml: output and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eksaccess.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = str(ROOT / "examples" / "snapshot.yaml")
A = "111122223333"
DEV = f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Developer_0a1b2c3d4e5f6789/jane@example.com"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["whoami", *args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "--snapshot", SNAPSHOT, "-o", "json", *args)
    return code, json.loads(out)


def test_sso_developer_is_mapped_by_its_access_entry(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "--arn", DEV)
    assert code == 0
    assert data["authenticated"] is True
    assert data["principalArn"] == f"arn:aws:iam::{A}:role/AWSReservedSSO_Developer_0a1b2c3d4e5f6789"
    assert data["username"] == "developer:jane-example.com"
    assert data["groups"] == ["developers", "system:authenticated"]
    assert data["source"] == {"kind": "accessEntry", "index": 1}
    assert [p["accessScope"] for p in data["accessPolicies"]] == [
        {"type": "namespace", "namespaces": ["dev-*", "staging"]},
        {"type": "cluster", "namespaces": []},
    ]
    # the old aws-auth row for the same role is shadowed by the access entry
    assert any(m["where"] == "aws-auth mapRoles[2]" and "shadowed" in m["reason"] for m in data["nearMisses"])


def test_role_arn_gets_the_default_session(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--snapshot", SNAPSHOT, "--arn", f"arn:aws:iam::{A}:role/breakglass-admin")
    assert code == 0
    assert "session      eksaccess (assumed" in out
    assert "breakglass:eksaccess" in out
    assert "system:masters" in out


def test_session_name_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(
        capsys, "--arn", f"arn:aws:iam::{A}:role/breakglass-admin", "--session-name", "ops@corp"
    )
    assert code == 0
    assert data["username"] == "breakglass:ops-corp"
    assert data["source"] == {"kind": "mapRoles", "index": 1}
    assert data["accessPolicies"] == []


def test_map_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "--arn", "arn:aws:sts::777788889999:assumed-role/Dev/s1")
    assert code == 0
    assert data["username"] == "arn:aws:iam::777788889999:role/Dev"
    assert data["groups"] == ["system:authenticated"]


def test_not_mapped_exits_1_with_near_miss(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--snapshot", SNAPSHOT, "--arn", f"arn:aws:sts::{A}:assumed-role/codebuild-release/build-42"
    )
    assert code == 1
    assert "NOT MAPPED" in out
    assert "aws-auth mapRoles[3]: rolearn includes the path /service-role/" in out


def test_not_mapped_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "--arn", f"arn:aws:iam::{A}:user/mallory")
    assert code == 1
    assert data["authenticated"] is False
    assert data["username"] is None
    assert data["source"] == {"kind": "none", "index": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--snapshot", SNAPSHOT, "--arn", "not-an-arn"], "is not an ARN"),
        (["--snapshot", "/nonexistent/snap.yaml", "--arn", DEV], "no such file"),
        (["--snapshot", SNAPSHOT, "--arn", DEV, "--session-name", "x"], "already names the session"),
        (
            ["--snapshot", SNAPSHOT, "--arn", f"arn:aws:iam::{A}:user/alice", "--session-name", "x"],
            "IAM role ARN",
        ),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_snapshot_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "snap.yaml"
    bad.write_text("apiVersion: eksaccess/v1\nkind: ClusterState\n", encoding="utf-8")
    code, _, err = run(capsys, "--snapshot", str(bad), "--arn", DEV)
    assert code == 2
    assert "cluster: is required" in err


def test_subprocess_reads_stdin() -> None:
    text = Path(SNAPSHOT).read_text(encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "eksaccess.cli.main", "whoami", "--snapshot", "-", "--arn", DEV, "-o", "json"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["username"] == "developer:jane-example.com"


def test_schema_command_prints_and_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # `eksaccess schema` shares the snapshot format with whoami; its tests live here.
    main(["schema"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["title"] == "ClusterState"
    main(["schema", "--write", str(tmp_path / "out")])
    written = (tmp_path / "out" / "cluster-state.schema.json").read_text(encoding="utf-8")
    assert json.loads(written) == printed


def test_node_role_used_by_a_person(capsys: pytest.CaptureFixture[str]) -> None:
    arn = f"arn:aws:sts::{A}:assumed-role/eks-node-group-role/jane"
    code, data = run_json(capsys, "--arn", arn)
    assert code == 1
    assert data["source"] == {"kind": "accessEntry", "index": 5}
    assert "SessionName did not contain an instance id" in data["error"]


def test_node_with_instance_session(capsys: pytest.CaptureFixture[str]) -> None:
    arn = f"arn:aws:sts::{A}:assumed-role/eks-node-group-role/i-0123456789abcdef0"
    code, out, _ = run(capsys, "--snapshot", SNAPSHOT, "--arn", arn)
    assert code == 0
    assert "system:bootstrappers, system:nodes, system:authenticated" in out
    assert "private DNS name is unknown offline" in out
