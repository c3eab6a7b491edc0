"""The benchmark's generated cluster (bench/bench_audit.py's generators, imported, not copied), audited:
for the tests of the audit's text and HTML renderings at scale."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

from eksaccess.domain.iam.trust import parse_authorization_details
from eksaccess.domain.state import ClusterState
from eksaccess.features.analyze.audit import AuditInput, AuditReport, audit

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str) -> ModuleType:
    """A module of bench/ (not a package) by its file name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def bench_report(
    principals: int = 5000, roles: int = 2000, bindings: int = 20000, *, users: int = 1000, seed: int = 7
) -> AuditReport:
    """The audit of bench_audit's generated state and IAM details (the figures docs/benchmarks.md uses:
    5,000 principals, 2,000 roles, 20,000 bindings, 1,000 IAM users)."""
    bench = bench_module("bench_audit")
    data = bench._generator().generate(principals, roles, bindings, seed)
    iam = parse_authorization_details(bench.generate_iam(data, random.Random(seed), users))
    return audit([AuditInput(state=ClusterState.model_validate(data))], iam=[iam])
