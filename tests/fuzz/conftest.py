"""The fuzz targets live in bench/bench_fuzz.py (the 10,000-input corpora run there and in the slow tests);
this makes that file importable here as ``eksaccess_bench_fuzz``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "eksaccess_bench_fuzz"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).parents[2] / "bench" / "bench_fuzz.py"
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
