"""Scenario files: every built-in loads, the exported JSON Schema is current, mistakes are one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eksaccess.errors import InputError
from eksaccess.sandbox.scenarios.model import (
    ProfileType,
    builtin_names,
    builtin_text,
    load_scenario,
    parse_scenario,
    schema_text,
)

REPO = Path(__file__).resolve().parents[4]
REQUIRED = {
    "baseline",
    "invalid-keys",
    "expired-credentials",
    "assume-role-denied",
    "wrong-endpoint",
    "stale-ca",
    "exec-v1alpha1",
    "wrong-cluster-name",
    "missing-access-entry",
    "entry-without-permissions",
    "groups-without-bindings",
    "namespace-scope-elsewhere",
    "aws-auth-role-path",
    "aws-auth-assumed-role-arn",
    "aws-auth-malformed",
    "aws-auth-ignored-api-mode",
    "recreated-role",
    "developer-locked-out",
}


def test_all_required_builtins_exist() -> None:
    assert set(builtin_names()) >= REQUIRED


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_loads_and_is_named_after_its_file(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.description and "\n" not in scenario.description
    assert scenario.details.strip(), "every built-in explains what a user sees"
    assert scenario.kubeconfig.currentContext


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_is_documented(name: str) -> None:
    assert f"## {name}" in (REPO / "docs" / "scenarios.md").read_text()


def test_schema_file_is_current() -> None:
    assert (REPO / "docs" / "schemas" / "scenario.schema.json").read_text() == schema_text()
    assert json.loads(schema_text())["title"] == "Scenario"


def test_profile_types_are_inferred() -> None:
    scenario = load_scenario("invalid-keys")
    kinds = {p.name: p.kind for p in scenario.profiles}
    assert kinds["admin"] is ProfileType.STATIC
    assert kinds["developer"] is ProfileType.ASSUME_ROLE
    assert kinds["broken"] is ProfileType.UNKNOWN_KEY
    assert kinds["wrong-secret"] is ProfileType.WRONG_SECRET


def _with(replace: str, by: str) -> str:
    text = builtin_text("baseline")
    assert replace in text
    return text.replace(replace, by)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_with('"111122223333":\n', "111122223333:\n"), "12 digits"),
        (_with("currentContext: admin", "currentContext: nope"), "currentContext nope"),
        (_with("      profile: admin\n", "      profile: ghost\n"), "profile ghost"),
        (_with("sourceProfile: alice", "sourceProfile: nobody"), "sourceProfile nobody"),
        (
            _with(
                "  - name: admin\n    user: arn:aws:iam::111122223333:user/admin",
                "  - name: admin\n    user: arn:aws:iam::111122223333:user/ghost",
            ),
            "not declared",
        ),
        (_with("kind: Scenario", "kind: Scenario\nsurprise: 1"), "surprise: is not a known field"),
        (
            _with(
                "principalArn: arn:aws:iam::111122223333:role/developer",
                "principalArn: arn:aws:sts::111122223333:assumed-role/developer/x",
            ),
            "assumed-role",
        ),
        ("just: [unclosed", "not valid YAML"),
        ("- a list", "expected a mapping"),
    ],
)
def test_invalid_scenarios_are_one_line(text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(text, source="s.yaml")
    assert needle in err.value.message
    assert "\n" not in err.value.message and err.value.message.startswith("s.yaml")


def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(builtin_text("baseline").replace("name: baseline", "name: mine"))
    assert load_scenario(str(path)).name == "mine"
    with pytest.raises(InputError, match="no such file"):
        load_scenario(str(tmp_path / "missing.yaml"))
    with pytest.raises(InputError, match="unknown scenario"):
        load_scenario("no-such-scenario")
