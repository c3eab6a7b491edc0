"""who-can-assume: the Kubernetes subjects (users, groups, service accounts), and the IAM principals behind
them, that can obtain an IAM role's credentials through the cluster's workload identity.

The chain is IAM -> EKS -> RBAC -> workload identity -> IAM. First the service accounts that hold the role
(``domain.workload.reach``: IRSA trust, Pod Identity associations). Then, for each of them, who may act as
it, asked of who-can (the one RBAC evaluation, ``who_can.who_can``, with its identity resolution):

* the service account itself (its pods get the credentials);
* whoever may create pods, or a workload that makes pods (deployments, replicasets, statefulsets,
  daemonsets, jobs, cronjobs, replicationcontrollers), in its namespace: a pod may name any service account
  of its namespace;
* whoever may create ``serviceaccounts/token`` for it (a token for STS or EKS Auth, without a pod);
* whoever may impersonate it.

One hop: a subject that reaches another service account that may create pods elsewhere is not followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eksaccess.domain.authz.authorize import Authority, Authorizer, Reason
from eksaccess.domain.state import ClusterState
from eksaccess.domain.workload.reach import Holders, Mechanism, RoleHolder, ServiceAccountRef, role_holders
from eksaccess.features.analyze.can_i import authorizer_for, build_request
from eksaccess.features.analyze.who_can import Directory, WhoCanResult, who_can

POD_CREATORS = (
    "pods",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "jobs.batch",
    "cronjobs.batch",
    "replicationcontrollers",
)


class Route(StrEnum):
    SERVICE_ACCOUNT = "serviceAccount"  # the subject is the service account
    CREATE_WORKLOAD = "createWorkload"  # may create pods (or a pod-making workload) in its namespace
    CREATE_TOKEN = "createToken"  # may create serviceaccounts/token for it
    IMPERSONATE = "impersonate"  # may impersonate it


@dataclass(frozen=True, kw_only=True, slots=True)
class AssumePath:
    """One way to the role: IAM principal (when one maps) -> Kubernetes subject -> how -> SA -> role."""

    principal_arn: str  # "" for a Kubernetes subject no IAM principal of the state maps to
    via: str  # how the principal becomes the subject (access entry, aws-auth row), "" without one
    subject: str  # 'User "alice"', 'Group "devs"', 'ServiceAccount "apps/web"'
    route: Route
    actions: tuple[str, ...]  # what the subject may do: ("create pods in apps", "create jobs.batch in apps")
    grant: str  # the grant that allows the first action (binding -> role, access policy, system:masters)
    service_account: ServiceAccountRef
    mechanism: Mechanism
    annotated: bool = False

    def describe(self) -> str:
        head = f"{self.principal_arn} -> " if self.principal_arn else ""
        more = f" (+{len(self.actions) - 1} more)" if len(self.actions) > 1 else ""
        return (
            f"{head}{self.subject} -> {self.actions[0]}{more} -> {self.service_account} -> {self.mechanism}"
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class WhoCanAssumeResult:
    role_arn: str
    holders: tuple[RoleHolder, ...]
    paths: tuple[AssumePath, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def subjects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.subject for p in self.paths))

    def principals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.principal_arn for p in self.paths if p.principal_arn))


class Asker:
    """who-can on one state, with the authorizer, the directory and each request's answer kept."""

    def __init__(
        self, state: ClusterState, authorizer: Authorizer | None = None, directory: Directory | None = None
    ) -> None:
        self.state = state
        self.authorizer = authorizer or authorizer_for(state)
        self.directory = directory or Directory(state)
        self._answers: dict[tuple[str, str, str, str], WhoCanResult] = {}
        self._named = self.authorizer.index.resources_named_by_rules()

    def ask(self, verb: str, resource: str, *, namespace: str, name: str = "") -> WhoCanResult:
        if name and not self._named & {resource, resource.split("/")[0], "*"}:
            name = ""  # no rule names this resource: the answer is the same for every name, asked once
        key = (verb, resource, namespace, name)
        if key not in self._answers:
            request = build_request(verb, resource, name=name, namespace=namespace)
            self._answers[key] = who_can(
                self.state, request, authorizer=self.authorizer, directory=self.directory
            )
        return self._answers[key]


def who_can_assume(state: ClusterState, role_arn: str, *, asker: Asker | None = None) -> WhoCanAssumeResult:
    """Every path from a Kubernetes subject (and the IAM principal behind it) to ``role_arn``."""
    found: Holders = role_holders(state, role_arn)
    asker = asker or Asker(state)
    paths: list[AssumePath] = []
    notes = list(found.notes)
    section = state.workload_identity
    existing = {(sa.namespace, sa.name) for sa in section.service_accounts} if section else set()
    for holder in found.holders:
        paths += _paths_for(asker, holder)
        ref = holder.service_account
        if existing and (ref.namespace, ref.name) not in existing:
            notes.append(
                f"service account {ref} does not exist: a pod needs it created first (create serviceaccounts "
                f"in {ref.namespace})"
            )
    return WhoCanAssumeResult(
        role_arn=role_arn, holders=found.holders, paths=tuple(paths), notes=tuple(notes)
    )


