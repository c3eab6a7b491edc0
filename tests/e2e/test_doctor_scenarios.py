"""doctor end to end: every built-in scenario, as its user, with the real aws CLI on the sandbox.

For each scenario the exact set of error and warning codes is asserted, once with only the user's own
credentials (doctor reads what it can and says what it could not see) and once with --admin-profile
(doctor reads the cluster's state and names the precise cause). Where the fix is something a user can
run, test_doctor_fix_paste.py pastes the printed fix and checks kubectl and doctor after it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.scenarios.model import builtin_names
from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_path, require

VENV_BIN = Path(sys.executable).parent

# scenario -> (codes as the user alone, codes with --admin-profile admin); errors and warnings only.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    # issue 21, IRSA (helper F): the kubectl walk of the admin context is healthy in each
    "irsa-healthy": (set(), set()),
    "irsa-wrong-sub": (set(), set()),
    "irsa-stringequals-wildcard": (set(), set()),
    "irsa-missing-aud": (set(), set()),
    "irsa-no-oidc-provider": (set(), set()),
    # issue 20 part 1, doctor --console (helper C): kubectl works; the console's codes: test_doctor_console.py
    "console-role-cannot-list-nodes": (set(), set()),
    "console-role-missing-access-kubernetes-api": (set(), set()),
    # issue 21, EKS Pod Identity (helper G): the kubectl walk of the admin context is healthy in each
    "pod-identity-healthy": (set(), set()),
    "pod-identity-no-tagsession": (set(), set()),
    "pod-identity-and-irsa": (set(), set()),
    "pod-identity-pod-before-association": (set(), set()),
    # issue 20 parts 6 and 7 (helper D): the creator named, the authenticator's log
    "creator-deleted-config-map": (
        {"NOT_MAPPED", "MAPPING_UNVERIFIED", "CREATOR_DELETED"},
        {"NOT_MAPPED", "MAPPING_UNVERIFIED", "CREATOR_DELETED"},
    ),
    "creator-role-config-map": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"NOT_MAPPED", "MAPPING_UNVERIFIED"}),
    "authenticator-log-on": ({"NOT_MAPPED"}, {"ACCESS_ENTRY_MISSING"}),  # the quoted line replaces UNVERIFIED
    "public-cidrs-exclude-you": ({"ENDPOINT_CIDR_EXCLUDES_YOU"}, {"ENDPOINT_CIDR_EXCLUDES_YOU"}),
    "public-access-off-cidrs-set": (
        {"ENDPOINT_PUBLIC_ACCESS_OFF", "ENDPOINT_CIDRS_IGNORED"},
        {"ENDPOINT_PUBLIC_ACCESS_OFF", "ENDPOINT_CIDRS_IGNORED"},
    ),
    "static-eks-token-expired": ({"STATIC_TOKEN_EXPIRED"}, {"STATIC_TOKEN_EXPIRED"}),
    "node-entry-standard-type": (set(), set()),  # the node role: test_doctor_nodes.py
    "node-row-session-name": (set(), set()),  # the node role: test_doctor_nodes.py
    "node-role-unmapped-after-migration": (set(), set()),  # the node role: test_doctor_nodes.py
    "karpenter-role-unmapped": (set(), set()),  # the node role: test_doctor_nodes.py
    "fargate-role-wrong-type": (set(), set()),  # the node role: test_doctor_nodes.py
    "sso-permission-set-reprovisioned": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"SSO_ROLE_STALE_SUFFIX"}),
    "sso-session-email-binding": ({"PERMISSION_DENIED"}, {"SSO_SESSION_NAME_AT"}),
    "baseline": (set(), set()),
    "assume-role-denied": ({"ASSUME_ROLE_DENIED"}, {"ASSUME_ROLE_DENIED"}),
    "aws-auth-assumed-role-arn": (
        {"NOT_MAPPED", "MAPPING_UNVERIFIED"},
        {"AWS_AUTH_ASSUMED_ROLE_ARN"},
    ),
    "aws-auth-ignored-api-mode": (
        {"NOT_MAPPED", "MAPPING_UNVERIFIED"},
        {"AWS_AUTH_IGNORED_API_MODE"},
    ),
    "aws-auth-malformed": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"AWS_AUTH_MALFORMED"}),
    "aws-auth-row-missing": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"AWS_AUTH_ENTRY_MISSING"}),
    "aws-auth-role-path": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"AWS_AUTH_ROLE_PATH"}),
    "developer-locked-out": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"ACCESS_ENTRY_MISSING"}),
    "entry-without-permissions": ({"PERMISSION_DENIED"}, {"NO_PERMISSIONS"}),
    "exec-v1alpha1": ({"EXEC_API_VERSION_UNSUPPORTED"}, {"EXEC_API_VERSION_UNSUPPORTED"}),
    "expired-credentials": ({"CREDENTIALS_EXPIRED"}, {"CREDENTIALS_EXPIRED"}),
    "groups-without-bindings": ({"PERMISSION_DENIED"}, {"NO_PERMISSIONS", "GROUPS_WITHOUT_BINDINGS"}),
    "invalid-keys": ({"CREDENTIALS_INVALID"}, {"CREDENTIALS_INVALID"}),
    "missing-access-entry": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"ACCESS_ENTRY_MISSING"}),
    "namespace-scope-elsewhere": ({"PERMISSION_DENIED"}, {"NAMESPACE_SCOPE"}),
    "recreated-role": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"ACCESS_ENTRY_STALE_PRINCIPAL"}),
    "stale-ca": ({"CA_MISMATCH"}, {"CA_MISMATCH"}),
    "wrong-cluster-name": ({"CLUSTER_NAME_MISMATCH"}, {"CLUSTER_NAME_MISMATCH"}),
    "wrong-endpoint": ({"ENDPOINT_MISMATCH"}, {"ENDPOINT_MISMATCH"}),
    "access-entry-overrides-aws-auth": (set(), set()),  # AWS_AUTH_SHADOWED is info
    "authenticator-not-installed": ({"EXEC_COMMAND_NOT_FOUND"}, {"EXEC_COMMAND_NOT_FOUND"}),
    "aws-auth-key-case": ({"NOT_MAPPED", "MAPPING_UNVERIFIED"}, {"AWS_AUTH_KEY_CASE"}),
    "aws-auth-duplicate-row": ({"PERMISSION_DENIED"}, {"AWS_AUTH_DUPLICATE_WRONG_ROW"}),
    "rbac-subject-case": ({"PERMISSION_DENIED"}, {"RBAC_SUBJECT_CASE"}),
    "clock-behind": ({"CLOCK_SKEW"}, {"CLOCK_SKEW"}),
    "clock-far-behind": ({"CLOCK_SKEW"}, {"CLOCK_SKEW"}),
    "cluster-creation-failed": ({"CLUSTER_NOT_ACTIVE"}, {"CLUSTER_NOT_ACTIVE"}),
    "cluster-deleted": ({"CLUSTER_NOT_FOUND"}, {"CLUSTER_NOT_FOUND"}),
    "cluster-still-creating": ({"CLUSTER_NOT_ACTIVE"}, {"CLUSTER_NOT_ACTIVE"}),
    "credential-process-failing": ({"CREDENTIALS_NOT_FOUND"}, {"CREDENTIALS_NOT_FOUND"}),
    "credential-process-user": (set(), set()),
    "current-context-deleted": ({"KUBECONFIG_CONTEXT_MISSING"}, {"KUBECONFIG_CONTEXT_MISSING"}),
    "describe-cluster-denied": ({"DESCRIBE_CLUSTER_DENIED"}, {"DESCRIBE_CLUSTER_DENIED"}),
    "exec-region-mismatch": ({"REGION_MISMATCH"}, {"REGION_MISMATCH"}),
    "kubeconfig-bearer-token": ({"KUBECONFIG_NOT_EKS_EXEC"}, {"KUBECONFIG_NOT_EKS_EXEC"}),
    "kubeconfig-client-certificate": ({"KUBECONFIG_NOT_EKS_EXEC"}, {"KUBECONFIG_NOT_EKS_EXEC"}),
    "kubeconfig-invalid": ({"KUBECONFIG_INVALID"}, {"KUBECONFIG_INVALID"}),
    "kubeconfig-missing": ({"KUBECONFIG_NOT_FOUND"}, {"KUBECONFIG_NOT_FOUND"}),
    "mapped-via-map-accounts": ({"PERMISSION_DENIED"}, {"MAPPED_VIA_ACCOUNT_ONLY", "NO_PERMISSIONS"}),
    "no-cluster-admin": (
        {"NOT_MAPPED", "MAPPING_UNVERIFIED"},
        {"ACCESS_ENTRY_MISSING", "NO_ADMIN_AVAILABLE"},
    ),
    "private-endpoint-only": ({"ENDPOINT_PUBLIC_ACCESS_OFF"}, {"ENDPOINT_PUBLIC_ACCESS_OFF"}),
    "profile-without-credentials": ({"CREDENTIALS_NOT_FOUND"}, {"CREDENTIALS_NOT_FOUND"}),
    "recreated-user": ({"ACCESS_ENTRY_STALE_PRINCIPAL"}, {"ACCESS_ENTRY_STALE_PRINCIPAL"}),
    "server-of-other-cluster": ({"ENDPOINT_MISMATCH"}, {"ENDPOINT_MISMATCH"}),
    "shell-profile-differs": (set(), set()),  # IDENTITY_DIFFERS_FROM_SHELL: info
    "sso-session-expired": ({"CREDENTIALS_EXPIRED"}, {"CREDENTIALS_EXPIRED"}),
    "static-eks-token": ({"STATIC_TOKEN"}, {"STATIC_TOKEN"}),
    "tls-inspecting-proxy": ({"TLS_VERIFY_FAILED"}, {"TLS_VERIFY_FAILED"}),
}

# Scenarios where doctor today says something else than EXPECTED (see each reason).
DOCTOR_GAPS: dict[str, str] = {}


def _env(sandbox_env: Mapping[str, str], home: Path) -> dict[str, str]:
    env = {**os.environ, **sandbox_env, "HOME": str(home)}
    env.pop("AWS_PROFILE", None)
    env["PATH"] = client_path()
    return env


def _doctor(env: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    return doctor_json(env, *args)  # in-process: the report is what is asserted on


def _codes(report: Mapping[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] in ("error", "warning")}


def test_every_builtin_scenario_has_an_expectation() -> None:
    assert set(builtin_names()) == set(EXPECTED)


# Codes no scenario's EXPECTED names (it lists errors and warnings only), and the test that shows each.
SHOWN_ELSEWHERE = {
    "CONSOLE_IAM_ACTION_MISSING": "test_doctor_console.py (console-role-missing-access-kubernetes-api)",
    "CONSOLE_IAM_UNCHECKED": "test_doctor_console.py (baseline, the developer role may not simulate)",
    "CONSOLE_NOT_MAPPED": "test_doctor_console.py (aws-auth-row-missing; baseline --as-arn alice)",
    "CONSOLE_CANNOT_LIST": "test_doctor_console.py (console-role-cannot-list-nodes)",
    "CREATOR_FOUND": "test_doctor_creator.py (creator-role-config-map, info)",
    "CREATOR_UNKNOWN": "test_doctor_creator.py (LookupEvents denied; a cluster older than 90 days; info)",
    "AUTHENTICATOR_LOG_LINE": "test_doctor_authenticator_log.py (authenticator-log-on, info)",
    "AUTHENTICATOR_LOG_OFF": "test_doctor_authenticator_log.py (logging off, mapping unread; info)",
    "NODE_ROLE_NOT_MAPPED": "test_doctor_nodes.py (doctor --node-role, scenario karpenter-role-unmapped)",
    "NODE_ENTRY_WRONG_TYPE": "test_doctor_nodes.py (doctor --node-role, scenario node-entry-standard-type)",
    "NODE_ROW_WRONG_IDENTITY": "test_doctor_nodes.py (doctor --node-role, scenario node-row-session-name)",
    "FARGATE_ROLE_WRONG_TYPE": "test_doctor_nodes.py (doctor --node-role, scenario fargate-role-wrong-type)",
    "IDENTITY_DIFFERS_FROM_SHELL": "test_sandbox_scenarios_real_clients.py (shell-profile-differs)",
    "EXEC_PLUGIN_SLOW": "test_a_slow_aws_cli_plugin_gets_the_switch_to_eksaccess_token",
    "AWS_AUTH_SHADOWED": "test_checks.py (mapping), scenario access-entry-overrides-aws-auth",
    "ADMIN_CANDIDATES": "every broken scenario with --admin-profile (info)",
    "AWS_AUTH_DUPLICATE_ROW": "tests/unit/features/doctor/test_duplicate_row.py (the row in use is right)",
    "CACHED_CREDENTIALS_STALE": "test_doctor_kubectl_token.py (two sandboxes, one HOME)",
    "TOKEN_REJECTED": "test_doctor_kubectl_token.py; an expired static token is STATIC_TOKEN_EXPIRED",
    "ENDPOINT_CIDRS_UNCHECKED": "test_doctor_endpoint_access.py (--offline)",
    "ENDPOINT_UNREACHABLE": "test_doctor_endpoint_access.py (--offline: the CIDR check is not made)",
    # doctor --service-account / --pod (issue 21): the kubectl walk of each IRSA / Pod Identity scenario is
    # healthy; the workload's codes are test_doctor_workload.py's (scenario, or a healthy one broken first)
    "WORKLOAD_NO_IDENTITY": "test_doctor_workload.py (irsa-healthy, annotation removed; --role-arn)",
    "WORKLOAD_BOTH_MECHANISMS": "test_doctor_workload.py (pod-identity-and-irsa)",
    "WORKLOAD_ROLE_NOT_FOUND": "test_doctor_workload.py (irsa-healthy, annotation naming role/nope)",
    "WORKLOAD_ROLE_OTHER_ACCOUNT": "test_doctor_workload.py (irsa-healthy, annotation in another account)",
    "ROLE_BOUNDARY_OR_DENY": "test_doctor_workload.py (irsa-healthy with a deny: s3:*, info)",
    "OIDC_PROVIDER_MISSING": "test_doctor_workload.py (irsa-no-oidc-provider)",
    "OIDC_AUDIENCE_MISSING": "test_doctor_workload.py (irsa-healthy, client id removed)",
    "TRUST_SUB_MISMATCH": "test_doctor_workload.py (irsa-wrong-sub)",
    "TRUST_STRINGEQUALS_WILDCARD": "test_doctor_workload.py (irsa-stringequals-wildcard)",
    "TRUST_CONDITION_FAILS": "test_doctor_workload.py (irsa-healthy, aud condition sts.amazon.com)",
    "TRUST_NO_AUDIENCE": "test_doctor_workload.py (irsa-missing-aud)",
    "POD_IDENTITY_TRUST_MISSING": "test_doctor_workload.py (pod-identity-healthy, IRSA-only trust)",
    "POD_IDENTITY_NO_TAG_SESSION": "test_doctor_workload.py (pod-identity-no-tagsession)",
    "POD_OLDER_THAN_ASSOCIATION": "test_doctor_workload.py (pod-identity-pod-before-association)",
}


def test_every_code_has_a_scenario_or_a_named_test() -> None:
    """One module, one scenario, one test per check: every catalogued code is diagnosed somewhere."""
    from eksaccess.features.doctor.catalog import CATALOG

    named = {code for alone, admin in EXPECTED.values() for code in alone | admin}
    assert {c.value for c in CATALOG} - named == set(SHOWN_ELSEWHERE)


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=DOCTOR_GAPS[n]))
        if n in DOCTOR_GAPS
        else n
        for n in sorted(EXPECTED)
    ],
)
def test_doctor_names_the_broken_link(scenario: str, tmp_path: Path) -> None:
    require("aws")
    alone, with_admin = EXPECTED[scenario]
    with running_sandbox(tmp_path, scenario) as sandbox:
        env = _env(sandbox.env, tmp_path)
        code, report = _doctor(env)
        assert _codes(report) == alone, report["findings"]
        assert code == (1 if any(f["severity"] == "error" for f in report["findings"]) else 0)
        assert [link["link"] for link in report["chain"]][:3] == ["credentials", "kubeconfig", "cluster"]
        _, report = _doctor(env, "--admin-profile", "admin")
        assert _codes(report) == with_admin, report["findings"]
        if not with_admin:
            assert all(link["status"] in ("ok", "unknown") for link in report["chain"])


@pytest.mark.parametrize(
    ("scenario", "args", "codes"),
    [
        ("namespace-scope-elsewhere", ["-n", "dev"], {"NAMESPACE_SCOPE"}),
        ("namespace-scope-elsewhere", ["-n", "staging"], set()),
        ("developer-locked-out", [], {"ACCESS_ENTRY_MISSING"}),
        ("aws-auth-role-path", [], {"AWS_AUTH_ROLE_PATH"}),
    ],
)
def test_an_administrator_diagnoses_someone_else(
    scenario: str, args: list[str], codes: set[str], tmp_path: Path
) -> None:
    """--as-arn: no credentials of the broken principal, only the cluster's state read as the admin."""
    require("aws")
    principal = {
        "aws-auth-role-path": "arn:aws:iam::111122223333:role/deployer",
    }.get(scenario, "arn:aws:iam::111122223333:role/developer")
    with running_sandbox(tmp_path, scenario) as sandbox:
        env = _env(sandbox.env, tmp_path)
        _, report = _doctor(env, "--as-arn", principal, "--admin-profile", "admin", *args)
        assert _codes(report) == codes, report["findings"]
        links = {link["link"]: link["status"] for link in report["chain"]}
        assert links["credentials"] == links["token"] == "skipped"


