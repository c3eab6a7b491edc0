"""Commands never import other commands: what two commands share lives in cli/options.py, cli/output.py
(or another cli/ module that is not a command) or in features/."""

from __future__ import annotations

import ast
from pathlib import Path

import eksaccess.cli.commands

COMMANDS_DIR = Path(eksaccess.cli.commands.__file__).parent
PACKAGE = "eksaccess.cli.commands"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (deferred imports included), as absolute names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against eksaccess.cli.commands
                parent = PACKAGE.rsplit(".", node.level - 1)[0] if node.level > 1 else PACKAGE
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_command_imports_another() -> None:
    modules = sorted(p for p in COMMANDS_DIR.glob("*.py") if p.name != "__init__.py")
    assert len(modules) > 10  # the scan sees the commands
    offenders = {
        path.name: sorted(
            name
            for name in imported_modules(path)
            if name == PACKAGE or name.startswith(PACKAGE + ".") and name != f"{PACKAGE}.{path.stem}"
        )
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_scan_sees_an_import_between_commands(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from eksaccess.cli.commands.manage import grant\n    from . import whoami\n",
        encoding="utf-8",
    )
    names = imported_modules(sample)
    assert f"{PACKAGE}.manage" in names and f"{PACKAGE}.whoami" in names
