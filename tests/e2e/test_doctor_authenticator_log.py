"""The cluster's own word (issue 20 part 7), end to end with the real aws CLI and kubectl on the sandbox.

* authenticator-log-on: the developer cannot read the mapping; doctor quotes the authenticator's line, and
  that line is exactly one the sandbox wrote, as ``aws logs filter-log-events`` reads it back.
* logging off, mapping unread: doctor prints the `aws eks update-cluster-config --logging ...` command;
  pasted, the cluster logs its authenticator, and doctor then quotes the line instead of saying the mapping
  is unverified.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from eksaccess.sandbox.testing import running_sandbox
from support.cli import doctor_json
from support.clients import client_env, one_finding, require, run

GROUP = "/aws/eks/demo/cluster"


def _logged(env: Mapping[str, str], profile: str) -> list[str]:
    done = run(
        env,
        [
            require("aws"),
            "logs",
            "filter-log-events",
            "--log-group-name",
            GROUP,
            "--log-stream-name-prefix",
            "authenticator-",
            "--filter-pattern",
            '"access denied"',
            "--profile",
            profile,
            "--output",
            "json",
        ],
    )
    assert done.returncode == 0, done.stderr
    return [e["message"] for e in json.loads(done.stdout)["events"]]


def test_doctor_quotes_the_line_the_sandbox_wrote(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "authenticator-log-on") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        code, report = doctor_json(env)
        assert code == 1
        line = one_finding(report, "AUTHENTICATOR_LOG_LINE")
        quoted = line["evidence"]["line"]
        assert quoted in _logged(env, "admin")  # exactly a line the cluster wrote
        assert line["evidence"]["arn"] == "arn:aws:iam::111122223333:role/developer"
        assert line["evidence"]["decision"] == "access denied"
        assert line["evidence"]["error"] == "identity is not mapped"
        assert quoted in line["detail"]
        codes = {f["code"] for f in report["findings"]}
        assert "MAPPING_UNVERIFIED" not in codes  # the cluster's word replaces it
        not_mapped = one_finding(report, "NOT_MAPPED")
        assert not_mapped["evidence"]["inferred"] is False
        assert not_mapped["evidence"]["authenticatorLog"] == quoted


def test_turning_the_log_on_as_printed_lets_doctor_quote_it(tmp_path: Path) -> None:
    require("aws")
    with running_sandbox(tmp_path / "sandbox", "creator-deleted-config-map") as sandbox:
        env = client_env(sandbox, tmp_path / "home")
        _, report = doctor_json(env)
        off = one_finding(report, "AUTHENTICATOR_LOG_OFF")
        assert "AUTHENTICATOR_LOG_LINE" not in {f["code"] for f in report["findings"]}
        [command] = off["fix"][0]["plain"]
        assert "--logging" in command and '"authenticator"' in command
        done = run(env, ["bash", "-c", command])
        assert done.returncode == 0, done.stderr
        described = run(
            env,
            [
                require("aws"),
                "eks",
                "describe-cluster",
                "--name",
                "demo",
                "--profile",
                "admin",
                "--output",
                "json",
            ],
        )
        logging = json.loads(described.stdout)["cluster"]["logging"]["clusterLogging"]
        assert {"types": ["authenticator"], "enabled": True} in logging
        code, again = doctor_json(env)
        line = one_finding(again, "AUTHENTICATOR_LOG_LINE")
        assert line["evidence"]["arn"] == "arn:aws:iam::111122223333:user/admin"
        assert line["evidence"]["line"] in _logged(env, "admin")
        codes = {f["code"] for f in again["findings"]}
        assert "AUTHENTICATOR_LOG_OFF" not in codes and "MAPPING_UNVERIFIED" not in codes