def test_the_forbidden_case_names_the_permission(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path, "baseline") as sandbox:
        env = _env(sandbox.env, tmp_path)
        code, report = _doctor(
            env, "--context", "developer", "--verb", "delete", "--resource", "clusterroles"
        )
        assert code == 1
        assert _codes(report) == {"PERMISSION_DENIED"}, report["findings"]
        code, report = _doctor(
            env, "--context", "developer", "--verb", "get", "--resource", "pods", "-n", "dev"
        )
        assert (code, _codes(report)) == (0, set()), report["findings"]


def test_a_cluster_in_another_region_is_named(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path, "baseline") as sandbox:
        env = _env(sandbox.env, tmp_path)
        code, report = _doctor(env, "--cluster", "demo", "--region", "eu-west-1", "--profile", "admin")
        [finding] = [f for f in report["findings"] if f["code"] == "CLUSTER_NOT_FOUND"]
        assert ["us-west-2", "demo"] in finding["evidence"]["near"]
        assert code == 1


def test_a_slow_aws_cli_plugin_gets_the_switch_to_eksaccess_token(tmp_path: Path) -> None:
    """The exec plugin is run as kubectl runs it and its CPU time measured; an `aws` that burns 0.4 s more
    of CPU before it starts (a slow machine, made certain here) earns EXEC_PLUGIN_SLOW, whose printed
    command switches the entry to `eksaccess token`: kubectl then works through it and doctor no longer
    says it."""
    require("aws")
    kubectl = require("kubectl")
    real_aws = Path(require("aws"))
    slow = tmp_path / "slow-bin"
    slow.mkdir()
    burn = (  # same process throughout (exec), as the real aws script is: its CPU time is the plugin's
        f"#!{sys.executable}\nimport os, sys, time\nt = time.process_time()\n"
        "while time.process_time() - t < 0.4:\n    pass\n"
        f"os.execv({str(real_aws)!r}, [{str(real_aws)!r}, *sys.argv[1:]])\n"
    )
    (slow / "aws").write_text(burn)
    (slow / "aws").chmod(0o755)
    with running_sandbox(tmp_path, "baseline") as sandbox:
        env = _env(sandbox.env, tmp_path)
        env["PATH"] = os.pathsep.join([str(slow), env["PATH"]])
        env["EKSACCESS_CACHE_DIR"] = str(tmp_path / "tokens")
        code, report = _doctor(env)
        assert code == 0, report["findings"]
        (slow_finding,) = [f for f in report["findings"] if f["code"] == "EXEC_PLUGIN_SLOW"]
        assert slow_finding["severity"] == "info"
        assert slow_finding["evidence"]["pluginCpuSeconds"] >= 0.4
        (switch,) = [c for step in slow_finding["fix"] for c in step["eksaccess"]]
        argv = shlex.split(switch)
        assert argv[0] == "eksaccess" and argv[-2:] == ["--exec", "eksaccess"]
        done = subprocess.run(
            [str(VENV_BIN / "eksaccess"), *argv[1:]], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        for _ in range(2):  # the second one is served from the token cache
            got = subprocess.run(
                [kubectl, "auth", "whoami", "-o", "json"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert got.returncode == 0, got.stderr
            assert json.loads(got.stdout)["status"]["userInfo"]["username"]
        assert list((tmp_path / "tokens").iterdir()), "eksaccess token cached nothing"
        code, again = _doctor(env)
        assert code == 0, again["findings"]
        assert "EXEC_PLUGIN_SLOW" not in {f["code"] for f in again["findings"]}
