"""A short, bounded version of bench/bench_load.py: both sides of a sandbox under concurrent allowed and
denied requests answer every one with the status expected for its kind (200, 401 or 403; never a 5xx or a
dropped connection), and keep serving."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from eksaccess.sandbox.testing import RunningSandbox


def _bench_load() -> Any:
    name = "eksaccess_bench_load"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parents[2] / "bench" / "bench_load.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_both_sides_under_concurrent_load(sandbox: RunningSandbox) -> None:
    load = _bench_load()
    results = {r["side"]: r for r in load.run(sandbox, seconds=1.0, clients=6)}
    for side in ("kubernetes", "aws"):
        result = results[side]
        assert result["unexpected"] == {}, (side, result["unexpected"])
        assert result["requests"] >= 30, result
        statuses = {int(s) for kind in result["statusesByKind"].values() for s in kind}
        assert statuses >= {200, 403}
    assert {401} <= {int(s) for s in results["kubernetes"]["statusesByKind"]["bad token"]}
