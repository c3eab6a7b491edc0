"""The JSON data eksaccess reads at run time says exactly what its YAML source says."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from eksaccess.domain.authz.bootstrap import load_data, load_yaml_source

DATA = resources.files("eksaccess.domain").joinpath("data")
NAMES = sorted(p.name.removesuffix(".yaml") for p in DATA.iterdir() if p.name.endswith(".yaml"))


def test_every_source_is_found() -> None:
    assert {"bootstrap_roles", "access_policy_rules"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_json_twin_equals_its_yaml_source(name: str) -> None:
    twin = DATA.joinpath(f"{name}.json")
    assert twin.is_file(), f"{name}.json is missing: run make generate"
    assert json.loads(twin.read_text(encoding="utf-8")) == load_yaml_source(name), (
        f"{name}.json is out of step with {name}.yaml: run make generate"
    )
    assert load_data(name) == load_yaml_source(name)
