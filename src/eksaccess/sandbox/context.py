"""What every part of the sandbox server shares: state directory, store, endpoint, CA, faults, log.

The ``FaultInjector`` is used by the AWS endpoint (500 / throttling answers in AWS's wire format) and by
the Kubernetes side (429). It is seeded, so a run with the same seed and the same sequence of calls
gets the same faults.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eksaccess.sandbox.store import SandboxStore


class FaultKind(StrEnum):
    SERVER_ERROR = "server-error"  # 500 InternalFailure / ServerException
    THROTTLE = "throttle"  # Throttling / ThrottlingException / 429


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultDecision:
    """What to do to one request: wait ``delay_seconds``, then answer with ``kind`` (None: serve it)."""

    delay_seconds: float = 0.0
    kind: FaultKind | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    fault_rate: float = 0.0
    throttle_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        for name in ("fault_rate", "throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.fault_rate + self.throttle_rate > 1.0:
            raise ValueError("fault_rate + throttle_rate must not exceed 1")

    def as_dict(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "faultRate": self.fault_rate,
            "throttleRate": self.throttle_rate,
            "seed": self.seed,
        }


class FaultInjector:
    """Seeded latency, server errors and throttling, shared by every listener of one server."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self._random = random.Random(self.settings.seed)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        s = self.settings
        return bool(s.latency_ms or s.fault_rate or s.throttle_rate)

    def before_request(self, service: str) -> FaultDecision | None:
        """Decide the fate of one request to ``service`` (``eks``, ``sts``, ``iam``, ``kube``)."""
        if not self.active:
            return None
        s = self.settings
        kind: FaultKind | None = None
        if s.fault_rate or s.throttle_rate:
            with self._lock:
                draw = self._random.random()
            if draw < s.fault_rate:
                kind = FaultKind.SERVER_ERROR
            elif draw < s.fault_rate + s.throttle_rate:
                kind = FaultKind.THROTTLE
        return FaultDecision(delay_seconds=s.latency_ms / 1000.0, kind=kind)


@dataclass(kw_only=True)
class SandboxContext:
    """Passed to every WSGI app of the server process (AWS endpoint and each cluster's API server)."""

    state_dir: Path
    store: SandboxStore
    aws_endpoint: str  # "https://127.0.0.1:PORT"
    ca_bundle: Path
    faults: FaultInjector = field(default_factory=FaultInjector)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("eksaccess.sandbox"))
    # Set by the server: start a Kubernetes API listener for a new cluster, return its endpoint URL.
    start_cluster_listener: Callable[[str], str] | None = None
    stop_cluster_listener: Callable[[str], None] | None = None
    # Set by the server: serve or refuse a cluster's API as its endpoint access now says (UpdateClusterConfig).
    refresh_cluster_listener: Callable[[str], None] | None = None
    # The scenario's clockOffsetSeconds: every server of the sandbox runs this far ahead of this machine.
    clock_offset: timedelta = timedelta(0)
