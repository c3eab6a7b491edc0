"""``--help`` and usage errors load no client library: every command's ``--help`` and a usage error of it
run in a fresh interpreter that must not have imported botocore, pydantic, ruamel or rich. (How long
they take is measured by bench/bench_help.py, not judged here.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eksaccess.cli.main import COMMANDS

HEAVY = ("botocore", "boto3", "pydantic", "ruamel", "rich")
PROBE = """
import json, sys
from eksaccess.cli.main import main
codes = []
for argv in (sys.argv[1:] + ["--help"], sys.argv[1:] + ["--no-such-option"]):
    try:
        main(argv)
    except SystemExit as exc:
        codes.append(exc.code)
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps({"codes": codes, "heavy": heavy}), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_help_and_usage_errors_load_no_client_library(command: str) -> None:
    argv = [command] if command else []
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False)
    report = json.loads(done.stderr.splitlines()[-1])
    assert report["codes"] == [0, 2], done.stderr
    assert report["heavy"] == [], f"eksaccess {command} --help imports {report['heavy']}"


def test_constants_spelt_for_help_equal_their_source() -> None:
    """The few values a command spells out so that its help loads no model, held equal to the source."""
    from eksaccess.cli.commands.audit import FLEET_PER_REGION
    from eksaccess.cli.commands.manage import VIA_VALUES
    from eksaccess.features.analyze.fleet import DEFAULT_PER_REGION
    from eksaccess.features.manage.via import Via

    assert FLEET_PER_REGION == DEFAULT_PER_REGION
    assert tuple(v.value for v in Via) == VIA_VALUES
