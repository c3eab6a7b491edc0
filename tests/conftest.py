"""Suite-wide settings.

These machines are shared and noisy, so no test is judged by its timing.

Every test carries exactly one level marker, given by the directory its file sits in (``LEVELS``):
``unit`` (no sandbox, no subprocess of a real client), ``integration`` (a sandbox in-process, boto3 or
the CLI in-process against it) and ``e2e`` (real clients: the aws CLI, kubectl, chromium). A file may
also say its level in ``pytestmark``; a level that disagrees with its directory, or a test with no level,
stops the run at collection.

``shared_sandbox(scenario)`` is a sandbox of that scenario started once per session (per xdist worker) for
the tests that only read it; a test that writes (creates, grants, deletes, changes a file of the sandbox)
starts its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from eksaccess.sandbox.testing import RunningSandbox

settings.register_profile(
    "eksaccess", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("eksaccess")

TESTS = Path(__file__).parent
LEVEL_NAMES = ("unit", "integration", "e2e")
# the first directory under tests/ -> the level of every test in it
LEVELS: dict[str, str] = {
    "unit": "unit",
    "cli": "unit",
    "fuzz": "unit",
    "integration": "integration",
    "e2e": "e2e",
}


def level_of(path: Path) -> str | None:
    """The level a test file's directory gives it (None: a file outside the known directories)."""
    try:
        relative = path.resolve().relative_to(TESTS.resolve())
    except ValueError:
        return None
    return LEVELS.get(relative.parts[0]) if len(relative.parts) > 1 else None


def level_problem(nodeid: str, levels: set[str]) -> str | None:
    """Why a test's set of level markers is wrong (None: exactly one)."""
    if not levels:
        return f"{nodeid}: no level marker (one of {', '.join(LEVEL_NAMES)})"
    if len(levels) > 1:
        return f"{nodeid}: more than one level marker ({', '.join(sorted(levels))})"
    return None


# The longest files (tens of seconds a test; docs/testing.md), started before everything else.
# xdist hands tests out in collection order, so a long test collected last keeps one worker busy while the
# others have finished: the slowest level goes first (e2e, integration, unit), these files before it.
RUN_FIRST = (
    "e2e/test_wheel.py",
    "e2e/test_doctor_console.py",
    "e2e/test_doctor_kubectl_token.py",
    "e2e/test_doctor_faults.py",
    "integration/test_manage_concurrency.py",
    "integration/test_manage_one_principal.py",
    "e2e/test_audit_workload.py",
    "e2e/test_doctor_nodes.py",
    "integration/test_faults_fleet.py",
    "integration/test_manage_repair.py",
    "unit/domain/test_awsauth_fast.py",
)
LEVEL_ORDER = {"e2e": 0, "integration": 1, "unit": 2}


def run_order(path: Path, level: str | None) -> tuple[int, int]:
    """Where a test file's tests go in the run: RUN_FIRST in its order, then by level, slowest first."""
    relative = path.resolve().relative_to(TESTS.resolve()).as_posix() if level is not None else ""
    if relative in RUN_FIRST:
        return (0, RUN_FIRST.index(relative))
    return (1, LEVEL_ORDER.get(level or "unit", len(LEVEL_ORDER)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: run_order(item.path, level_of(item.path)))  # stable: file order kept within
    problems: list[str] = []
    for item in items:
        level = level_of(item.path)
        if level is not None:
            item.add_marker(getattr(pytest.mark, level))
        levels = {mark.name for mark in item.iter_markers() if mark.name in LEVEL_NAMES}
        problem = level_problem(item.nodeid, levels)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise pytest.UsageError("tests without exactly one level marker:\n" + "\n".join(problems))


SharedSandbox = Callable[[str], "RunningSandbox"]


@pytest.fixture(scope="session")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    """``shared_sandbox(scenario)``: one in-process sandbox per scenario for the whole session, for tests
    that only read it (stopped when the session ends)."""
    from eksaccess.sandbox.testing import running_sandbox  # imported here: unit tests need no sandbox

    started: dict[str, RunningSandbox] = {}
    with ExitStack() as stack:

        def get(scenario: str) -> RunningSandbox:
            if scenario not in started:
                directory = tmp_path_factory.mktemp(f"shared-{scenario}")
                started[scenario] = stack.enter_context(running_sandbox(directory, scenario))
            return started[scenario]

        yield get
