"""RBAC_SUBJECT_CASE: a binding that would allow the request if its subject were spelled as the identity is."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.iam.identity import KubeIdentity
from eksaccess.features.doctor.checks.subject_case import other_case, subject_misses

ERIN = KubeIdentity(username="erin", uid="u", groups=("devs", "system:authenticated"))
LIST_PODS = Attributes(verb="list", resource="pods", namespace="dev")


def _binding(kind: str, name: str, role: str = "edit", namespace: str | None = "dev") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "b"}
    if namespace is not None:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}],
    }


@pytest.mark.parametrize(
    ("binding", "found"),
    [
        (_binding("User", "Erin"), [("User", "Erin", "erin")]),
        (_binding("Group", "DEVS"), [("Group", "DEVS", "devs")]),
        (_binding("User", "ERIN", namespace=None), [("User", "ERIN", "erin")]),
        (_binding("User", "erin"), []),  # spelled right: not a near miss
        (_binding("User", "Erin", namespace="prod"), []),  # would not allow a request in dev
        (_binding("User", "Erin", role="system:discovery"), []),  # its role does not allow the request
        (_binding("User", "Erina"), []),  # another name
        (_binding("ServiceAccount", "Erin"), []),
    ],
)
def test_case_misses(binding: dict[str, Any], found: list[tuple[str, str, str]]) -> None:
    manifests = [binding]
    got = subject_misses(manifests, Authorizer.from_manifests(manifests), ERIN, LIST_PODS, other_case)
    assert [(m.kind, m.written, m.wanted) for m in got] == found
