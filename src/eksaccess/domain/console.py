"""What the EKS console needs to show a cluster's Kubernetes objects, as data.

The console calls the Kubernetes API as the IAM principal signed in to it (the switched-to role, the IAM
Identity Center permission-set role). Without what follows it shows "Your current IAM principal doesn't have
access to Kubernetes objects on this cluster." Three things are needed:

1. IAM actions for the console's EKS calls. Source: EKS User Guide, "View Kubernetes resources in the AWS
   Management Console", section "Required permissions"
   (https://docs.aws.amazon.com/eks/latest/userguide/view-kubernetes-resources.html; awsdocs
   amazon-eks-user-guide ``latest/ug/manage-access/view-kubernetes-resources.adoc``, snapshot 4d52b4d,
   2024-12-18). Its example policy's first statement, on ``Resource: "*"``, is ``CONSOLE_IAM_ACTIONS``; its
   second (``ssm:GetParameter`` on SSM parameters, for AMI versions) shows no Kubernetes object and is left out.
   ``eks:AccessKubernetesApi`` is a permission only (no API call carries it): kubectl never needs it.
2. A mapping of the principal: an access entry or an aws-auth row (the same rules as kubectl's path).
3. Kubernetes permissions to read what the console lists (``CONSOLE_READS``): nodes and namespaces
   cluster-wide, the workloads and services in the namespaces shown. AWS's answers: the access policy
   ``AmazonEKSAdminViewPolicy`` (get, list, watch on everything, 2024-04-23; access-policy-reference.adoc)
   associated cluster-wide, or AWS's manifests
   ``https://s3.us-west-2.amazonaws.com/amazon-eks/docs/eks-console-full-access.yaml`` (a ClusterRole and a
   ClusterRoleBinding to a group) and ``eks-console-restricted-access.yaml`` (nodes and namespaces
   cluster-wide, the rest through a Role in the namespaces shown), whose names and rules ``console_manifests``
   writes. A namespace-scoped access policy never covers nodes or namespaces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

CONSOLE_PAGE = "https://docs.aws.amazon.com/eks/latest/userguide/view-kubernetes-resources.html"

# The first statement of the User Guide's example policy (Resource "*"), in the page's order.
CONSOLE_IAM_ACTIONS: tuple[str, ...] = (
    "eks:ListFargateProfiles",
    "eks:DescribeNodegroup",
    "eks:ListNodegroups",
    "eks:ListUpdates",
    "eks:AccessKubernetesApi",
    "eks:ListAddons",
    "eks:DescribeCluster",
    "eks:DescribeAddonVersions",
    "eks:ListClusters",
    "eks:ListIdentityProviderConfigs",
    "iam:ListRoles",
)

ADMIN_VIEW_POLICY = "AmazonEKSAdminViewPolicy"  # AWS's access policy for the console (reads everything)
ADMIN_VIEW_SHORT = "admin-view"  # the short name eksaccess grant takes for it
IAM_POLICY_NAME = "eks-console-read"  # the inline policy doctor's fix writes

# The console reads with get and list (AWS's manifests grant exactly these two verbs); doctor asks list,
# the verb of every pane that shows a table.
CONSOLE_VERB = "list"
MANIFEST_VERBS = ("get", "list")


class IamDecision(StrEnum):
    """IAM's EvalDecision of a simulated action (iam:SimulatePrincipalPolicy)."""

    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicitDeny"
    EXPLICIT_DENY = "explicitDeny"


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsoleRead:
    """One list the console makes: the resource, its API group, whether it lives in namespaces, and where
    the console shows it."""

    resource: str
    group: str = ""
    namespaced: bool = True
    pane: str

    @property
    def name(self) -> str:
        """``deployments.apps``: the resource as kubectl names it."""
        return self.resource + (f".{self.group}" if self.group else "")


