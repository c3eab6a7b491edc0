"""Regenerate src/eksaccess/domain/data/*.json from the YAML sources beside them.

    .venv/bin/python scripts/sync_data.py

The YAML files are what people edit (comments, sources); the JSON twins are what eksaccess reads at
run time. tests/unit/domain/test_data_files.py fails when the two disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from eksaccess.domain.authz.bootstrap import load_yaml_source

DATA = Path(__file__).resolve().parent.parent / "src" / "eksaccess" / "domain" / "data"


def render(name: str) -> str:
    return json.dumps(load_yaml_source(name), indent=1, sort_keys=True) + "\n"


def main() -> None:
    for source in sorted(DATA.glob("*.yaml")):
        target = source.with_suffix(".json")
        target.write_text(render(source.stem), encoding="utf-8")
        print(f"wrote {target.relative_to(DATA.parent.parent.parent.parent)}")


if __name__ == "__main__":
    main()
