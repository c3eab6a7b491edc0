"""The creator, named (issue 20 part 6), end to end with the real aws CLI and kubectl on the sandbox.

* creator-deleted-config-map: the creator user is gone; the EKS-API recovery doctor prints
  (CREATOR_DELETED) is pasted literally, both forms, and then kubectl works for the recovering principal
  and doctor exits 0.
* creator-role-config-map: the creator is a role the admin may assume; the commands CREATOR_FOUND prints
  to act as it are pasted, then the fix doctor prints as the creator, and kubectl works for the developer.
* CREATOR_UNKNOWN: LookupEvents refused, and a cluster created before CloudTrail's 90 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_env, one_finding, require, run

FORMS = ("eksaccess", "plain")


def _commands(finding: Mapping[str, Any], form: str) -> list[str]:
    out: list[str] = []
    for step in finding["fix"]:
        assert not step["byHand"], step
        out += (step["eksaccess"] or step["plain"]) if form == "eksaccess" else step["plain"]
    return out


def _paste(env: Mapping[str, str], commands: list[str], *, diagnoses: bool = False) -> None:
    for command in commands:
        done = run(env, ["bash", "-c", command])
        allowed = (0, 1) if diagnoses and command.startswith("eksaccess doctor") else (0,)
        assert done.returncode in allowed, f"`{command}` failed:\n{done.stdout}\n{done.stderr}"


def _errors_and_warnings(report: Mapping[str, Any], form: str) -> list[str]:
    out: list[str] = []
    for finding in report["findings"]:
        if finding["severity"] in ("error", "warning"):
            for step in finding["fix"]:
                if not step["byHand"]:
                    out += (step["eksaccess"] or step["plain"]) if form == "eksaccess" else step["plain"]
    return out


@pytest.mark.parametrize("form", FORMS)
def test_the_recovery_from_a_deleted_creator_works_when_pasted(form: str, tmp_path: Path) -> None:
    require("aws")
    kubectl = require("kubectl")
    with running_sandbox(tmp_path / "sandbox", "creator-deleted-config-map") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        assert run(env, [kubectl, "get", "pods"]).returncode != 0  # admin has no Kubernetes identity
        code, report = doctor_json(env)
        assert code == 1
        deleted = one_finding(report, "CREATOR_DELETED")
        assert deleted["evidence"]["creator"] == "arn:aws:iam::111122223333:user/founder"
        assert deleted["evidence"]["recoverer"] == "arn:aws:iam::111122223333:user/admin"
        commands = _commands(deleted, form)
        assert "--access-config authenticationMode=API_AND_CONFIG_MAP" in commands[0]
        _paste(env, commands)
        pods = run(env, [kubectl, "get", "pods"])
        assert pods.returncode == 0, pods.stderr
        who = run(env, [kubectl, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
        assert who.stdout == "arn:aws:iam::111122223333:user/admin", who.stderr
        code, again = doctor_json(env)
        assert code == 0, [f for f in again["findings"] if f["severity"] == "error"]
        assert not {f["code"] for f in again["findings"]} & {"CREATOR_DELETED", "NOT_MAPPED"}


@pytest.mark.parametrize("form", FORMS)
def test_acting_as_the_creator_role_works_when_pasted(form: str, tmp_path: Path) -> None:
    require("aws")
    kubectl = require("kubectl")
    with running_sandbox(tmp_path / "sandbox", "creator-role-config-map") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        _, report = doctor_json(env, "--admin-profile", "admin")
        found = one_finding(report, "CREATOR_FOUND")
        assert found["severity"] == "info"
        assert found["evidence"]["creator"] == "arn:aws:iam::111122223333:role/platform-creator"
        assert found["evidence"]["identityType"] == "AssumedRole"
        assert found["evidence"]["exists"] is True
        _paste(env, _commands(found, form), diagnoses=True)
        # as the creator, doctor reads aws-auth and names the exact cause; its fix is pasted too
        _, as_creator = doctor_json(env, "--admin-profile", "eks-creator")
        codes = {f["code"] for f in as_creator["findings"] if f["severity"] in ("error", "warning")}
        assert codes == {"AWS_AUTH_ENTRY_MISSING"}, as_creator["findings"]
        _paste(env, _errors_and_warnings(as_creator, form))
        pods = run(env, [kubectl, "get", "pods"])  # the developer's context
        assert pods.returncode == 0, pods.stderr
        code, again = doctor_json(env)
        assert code == 0, [f for f in again["findings"] if f["severity"] == "error"]


def test_the_creator_unknown_when_cloudtrail_is_refused_or_too_old(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "creator-role-config-map") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        _, report = doctor_json(env)  # the developer may not call cloudtrail:LookupEvents
        unknown = one_finding(report, "CREATOR_UNKNOWN")
        assert unknown["severity"] == "info"
        assert "cloudtrail:LookupEvents" in unknown["detail"]
        [lookup] = unknown["fix"][0]["plain"]
        listed = run(
            env, ["bash", "-c", lookup + " --profile admin --query 'Events[].Username' --output text"]
        )
        assert listed.returncode == 0 and listed.stdout.split() == ["cluster-creator"], (
            listed.stderr
        )  # a role's: the session
    with running_sandbox(tmp_path / "sandbox2", "creator-deleted-config-map") as sandbox:
        env = client_env(sandbox, tmp_path / "home2")
        _, report = doctor_json(env, "--context", "legacy")  # created 400 days ago
        unknown = one_finding(report, "CREATOR_UNKNOWN")
        assert "90 days" in unknown["detail"]
        assert "CREATOR_DELETED" not in {f["code"] for f in report["findings"]}
