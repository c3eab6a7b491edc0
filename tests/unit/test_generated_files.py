"""Every committed generated file is what ``make generate`` (scripts/generate.py) would write now.

Compared in memory: nothing is written."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eksaccess_generate", ROOT / "scripts" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_file_is_up_to_date() -> None:
    generate = generator()
    files = generate.generated_files()
    names = {path.relative_to(ROOT).as_posix() for path in files}
    assert {
        "docs/doctor-findings.md",
        "docs/schemas/cluster-state.schema.json",
        "docs/schemas/scenario.schema.json",
        "docs/schemas/cluster-access.schema.json",
        "src/eksaccess/domain/data/bootstrap_roles.json",
        "src/eksaccess/domain/data/access_policy_rules.json",
    } <= names
    stale = [path.relative_to(ROOT).as_posix() for path in generate.out_of_date(files)]
    assert stale == [], f"out of date: {', '.join(stale)} (run: make generate)"


def test_the_check_sees_a_stale_file(tmp_path: Path) -> None:
    generate = generator()
    kept, changed = tmp_path / "kept.json", tmp_path / "changed.json"
    kept.write_text("{}\n", encoding="utf-8")
    changed.write_text("{}\n", encoding="utf-8")
    missing = tmp_path / "missing.md"
    assert generate.out_of_date({kept: "{}\n", changed: "[]\n", missing: "# x\n"}) == [changed, missing]
