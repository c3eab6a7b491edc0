"""Bounded exponential backoff with full jitter, for the Kubernetes calls botocore does not retry for us."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from eksaccess.adapters.kube import KubeCallError

T = TypeVar("T")

# 401 is retried a few times too: the authenticator answers 401 when its own STS call failed (5xx,
# throttling), and the same token works on the next try. A real "not mapped" costs only those retries.
RETRYABLE_STATUS = frozenset({401, 429, 500, 502, 503, 504})
UNAUTHORIZED_ATTEMPTS = 4


@dataclass(frozen=True, kw_only=True)
class Backoff:
    attempts: int = 10
    base: float = 0.05
    cap: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self.rng.uniform(0, min(self.cap, self.base * (2**attempt)))

    def wait(self, attempt: int) -> None:
        self.sleep(self.delay(attempt))


DEFAULT_BACKOFF = Backoff()


def transient(err: KubeCallError) -> bool:
    if err.tls:
        return False
    return err.status is None or err.status in RETRYABLE_STATUS


def kube_retry(call: Callable[[], T], backoff: Backoff = DEFAULT_BACKOFF) -> T:
    """Run one Kubernetes call, retrying transient failures (throttling, 5xx, transport, 401)."""
    unauthorized = 0
    for attempt in range(backoff.attempts):
        try:
            return call()
        except KubeCallError as err:
            unauthorized += err.status == 401
            if not transient(err) or attempt == backoff.attempts - 1 or unauthorized >= UNAUTHORIZED_ATTEMPTS:
                raise
        backoff.wait(attempt)
    raise AssertionError("unreachable")  # pragma: no cover
