"""STS AssumeRole in the sandbox: trust lists, allow lists, durations, role chaining, session identities."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox


@pytest.fixture
def sandbox(shared_sandbox: Callable[[str], RunningSandbox]) -> RunningSandbox:
    """The baseline sandbox, shared by this module's tests: they only read it."""
    return shared_sandbox("baseline")


ACCOUNT = "111122223333"
DEVELOPER = f"arn:aws:iam::{ACCOUNT}:role/developer"
EKS_ADMIN = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
NO_VALIDATION = Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})
MakeSandbox = Callable[..., RunningSandbox]


def _session_client(sb: RunningSandbox, creds: dict[str, str], service: str = "sts") -> object:
    return boto3.client(
        service,
        region_name="us-west-2",
        endpoint_url=sb.aws_endpoint,
        verify=str(sb.ca_bundle),
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=NO_VALIDATION,
    )


def test_assume_role_allowed_by_trust(sandbox: RunningSandbox) -> None:
    out = sandbox.client("sts", "alice").assume_role(RoleArn=DEVELOPER, RoleSessionName="alice@example.com")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert creds["SessionToken"]
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/alice@example.com"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:alice@example\.com", user["AssumedRoleId"])
    remaining = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 3500 < remaining <= 3600
    who = _session_client(sandbox, creds).get_caller_identity()  # type: ignore[attr-defined]
    assert who["Arn"] == user["Arn"] and who["UserId"] == user["AssumedRoleId"]


def test_profile_with_role_arn_and_source_profile(sandbox: RunningSandbox) -> None:
    who = sandbox.client("sts", "developer").get_caller_identity()
    assert who["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/")


def test_assume_role_refused_by_trust(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("sts", "admin").assume_role(RoleArn=DEVELOPER, RoleSessionName="sess")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: sts:AssumeRole "
        f"on resource: {DEVELOPER}"
    )


def test_account_root_in_trust_means_any_principal_of_the_account(sandbox: RunningSandbox) -> None:
    out = sandbox.client("sts", "admin").assume_role(RoleArn=EKS_ADMIN, RoleSessionName="root-trust")
    assert out["AssumedRoleUser"]["Arn"].endswith("assumed-role/eks-admin/root-trust")


def test_unknown_role_is_access_denied(sandbox: RunningSandbox) -> None:
    with pytest.raises(ClientError) as err:
        sandbox.client("sts", "admin").assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nope", RoleSessionName="sess"
        )
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_allow_list_refuses_assume_role(sandbox: RunningSandbox) -> None:
    # the developer role's allow list has no sts:AssumeRole, even though eks-admin trusts the whole account
    with pytest.raises(ClientError) as err:
        sandbox.client("sts", "developer").assume_role(RoleArn=EKS_ADMIN, RoleSessionName="sess")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert "assumed-role/developer/" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize(("seconds", "ok"), [(900, True), (43200, True), (899, False), (43201, False)])
def test_duration_seconds_bounds(sandbox: RunningSandbox, seconds: int, ok: bool) -> None:
    sts = sandbox.client("sts", "admin", config=NO_VALIDATION)
    if ok:
        creds = sts.assume_role(RoleArn=EKS_ADMIN, RoleSessionName="dur", DurationSeconds=seconds)[
            "Credentials"
        ]
        remaining = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
        assert seconds - 100 < remaining <= seconds
    else:
        with pytest.raises(ClientError) as err:
            sts.assume_role(RoleArn=EKS_ADMIN, RoleSessionName="dur", DurationSeconds=seconds)
        assert err.value.response["Error"]["Code"] == "ValidationError"


def test_role_chaining_is_limited_to_one_hour(sandbox: RunningSandbox) -> None:
    first = sandbox.client("sts", "admin").assume_role(RoleArn=EKS_ADMIN, RoleSessionName="first")[
        "Credentials"
    ]
    chained = _session_client(sandbox, first)
    with pytest.raises(ClientError) as err:
        chained.assume_role(RoleArn=EKS_ADMIN, RoleSessionName="second", DurationSeconds=7200)  # type: ignore[attr-defined]
    assert "role chaining" in err.value.response["Error"]["Message"]
    out = chained.assume_role(RoleArn=EKS_ADMIN, RoleSessionName="second", DurationSeconds=3600)  # type: ignore[attr-defined]
    assert out["AssumedRoleUser"]["Arn"].endswith("/second")


def test_invalid_session_name_is_a_validation_error(sandbox: RunningSandbox) -> None:
    sts = sandbox.client("sts", "admin", config=NO_VALIDATION)
    with pytest.raises(ClientError) as err:
        sts.assume_role(RoleArn=EKS_ADMIN, RoleSessionName="bad name!")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_assume_role_refused_scenario(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("assume-role-denied")
    with pytest.raises(ClientError) as err:
        sb.client("sts", "platform").get_caller_identity()
    assert err.value.response["Error"]["Code"] == "AccessDenied"
