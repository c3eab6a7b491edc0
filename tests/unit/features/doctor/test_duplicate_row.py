"""doctor on duplicate aws-auth rows: which row the authenticator uses, which row the fix keeps, and that
the printed patch is exactly aws-auth without the other rows."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from eksaccess.adapters.aws import CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import ConfigMapData
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import Caller, resolve
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.doctor.checks.duplicate_row import duplicate_row
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice"
BOUND = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "editors", "namespace": "dev"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "editors"}],
}


def _row(arn: str, group: str, comment: str = "") -> str:
    return f"{comment}- rolearn: {arn}\n  username: dev\n  groups:\n    - {group}\n"


def _facts(data: dict[str, str]) -> Facts:
    target = Target(
        cluster_name="prod",
        token_cluster_name="prod",
        region="eu-west-1",
        token_region="eu-west-1",
        profile="dev",
        role_arn=None,
        context="prod",
        server="https://prod.example",
        ca_data="Q0E=",
        namespace="dev",
        plugin=None,
        exec_command="aws",
    )
    facts = Facts(target=target, options=DoctorOptions(admin_profile="admin"))
    facts.caller = Outcome(value=CallerIdentity(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"))
    facts.admin_caller = Outcome(
        value=CallerIdentity(arn=f"arn:aws:iam::{ACCOUNT}:user/admin", account=ACCOUNT, user_id="AIDAX")
    )
    facts.cluster = Outcome(
        value=ClusterDescription(
            name="prod",
            arn=f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod",
            region="eu-west-1",
            status="ACTIVE",
            endpoint="https://prod.example",
            certificate_authority_data="Q0E=",
            version="1.31",
            authentication_mode=AuthenticationMode.CONFIG_MAP,
            bootstrap_creator_admin=True,
        )
    )
    facts.aws_auth = Outcome(value=ConfigMapData(data=data, resource_version="42"))
    facts.rbac = Outcome(value=[BOUND])
    return facts


def _findings(data: dict[str, str]) -> list[Any]:
    resolution = resolve(
        mode=AuthenticationMode.CONFIG_MAP,
        access_entries=[],
        aws_auth=parse_aws_auth(data),
        caller=Caller(arn=SESSION, account=ACCOUNT, user_id="AROAX:alice"),
        aws_auth_data=data,
    )
    return duplicate_row(_facts(data), resolution)


def _patched(finding: Any) -> dict[str, Any]:
    (step,) = finding.fix
    (plain,) = step.plain
    argv = shlex.split(plain)
    patched: dict[str, Any] = json.loads(argv[argv.index("-p") + 1])
    return patched


OTHER = _row(f"arn:aws:iam::{ACCOUNT}:role/ops", "system:masters", "# operators\n")


@pytest.mark.parametrize(
    ("rows", "code", "kept"),
    [
        # the later row is right: the earlier one is only a trap for the next editor
        (
            [_row(ROLE, "viewers"), OTHER, _row(ROLE, "editors")],
            "AWS_AUTH_DUPLICATE_ROW",
            [OTHER, _row(ROLE, "editors")],
        ),
        # the later row grants nothing, the earlier one does: the wrong row wins
        (
            [_row(ROLE, "editors"), OTHER, _row(ROLE, "viewers", "# later\n")],
            "AWS_AUTH_DUPLICATE_WRONG_ROW",
            [_row(ROLE, "editors"), OTHER],
        ),
        # case variants of one role are one role to the authenticator
        (
            [_row(ROLE.upper().replace("ARN:AWS:IAM", "arn:aws:iam"), "editors"), _row(ROLE, "nobody")],
            "AWS_AUTH_DUPLICATE_WRONG_ROW",
            [_row(ROLE.upper().replace("ARN:AWS:IAM", "arn:aws:iam"), "editors")],
        ),
        # neither row grants anything: the winner stays (NO_PERMISSIONS says the rest)
        ([_row(ROLE, "a"), _row(ROLE, "b")], "AWS_AUTH_DUPLICATE_ROW", [_row(ROLE, "b")]),
    ],
)
def test_the_fix_keeps_the_row_that_grants(rows: list[str], code: str, kept: list[str]) -> None:
    (finding,) = _findings({"mapRoles": "".join(rows), "mapUsers": "[]\n"})
    assert finding.code.value == code
    patch = _patched(finding)
    assert patch == {"data": {"mapRoles": "".join(kept)}, "metadata": {"resourceVersion": "42"}}
    (step,) = finding.fix
    assert step.eksaccess == ("eksaccess repair aws-auth --cluster prod --region eu-west-1 --profile admin",)


def test_a_single_row_or_another_principal_s_duplicates_are_not_this_check_s() -> None:
    assert _findings({"mapRoles": _row(ROLE, "editors")}) == []
    other = f"arn:aws:iam::{ACCOUNT}:role/ops"
    assert _findings({"mapRoles": _row(ROLE, "editors") + _row(other, "a") + _row(other, "b")}) == []
