"""Structured output in the -o vocabulary's data formats: JSON or YAML on stdout (or to a file)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from eksaccess.errors import InputError


def render_data(data: Any, output: str) -> str:
    """``data`` as ``output`` (json or yaml) text, ending in a newline."""
    if output == "yaml":
        from ruamel.yaml import YAML

        out = io.StringIO()
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.dump(json.loads(json.dumps(data, default=str)), out)  # plain types, as -o json prints them
        return out.getvalue()
    return json.dumps(data, indent=2, default=str) + "\n"


def emit_data(data: Any, output: str) -> None:
    """Write ``data`` to stdout as ``output`` (json or yaml)."""
    sys.stdout.write(render_data(data, output))


def write_output(text: str, output_file: str | None) -> None:
    """``text`` to stdout, or to ``output_file`` (a note on stderr says so)."""
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output_file).write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"{output_file}: cannot write: {err.strerror or err}") from None
    click.echo(f"wrote {output_file}", err=True)
