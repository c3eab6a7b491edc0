"""Compare the wanted access with the live ClusterState and list the steps that close the gap.

A principal is planned on the mechanism it goes through (``via``): on access entries (create, update,
associate, re-scope, disassociate) or on aws-auth (upsert or remove a mapRoles / mapUsers row, plus the
RBAC bindings for groups that stand for policies). What a principal in the desired state does not list
is taken away from it on that mechanism. Principals absent from the desired state are left alone unless
``prune``. The plan carries the state before and the simulated state after, for the guard and the check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eksaccess.domain.access import AccessEntry, AccessPolicyAssociation, EntryType, validate_entry
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal, principal_key
from eksaccess.domain.names import masters_warning, validate_partition, validate_templates
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.desired import ClusterAccess, PrincipalSpec
from eksaccess.features.manage.permission_set import (
    PermissionSetResolver,
    reprovisioned,
    resolve_file,
    stale_mappings,
)
from eksaccess.features.manage.steps import Action, Step, StepCode, simulate
from eksaccess.features.manage.translate import (
    default_aws_auth_username,
    node_row,
    policy_group,
    scope_of,
)
from eksaccess.features.manage.via import Via

# ARN -> why IAM says the principal does not exist as written, or None (it does, or IAM cannot tell)
PrincipalCheck = Callable[[str], str | None]

NEXT_MODE = {
    AuthenticationMode.CONFIG_MAP: AuthenticationMode.API_AND_CONFIG_MAP,
    AuthenticationMode.API_AND_CONFIG_MAP: AuthenticationMode.API,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalTarget:
    """One principal as it should be on one mechanism."""

    arn: str
    via: Via  # ACCESS_ENTRY or AWS_AUTH
    type: EntryType = EntryType.STANDARD
    username: str | None = None  # None: EKS's default (new entry) / unchanged
    groups: tuple[str, ...] = ()
    policies: tuple[AccessPolicyAssociation, ...] = ()  # access entries only
    bindings: tuple[dict[str, Any], ...] = ()  # aws-auth only: bindings its groups need
    notices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return principal_key(self.arn)


@dataclass(frozen=True, kw_only=True)
class Plan:
    cluster: str
    before: ClusterState
    after: ClusterState
    steps: tuple[Step, ...]
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def touched(self) -> set[str]:
        return {s.key for s in self.steps if s.principal.startswith("arn:")}

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "changes": len(self.steps),
            "steps": [s.to_json() for s in self.steps],
            "notices": list(self.notices),
            "warnings": list(self.warnings),
        }


def concrete_via(via: Via, mode: AuthenticationMode) -> Via:
    if via is not Via.AUTO:
        return via
    return Via.ACCESS_ENTRY if mode.uses_access_entries else Via.AWS_AUTH


def target_of(spec: PrincipalSpec, mode: AuthenticationMode, partition: str = "aws") -> PrincipalTarget:
    if spec.arn is None:
        raise InputError(f"{spec.label}: not resolved to a role ARN (plan and apply resolve permission sets)")
    via = concrete_via(spec.via, mode)
    policies = tuple(
        AccessPolicyAssociation(policy_arn=p.policy_arn(partition), scope=scope_of(p.namespaces))
        for p in spec.policies
    )
    if via is Via.ACCESS_ENTRY:
        return PrincipalTarget(
            arn=spec.arn,
            via=via,
            type=spec.type,
            username=spec.username,
            groups=tuple(spec.groups),
            policies=policies,
        )
    if spec.type.is_node:
        node_name, node_groups = node_row(spec.type)
        return PrincipalTarget(arn=spec.arn, via=via, type=spec.type, username=node_name, groups=node_groups)
    groups = list(spec.groups)
    bindings: list[dict[str, Any]] = []
    notices: list[str] = []
    for assoc in policies:
        for grant in policy_group(assoc):
            groups.append(grant.group)
            notices.append(f"{spec.arn}: {grant.notice}")
            if grant.binding is not None:
                bindings.append(grant.binding)
    return PrincipalTarget(
        arn=spec.arn,
        via=via,
        type=spec.type,
        username=spec.username,
        groups=tuple(dict.fromkeys(groups)),
        bindings=tuple(bindings),
        notices=tuple(notices),
    )


# --- steps per principal ----------------------------------------------------------------------------------


def find_entry(state: ClusterState, arn: str) -> AccessEntry | None:
    key = principal_key(arn)
    exact = [e for e in state.access_entries() if e.principal_arn == arn]
    if exact:
        return exact[0]
    return next((e for e in state.access_entries() if principal_key(e.principal_arn) == key), None)


def entry_steps(state: ClusterState, target: PrincipalTarget) -> list[Step]:
    live = find_entry(state, target.arn)
    wanted = AccessEntry(
        principal_arn=target.arn,
        type=target.type,
        username=target.username,
        kubernetes_groups=target.groups,
        policies=target.policies,
    )
    validate_entry(wanted, cluster_account=state.cluster.account_id)
    _validate_new_names(target, live.username if live else None, live.kubernetes_groups if live else ())
    if live is None:
        return _create_entry(wanted)
    if live.type is not target.type:
        delete = Step(
            code=StepCode.ENTRY_DELETE,
            principal=live.principal_arn,
            action=Action.DELETE,
            before=f"type {live.type} (the type of an access entry cannot change)",
        )
        return [delete, *_create_entry(wanted)]
    steps: list[Step] = []
    arn = live.principal_arn
    if not live.type.is_node:
        new_name = target.username is not None and target.username != live.username
        if new_name or set(live.kubernetes_groups) != set(target.groups):
            steps.append(
                Step(
                    code=StepCode.ENTRY_UPDATE,
                    principal=arn,
                    action=Action.UPDATE,
                    username=target.username if new_name else None,
                    groups=target.groups,
                    before=_identity_text(live.username, live.kubernetes_groups),
                    after=_identity_text(target.username or live.username, target.groups),
                )
            )
    current = {p.policy_arn: p for p in live.policies}
    for assoc in target.policies:
        old = current.pop(assoc.policy_arn, None)
        if old is None:
            steps.append(_associate(arn, assoc, StepCode.POLICY_ASSOCIATE, Action.CREATE))
        elif not _same_scope(old, assoc):
            steps.append(_associate(arn, assoc, StepCode.POLICY_UPDATE, Action.UPDATE, before=str(old.scope)))
    steps.extend(
        Step(
            code=StepCode.POLICY_DISASSOCIATE,
            principal=arn,
            action=Action.DELETE,
            policy_arn=old.policy_arn,
            scope=old.scope,
            before=str(old.scope),
        )
        for old in current.values()
    )
    return steps


def _create_entry(entry: AccessEntry) -> list[Step]:
    create = Step(
        code=StepCode.ENTRY_CREATE,
        principal=entry.principal_arn,
        action=Action.CREATE,
        entry_type=entry.type,
        username=entry.username,
        groups=entry.kubernetes_groups,
        after=f"type {entry.type}"
        + (f", {_identity_text(entry.username, entry.kubernetes_groups)}" if not entry.type.is_node else ""),
    )
    return [
        create,
        *(
            _associate(entry.principal_arn, p, StepCode.POLICY_ASSOCIATE, Action.CREATE)
            for p in entry.policies
        ),
    ]


def _associate(
    arn: str, assoc: AccessPolicyAssociation, code: StepCode, action: Action, before: str = ""
) -> Step:
    return Step(
        code=code,
        principal=arn,
        action=action,
        policy_arn=assoc.policy_arn,
        scope=assoc.scope,
        before=before,
        after=str(assoc.scope),
    )


def _same_scope(a: AccessPolicyAssociation, b: AccessPolicyAssociation) -> bool:
    return a.scope.type is b.scope.type and set(a.scope.namespaces) == set(b.scope.namespaces)


def _identity_text(username: str | None, groups: Sequence[str]) -> str:
    return f"username {username or '(default)'}, groups [{', '.join(groups)}]"


def aws_auth_steps(state: ClusterState, target: PrincipalTarget) -> list[Step]:
    principal = parse_principal(target.arn)
    auth = parse_aws_auth(state.aws_auth)
    is_role = principal.kind is not PrincipalKind.USER
    row = auth.match_role(target.arn) if is_role else auth.match_user(target.arn)
    _validate_new_names(target, row.username if row else None, row.groups if row else ())
    username = target.username
    if username is None:
        username = row.username if row is not None else default_aws_auth_username(target.arn)
    steps: list[Step] = [_binding_step(b) for b in target.bindings if not _has_manifest(state, b)]
    if row is None or row.username != username or set(row.groups) != set(target.groups):
        steps.append(
            Step(
                code=StepCode.ROLE_UPSERT if is_role else StepCode.USER_UPSERT,
                principal=target.arn,
                action=Action.CREATE if row is None else Action.UPDATE,
                entry_type=target.type,
                username=username,
                groups=target.groups,
                before="" if row is None else _identity_text(row.username, row.groups),
                after=_identity_text(username, target.groups),
            )
        )
    return steps


def _validate_new_names(
    target: PrincipalTarget, live_username: str | None, live_groups: Sequence[str]
) -> None:
    """The username and groups this change writes hold only templates the authenticator renders (what is
    there already is left alone: an exported file applies back unchanged)."""
    if target.username is not None and target.username != live_username:
        validate_templates(target.username, what="username")
    for group in set(target.groups) - set(live_groups):
        validate_templates(group, what="group")


def system_masters_warning(
    state: ClusterState, arn: str, groups: Sequence[str], *, allowed: bool
) -> str | None:
    """The warning for an aws-auth row given ``system:masters`` by ``groups`` (the groups asked for by name,
    not those standing for a policy); InputError unless ``allowed``. None when the row already has it."""
    row = parse_aws_auth(state.aws_auth).row_for(parse_principal(arn))
    return masters_warning(arn, set(groups) - set(row.groups if row else ()), allowed=allowed)


def validate_target_partition(state: ClusterState, target: PrincipalTarget) -> None:
    validate_partition(target.arn, state.partition)
    for assoc in target.policies:
        validate_partition(assoc.policy_arn, state.partition, what="access policy")


def _binding_step(manifest: dict[str, Any]) -> Step:
    meta = manifest["metadata"]
    where = f" in {meta['namespace']}" if meta.get("namespace") else ""
    return Step(
        code=StepCode.BINDING_CREATE,
        principal=str(meta["name"]),
        action=Action.CREATE,
        manifest=manifest,
        after=f"{manifest['kind']}{where} -> ClusterRole {manifest['roleRef']['name']}",
    )


def _has_manifest(state: ClusterState, manifest: dict[str, Any]) -> bool:
    meta = manifest["metadata"]
    for existing in state.kubernetes:
        other = existing.get("metadata") or {}
        if (
            existing.get("kind") == manifest["kind"]
            and other.get("name") == meta["name"]
            and other.get("namespace") == meta.get("namespace")
        ):
            return True
    return False


def target_steps(state: ClusterState, target: PrincipalTarget) -> list[Step]:
    if target.via is Via.ACCESS_ENTRY:
        return entry_steps(state, target)
    return aws_auth_steps(state, target)


def removal_steps(state: ClusterState, arn: str, via: Via) -> list[Step]:
    """Take a principal off one mechanism (its entry, or its aws-auth rows)."""
    if via is Via.ACCESS_ENTRY:
        live = find_entry(state, arn)
        if live is None:
            return []
        return [
            Step(
                code=StepCode.ENTRY_DELETE,
                principal=live.principal_arn,
                action=Action.DELETE,
                before=f"type {live.type}",
            )
        ]
    auth = parse_aws_auth(state.aws_auth)
    steps = []
    role = auth.match_role(arn)
    if role is not None:
        steps.append(
            Step(
                code=StepCode.ROLE_REMOVE,
                principal=role.rolearn,
                action=Action.DELETE,
                before=_identity_text(role.username, role.groups),
            )
        )
    user = auth.match_user(arn)
    if user is not None:
        steps.append(
            Step(
                code=StepCode.USER_REMOVE,
                principal=user.userarn,
                action=Action.DELETE,
                before=_identity_text(user.username, user.groups),
            )
        )
    return steps


# --- the whole plan ---------------------------------------------------------------------------------------


def mode_step(state: ClusterState, wanted: AuthenticationMode | None) -> Step | None:
    current = state.authentication_mode
    if wanted is None or wanted is current:
        return None
    if NEXT_MODE.get(current) is not wanted:
        if (
            NEXT_MODE.get(current) is None
            or wanted is AuthenticationMode.CONFIG_MAP
            or current is AuthenticationMode.API
        ):
            raise InputError(
                f"authentication mode {current} cannot go back to {wanted}: mode changes are one-way"
            )
        raise InputError(
            f"authentication mode moves one step at a time: {current} -> {NEXT_MODE[current]} first, then {wanted}"
        )
    return Step(
        code=StepCode.MODE_UPDATE,
        principal=state.cluster.name,
        action=Action.UPDATE,
        mode=wanted,
        before=str(current),
        after=f"{wanted} (irreversible)",
    )


def order_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
    """Mode to API_AND_CONFIG_MAP first (entries need it), then entries, bindings, aws-auth; API last."""

    def rank(step: Step) -> int:
        if step.code is StepCode.MODE_UPDATE:
            return 0 if step.mode is AuthenticationMode.API_AND_CONFIG_MAP else 9
        return {"access-entry": 1, "rbac": 2, "aws-auth": 3}.get(step.mechanism.value, 5)

    return tuple(sorted(steps, key=rank))


def build_plan(
    state: ClusterState,
    targets: Sequence[PrincipalTarget],
    *,
    mode: AuthenticationMode | None = None,
    extra: Sequence[Step] = (),
    notices: Sequence[str] = (),
) -> Plan:
    final_mode = mode or state.authentication_mode
    steps: list[Step] = []
    mode_change = mode_step(state, mode)
    if mode_change is not None:
        steps.append(mode_change)
    all_notices = list(notices)
    for target in targets:
        if target.via is Via.ACCESS_ENTRY and not final_mode.uses_access_entries:
            raise InputError(
                f"{target.arn}: access entries need authentication mode API_AND_CONFIG_MAP or API; the cluster "
                f"is {final_mode} (use via: aws-auth, or move the mode forward)"
            )
        validate_target_partition(state, target)
        steps.extend(target_steps(state, target))
        all_notices.extend(target.notices)
    steps.extend(extra)
    ordered = order_steps(_dedupe(steps))
    warnings = []
    if mode_change is not None:
        warnings.append(f"the authentication mode change to {mode} is irreversible")
    return Plan(
        cluster=state.cluster.name,
        before=state,
        after=simulate(state, ordered),
        steps=ordered,
        notices=tuple(dict.fromkeys(all_notices)),
        warnings=tuple(warnings),
    )


def _dedupe(steps: Sequence[Step]) -> list[Step]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for step in steps:
        marker: tuple[object, ...] = (
            step.code,
            step.key,
            step.policy_arn,
            step.username,
            step.groups,
            step.scope,
        )
        if step.code is StepCode.BINDING_CREATE and step.manifest is not None:
            marker = (
                step.code,
                step.manifest["kind"],
                step.principal,
                step.manifest["metadata"].get("namespace"),
            )
        if marker not in seen:
            seen.add(marker)
            out.append(step)
    return out


def refuse_missing_principals(plan: Plan, check: PrincipalCheck) -> None:
    """EKS refuses an access entry for a principal that does not exist (InvalidParameterException "The
    specified principalArn is invalid"): refuse the plan before anything is written, where IAM can tell."""
    for step in plan.steps:
        if step.code is not StepCode.ENTRY_CREATE:
            continue
        why = check(step.principal)
        if why:
            raise InputError(
                f"{step.principal}: {why}; EKS refuses an access entry for a principal that does not "
                "exist (create it first, or fix the ARN)"
            )


def plan_access(
    state: ClusterState,
    desired: ClusterAccess,
    *,
    prune: bool = False,
    allow_system_masters: bool = False,
    resolve_set: PermissionSetResolver | None = None,
) -> Plan:
    """The plan that makes the cluster match a desired-state file. A principal given ``system:masters`` in
    aws-auth that does not have it yet needs ``allow_system_masters``. ``resolve_set`` turns a
    ``permissionSet:`` into its role's ARN (IAM); the mappings of an earlier role of the set are removed."""
    desired = resolve_file(desired, resolve_set)
    if desired.cluster.name != state.cluster.name:
        raise InputError(f"the file is for cluster {desired.cluster.name}, not {state.cluster.name}")
    if desired.cluster.region and desired.cluster.region != state.cluster.region:
        raise InputError(f"the file is for region {desired.cluster.region}, not {state.cluster.region}")
    final_mode = desired.authenticationMode or state.authentication_mode
    targets = [target_of(spec, final_mode, state.partition) for spec in desired.principals]
    extra: list[Step] = reprovisioned_steps(state, desired, final_mode)
    if prune:
        extra.extend(_prune_steps(state, targets))
    if desired.mapAccounts is not None:
        extra.extend(_account_steps(state, desired.mapAccounts))
    plan = build_plan(state, targets, mode=desired.authenticationMode, extra=extra)
    masters = [
        system_masters_warning(state, t.arn, spec.groups, allowed=allow_system_masters)
        for spec, t in zip(desired.principals, targets, strict=True)
        if t.via is Via.AWS_AUTH
    ]
    resolved = tuple(
        f"permission set {spec.permissionSet.name} in account {spec.permissionSet.account}: role {spec.arn} "
        "(IAM ListRoles)"
        for spec in desired.principals
        if spec.permissionSet is not None
    )
    return replace(
        plan, notices=(*resolved, *plan.notices), warnings=(*plan.warnings, *(w for w in masters if w))
    )


def _prune_steps(state: ClusterState, targets: Sequence[PrincipalTarget]) -> list[Step]:
    keep = {(t.key, t.via) for t in targets}
    steps: list[Step] = []
    for entry in state.access_entries():
        if (principal_key(entry.principal_arn), Via.ACCESS_ENTRY) not in keep:
            steps.extend(removal_steps(state, entry.principal_arn, Via.ACCESS_ENTRY))
    auth = parse_aws_auth(state.aws_auth)
    rows = {r.rolearn.lower(): r.rolearn for r in auth.roles} | {
        u.userarn.lower(): u.userarn for u in auth.users
    }
    wanted_rows = {t.arn.lower() for t in targets if t.via is Via.AWS_AUTH}
    for lower, arn in rows.items():
        if lower not in wanted_rows:
            steps.extend(removal_steps(state, arn, Via.AWS_AUTH))
    return steps


def _account_steps(state: ClusterState, accounts: Sequence[str]) -> list[Step]:
    live = parse_aws_auth(state.aws_auth).accounts
    steps = [
        Step(code=StepCode.ACCOUNT_ADD, principal=a, action=Action.CREATE, after="mapAccounts")
        for a in accounts
        if a not in live
    ]
    steps.extend(
        Step(code=StepCode.ACCOUNT_REMOVE, principal=a, action=Action.DELETE, before="mapAccounts")
        for a in dict.fromkeys(live)
        if a not in accounts
    )
    return steps


def reprovisioned_steps(state: ClusterState, desired: ClusterAccess, mode: AuthenticationMode) -> list[Step]:
    """For each ``permissionSet:`` of the file: the removal of the mappings (on its mechanism) of an earlier
    role of the set, which Identity Center replaced when it provisioned the set again; each step says why."""
    steps: list[Step] = []
    for spec in desired.principals:
        if spec.permissionSet is None or spec.arn is None:
            continue
        via = concrete_via(spec.via, mode)
        why = reprovisioned(spec.permissionSet.name, spec.permissionSet.account, spec.arn)
        for old, old_via, _ in stale_mappings(state, spec.arn):
            if old_via is via:
                steps.extend(
                    replace(step, before=f"{step.before}; {why}") for step in removal_steps(state, old, via)
                )
    return steps
