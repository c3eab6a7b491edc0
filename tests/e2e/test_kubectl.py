"""Unmodified kubectl (every version the machine has) against a sandbox cluster, as against EKS.

One sandbox (scenario "baseline") per module. Core cases run on every kubectl version; the full case list
runs on the oldest and the newest. Tokens come from ``aws eks get-token`` once per profile and are passed
with ``--token`` (the exec plugin itself is exercised by the whoami case).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

pytestmark = pytest.mark.e2e

CLUSTER = "demo"
REGION = "us-west-2"
CONFLICT = "the object has been modified; please apply your changes to the latest version and try again"
ASKED = (
    "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
)
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"
MakeKubectl = Callable[[str, Mapping[str, str]], Any]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    if not shutil.which("kubectl") and os.environ.get("CI") != "true":
        pytest.skip("kubectl is not installed")

    with running_sandbox(tmp_path_factory.mktemp("kubectl-e2e")) as sb:
        yield sb


@pytest.fixture(scope="module")
def tokens(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {**os.environ, **sandbox.env, "HOME": str(tmp_path_factory.mktemp("home"))}
    out: dict[str, str] = {}
    for profile, cluster in (
        ("admin", CLUSTER),
        ("developer", CLUSTER),
        ("eks-admin", CLUSTER),
        ("alice", CLUSTER),
        ("admin-other", "other"),
    ):
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "aws"),
                "--region",
                REGION,
                "eks",
                "get-token",
                "--cluster-name",
                cluster,
                "--output",
                "json",
            ],
            env={**env, "AWS_PROFILE": profile.split("-other")[0]},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        out[profile] = json.loads(proc.stdout)["status"]["token"]
    return out


def whoami(kubectl: Any, token: str) -> str:
    result = kubectl("auth", "whoami", "-o", "json", token=token)
    assert result.code == 0, result.err
    return str(json.loads(result.out)["status"]["userInfo"]["username"])


def url_of(token: str) -> str:
    body = token[len("k8s-aws-v1.") :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def token_of(url: str) -> str:
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def with_query(token: str, **changes: str) -> str:
    parts = urlsplit(url_of(token))
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return token_of(parts._replace(query=urlencode(query)).geturl())


def server_log(sandbox: RunningSandbox) -> str:
    return (sandbox.state_dir / "sandbox.log").read_text()


# ---------------------------------------------------------------------------------------- every version


def test_core(
    kubectl_version: str,
    make_kubectl: MakeKubectl,
    sandbox: RunningSandbox,
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    version = kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    got = kubectl("get", "configmap", "aws-auth", "-n", "kube-system", token=tokens["admin"])
    assert got.code == 0 and got.out.split()[:3] == ["NAME", "DATA", "AGE"] and "aws-auth" in got.out
    assert (
        kubectl("auth", "can-i", "create", "configmaps", "-n", "dev", token=tokens["developer"]).out
        == "yes\n"
    )
    no = kubectl("auth", "can-i", "create", "configmaps", "-n", "kube-system", token=tokens["developer"])
    assert (no.code, no.out) == (1, "no\n")
    # typed create: protobuf body from kubectl 1.32 on
    name = f"pb-{version.replace('.', '-')}"
    made = kubectl("create", "configmap", name, "-n", "dev", "--from-literal=a=b", token=tokens["admin"])
    assert made.out == f"configmap/{name} created\n", made.err
    shown = kubectl("get", "configmap", name, "-n", "dev", "-o", "json", token=tokens["admin"])
    assert json.loads(shown.out)["data"] == {"a": "b"}
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f-{name}\n  namespace: dev\ndata:\n  k: v\n"
    )
    assert (
        kubectl("create", "-f", str(manifest), token=tokens["admin"]).out == f"configmap/f-{name} created\n"
    )
    bad = kubectl("get", "configmaps", token=tokens["admin"] + "x", fresh_cache=True)
    assert bad.code == 1 and bad.last_err_line == ASKED
    assert kubectl("auth", "whoami", token=tokens["admin"] + "x").last_err_line == UNAUTHORIZED
    assert kubectl("delete", "configmap", name, "-n", "dev", token=tokens["admin"]).out == (
        f'configmap "{name}" deleted\n'
    )


# ------------------------------------------------------------------------------ oldest and newest: all cases


def test_whoami_through_the_exec_plugin(
    edge_kubectl_version: str, make_kubectl: MakeKubectl, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    version = edge_kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    result = kubectl("auth", "whoami", "--context", "admin")
    assert result.code == 0, result.err
    assert "arn:aws:iam::111122223333:user/admin" in result.out


def test_apply_replace_and_stale_replace(
    edge_kubectl_version: str,
    make_kubectl: MakeKubectl,
    sandbox: RunningSandbox,
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    version = edge_kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    admin = tokens["admin"]
    name = f"apply-{version.replace('.', '-')}"
    path = tmp_path / "cm.yaml"
    path.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: dev\ndata:\n  k: v1\n"
    )
    assert kubectl("apply", "-f", str(path), token=admin).out == f"configmap/{name} created\n"
    path.write_text(path.read_text().replace("k: v1", "k: v2"))
    assert kubectl("apply", "-f", str(path), token=admin).out == f"configmap/{name} configured\n"
    current = json.loads(kubectl("get", "cm", name, "-n", "dev", "-o", "json", token=admin).out)
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**current, "data": {"k": "stale"}}))
    fresh = tmp_path / "fresh.json"
    fresh.write_text(json.dumps({**current, "data": {"k": "v3"}}))
    assert kubectl("replace", "-f", str(fresh), token=admin).out == f"configmap/{name} replaced\n"
    result = kubectl("replace", "-f", str(stale), token=admin)
    assert result.code == 1
    assert result.last_err_line == (
        f'Error from server (Conflict): error when replacing "{stale}": Operation cannot be fulfilled on '
        f'configmaps "{name}": {CONFLICT}'
    )
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u-{name}\n  namespace: dev\ndta: {{}}\n"
    )
    result = kubectl("create", "-f", str(unknown), token=admin)
    assert result.last_err_line == (
        f'Error from server (BadRequest): error when creating "{unknown}": ConfigMap in version "v1" cannot be '
        'handled as a ConfigMap: strict decoding error: unknown field "dta"'
    )


EDITOR = r"""
import os, sys
from ruamel.yaml import YAML
yaml = YAML()
path = sys.argv[1]
doc = yaml.load(open(path))
mode = os.environ["EDIT_MODE"]
if mode == "add":
    doc["data"]["mapUsers"] = "- userarn: arn:aws:iam::111122223333:user/alice\n  username: " + os.environ["EDIT_NAME"] + "\n  groups:\n  - system:masters\n"
