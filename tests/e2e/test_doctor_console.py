"""doctor --console end to end: it names what keeps the EKS console from showing the cluster, and its printed
fix, pasted literally into ``bash -c`` with the sandbox's environment (the eksaccess form and the plain
aws/kubectl form), makes every read the console makes work for that principal with the real kubectl, makes
iam:SimulatePrincipalPolicy (the real aws CLI) allow the console's actions, and doctor --console exit 0.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from eksaccess.domain.console import CONSOLE_IAM_ACTIONS, read_requests
from eksaccess.sandbox.testing import running_sandbox
from support.cli import run_cli
from support.clients import client_env, require, run

FORMS = ("eksaccess", "plain")
ACCOUNT = "111122223333"


def _console(env: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli(env, "doctor", "--console", "-o", "json", *args)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def _codes(report: Mapping[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] in ("error", "warning")}


def _paste(env: Mapping[str, str], report: Mapping[str, Any], form: str) -> None:
    commands = [
        command
        for f in report["findings"]
        if f["severity"] in ("error", "warning")
        for step in f["fix"]
        for command in ((step["eksaccess"] or step["plain"]) if form == "eksaccess" else step["plain"])
    ]
    assert commands, f"doctor --console printed no command ({form} form): {report['findings']}"
    for command in commands:
        done = run(env, ["bash", "-c", command])
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout}\n{done.stderr}"


def _kubectl_as(env: Mapping[str, str], who: Sequence[str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, [require("kubectl"), *who, *args])


def _token_of(env: Mapping[str, str], profile: str) -> list[str]:
    """kubectl flags that send the token the profile's principal gets from the real aws CLI."""
    done = run(
        env,
        [
            require("aws"),
            "eks",
            "get-token",
            "--cluster-name",
            "demo",
            "--region",
            "us-west-2",
            "--profile",
            profile,
        ],
    )
    assert done.returncode == 0, done.stderr
    return ["--context", "admin", "--token", json.loads(done.stdout)["status"]["token"]]


def _console_reads_work(env: Mapping[str, str], who: Sequence[str], namespaces: Sequence[str] = ()) -> None:
    """Every list the console makes is allowed: a SelfSubjectAccessReview per read, all created by one kubectl
    with the exact attributes (``kubectl auth can-i`` drops the group of a resource the sandbox does not
    serve), then ``kubectl auth can-i`` and ``kubectl get`` for the lists the sandbox serves."""
    requests = list(read_requests(namespaces))
    reviews = []
    for request in requests:
        attributes = {"verb": "list", "resource": request.read.resource, "group": request.read.group}
        if request.namespace:
            attributes["namespace"] = request.namespace
        reviews.append(
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes},
            }
        )
    reviews_list = {"apiVersion": "v1", "kind": "List", "items": reviews}
    done = run(
        env, [require("kubectl"), *who, "create", "-f", "-", "-o", "json"], stdin=json.dumps(reviews_list)
    )
    assert done.returncode == 0, done.stderr
    created, text, decoder = [], done.stdout.strip(), json.JSONDecoder()  # one JSON object per review
    while text:
        review, end = decoder.raw_decode(text)
        created.append(review)
        text = text[end:].lstrip()
    assert len(created) == len(requests), done.stdout
    for request, review in zip(requests, created, strict=True):
        assert review["status"]["allowed"] is True, (request.describe(), review["status"])
    where = ["-n", namespaces[0]] if namespaces else ["-A"]
    for resource, scope in (("nodes", []), ("namespaces", []), ("pods", where), ("deployments.apps", where)):
        can_i = _kubectl_as(env, who, "auth", "can-i", "list", resource, *scope)
        assert can_i.stdout.strip() == "yes", (resource, can_i.stdout, can_i.stderr)
        got = _kubectl_as(env, who, "get", resource, *scope)
        assert got.returncode == 0, (resource, got.stderr)


def _simulation_allows(env: Mapping[str, str], role_or_user_arn: str) -> None:
    done = run(
        env,
        [
            require("aws"),
            "iam",
            "simulate-principal-policy",
            "--policy-source-arn",
            role_or_user_arn,
            "--action-names",
            *CONSOLE_IAM_ACTIONS,
            "--profile",
            "admin",
            "--output",
            "json",
        ],
    )
    assert done.returncode == 0, done.stderr
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in json.loads(done.stdout)["EvaluationResults"]}
    assert set(decisions.values()) == {"allowed"}, decisions


