"""RBAC escalation prevention on the sandbox, through the real kubectl (oldest and newest).

A user may create a Role or a (Cluster)RoleBinding only with what they already hold, unless they are in
system:masters or have ``escalate``/``bind``
(https://github.com/kubernetes/kubernetes/blob/master/pkg/registry/rbac/escalation_check.go); the refusal is kube-apiserver's text,
naming the rules not held, compacted and sorted as ConfirmNoEscalation prints them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

pytestmark = pytest.mark.e2e
MakeKubectl = Callable[[str, Mapping[str, str]], Any]
NOT_HELD = (
    'user "{}" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:'
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    if not shutil.which("kubectl") and os.environ.get("CI") != "true":
        pytest.skip("kubectl is not installed")
    with running_sandbox(tmp_path_factory.mktemp("escalation")) as sb:
        yield sb


@pytest.fixture(scope="module")
def admin_token(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> str:
    env = {**os.environ, **sandbox.env, "HOME": str(tmp_path_factory.mktemp("home")), "AWS_PROFILE": "admin"}
    aws = str(Path(sys.executable).parent / "aws")
    out = subprocess.run(
        [aws, "--region", "us-west-2", "eks", "get-token", "--cluster-name", "demo", "--output", "json"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return str(json.loads(out.stdout)["status"]["token"])


def _binding(name: str, role_kind: str, role: str, user: str) -> str:
    return json.dumps(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": "dev"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        }
    )


def _role(name: str, *rules: dict[str, Any]) -> str:
    return json.dumps(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": "dev"},
            "rules": list(rules),
        }
    )


def test_a_namespace_admin_cannot_grant_more_than_they_hold(
    edge_kubectl_version: str, make_kubectl: MakeKubectl, sandbox: RunningSandbox, admin_token: str
) -> None:
    kubectl = make_kubectl(edge_kubectl_version, sandbox.env)
    suffix = edge_kubectl_version.replace(".", "-")
    alice = f"alice-{suffix}"  # one user per kubectl: the sandbox is shared by the module
    not_held = NOT_HELD.format(alice)

    def as_alice(*args: str, stdin: str | None = None) -> Any:
        return kubectl(*args, "--as", alice, token=admin_token, stdin=stdin)

    made = kubectl(
        "create",
        "-f",
        "-",
        token=admin_token,
        stdin=_binding(f"alice-admin-{suffix}", "ClusterRole", "admin", alice),
    )
    assert made.code == 0, made.err
    # what alice holds (admin in dev) she may hand on
    ok = as_alice(
        "create", "-f", "-", stdin=_binding(f"carol-edit-{suffix}", "ClusterRole", "edit", f"carol-{suffix}")
    )
    assert ok.code == 0, ok.err
    ok = as_alice(
        "create",
        "-f",
        "-",
        stdin=_role(
            f"pod-reader-{suffix}", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
        ),
    )
    assert ok.code == 0, ok.err
    # cluster-admin she does not hold
    grab = as_alice(
        "create", "-f", "-", stdin=_binding(f"grab-{suffix}", "ClusterRole", "cluster-admin", alice)
    )
    assert grab.code == 1
    assert (
        f'rolebindings.rbac.authorization.k8s.io "grab-{suffix}" is forbidden: {not_held}\n'
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}'
    ) in grab.err
    # nor nodes (cluster-scoped: admin cannot grant them), compacted per resource, verbs in rule order
    nodes = as_alice(
        "create", "-f", "-",
        stdin=_role(f"nodes-{suffix}", {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["get", "list"]}),
    )  # fmt: skip
    assert nodes.code == 1
    assert (
        f'roles.rbac.authorization.k8s.io "nodes-{suffix}" is forbidden: {not_held}\n'
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'
    ) in nodes.err
    assert "pods" not in nodes.err.split(not_held)[1]
    # a binding to a role that does not exist: the role's 404 (the check needs its rules)
    missing = as_alice(
        "create", "-f", "-", stdin=_binding(f"ghost-{suffix}", "ClusterRole", "no-such-role", alice)
    )
    assert missing.code == 1
    assert 'clusterroles.rbac.authorization.k8s.io "no-such-role" not found' in missing.err
    # the cluster admin (EKS access policy: every verb, bind included) may bind cluster-admin
    ok = kubectl(
        "create",
        "-f",
        "-",
        token=admin_token,
        stdin=_binding(f"root-{suffix}", "ClusterRole", "cluster-admin", alice),
    )
    assert ok.code == 0, ok.err
    # and now that alice holds cluster-admin in dev, she may too
    ok = as_alice(
        "create", "-f", "-", stdin=_binding(f"grab-again-{suffix}", "ClusterRole", "cluster-admin", "carol")
    )
    assert ok.code == 0, ok.err


def test_rbac_corners_as_kube_apiserver_decides_them(
    edge_kubectl_version: str, make_kubectl: MakeKubectl, sandbox: RunningSandbox, admin_token: str
) -> None:
    """``resourceNames: [""]`` is a name (who holds exactly that rule may grant it, and nothing wider), and
    every trailing ``*`` of a non-resource URL is stripped (``/metrics**`` allows ``/metrics/cadvisor``)."""
    kubectl = make_kubectl(edge_kubectl_version, sandbox.env)
    suffix = edge_kubectl_version.replace(".", "-")
    dana = f"dana-{suffix}"
    empty_name = {
        "apiGroups": ["apps"],
        "resources": ["daemonsets"],
        "verbs": ["patch"],
        "resourceNames": [""],
    }
    make_roles = {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["create"]}
    held = kubectl(
        "create", "-f", "-", token=admin_token, stdin=_role(f"empty-name-{suffix}", empty_name, make_roles)
    )  # fmt: skip
    assert held.code == 0, held.err
    bound = kubectl(
        "create", "-f", "-", token=admin_token, stdin=_binding(f"dana-{suffix}", "Role", f"empty-name-{suffix}", dana)
    )  # fmt: skip
    assert bound.code == 0, bound.err

    def as_dana(*args: str, stdin: str | None = None) -> Any:
        return kubectl(*args, "--as", dana, token=admin_token, stdin=stdin)

    same = as_dana("create", "-f", "-", stdin=_role(f"again-{suffix}", empty_name))
    assert same.code == 0, same.err
    wider = {k: v for k, v in empty_name.items() if k != "resourceNames"}
    refused = as_dana("create", "-f", "-", stdin=_role(f"wider-{suffix}", wider))
    assert refused.code == 1
    assert (
        f'{NOT_HELD.format(dana)}\n{{APIGroups:["apps"], Resources:["daemonsets"], Verbs:["patch"]}}'
    ) in refused.err

    metrics = json.dumps(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"metrics-{suffix}"},
            "rules": [{"nonResourceURLs": ["/metrics**"], "verbs": ["get"]}],
        }
    )
    made = kubectl("create", "-f", "-", token=admin_token, stdin=metrics)
    assert made.code == 0, made.err
    crb = json.loads(_binding(f"metrics-{suffix}", "ClusterRole", f"metrics-{suffix}", dana))
    crb["kind"] = "ClusterRoleBinding"
    del crb["metadata"]["namespace"]
    made = kubectl("create", "-f", "-", token=admin_token, stdin=json.dumps(crb))
    assert made.code == 0, made.err
    allowed = as_dana("auth", "can-i", "get", "/metrics/cadvisor")
    assert allowed.out.strip() == "yes", (allowed.out, allowed.err)
    other = as_dana("auth", "can-i", "get", "/healthz/etcd")
    assert other.out.strip() == "no", (other.out, other.err)
