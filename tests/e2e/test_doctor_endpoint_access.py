"""doctor names why the endpoint cannot be reached (issue 20, part 2), end to end: the sandbox's cluster
refuses connections while public access is off or its CIDRs leave this machine's public IP out (the
scenario's clientIp, which the sandbox's check-IP service answers), doctor reads resourcesVpcConfig and the
check-IP answer, prints the exact `aws eks update-cluster-config`, and pasting it makes kubectl work.
(test_doctor_fix_paste.py pastes every scenario's fix in both forms; this file holds the exact commands,
--offline, a check-IP service that does not answer, and the 40-CIDR limit.)"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.scenarios.model import builtin_text
from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_env, require, run_shell

ME = "203.0.113.10"
UPDATE = (
    "aws eks update-cluster-config --name demo --region us-west-2 --profile admin --resources-vpc-config "
)
WAIT = "aws eks wait cluster-active --name demo --region us-west-2 --profile admin"


def _kubectl(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return run_shell(env, f"{require('kubectl')} get pods --request-timeout=10s")


def _problems(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in report["findings"] if f["severity"] in ("error", "warning")}


def _plain(finding: Mapping[str, Any]) -> list[str]:
    return [c for step in finding["fix"] for c in step["plain"]]


@pytest.mark.parametrize(
    ("scenario", "code", "option", "cidrs_after"),
    [
        (
            "public-cidrs-exclude-you",
            "ENDPOINT_CIDR_EXCLUDES_YOU",
            f"endpointPublicAccess=true,publicAccessCidrs=198.51.100.0/24,192.0.2.0/28,{ME}/32",
            ["198.51.100.0/24", "192.0.2.0/28", f"{ME}/32"],
        ),
        (  # the CIDRs set while public access was off are kept, and this machine's added
            "public-access-off-cidrs-set",
            "ENDPOINT_PUBLIC_ACCESS_OFF",
            f"endpointPublicAccess=true,publicAccessCidrs=198.51.100.0/24,{ME}/32",
            ["198.51.100.0/24", f"{ME}/32"],
        ),
        (  # public off with EKS's default 0.0.0.0/0: turned on for this machine alone, not the internet
            "private-endpoint-only",
            "ENDPOINT_PUBLIC_ACCESS_OFF",
            f"endpointPublicAccess=true,publicAccessCidrs={ME}/32",
            [f"{ME}/32"],
        ),
    ],
)
def test_the_printed_update_keeps_the_cidrs_and_lets_kubectl_in(
    scenario: str, code: str, option: str, cidrs_after: list[str], tmp_path: Path
) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", scenario) as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        refused = _kubectl(env)
        assert refused.returncode != 0 and "connection refused" in refused.stderr, refused.stderr
        exit_code, report = doctor_json(env)
        assert exit_code == 1
        finding = _problems(report)[code]
        assert finding["evidence"]["yourIp"] == ME
        assert "ENDPOINT_UNREACHABLE" not in _problems(report)  # the cause is named instead
        assert _plain(finding) == [UPDATE + option, WAIT]
        if code == "ENDPOINT_PUBLIC_ACCESS_OFF":
            assert "security group" in finding["detail"] and "cannot see" in finding["detail"]
        for command in _plain(finding):
            done = run_shell(env, command)
            assert done.returncode == 0, f"`{command}`: {done.stderr}"
        assert _kubectl(env).returncode == 0
        vpc = sandbox.client("eks", "admin").describe_cluster(name="demo")["cluster"]["resourcesVpcConfig"]
        assert (vpc["endpointPublicAccess"], vpc["publicAccessCidrs"]) == (True, cidrs_after)
        exit_code, again = doctor_json(env)
        assert exit_code == 0 and not {"ENDPOINT_CIDRS_IGNORED", code} & set(_problems(again)), again


def test_offline_and_an_unanswered_check_ip_say_which_check_was_not_made(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "public-cidrs-exclude-you") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        _, report = doctor_json(env, "--offline")
        problems = _problems(report)
        assert set(problems) == {"ENDPOINT_UNREACHABLE", "ENDPOINT_CIDRS_UNCHECKED"}, report["findings"]
        unchecked = problems["ENDPOINT_CIDRS_UNCHECKED"]
        assert "198.51.100.0/24, 192.0.2.0/28" in unchecked["detail"] and "--offline" in unchecked["detail"]
        assert _plain(unchecked) == ["curl -s https://checkip.amazonaws.com"]
        # a check-IP service that does not answer (a closed port): said so, not taken as "excluded"
        closed = client_env(sandbox, tmp_path / "home", EKSACCESS_CHECKIP_URL="https://127.0.0.1:9/")
        _, report = doctor_json(closed)
        unchecked = _problems(report)["ENDPOINT_CIDRS_UNCHECKED"]
        assert "did not answer" in unchecked["detail"], unchecked["detail"]
        assert "ENDPOINT_CIDR_EXCLUDES_YOU" not in _problems(report)


def test_no_command_beyond_the_forty_cidr_limit(tmp_path: Path) -> None:
    """A list already at EKS's limit (40): doctor adds nothing EKS would refuse, and says why."""
    require("aws")
    forty = ", ".join(f'"198.51.100.{i}/32"' for i in range(40))
    text = builtin_text("public-cidrs-exclude-you").replace(
        'publicAccessCidrs: ["198.51.100.0/24", "192.0.2.0/28"]', f"publicAccessCidrs: [{forty}]"
    )
    assert forty in text
    path = tmp_path / "full.yaml"
    path.write_text(text.replace("name: public-cidrs-exclude-you", "name: full-cidrs"))
    with running_sandbox(tmp_path / "sandbox", str(path)) as sandbox:
        _, report = doctor_json(client_env(sandbox, tmp_path / "home"))
        finding = _problems(report)["ENDPOINT_CIDR_EXCLUDES_YOU"]
        assert "EKS's limit (40)" in finding["detail"]
        assert _plain(finding) == [] and all(not s["eksaccess"] for s in finding["fix"])
