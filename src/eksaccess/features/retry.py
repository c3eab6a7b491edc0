"""The one retry policy for calls botocore does not retry for us, or not enough.

botocore retries every AWS call itself (standard mode); what still fails with throttling is tried again
here. Kubernetes calls have no such layer: throttling (429), server errors (5xx), a lost connection and a
few 401s are tried again. 401 is transient a few times because the authenticator answers 401 when its own
STS call failed (5xx, throttling), and the same token works on the next try; a real "not mapped" costs only
those retries. A TLS failure is never transient.

Bounded exponential backoff with full jitter: the wait before try ``n + 1`` is uniform in
``[0, min(cap, base * 2**n)]``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.adapters.kube import KubeCallError

T = TypeVar("T")

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


def transient(err: Exception) -> bool:
    """Worth another try: AWS throttling left after botocore's retries, or a transient Kubernetes answer."""
    if isinstance(err, AwsCallError):
        return err.kind is AwsErrorKind.THROTTLED or err.code == "TooManyRequestsException"
    if isinstance(err, KubeCallError):
        return not err.tls and (err.status is None or err.status in RETRYABLE_STATUS)
    return False


def retry(call: Callable[[], T], backoff: Backoff = DEFAULT_BACKOFF) -> T:
    """Run ``call``, trying again on transient failures, ``backoff.attempts`` times at most (401 at most
    UNAUTHORIZED_ATTEMPTS times)."""
    unauthorized = 0
    for attempt in range(backoff.attempts):
        try:
            return call()
        except (AwsCallError, KubeCallError) as err:
            unauthorized += isinstance(err, KubeCallError) and err.status == 401
            last = attempt == backoff.attempts - 1 or unauthorized >= UNAUTHORIZED_ATTEMPTS
            if not transient(err) or last:
                raise
        backoff.wait(attempt)
    raise AssertionError("unreachable")  # pragma: no cover
