"""Every test file sits where its level (unit, integration, e2e) is known, and the rule says so."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).parents[1]


def _conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eksaccess_tests_conftest", TESTS / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_test_file_has_exactly_one_level() -> None:
    rule = _conftest()
    named = re.compile(r"pytest\.mark\.(unit|integration|e2e)\b")
    files = sorted(TESTS.rglob("test_*.py"))
    assert files
    for path in files:
        level = rule.level_of(path)
        assert level in rule.LEVEL_NAMES, f"{path}: in no level's directory ({sorted(rule.LEVELS)})"
        own = set(named.findall(path.read_text(encoding="utf-8")))
        assert own <= {level}, f"{path}: marked {sorted(own)} in a {level} directory"


def test_none_or_two_levels_is_refused() -> None:
    rule = _conftest()
    assert rule.level_problem("t", {"unit"}) is None
    assert "no level marker" in rule.level_problem("t", set())
    assert "more than one" in rule.level_problem("t", {"unit", "e2e"})


def test_a_file_outside_the_level_directories_has_none() -> None:
    rule = _conftest()
    assert rule.level_of(TESTS / "conftest.py") is None
    assert rule.level_of(Path("/elsewhere/test_x.py")) is None
    assert rule.level_of(TESTS / "e2e" / "test_kubectl.py") == "e2e"
    assert rule.level_of(TESTS / "cli" / "test_lint.py") == "unit"


def test_the_long_files_run_first_and_each_named_one_exists() -> None:
    rule = _conftest()
    for name in rule.RUN_FIRST:
        assert (TESTS / name).is_file(), f"RUN_FIRST names {name}, which is not a test file"
    order = [
        rule.run_order(TESTS / name, rule.level_of(TESTS / name))
        for name in (
            rule.RUN_FIRST[0],
            "e2e/test_kubectl.py",
            "integration/test_secrets.py",
            "cli/test_lint.py",
        )
    ]
    assert order == sorted(order) and len(set(order)) == 4
