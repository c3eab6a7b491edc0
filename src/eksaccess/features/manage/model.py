"""One model of "who has which access" over access entries, aws-auth and the cluster creator.

``list_access`` gives one row per mapping (an access entry, a mapRoles / mapUsers row, a mapAccounts
account, the known creator), with what it grants and whether it is the mapping that wins for its
principal: access entries win over aws-auth in API_AND_CONFIG_MAP, aws-auth is ignored in API, access
entries do not apply in CONFIG_MAP, among duplicate mapRoles rows the later wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eksaccess.domain.access import EntryType, default_username, node_type_of_row
from eksaccess.domain.authz.access_policies import policy_name
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import CREATOR_GROUPS, CREATOR_USERNAME, MappingKind
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.state import AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.evaluate import Evaluator


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessRow:
    principal: str
    mechanism: MappingKind
    type: str
    username: str
    groups: tuple[str, ...]
    policies: tuple[tuple[str, str], ...]  # (policy name, scope text)
    effective: bool
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "mechanism": str(self.mechanism),
            "type": self.type,
            "username": self.username,
            "groups": list(self.groups),
            "policies": [{"policy": p, "scope": s} for p, s in self.policies],
            "effective": self.effective,
            "note": self.note,
        }


def _policy(arn: str) -> str:
    try:
        return policy_name(arn)
    except InputError:
        return arn


def list_access(state: ClusterState) -> tuple[AccessRow, ...]:
    evaluator = Evaluator(state)
    mode = state.authentication_mode
    rows: list[AccessRow] = []
    winners = {key: evaluator.resolve(arn) for key, arn in evaluator.principals().items()}

    def wins(arn: str, kind: MappingKind, index: int | None = None, where: str = "") -> tuple[bool, str]:
        found = winners.get(principal_key(arn))
        if found is None:
            return False, "does not apply"
        mapped = found.identity is not None
        if mapped and found.source.kind is kind and (index is None or found.source.index == index):
            return True, "wins"
        # why it does not apply, as resolution tells it (a role path, a later duplicate, the entry that wins)
        reason = next((m.reason for m in found.near_misses if m.where == where), None)
        if reason:
            return False, reason
        if not mapped:
            return False, "does not apply"
        if found.source.kind is MappingKind.ACCESS_ENTRY:
            return False, "shadowed: the access entry wins"
        if found.source.kind is MappingKind.CLUSTER_CREATOR:
            return False, "shadowed: the cluster creator's mapping is checked first"
        return False, f"shadowed by {found.source}"

    for index, entry in enumerate(state.access_entries()):
        effective, note = wins(
            entry.principal_arn, MappingKind.ACCESS_ENTRY, index, f"access entry {entry.principal_arn}"
        )
        if mode is AuthenticationMode.CONFIG_MAP:
            effective, note = False, "ignored: the authentication mode is CONFIG_MAP"
        rows.append(
            AccessRow(
                principal=entry.principal_arn,
                mechanism=MappingKind.ACCESS_ENTRY,
                type=str(entry.type),
                username=entry.username or default_username(entry),
                groups=entry.kubernetes_groups,
                policies=tuple((_policy(p.policy_arn), str(p.scope)) for p in entry.policies),
                effective=effective,
                note=note,
            )
        )
    auth = parse_aws_auth(state.aws_auth)
    ignored = "ignored: the authentication mode is API" if mode is AuthenticationMode.API else ""
    for role in auth.roles:
        effective, note = wins(
            role.rolearn, MappingKind.MAP_ROLES, role.index, f"aws-auth mapRoles[{role.index}]"
        )
        rows.append(
            _row(role.rolearn, MappingKind.MAP_ROLES, role.username, role.groups, effective, ignored or note)
        )
    for user in auth.users:
        effective, note = wins(
            user.userarn, MappingKind.MAP_USERS, user.index, f"aws-auth mapUsers[{user.index}]"
        )
        rows.append(
            _row(user.userarn, MappingKind.MAP_USERS, user.username, user.groups, effective, ignored or note)
        )
    for account in auth.accounts:
        note = ignored or "every principal of the account not mapped otherwise: username = its ARN, no groups"
        rows.append(_row(account, MappingKind.MAP_ACCOUNTS, "{{ARN}}", (), not ignored, note))
    creator = state.cluster.creator_arn
    if creator and mode is AuthenticationMode.CONFIG_MAP:
        effective, note = wins(creator, MappingKind.CLUSTER_CREATOR)
        rows.append(
            _row(
                creator,
                MappingKind.CLUSTER_CREATOR,
                CREATOR_USERNAME,
                CREATOR_GROUPS,
                effective,
                "invisible system:masters admin",
            )
        )
    return tuple(rows)


def _row(
    principal: str,
    mechanism: MappingKind,
    username: str | None,
    groups: tuple[str, ...],
    effective: bool,
    note: str,
) -> AccessRow:
    return AccessRow(
        principal=principal,
        mechanism=mechanism,
        type="-"
        if mechanism is MappingKind.MAP_ACCOUNTS
        else str(node_type_of_row(username, groups) or EntryType.STANDARD),
        username=username or "",
        groups=groups,
        policies=(),
        effective=effective,
        note=note,
    )
