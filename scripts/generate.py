"""Write every generated file of the repository from its source (``make generate``).

    .venv/bin/python scripts/generate.py           # write what is out of date
    .venv/bin/python scripts/generate.py --check   # write nothing; exit 1 naming what is out of date

* ``src/eksaccess/domain/data/*.json``: the JSON twin of each YAML source beside it (people edit the YAML,
  with its comments and sources; eksaccess reads the JSON at run time);
* ``docs/schemas/<name>.schema.json``: the JSON Schema of each file format (``eksaccess schema``);
* ``docs/doctor-findings.md``: doctor's catalogue, from the ``ENTRIES`` of each check module;
* ``docs/lint-findings.md``: lint's catalogue, from ``LINT`` (domain/awsauth/findings.py).

tests/unit/test_generated_files.py fails when a committed file differs from what this would write.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eksaccess.cli.commands.schema import SCHEMAS, schema_text
from eksaccess.cli.lint_reference import lint_findings_reference
from eksaccess.domain.authz.bootstrap import load_yaml_source
from eksaccess.features.doctor.reference import findings_reference

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "eksaccess" / "domain" / "data"


def data_twin(name: str) -> str:
    """The JSON twin of ``DATA/<name>.yaml``."""
    return json.dumps(load_yaml_source(name), indent=1, sort_keys=True) + "\n"


def generated_files() -> dict[Path, str]:
    """Every generated file (absolute path) and the text it must hold."""
    files = {source.with_suffix(".json"): data_twin(source.stem) for source in sorted(DATA.glob("*.yaml"))}
    files.update({ROOT / "docs" / "schemas" / f"{name}.schema.json": schema_text(name) for name in SCHEMAS})
    files[ROOT / "docs" / "doctor-findings.md"] = findings_reference()
    files[ROOT / "docs" / "lint-findings.md"] = lint_findings_reference()
    return files


def out_of_date(files: dict[Path, str]) -> list[Path]:
    """The files whose committed text is not what they must hold (missing ones included)."""
    return [path for path, text in files.items() if not path.is_file() or path.read_text("utf-8") != text]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = args == ["--check"]
    if args and not check:
        print("usage: generate.py [--check]", file=sys.stderr)
        return 2
    files = generated_files()
    stale = out_of_date(files)
    for path in stale:
        if check:
            print(f"out of date: {path.relative_to(ROOT)} (run: make generate)", file=sys.stderr)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
