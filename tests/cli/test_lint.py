"""`eksaccess lint aws-auth`: exit codes 0/1/2, text and JSON output, files and stdin."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eksaccess.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "aws-auth"
DATA = Path(__file__).resolve().parents[1] / "data" / "aws-auth"
GOOD = (EXAMPLES / "good.yaml").read_text()
BROKEN = (EXAMPLES / "broken-yaml.yaml").read_text()
WARN_ONLY = "mapUsers: |\n  - userarn: arn:aws:iam::111122223333:user/a\n    groups: [system:masters]\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["lint", "aws-auth", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_manifest_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES / "good.yaml"))
    assert code == 0 and out.strip() == "aws-auth: no problems found"


def test_errors_exit_1_with_one_line_per_finding_and_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES / "silent-mistakes.yaml"))
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[-1] == "aws-auth: 3 errors, 1 warning"
    key_case = next(line for line in lines if "AWS_AUTH_KEY_CASE" in line)
    assert (
        key_case.startswith(f"{EXAMPLES / 'silent-mistakes.yaml'}:17: error AWS_AUTH_KEY_CASE data key ")
        and "Fix: rename mapusers to mapUsers" in key_case
    )


def test_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(WARN_ONLY)
    code, out, _ = run(capsys, str(path))
    assert code == 0 and out.startswith(
        f"{path}:3: warning AWS_AUTH_SYSTEM_MASTERS mapUsers: 1 entry grants "
    )
    code, out, _ = run(capsys, str(path), "--fail-on-system-masters")
    assert code == 1 and out.startswith(f"{path}:3: error AWS_AUTH_SYSTEM_MASTERS ")


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES / "broken-yaml.yaml"), "-o", "json")
    document = json.loads(out)
    assert code == 1 and list(document) == ["findings", "documents"]
    (finding,) = document["findings"]
    assert {"code", "severity", "line", "message", "fix"} <= set(finding)
    assert (finding["code"], finding["severity"], finding["line"]) == ("AWS_AUTH_MALFORMED", "error", 16)


def test_stdin_and_json_manifests(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {
            "mapRoles": "- rolearn: arn:aws:sts::111122223333:assumed-role/Dev/jane\n  groups: [devs]\n"
        },
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(manifest)))
    code, out, _ = run(capsys, "-", "-o", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["code"] == "AWS_AUTH_ASSUMED_ROLE_ARN" and finding["line"] == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(manifest)))
    code, out, _ = run(capsys, "-")
    assert out.startswith(
        "<stdin>: error AWS_AUTH_ASSUMED_ROLE_ARN mapRoles line 1: "
    )  # no file lines in JSON


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cm.yaml: no such file"),
        ("kind: Secret\n", "expected a ConfigMap, got kind 'Secret'"),
        ("kind: ConfigMap\ndata:\n  mapRoles:\n    - rolearn: x\n", "data.mapRoles must be a string"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "cm.yaml"
    if content is not None:
        path.write_text(content)
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_the_installed_entry_point(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text(BROKEN)
    command = [sys.executable, "-m", "eksaccess.cli.main", "lint", "aws-auth"]
    broken = subprocess.run([*command, str(path), "-o", "json"], capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1 and json.loads(broken.stdout)["findings"][0]["code"] == "AWS_AUTH_MALFORMED"
    good = subprocess.run([*command, "-"], input=GOOD, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stderr
    missing = subprocess.run(
        [*command, str(tmp_path / "nope.yaml")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and missing.stderr.startswith("eksaccess: error: ")
    assert missing.stderr.strip().endswith("nope.yaml: no such file")


def test_a_multi_document_file_names_the_document_linted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA / "multi-document.yaml"))
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[0] == "aws-auth: document 3, line 26 (2 other objects in the file, not read)"
    assert lines[-1] == "aws-auth: 6 errors, 2 warnings"
    masters = [line for line in lines if "AWS_AUTH_SYSTEM_MASTERS" in line]
    assert len(masters) == 2 and "3 entries grant" in masters[0] and "2 entries grant" in masters[1]


def test_a_list_and_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA / "list.yaml"), "-o", "json")
    document = json.loads(out)
    assert code == 1
    assert document["documents"] == [
        {"position": 3, "objects": 3, "place": "item 3", "line": 18, "namespace": "default"}
    ]
    assert [(f["code"], f["line"], f["document"]) for f in document["findings"]] == [
        ("AWS_AUTH_WRONG_NAMESPACE", 22, 3),
        ("AWS_AUTH_QUOTED_EMPTY", None, 3),
    ]


def test_several_aws_auth_configmaps_are_each_linted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\ndata:\n  mapUsers: |\n"
    first = cm + "    - userarn: arn:aws:iam::111122223333:user/a\n      username: ''\n"
    second = cm + "    - userarn: arn:aws:iam::111122223333:user/b\n      username: b\n"
    path = tmp_path / "two.yaml"
    path.write_text(first + "---\n" + second)
    code, out, _ = run(capsys, str(path))
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[0] == "aws-auth: document 1, line 1 (1 other object in the file, not read)"
    assert lines[1].startswith("note: no metadata.namespace: `kubectl apply -n`")
    assert lines[2].startswith(f"{path}:8: error AWS_AUTH_EMPTY_USERNAME mapUsers[0]: username is empty")
    assert lines[4] == "aws-auth: document 2, line 10 (1 other object in the file, not read)"
    assert lines[-2] == "aws-auth: no problems found"
    assert lines[-1] == (
        "note: 2 aws-auth ConfigMaps for (namespace of apply): `kubectl apply -f` leaves the last one (document 2)"
    )


def test_a_file_without_aws_auth_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "rbac.yaml"
    path.write_text(
        "kind: ClusterRole\nmetadata: {name: a}\n---\nkind: ClusterRoleBinding\nmetadata: {name: a}\n"
    )
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "no aws-auth ConfigMap" in err and "ClusterRole 'a', ClusterRoleBinding 'a'" in err


def test_parse_errors_are_go_yamls(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text("mapRoles: |\n  - rolearn: x\n     username: y\n")
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert out.startswith(
        f"{path}:3: error AWS_AUTH_MALFORMED mapRoles does not parse; the authenticator logs "
    )
    assert "`yaml: line 2: mapping values are not allowed in this context`" in out