elif mode == "break":
    doc["data"]["mapUsers"] = "- userarn: arn:aws:iam::111122223333:user/alice\n  username: [broken\n"
else:
    del doc["data"]["mapUsers"]
yaml.dump(doc, open(path, "w"))
"""


def test_edit_aws_auth_counts_on_next_request(
    edge_kubectl_version: str,
    make_kubectl: MakeKubectl,
    sandbox: RunningSandbox,
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    version = edge_kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    editor = {"KUBE_EDITOR": f"{sys.executable} {script}"}
    alice = tokens["alice"]
    assert kubectl("auth", "whoami", token=alice).last_err_line == UNAUTHORIZED
    name = f"alice-{version}"
    edit = kubectl(
        "edit",
        "configmap",
        "aws-auth",
        "-n",
        "kube-system",
        token=tokens["admin"],
        env={**editor, "EDIT_MODE": "add", "EDIT_NAME": name},
    )
    assert edit.out == "configmap/aws-auth edited\n", edit.err
    assert whoami(kubectl, alice) == name
    edit = kubectl(
        "edit",
        "configmap",
        "aws-auth",
        "-n",
        "kube-system",
        token=tokens["admin"],
        env={**editor, "EDIT_MODE": "break"},
    )
    assert edit.code == 0, edit.err
    assert kubectl("auth", "whoami", token=alice).last_err_line == UNAUTHORIZED  # the broken key is dropped
    assert whoami(kubectl, tokens["eks-admin"]).startswith("eks-admin:")  # other keys still load
    edit = kubectl(
        "edit",
        "configmap",
        "aws-auth",
        "-n",
        "kube-system",
        token=tokens["admin"],
        env={**editor, "EDIT_MODE": "remove"},
    )
    assert edit.code == 0, edit.err
    assert "identity is not mapped" in server_log(sandbox)


def test_forbidden_and_impersonation_lines(
    edge_kubectl_version: str,
    make_kubectl: MakeKubectl,
    sandbox: RunningSandbox,
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    version = edge_kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    developer = whoami(kubectl, tokens["developer"])
    result = kubectl("get", "configmaps", "-n", "kube-system", token=tokens["developer"])
    assert result.last_err_line == (
        f'Error from server (Forbidden): configmaps is forbidden: User "{developer}" cannot list resource '
        '"configmaps" in API group "" in the namespace "kube-system"'
    )
    result = kubectl("get", "configmaps", "-n", "dev", "--as", "bob", token=tokens["developer"])
    assert result.last_err_line == (
        f'Error from server (Forbidden): users "bob" is forbidden: User "{developer}" cannot impersonate resource '
        '"users" in API group "" at the cluster scope'
    )
    # the admin may impersonate; bob then gets RBAC only (nothing), never the admin's access policy
    result = kubectl("get", "configmaps", "-n", "dev", "--as", "bob", token=tokens["admin"])
    assert result.last_err_line == (
        'Error from server (Forbidden): configmaps is forbidden: User "bob" cannot list resource "configmaps" '
        'in API group "" in the namespace "dev"'
    )
    result = kubectl(
        "auth", "can-i", "get", "pods", "--as", "bob", "--as-group", "system:masters", token=tokens["admin"]
    )
    assert result.out == "yes\n"


def test_broken_tokens(
    edge_kubectl_version: str,
    make_kubectl: MakeKubectl,
    sandbox: RunningSandbox,
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    version = edge_kubectl_version
    kubectl = make_kubectl(version, sandbox.env)
    admin = tokens["admin"]
    signature = dict(parse_qsl(urlsplit(url_of(admin)).query))["X-Amz-Signature"]
    tampered = with_query(admin, **{"X-Amz-Signature": ("0" if signature[0] != "0" else "1") + signature[1:]})
    expired = with_query(admin, **{"X-Amz-Date": "20200101T000000Z"})
    for token in (tampered, expired, tokens["admin-other"]):
        fresh = kubectl("get", "configmaps", "-n", "dev", token=token, fresh_cache=True)
        assert fresh.last_err_line == ASKED
        assert kubectl("auth", "whoami", token=token).last_err_line == UNAUTHORIZED
    log = server_log(sandbox)
    assert "X-Amz-Date parameter is expired (15 minute expiration) 2020-01-01 00:00:00 +0000 UTC" in log
    assert "SignatureDoesNotMatch" in log and "expected 200, got 403" in log
    for token in tokens.values():
        assert token not in log and token[len("k8s-aws-v1.") :][:40] not in log
