"""``migrate``: turn aws-auth mappings into access entries the way an expert would, and prove it.

Per mapRoles / mapUsers row (the row that wins for its ARN; principals that already have an access entry
are skipped, the entry wins anyway):

* ``system:masters`` -> STANDARD entry with ``AmazonEKSClusterAdminPolicy`` at cluster scope, the username
  kept, the ``system:`` groups dropped and other groups kept;
* node rows (``system:node:{{EC2PrivateDNSName}}`` with ``system:nodes``) -> ``EC2_LINUX``, or
  ``EC2_WINDOWS`` with ``eks:kube-proxy-windows``; Fargate rows (``system:node-proxier``) -> ``FARGATE_LINUX``;
* anything else -> STANDARD with the same username (templates where EKS allows them) and groups.

What cannot be expressed is listed, never dropped silently: mapAccounts, service-linked roles, STS
session ARNs, ``system:`` groups other than masters and the node groups, usernames EKS refuses or with
templates nobody renders, principals of another partition, node roles of another account, keys that do
not parse.

Equivalence: for every principal of the state the Kubernetes identity (username, groups; the
``system:masters`` group and the cluster-admin policy count as the same grant) and the set of allowed
requests over the probe set (see ``evaluate``) are computed before and after; differences are listed.
The CONFIG_MAP creator's hidden ``kubernetes-admin`` identity becomes its access entry when EKS leaves
CONFIG_MAP (EKS does that itself); for it only the permissions are compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.access import (
    CLUSTER_SCOPE,
    AccessEntry,
    AccessEntryValidationError,
    AccessPolicyAssociation,
    EntryType,
    validate_entry,
)
from eksaccess.domain.authz.access_policies import CLUSTER_ADMIN, policy_arn
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import MappingKind
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal, principal_key
from eksaccess.domain.names import validate_partition, validate_templates
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.evaluate import Evaluator, describe_probe, shared_probes
from eksaccess.features.manage.plan import NEXT_MODE, Plan, PrincipalTarget, build_plan, find_entry
from eksaccess.features.manage.via import Via

MASTERS = "system:masters"
NODE_GROUPS = frozenset({"system:bootstrappers", "system:nodes"})
WINDOWS_GROUP = "eks:kube-proxy-windows"
PROXIER = "system:node-proxier"
EC2_NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Unexpressible:
    where: str  # "aws-auth mapRoles[3]"
    principal: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "principal": self.principal, "reason": self.reason}


@dataclass(frozen=True, kw_only=True, slots=True)
class Difference:
    principal: str
    identity_before: str
    identity_after: str
    lost: tuple[str, ...]
    gained: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "identityBefore": self.identity_before,
            "identityAfter": self.identity_after,
            "lost": list(self.lost),
            "gained": list(self.gained),
        }


@dataclass(frozen=True, kw_only=True)
class Migration:
    plan: Plan
    converted: tuple[tuple[str, str], ...]  # (where, what it becomes)
    unexpressible: tuple[Unexpressible, ...]
    differences: tuple[Difference, ...]
    principals_checked: int
    probes: int

    @property
    def equivalent(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_json(),
            "converted": [{"from": w, "to": t} for w, t in self.converted],
            "unexpressible": [u.to_json() for u in self.unexpressible],
            "equivalence": {
                "equivalent": self.equivalent,
                "principalsChecked": self.principals_checked,
                "probes": self.probes,
                "differences": [d.to_json() for d in self.differences],
            },
        }


def plan_migration(state: ClusterState, *, to: AuthenticationMode | None = None) -> Migration:
    current = state.authentication_mode
    if current is AuthenticationMode.API:
        raise InputError(
            "the cluster is already in authentication mode API: aws-auth is ignored, nothing to migrate"
        )
    if current is AuthenticationMode.CONFIG_MAP and to is None:
        raise InputError(
            "the cluster is in authentication mode CONFIG_MAP, which cannot hold access entries: "
            "run with --to API_AND_CONFIG_MAP (irreversible) to migrate"
        )
    if to is not None and to is not current and NEXT_MODE.get(current) is not to:
        raise InputError(
            f"authentication mode moves one step at a time: {current} -> {NEXT_MODE[current]} first, then {to}"
        )
    targets, converted, unexpressible = convert(state)
    plan = build_plan(state, targets, mode=None if to is current else to)
    differences, checked, probes = compare(plan.before, plan.after)
    return Migration(
        plan=plan,
        converted=tuple(converted),
        unexpressible=tuple(unexpressible),
        differences=tuple(differences),
        principals_checked=checked,
        probes=probes,
    )


def convert(state: ClusterState) -> tuple[list[PrincipalTarget], list[tuple[str, str]], list[Unexpressible]]:
    auth = parse_aws_auth(state.aws_auth)
    targets: list[PrincipalTarget] = []
    converted: list[tuple[str, str]] = []
    missing: list[Unexpressible] = []
    for dropped in auth.dropped:
        missing.append(
            Unexpressible(
                where=f"aws-auth {dropped.key}",
                principal="-",
                reason=f"does not parse ({dropped.error}); its mappings are ignored already",
            )
        )
    rows: list[tuple[str, str, str | None, tuple[str, ...]]] = []
    winners = {r.rolearn.lower(): r.index for r in auth.roles}  # the later duplicate wins
    rows += [
        (f"mapRoles[{r.index}]", r.rolearn, r.username, r.groups)
        for r in auth.roles
        if winners[r.rolearn.lower()] == r.index
    ]
    seen_users: set[str] = set()
    for user in auth.users:
        if user.userarn.lower() not in seen_users:
            seen_users.add(user.userarn.lower())
            rows.append((f"mapUsers[{user.index}]", user.userarn, user.username, user.groups))
    for where, arn, username, groups in rows:
        found = _convert_row(state, where, arn, username, groups)
        if isinstance(found, Unexpressible):
            missing.append(found)
        elif found is not None:
            targets.append(found)
            converted.append((f"aws-auth {where} {arn}", _describe_target(found)))
    missing.extend(
        Unexpressible(
            where="aws-auth mapAccounts",
            principal=account,
            reason="access entries name one principal each; a whole account cannot be expressed",
        )
        for account in auth.accounts
    )
    return targets, converted, missing


def _convert_row(
    state: ClusterState, where: str, arn: str, username: str | None, groups: tuple[str, ...]
) -> PrincipalTarget | Unexpressible | None:
    def refuse(reason: str) -> Unexpressible:
        return Unexpressible(where=f"aws-auth {where}", principal=arn, reason=reason)

    try:
        principal = parse_principal(arn)
    except InvalidArnError as err:
        return refuse(err.message)
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        return refuse("an STS assumed-role ARN never matches; the row grants nothing (map the role ARN)")
    if principal.kind not in (PrincipalKind.ROLE, PrincipalKind.USER):
        return refuse(f"an IAM {principal.kind} cannot have an access entry")
    if principal.path_never_matches:
        return refuse("a rolearn with a path never matches; the row grants nothing")
    try:
        validate_partition(arn, state.partition)
        validate_templates(username or "", what="username")
    except InputError as err:
        return refuse(err.message)
    if find_entry(state, arn) is not None:
        return None  # the access entry already wins over this row
    group_set = set(groups)
    node = _node_type(username, group_set)
    if node is not None:
        if principal.account != state.cluster.account_id:
            return refuse(f"a node role must be in the cluster's account {state.cluster.account_id}")
        return PrincipalTarget(arn=arn, via=Via.ACCESS_ENTRY, type=node)
    system = sorted(g for g in group_set if g.startswith("system:") and g != MASTERS)
    if system:
        return refuse(
            f"the group(s) {', '.join(system)} cannot be set on an access entry (system: is reserved)"
        )
    policies: tuple[AccessPolicyAssociation, ...] = ()
    if MASTERS in group_set:
        policies = (
            AccessPolicyAssociation(
                policy_arn=policy_arn(CLUSTER_ADMIN, state.partition), scope=CLUSTER_SCOPE
            ),
        )
    kept = tuple(g for g in groups if not g.startswith("system:"))
    entry = AccessEntry(
        principal_arn=arn, username=username or None, kubernetes_groups=kept, policies=policies
    )
    try:
        validate_entry(entry, cluster_account=state.cluster.account_id)
    except AccessEntryValidationError as err:
        return refuse(f"EKS would refuse it: {err.message}")
    return PrincipalTarget(
        arn=arn, via=Via.ACCESS_ENTRY, username=entry.username, groups=kept, policies=policies
    )


def _node_type(username: str | None, groups: set[str]) -> EntryType | None:
    if "system:nodes" not in groups:
        return None
    extra = groups - NODE_GROUPS
    if PROXIER in groups and username == "system:node:{{SessionName}}" and extra <= {PROXIER}:
        return EntryType.FARGATE_LINUX
    if username == EC2_NODE_USERNAME and extra <= {WINDOWS_GROUP}:
        return EntryType.EC2_WINDOWS if WINDOWS_GROUP in groups else EntryType.EC2_LINUX
    return None


def _describe_target(target: PrincipalTarget) -> str:
    if target.type.is_node:
        return f"access entry of type {target.type}"
    parts = [f"access entry, username {target.username or '(EKS default)'}"]
    if target.groups:
        parts.append(f"groups [{', '.join(target.groups)}]")
    if target.policies:
        parts.append("AmazonEKSClusterAdminPolicy (cluster)")
    return ", ".join(parts)


def compare(before: ClusterState, after: ClusterState) -> tuple[list[Difference], int, int]:
    """Identity and permissions of every principal of ``before``, before and after."""
    old, new = Evaluator(before), Evaluator(after)
    probes = shared_probes(before, after)
    differences: list[Difference] = []
    principals = {**old.principals(), **new.principals()}
    creator = principal_key(before.cluster.creator_arn) if before.cluster.creator_arn else None
    for key in sorted(old.principals()):
        arn = principals[key]
        id_old, id_new = old.identity(arn), new.identity(arn)
        perm_old, perm_new = old.permissions(arn, probes), new.permissions(arn, probes)
        same_identity = _identity_key(id_old) == _identity_key(id_new)
        if key == creator and old.resolve(arn).source.kind is MappingKind.CLUSTER_CREATOR:
            same_identity = True  # EKS itself turns the creator's hidden admin into its access entry
        if same_identity and perm_old == perm_new:
            continue
        differences.append(
            Difference(
                principal=arn,
                identity_before=_identity_text(id_old),
                identity_after=_identity_text(id_new),
                lost=_listed(perm_old - perm_new),
                gained=_listed(perm_new - perm_old),
            )
        )
    return differences, len(old.principals()), len(probes)


def _identity_key(identity: Any) -> tuple[object, ...] | None:
    if identity is None:
        return None
    return (identity.username, frozenset(identity.groups) - {MASTERS})


def _identity_text(identity: Any) -> str:
    if identity is None:
        return "not mapped"
    return f"username {identity.username or '(empty)'}, groups [{', '.join(sorted(identity.groups))}]"


def _listed(probes: Sequence[Any] | frozenset[Any]) -> tuple[str, ...]:
    return tuple(sorted(describe_probe(p) for p in probes))


def principal_keys(targets: Sequence[PrincipalTarget]) -> set[str]:
    return {principal_key(t.arn) for t in targets}
