"""Fault injection on the AWS endpoint: latency, throttling and server errors in each protocol's format."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox

MakeSandbox = Callable[..., RunningSandbox]


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_throttling(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(throttle_rate=1.0)
    with pytest.raises(ClientError) as err:
        sb.client("sts", "admin").get_caller_identity()
    assert _error(err) == ("Throttling", 400)
    with pytest.raises(ClientError) as err:
        sb.client("eks", "admin").list_clusters()
    assert _error(err) == ("ThrottlingException", 429)


def test_server_errors(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(fault_rate=1.0)
    with pytest.raises(ClientError) as err:
        sb.client("iam", "admin").list_roles()
    assert _error(err) == ("InternalFailure", 500)
    with pytest.raises(ClientError) as err:
        sb.client("eks", "admin").describe_cluster(name="demo")
    assert _error(err) == ("ServerException", 500)


def test_latency(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(latency_ms=300)
    sts = sb.client("sts", "admin")
    sts.get_caller_identity()  # warm the connection
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3


def _outcomes(sb: RunningSandbox, count: int) -> list[str]:
    eks = sb.client("eks", "admin")
    out = []
    for _ in range(count):
        try:
            eks.list_clusters()
            out.append("ok")
        except ClientError as err:
            out.append(err.response["Error"]["Code"])
    return out


def test_faults_are_seeded_and_repeat(make_sandbox: MakeSandbox) -> None:
    first = _outcomes(make_sandbox(fault_rate=0.3, throttle_rate=0.3, seed=7), 20)
    again = _outcomes(make_sandbox(fault_rate=0.3, throttle_rate=0.3, seed=7), 20)
    other = _outcomes(make_sandbox(fault_rate=0.3, throttle_rate=0.3, seed=8), 20)
    assert first == again
    assert first != other
    assert {"ok", "ThrottlingException", "ServerException"} <= set(first)


def test_botocore_retries_through_faults(make_sandbox: MakeSandbox) -> None:
    from botocore.config import Config

    sb = make_sandbox(throttle_rate=0.5, seed=1)
    eks = sb.client("eks", "admin", config=Config(retries={"total_max_attempts": 10, "mode": "standard"}))
    retried = 0
    for _ in range(3):
        out = eks.describe_cluster(name="demo")
        assert out["cluster"]["name"] == "demo"
        retried += out["ResponseMetadata"]["RetryAttempts"]
    assert retried > 0
