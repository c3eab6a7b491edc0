"""``grant``: give one principal more access, on access entries or aws-auth, as a plan.

``--via auto`` uses an access entry when the authentication mode allows it, else aws-auth (where each
policy becomes a group, see ``translate``). Grant adds: existing groups and policies stay; a policy
granted again with another scope takes the new scope (EKS replaces the scope on re-association).

On aws-auth, ``--group system:masters`` needs ``allow_system_masters`` (it makes the principal cluster-admin
outside any access policy, and the plan says so); ``--policy cluster-admin``, which asks for cluster-admin
by name, becomes the same group without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.access import AccessPolicyAssociation, EntryType
from eksaccess.domain.authz.access_policies import resolve_policy
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.plan import (
    Plan,
    PrincipalTarget,
    build_plan,
    concrete_via,
    find_entry,
    system_masters_warning,
)
from eksaccess.features.manage.translate import RoleLookup, correct_arn, node_row, policy_group, scope_of
from eksaccess.features.manage.via import Via


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyRequest:
    policy: str  # name, short name or ARN
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class GrantRequest:
    arn: str
    policies: tuple[PolicyRequest, ...] = ()
    groups: tuple[str, ...] = ()
    username: str | None = None
    entry_type: EntryType | None = None
    via: Via = Via.AUTO
    allow_system_masters: bool = False
    notices: tuple[str, ...] = ()  # said by the caller (a permission set resolved to ``arn``)
    warnings: tuple[str, ...] = ()


def plan_grant(state: ClusterState, request: GrantRequest, *, lookup: RoleLookup | None = None) -> Plan:
    mode = state.authentication_mode
    via = concrete_via(request.via, mode)
    notices: list[str] = list(request.notices)
    if request.via is Via.AUTO:
        notices.append(
            f"authentication mode {mode}: granting through {'an access entry' if via is Via.ACCESS_ENTRY else 'aws-auth'}"
        )
    if via is Via.ACCESS_ENTRY and not mode.uses_access_entries:
        raise InputError(
            "the cluster's authentication mode is CONFIG_MAP: access entries cannot be used; "
            "use --via aws-auth, or 'eksaccess migrate --to API_AND_CONFIG_MAP' first"
        )
    corrected = correct_arn(request.arn, via, lookup)
    if corrected.notice:
        notices.append(corrected.notice)
    associations = tuple(
        AccessPolicyAssociation(
            policy_arn=resolve_policy(p.policy, state.partition), scope=scope_of(p.namespaces)
        )
        for p in request.policies
    )
    if via is Via.ACCESS_ENTRY:
        target = _entry_target(state, corrected.arn, request, associations)
    else:
        target = _aws_auth_target(state, corrected.arn, request, associations)
    warnings = [*request.warnings, *_shadowing(state, corrected.arn, via)]
    if via is Via.AWS_AUTH:
        masters = system_masters_warning(
            state, corrected.arn, request.groups, allowed=request.allow_system_masters
        )
        warnings.extend([masters] if masters else [])
    plan = build_plan(state, [target], notices=notices)
    return Plan(
        cluster=plan.cluster,
        before=plan.before,
        after=plan.after,
        steps=plan.steps,
        notices=plan.notices,
        warnings=(*plan.warnings, *warnings),
    )


def _entry_target(
    state: ClusterState, arn: str, request: GrantRequest, associations: Sequence[AccessPolicyAssociation]
) -> PrincipalTarget:
    live = find_entry(state, arn)
    entry_type = request.entry_type or (live.type if live else EntryType.STANDARD)
    if live is not None and live.type is not entry_type:
        raise InputError(
            f"{live.principal_arn} has an access entry of type {live.type}; the type cannot change "
            "(revoke it first, then grant)"
        )
    policies = {p.policy_arn: p for p in (live.policies if live else ())}
    for assoc in associations:
        policies[assoc.policy_arn] = assoc
    groups = (*(live.kubernetes_groups if live and not live.type.is_node else ()), *request.groups)
    return PrincipalTarget(
        arn=live.principal_arn if live else arn,
        via=Via.ACCESS_ENTRY,
        type=entry_type,
        username=request.username,
        groups=tuple(dict.fromkeys(groups)),
        policies=tuple(policies.values()),
    )


def _aws_auth_target(
    state: ClusterState, arn: str, request: GrantRequest, associations: Sequence[AccessPolicyAssociation]
) -> PrincipalTarget:
    auth = parse_aws_auth(state.aws_auth)
    is_user = parse_principal(arn).kind is PrincipalKind.USER
    row = auth.match_user(arn) if is_user else auth.match_role(arn)
    if request.entry_type is not None and request.entry_type.is_node:
        if associations or request.groups or request.username:
            raise InputError(
                f"a principal of type {request.entry_type} takes no policies, groups or username"
            )
        node_name, node_groups = node_row(request.entry_type)
        return PrincipalTarget(
            arn=arn, via=Via.AWS_AUTH, type=request.entry_type, username=node_name, groups=node_groups
        )
    groups: list[str] = [*(row.groups if row else ()), *request.groups]
    bindings: list[dict[str, Any]] = []
    notices: list[str] = []
    for assoc in associations:
        for grant in policy_group(assoc):
            groups.append(grant.group)
            notices.append(f"aws-auth has no access policies: {grant.notice}")
            if grant.binding is not None:
                bindings.append(grant.binding)
    return PrincipalTarget(
        arn=arn,
        via=Via.AWS_AUTH,
        username=request.username,
        groups=tuple(dict.fromkeys(groups)),
        bindings=tuple(bindings),
        notices=tuple(notices),
    )


def _shadowing(state: ClusterState, arn: str, via: Via) -> list[str]:
    if state.authentication_mode is not AuthenticationMode.API_AND_CONFIG_MAP:
        if via is Via.AWS_AUTH and state.authentication_mode is AuthenticationMode.API:
            return ["the authentication mode is API: aws-auth is ignored, this mapping will not apply"]
        return []
    auth = parse_aws_auth(state.aws_auth)
    row = auth.row_for(parse_principal(arn))
    entry = find_entry(state, arn)
    if via is Via.ACCESS_ENTRY and row is not None and entry is None:
        return [
            f"{arn} is also mapped in aws-auth (groups {', '.join(row.groups) or 'none'}); the new access entry "
            "wins over that row, which then no longer applies"
        ]
    if via is Via.AWS_AUTH and entry is not None:
        return [f"{arn} has an access entry, which wins over aws-auth: this mapping will not apply"]
    return []