def test_a_console_role_without_access_kubernetes_api(tmp_path: Path) -> None:
    require("aws")
    role = f"arn:aws:iam::{ACCOUNT}:role/console"
    with running_sandbox(tmp_path / "sandbox", "console-role-missing-access-kubernetes-api") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        assert _kubectl_as(env, [], "get", "nodes").returncode == 0  # kubectl never needs the action
        code, alone = _console(env)
        assert (code, _codes(alone)) == (1, {"CONSOLE_IAM_ACTION_MISSING"}), alone["findings"]
        (missing,) = alone["findings"]
        assert missing["evidence"]["denied"] == {"eks:AccessKubernetesApi": "implicitDeny"}
        code, report = _console(env, "--admin-profile", "admin")
        assert (code, _codes(report)) == (1, {"CONSOLE_IAM_ACTION_MISSING"})
        _paste(env, report, "plain")  # IAM has no eksaccess form
        _simulation_allows(env, role)
        _console_reads_work(env, [])
        code, after = _console(env)
        assert code == 0, after["findings"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("namespaces", [(), ("dev",)], ids=["cluster-wide", "dev"])
def test_a_console_role_that_cannot_list_nodes(
    form: str, namespaces: tuple[str, ...], tmp_path: Path
) -> None:
    require("aws")
    scope = ["-n", ",".join(namespaces)] if namespaces else []
    with running_sandbox(tmp_path / "sandbox", "console-role-cannot-list-nodes") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        assert _kubectl_as(env, [], "get", "pods").returncode == 0  # kubectl in 'dev' works
        assert _kubectl_as(env, [], "auth", "can-i", "list", "nodes").stdout.strip() == "no"
        code, alone = _console(env, *scope)
        assert (code, _codes(alone)) == (1, {"CONSOLE_CANNOT_LIST"}), alone["findings"]
        code, report = _console(env, "--admin-profile", "admin", *scope)
        assert (code, _codes(report)) == (1, {"CONSOLE_CANNOT_LIST"}), report["findings"]
        denied = {d["resource"] for d in report["findings"][0]["evidence"]["denied"]}
        assert {"nodes", "namespaces"} <= denied
        _paste(env, report, form)
        _console_reads_work(env, [], namespaces)
        code, after = _console(env, *scope)
        assert code == 0, after["findings"]


@pytest.mark.parametrize("form", FORMS)
def test_an_unmapped_console_principal_in_config_map_mode(form: str, tmp_path: Path) -> None:
    """CONFIG_MAP: AWS's console ClusterRole and binding, and an aws-auth row (path-less) with its group."""
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "aws-auth-row-missing") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, report = _console(env, "--admin-profile", "admin")
        assert (code, _codes(report)) == (1, {"CONSOLE_NOT_MAPPED"}), report["findings"]
        _paste(env, report, form)
        _console_reads_work(env, [])
        code, after = _console(env)
        assert code == 0, after["findings"]


@pytest.mark.parametrize("form", FORMS)
def test_an_administrator_diagnoses_someone_elses_console(form: str, tmp_path: Path) -> None:
    """--as-arn: alice is neither mapped nor allowed the console's IAM actions; both fixes are printed."""
    require("aws")
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    with running_sandbox(tmp_path / "sandbox", "baseline") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, report = _console(env, "--as-arn", alice, "--admin-profile", "admin")
        assert (code, _codes(report)) == (1, {"CONSOLE_NOT_MAPPED", "CONSOLE_IAM_ACTION_MISSING"})
        _paste(env, report, form)
        _simulation_allows(env, alice)
        _console_reads_work(env, _token_of(env, "alice"))
        code, after = _console(env, "--as-arn", alice, "--admin-profile", "admin")
        assert code == 0, after["findings"]


def test_the_iam_check_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    """The developer role may not call iam:SimulatePrincipalPolicy: a warning, not a verdict."""
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "baseline") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, report = _console(env, "--context", "developer", "-n", "dev")
        assert _codes(report) == {"CONSOLE_IAM_UNCHECKED", "CONSOLE_CANNOT_LIST"}, report["findings"]
        assert code == 1 and report["console"]["iam"]["decisions"] is None
        code, report = _console(env, "--context", "admin")
        assert (code, _codes(report)) == (0, set()), report["findings"]
        text = run_cli(env, "doctor", "--console", "--context", "developer", "-n", "dev")
        assert text.returncode == 1 and "error CONSOLE_CANNOT_LIST" in text.stdout, text.stdout
        assert "warning CONSOLE_IAM_UNCHECKED" in text.stdout and "problem found." in text.stdout
        text = run_cli(env, "doctor", "--console", "--context", "admin", "-o", "yaml")
        assert text.returncode == 0 and "mapped: true" in text.stdout, text.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sandbox", "baseline") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        for args in (["-n", "Not_A_Namespace"], ["--fix"], ["--profile", "nobody"]):
            done = run_cli(env, "doctor", "--console", *args)
            assert done.returncode == 2, (args, done.stderr)
            assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
