"""Sandbox fixtures for integration tests: an in-process sandbox per test, real boto3 against it.

``sandbox`` runs the baseline scenario; ``make_sandbox(scenario, **knobs)`` starts others (stopped at the
end of the test). The process's own AWS_* variables are removed so nothing of the machine leaks in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

MakeSandbox = Callable[..., RunningSandbox]


@pytest.fixture(autouse=True)
def _no_machine_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("AWS_") or key == "KUBECONFIG":
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[MakeSandbox]:
    with ExitStack() as stack:
        counter = iter(range(1000))

        def make(scenario: str = "baseline", **knobs: Any) -> RunningSandbox:
            state_dir = tmp_path / f"sandbox-{next(counter)}"
            return stack.enter_context(running_sandbox(tmp_path, scenario, state_dir=state_dir, **knobs))

        yield make


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox("baseline")
