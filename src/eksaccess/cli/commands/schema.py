"""``eksaccess schema``: print or write the JSON Schemas of eksaccess's file formats."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eksaccess.errors import InputError

if TYPE_CHECKING:
    from pydantic import BaseModel

# file stem -> (module, model); the file is <stem>.schema.json. Add new formats here. Named, not imported:
# the models load pydantic, which --help does not need.
SCHEMAS: dict[str, tuple[str, str]] = {
    "cluster-state": ("eksaccess.domain.state", "ClusterState"),
    "scenario": ("eksaccess.sandbox.scenarios.model", "Scenario"),
    "cluster-access": ("eksaccess.features.manage.desired", "ClusterAccess"),
}


def model_of(name: str) -> type[BaseModel]:
    module, attr = SCHEMAS[name]
    model: type[BaseModel] = getattr(importlib.import_module(module), attr)
    return model


def schema_of(name: str) -> dict[str, Any]:
    return model_of(name).model_json_schema()


def schema_text(name: str) -> str:
    return json.dumps(schema_of(name), indent=2) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name in SCHEMAS:
            path = directory / f"{name}.schema.json"
            path.write_text(schema_text(name), encoding="utf-8")
            written.append(path)
    except OSError as err:
        raise InputError(f"cannot write schemas to {directory}: {err.strerror or err}") from None
    return written


@click.command(
    "schema",
    epilog="""\b
Examples:
  eksaccess schema
  eksaccess schema cluster-access
  eksaccess schema --write schemas/""",
)
@click.argument("name", required=False, type=click.Choice(sorted(SCHEMAS)), default="cluster-state")
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every schema as DIR/<name>.schema.json instead of printing one.",
)
def schema(name: str, write_dir: Path | None) -> None:
    """Print the JSON Schema of a file format (default: cluster-state), or write them all."""
    if write_dir is None:
        click.echo(schema_text(name), nl=False)
        return
    for path in write_schemas(write_dir):
        click.echo(f"wrote {path}", err=True)
