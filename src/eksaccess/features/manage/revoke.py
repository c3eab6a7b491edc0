"""``revoke``: take access away from one principal, as a plan.

Without ``--policy`` the principal's access entry and its aws-auth rows are removed (``--via`` limits it
to one mechanism). With ``--policy`` only that policy goes: disassociated from the access entry, and on
aws-auth the groups that stand for it (``system:masters`` for cluster-admin, ``eksaccess:<role>...``).
With ``--policy`` and ``-n NS`` (repeatable) the policy goes from those namespaces only: the access
entry's association keeps its other namespaces (re-associated with the smaller scope; disassociated when
none is left), and on aws-auth only the groups of those namespaces go. A policy held cluster-wide has no
namespaces to take away: refused. Revoking what is not there plans nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.domain.access import AccessScope, ScopeType
from eksaccess.domain.authz.access_policies import policy_name, resolve_policy
from eksaccess.domain.awsauth.reader import UserMapping, parse_aws_auth
from eksaccess.domain.iam.principal import parse_principal
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.plan import Plan, build_plan, find_entry, removal_steps
from eksaccess.features.manage.steps import Action, Step, StepCode
from eksaccess.features.manage.translate import group_matches_policy, groups_for_policy, scope_of
from eksaccess.features.manage.via import Via


@dataclass(frozen=True, kw_only=True, slots=True)
class RevokeRequest:
    arn: str
    policy: str | None = None
    via: Via = Via.AUTO
    namespaces: tuple[str, ...] = ()  # revoke the policy in these namespaces only

    def __post_init__(self) -> None:
        """Refused before anything is read: -n without --policy, a namespace that is not a name."""
        if self.namespaces and self.policy is None:
            raise InputError("-n/--namespace narrows --policy: name the policy to revoke in those namespaces")
        scope_of(self.namespaces)


def plan_revoke(state: ClusterState, request: RevokeRequest) -> Plan:
    principal = parse_principal(request.arn)
    notices: list[str] = []
    arn = principal.canonical_arn
    if arn != request.arn and principal.is_assumed_role:
        notices.append(f"using the role {arn} of the session ARN {request.arn}")
    namespaces = tuple(dict.fromkeys(request.namespaces))
    vias = [Via.ACCESS_ENTRY, Via.AWS_AUTH] if request.via is Via.AUTO else [request.via]
    steps: list[Step] = []
    for via in vias:
        if request.policy is None:
            steps.extend(removal_steps(state, arn, via) if via is Via.ACCESS_ENTRY else _rows(state, arn))
        else:
            policy = resolve_policy(request.policy, state.partition)
            steps.extend(_policy_steps(state, arn, policy, via, namespaces))
    if not steps:
        what = f"the policy {request.policy}" if request.policy else "any access"
        notices.append(f"{request.arn} does not hold {what} here: nothing to revoke")
    return build_plan(state, [], extra=steps, notices=notices)


def _rows(state: ClusterState, arn: str) -> list[Step]:
    principal = parse_principal(arn)
    steps = removal_steps(state, principal.mapping_arn, Via.AWS_AUTH)
    if principal.path_never_matches:
        steps += removal_steps(state, arn, Via.AWS_AUTH)  # a row written with the path (it never matched)
    return steps


def _policy_steps(
    state: ClusterState, arn: str, policy_arn: str, via: Via, namespaces: tuple[str, ...] = ()
) -> list[Step]:
    if via is Via.ACCESS_ENTRY:
        entry = find_entry(state, arn)
        held = next((p for p in entry.policies if p.policy_arn == policy_arn), None) if entry else None
        if entry is None or held is None:
            return []
        if namespaces and held.scope.type is ScopeType.CLUSTER:
            raise InputError(
                f"{policy_name(policy_arn)} is held cluster-wide by {entry.principal_arn}: there is no namespace "
                "to take it from; revoke it without -n (and grant it back with -n for the namespaces to keep)"
            )
        kept = tuple(n for n in held.scope.namespaces if n not in namespaces)
        if namespaces and kept == held.scope.namespaces:
            return []
        if namespaces and kept:
            scope = AccessScope(type=ScopeType.NAMESPACE, namespaces=kept)
            return [
                Step(
                    code=StepCode.POLICY_UPDATE,
                    principal=entry.principal_arn,
                    action=Action.UPDATE,
                    policy_arn=policy_arn,
                    scope=scope,
                    before=str(held.scope),
                    after=str(scope),
                )
            ]
        return [
            Step(
                code=StepCode.POLICY_DISASSOCIATE,
                principal=entry.principal_arn,
                action=Action.DELETE,
                policy_arn=policy_arn,
                scope=held.scope,
                before=str(held.scope),
            )
        ]
    auth = parse_aws_auth(state.aws_auth)
    row = auth.row_for(parse_principal(arn))
    if row is None:
        return []
    if namespaces:
        scoped = {f"{base}:{ns}" for base in groups_for_policy(policy_arn) for ns in namespaces}
        kept = tuple(g for g in row.groups if g not in scoped)
    else:
        kept = tuple(g for g in row.groups if not group_matches_policy(g, policy_arn))
    if kept == row.groups:
        return []
    is_user = isinstance(row, UserMapping)
    return [
        Step(
            code=StepCode.USER_UPSERT if is_user else StepCode.ROLE_UPSERT,
            principal=row.userarn if isinstance(row, UserMapping) else row.rolearn,
            action=Action.UPDATE,
            username=row.username,
            groups=kept,
            before=f"groups [{', '.join(row.groups)}]",
            after=f"groups [{', '.join(kept)}]",
        )
    ]
