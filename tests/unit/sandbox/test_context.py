"""The seeded fault injector shared by the AWS and Kubernetes sides."""

from __future__ import annotations

import pytest

from eksaccess.sandbox.context import FaultInjector, FaultKind, FaultSettings


def _kinds(settings: FaultSettings, count: int = 200) -> list[FaultKind | None]:
    injector = FaultInjector(settings)
    out = []
    for _ in range(count):
        decision = injector.before_request("eks")
        out.append(decision.kind if decision else None)
    return out


def test_no_faults_means_no_decision() -> None:
    assert FaultInjector().before_request("sts") is None


def test_same_seed_same_sequence() -> None:
    settings = FaultSettings(fault_rate=0.2, throttle_rate=0.3, seed=42)
    assert _kinds(settings) == _kinds(settings)
    assert _kinds(settings) != _kinds(FaultSettings(fault_rate=0.2, throttle_rate=0.3, seed=43))


def test_rates_are_roughly_honoured() -> None:
    kinds = _kinds(FaultSettings(fault_rate=0.25, throttle_rate=0.25, seed=1), 4000)
    assert 800 < kinds.count(FaultKind.SERVER_ERROR) < 1200
    assert 800 < kinds.count(FaultKind.THROTTLE) < 1200


def test_latency_applies_to_every_request() -> None:
    decision = FaultInjector(FaultSettings(latency_ms=250)).before_request("kube")
    assert decision is not None and decision.delay_seconds == 0.25 and decision.kind is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"latency_ms": -1},
        {"fault_rate": 1.5},
        {"throttle_rate": -0.1},
        {"fault_rate": 0.6, "throttle_rate": 0.6},
    ],
)
def test_invalid_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultSettings(**kwargs)  # type: ignore[arg-type]
