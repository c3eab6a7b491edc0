"""The count of AWS answers that decided nothing, shared by every session of one run (no botocore import:
doctor builds its ports before the heavy modules load)."""

from __future__ import annotations

import threading
from typing import Any

from eksaccess.domain.sts_answer import THROTTLING_CODES


class TransientAnswers:
    """Counts the answers of AWS that decided nothing (throttling, 5xx, no connection), retried or not:
    a run that saw them cannot take a 401 that rests on STS as a decision."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def on_attempt(self, response: Any = None, caught_exception: Any = None, **_: Any) -> None:
        """botocore's ``needs-retry`` event, after every attempt of every call."""
        transient = caught_exception is not None
        if response is not None:
            http, parsed = response
            status = getattr(http, "status_code", 200)
            code = str((parsed or {}).get("Error", {}).get("Code", "")) if isinstance(parsed, dict) else ""
            transient = transient or status >= 500 or status == 429 or code in THROTTLING_CODES
        if transient:
            self.add()
