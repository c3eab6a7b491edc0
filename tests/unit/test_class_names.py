"""No class name is defined twice in the package, and none shadows a builtin, typing or a standard-library
name the package imports (``Protocol``, ``Match``, ``Path``...)."""

from __future__ import annotations

import ast
import builtins
import sys
import typing
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "eksaccess"


def _trees() -> dict[str, ast.Module]:
    return {
        str(p.relative_to(SRC)): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))
    }


def _classes(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for where, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found[node.name].append(f"{where}:{node.lineno}")
    return found


def _standard_names(trees: dict[str, ast.Module]) -> set[str]:
    """Builtins, typing, and every name the package imports from a standard-library module."""
    names = {n for n in dir(builtins) if not n.startswith("_")} | set(typing.__all__)
    for tree in trees.values():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
                and node.module.partition(".")[0] in sys.stdlib_module_names
            ):
                names.update(alias.name for alias in node.names)
    return names


def test_no_class_name_is_defined_twice() -> None:
    twice = {name: where for name, where in _classes(_trees()).items() if len(where) > 1}
    assert twice == {}


def test_no_class_shadows_a_standard_name() -> None:
    trees = _trees()
    standard = _standard_names(trees)
    shadowing = {name: where for name, where in _classes(trees).items() if name in standard}
    assert shadowing == {}