CONSOLE_READS: tuple[ConsoleRead, ...] = (
    ConsoleRead(resource="nodes", namespaced=False, pane="Compute / Resources > Cluster > Nodes"),
    ConsoleRead(resource="namespaces", namespaced=False, pane="the namespace selector"),
    ConsoleRead(resource="pods", pane="Resources > Workloads > Pods"),
    ConsoleRead(resource="events", pane="Resources > Events"),
    ConsoleRead(resource="deployments", group="apps", pane="Resources > Workloads > Deployments"),
    ConsoleRead(resource="replicasets", group="apps", pane="Resources > Workloads > ReplicaSets"),
    ConsoleRead(resource="statefulsets", group="apps", pane="Resources > Workloads > StatefulSets"),
    ConsoleRead(resource="daemonsets", group="apps", pane="Resources > Workloads > DaemonSets"),
    ConsoleRead(resource="jobs", group="batch", pane="Resources > Workloads > Jobs"),
    ConsoleRead(resource="cronjobs", group="batch", pane="Resources > Workloads > CronJobs"),
    ConsoleRead(resource="services", pane="Resources > Service and networking > Services"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadRequest:
    """One read asked of the authorizer: ``namespace`` empty means cluster-wide (a cluster-scoped
    resource, or a namespaced one across all namespaces, as the console's "All namespaces")."""

    read: ConsoleRead
    namespace: str = ""

    def describe(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else " cluster-wide"
        return f"{CONSOLE_VERB} {self.read.name}{where}"


def read_requests(namespaces: Sequence[str] = ()) -> tuple[ReadRequest, ...]:
    """The reads the console makes: cluster-scoped resources cluster-wide always; namespaced ones in each
    of ``namespaces``, or across all namespaces when none is named."""
    out: list[ReadRequest] = []
    for read in CONSOLE_READS:
        if not read.namespaced or not namespaces:
            out.append(ReadRequest(read=read))
        else:
            out += [ReadRequest(read=read, namespace=ns) for ns in namespaces]
    return tuple(out)


# --- AWS's console manifests --------------------------------------------------------------------------------

FULL_ACCESS_GROUP = "eks-console-dashboard-full-access-group"
RESTRICTED_ACCESS_GROUP = "eks-console-dashboard-restricted-access-group"
_FULL = "eks-console-dashboard-full-access"
_RESTRICTED = "eks-console-dashboard-restricted-access"

# eks-console-full-access.yaml's ClusterRole, rule by rule (apiGroup, resources); every rule get, list.
_FULL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "",
        (
            "nodes",
            "namespaces",
            "pods",
            "configmaps",
            "endpoints",
            "events",
            "limitranges",
            "persistentvolumeclaims",
            "podtemplates",
            "replicationcontrollers",
            "resourcequotas",
            "secrets",
            "serviceaccounts",
            "services",
        ),
    ),
    ("apps", ("deployments", "daemonsets", "statefulsets", "replicasets")),
    ("batch", ("jobs", "cronjobs")),
    ("coordination.k8s.io", ("leases",)),
    ("discovery.k8s.io", ("endpointslices",)),
    ("events.k8s.io", ("events",)),
    ("extensions", ("daemonsets", "deployments", "ingresses", "networkpolicies", "replicasets")),
    ("networking.k8s.io", ("ingresses", "networkpolicies")),
    ("policy", ("poddisruptionbudgets",)),
    ("rbac.authorization.k8s.io", ("rolebindings", "roles")),
    ("storage.k8s.io", ("csistoragecapacities",)),
)
_CLUSTER_SCOPED = frozenset({"nodes", "namespaces"})


def _rules(rules: Sequence[tuple[str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    return [
        {"apiGroups": [group], "resources": list(resources), "verbs": list(MANIFEST_VERBS)}
        for group, resources in rules
        if resources
    ]


def _binding(
    kind: str, name: str, role_kind: str, role: str, group: str, namespace: str = ""
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "subjects": [{"kind": "Group", "name": group, "apiGroup": "rbac.authorization.k8s.io"}],
        "roleRef": {"kind": role_kind, "name": role, "apiGroup": "rbac.authorization.k8s.io"},
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsoleManifests:
    """AWS's console RBAC for one scope: the group to map the principal into and the objects to apply."""

    group: str
    manifests: tuple[Mapping[str, Any], ...]


def console_manifests(namespaces: Sequence[str] = ()) -> ConsoleManifests:
    """eks-console-full-access.yaml (no namespaces: a ClusterRole reading everything the console shows), or
    eks-console-restricted-access.yaml for ``namespaces`` (nodes and namespaces cluster-wide, the rest through
    a Role and RoleBinding in each namespace). The Role carries the full file's namespaced rules (the current
    restricted file's Role rules are not confirmed at AWS's source)."""
    rbac = "rbac.authorization.k8s.io/v1"
    if not namespaces:
        role = f"{_FULL}-clusterrole"
        return ConsoleManifests(
            group=FULL_ACCESS_GROUP,
            manifests=(
                {
                    "apiVersion": rbac,
                    "kind": "ClusterRole",
                    "metadata": {"name": role},
                    "rules": _rules(_FULL_RULES),
                },
                _binding("ClusterRoleBinding", f"{_FULL}-binding", "ClusterRole", role, FULL_ACCESS_GROUP),
            ),
        )
    cluster_role, role = f"{_RESTRICTED}-clusterrole", f"{_RESTRICTED}-role"
    namespaced = [(g, tuple(r for r in rs if r not in _CLUSTER_SCOPED)) for g, rs in _FULL_RULES]
    out: list[Mapping[str, Any]] = [
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": cluster_role},
            "rules": _rules([("", ("nodes", "namespaces"))]),
        },
        _binding(
            "ClusterRoleBinding",
            f"{cluster_role}-binding",
            "ClusterRole",
            cluster_role,
            RESTRICTED_ACCESS_GROUP,
        ),
    ]
    for ns in namespaces:
        out.append(
            {
                "apiVersion": rbac,
                "kind": "Role",
                "metadata": {"name": role, "namespace": ns},
                "rules": _rules(namespaced),
            }
        )
        out.append(_binding("RoleBinding", f"{role}-binding", "Role", role, RESTRICTED_ACCESS_GROUP, ns))
    return ConsoleManifests(group=RESTRICTED_ACCESS_GROUP, manifests=tuple(out))


# --- the IAM statement ---------------------------------------------------------------------------------------


def iam_policy_document(actions: Sequence[str]) -> dict[str, Any]:
    """An identity policy allowing ``actions`` on every resource, as the User Guide's example does."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "EksConsoleRead", "Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def iam_policy_text(actions: Sequence[str]) -> str:
    return json.dumps(iam_policy_document(actions), separators=(",", ":"))