def _paths_for(asker: Asker, holder: RoleHolder) -> list[AssumePath]:
    """The paths through one service account: one per (principal or subject, route), with every action of
    that route the subject may take."""
    sa = holder.service_account
    own = f'ServiceAccount "{sa}"'
    found: dict[tuple[str, str, Route], tuple[str, str, list[str]]] = {
        ("", own, Route.SERVICE_ACCOUNT): ("", "its pods", ["is the service account"])
    }
    asks = [(Route.CREATE_WORKLOAD, "create", resource, "") for resource in POD_CREATORS]
    asks += [
        (Route.CREATE_TOKEN, "create", "serviceaccounts/token", sa.name),
        (Route.IMPERSONATE, "impersonate", "serviceaccounts", sa.name),
    ]
    for route, verb, resource, name in asks:
        answer = asker.ask(verb, resource, namespace=sa.namespace, name=name)
        action = f"{verb} {resource}" + (f" {name}" if name else "") + f" in {sa.namespace}"
        for principal in answer.principals:
            key = (principal.arn, _subject_of(principal.reasons[0], principal.username), route)
            _add(found, key, principal.via, principal.reasons, action)
        for unmapped in answer.subjects:
            name_text = f"{unmapped.namespace}/{unmapped.name}" if unmapped.namespace else unmapped.name
            _add(found, ("", f'{unmapped.kind} "{name_text}"', route), "", unmapped.reasons, action)
    return [
        AssumePath(
            principal_arn=arn,
            via=via,
            subject=subject,
            route=route,
            actions=tuple(actions),
            grant=grant,
            service_account=sa,
            mechanism=holder.mechanism,
            annotated=holder.annotated,
        )
        for (arn, subject, route), (via, grant, actions) in found.items()
    ]


def _add(
    found: dict[tuple[str, str, Route], tuple[str, str, list[str]]],
    key: tuple[str, str, Route],
    via: str,
    reasons: tuple[Reason, ...],
    action: str,
) -> None:
    entry = found.get(key)
    if entry is None:
        found[key] = (via, _grant(reasons[0]) if reasons else "", [action])
    else:
        entry[2].append(action)


def _subject_of(reason: Reason, username: str) -> str:
    if reason.authority is Authority.RBAC and reason.subject:
        return reason.subject
    return f'User "{username}"'


def _grant(reason: Reason) -> str:
    if reason.authority is Authority.ACCESS_POLICY:
        return f"access policy {reason.policy_arn.rsplit('/', 1)[-1]} ({reason.scope})"
    if reason.authority is Authority.PRIVILEGED_GROUP:
        return 'Group "system:masters"'
    return f"{reason.binding} -> {reason.role}"


def reachable_roles(state: ClusterState) -> Iterable[str]:
    """Every role ARN the state's workload identity names (annotations, associations, trust policies)."""
    section = state.workload_identity
    if section is None:
        return ()
    arns = [sa.annotations.get("eks.amazonaws.com/role-arn", "") for sa in section.service_accounts]
    arns += [a.role_arn for a in section.pod_identity_associations]
    arns += [a.target_role_arn or "" for a in section.pod_identity_associations]
    arns += list(section.role_trust_policies)
    return tuple(a for a in dict.fromkeys(arns) if a)


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleReach:
    """audit's line for one role: the service accounts that hold it and who can reach them."""

    role_arn: str
    service_accounts: tuple[str, ...]  # "apps/web (irsa)"
    namespaces: tuple[str, ...]
    subjects: tuple[str, ...]  # Kubernetes subjects with a path, system:masters included
    principals: tuple[str, ...]  # IAM principals behind them

    def to_json(self) -> dict[str, Any]:
        return {
            "roleArn": self.role_arn,
            "serviceAccounts": list(self.service_accounts),
            "namespaces": list(self.namespaces),
            "subjects": list(self.subjects),
            "principals": list(self.principals),
        }


def workload_reach(state: ClusterState, asker: Asker | None = None) -> tuple[RoleReach, ...]:
    """Per role the state's workload identity names: which namespaces and subjects reach it (roles no
    service account holds are left out). One asker for all roles: each who-can question is asked once."""
    if state.workload_identity is None:
        return ()
    asker = asker or Asker(state)
    found: list[RoleReach] = []
    for role_arn in sorted(reachable_roles(state)):
        result = who_can_assume(state, role_arn, asker=asker)
        if not result.holders:
            continue
        holders = [h.service_account for h in result.holders]
        found.append(
            RoleReach(
                role_arn=role_arn,
                service_accounts=tuple(
                    dict.fromkeys(f"{h.service_account} ({h.mechanism})" for h in result.holders)
                ),
                namespaces=tuple(sorted({ref.namespace for ref in holders})),
                subjects=result.subjects(),
                principals=result.principals(),
            )
        )
    return tuple(found)
