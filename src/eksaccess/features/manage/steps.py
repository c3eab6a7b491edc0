"""Plan steps: typed changes with stable codes, and their effect on a ClusterState (pure).

A step is one change on one mechanism: an access entry, a policy association, an aws-auth row, an RBAC
binding, or the authentication mode. ``simulate`` applies steps to a ClusterState exactly as the cluster
would, so the lock-out guard and the post-apply check compare the engine's answers on before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from eksaccess.domain.access import (
    CLUSTER_SCOPE,
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    EntryType,
)
from eksaccess.domain.authz.access_policies import CLUSTER_ADMIN, policy_arn, policy_name
from eksaccess.domain.awsauth import edit as awsauth_edit
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.awsauth.repair import keep_one_row, rename_key, reread
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.state import AccessEntryModel, AuthenticationMode, ClusterState
from eksaccess.errors import InputError


class StepCode(StrEnum):
    MODE_UPDATE = "mode.update"
    ENTRY_CREATE = "entry.create"
    ENTRY_UPDATE = "entry.update"
    ENTRY_DELETE = "entry.delete"
    POLICY_ASSOCIATE = "policy.associate"
    POLICY_UPDATE = "policy.update"  # associate again: the new scope replaces the old one
    POLICY_DISASSOCIATE = "policy.disassociate"
    ROLE_UPSERT = "aws-auth.role.upsert"
    ROLE_REMOVE = "aws-auth.role.remove"
    ROLE_REPAIR = "aws-auth.role.repair"  # a rolearn that never matches rewritten to the path-less role ARN
    KEY_REPAIR = "aws-auth.key.repair"  # a key that does not parse, re-read as its author meant it
    KEY_RENAME = "aws-auth.key.rename"  # a key in another letter case (maproles), moved to its name
    ROW_DEDUPE = "aws-auth.row.dedupe"  # several rows for one ARN: the others removed, username/groups kept
    USER_UPSERT = "aws-auth.user.upsert"
    USER_REMOVE = "aws-auth.user.remove"
    ACCOUNT_ADD = "aws-auth.account.add"
    ACCOUNT_REMOVE = "aws-auth.account.remove"
    AWS_AUTH_RESTORE = "aws-auth.restore"  # write recorded data back verbatim (rollback)
    BINDING_CREATE = "rbac.binding.create"


class StepMechanism(StrEnum):
    ACCESS_ENTRY = "access-entry"
    AWS_AUTH = "aws-auth"
    RBAC = "rbac"
    CLUSTER = "cluster"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


_MECHANISM = {
    "mode": StepMechanism.CLUSTER,
    "entry": StepMechanism.ACCESS_ENTRY,
    "policy": StepMechanism.ACCESS_ENTRY,
    "aws-auth": StepMechanism.AWS_AUTH,
    "rbac": StepMechanism.RBAC,
}
AWS_AUTH_CODES = frozenset(
    {
        StepCode.ROLE_UPSERT,
        StepCode.ROLE_REMOVE,
        StepCode.USER_UPSERT,
        StepCode.USER_REMOVE,
        StepCode.ACCOUNT_ADD,
        StepCode.ACCOUNT_REMOVE,
        StepCode.AWS_AUTH_RESTORE,
        StepCode.ROLE_REPAIR,
        StepCode.KEY_REPAIR,
        StepCode.KEY_RENAME,
        StepCode.ROW_DEDUPE,
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    code: StepCode
    principal: str  # principal ARN, account id (mapAccounts), binding name (rbac) or cluster name (mode)
    action: Action
    entry_type: EntryType = EntryType.STANDARD
    username: str | None = None
    groups: tuple[str, ...] = ()
    policy_arn: str | None = None
    scope: AccessScope | None = None
    mode: AuthenticationMode | None = None
    manifest: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    replaces: str | None = None  # ROLE_REPAIR: the rolearn as written, which the step rewrites
    before: str = ""  # one line: what it was
    after: str = ""  # one line: what it will be

    @property
    def mechanism(self) -> StepMechanism:
        return _MECHANISM[self.code.value.split(".")[0]]

    @property
    def key(self) -> str:
        return principal_key(self.principal) if self.principal.startswith("arn:") else self.principal

    def describe(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-"}[self.action.value]
        what = self.principal
        if self.policy_arn:
            what += f" {_short(self.policy_arn)}"
        change = ""
        if self.before and self.after:
            change = f": {self.before} -> {self.after}"
        elif self.after:
            change = f": {self.after}"
        elif self.before:
            change = f": {self.before}"
        return f"{sign} {self.code} {what}{change}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": str(self.code),
            "mechanism": str(self.mechanism),
            "action": str(self.action),
            "principal": self.principal,
        }
        if self.code in (StepCode.ENTRY_CREATE, StepCode.ENTRY_UPDATE):
            out["type"] = str(self.entry_type)
        if self.code in (
            StepCode.ENTRY_CREATE,
            StepCode.ENTRY_UPDATE,
            StepCode.ROLE_UPSERT,
            StepCode.USER_UPSERT,
        ):
            out["username"] = self.username
            out["groups"] = list(self.groups)
        if self.policy_arn:
            out["policyArn"] = self.policy_arn
        if self.scope is not None:
            out["accessScope"] = {"type": str(self.scope.type), "namespaces": list(self.scope.namespaces)}
        if self.mode is not None:
            out["authenticationMode"] = str(self.mode)
        if self.manifest is not None:
            out["manifest"] = dict(self.manifest)
        if self.replaces is not None:
            out["replaces"] = self.replaces
        out["before"], out["after"] = self.before, self.after
        return out


def _short(arn: str) -> str:
    try:
        return policy_name(arn)
    except InputError:
        return arn


# --- simulation -------------------------------------------------------------------------------------------


def edit_aws_auth(data: Mapping[str, str] | None, steps: Iterable[Step]) -> dict[str, str] | None:
    """The aws-auth data after the aws-auth steps (byte-preserving edits); None stays None if no step."""
    result = None if data is None else dict(data)
    for step in steps:
        if step.code not in AWS_AUTH_CODES:
            continue
        current = result or {}
        if step.code is StepCode.AWS_AUTH_RESTORE:
            data = (step.manifest or {}).get("data")
            result = None if data is None else dict(data)
        elif step.code is StepCode.ROLE_UPSERT:
            result = awsauth_edit.upsert_role(
                current, step.principal, username=step.username, groups=step.groups
            )
        elif step.code is StepCode.USER_UPSERT:
            result = awsauth_edit.upsert_user(
                current, step.principal, username=step.username, groups=step.groups
            )
        elif step.code is StepCode.ROLE_REMOVE:
            result = awsauth_edit.remove_role(current, step.principal)
        elif step.code is StepCode.ROLE_REPAIR:
            result = awsauth_edit.rewrite_role_arn(current, step.replaces or step.principal, step.principal)
        elif step.code is StepCode.KEY_REPAIR:
            result = _reread_key(current, step.principal)
        elif step.code is StepCode.KEY_RENAME:
            result = rename_key(current, step.replaces or step.principal, step.principal)
        elif step.code is StepCode.ROW_DEDUPE:
            result = keep_one_row(current, step.principal, step.username, step.groups)
        elif step.code is StepCode.USER_REMOVE:
            result = awsauth_edit.remove_user(current, step.principal)
        elif step.code is StepCode.ACCOUNT_ADD:
            result = awsauth_edit.add_account(current, step.principal)
        else:
            result = awsauth_edit.remove_account(current, step.principal)
    return result


def _reread_key(data: dict[str, str], key: str) -> dict[str, str]:
    """The key re-read as its author meant it, if it still does not parse (another writer may have fixed
    it since the plan was made: then it stays as that writer left it)."""
    if key not in data or parse_aws_auth({key: data[key]}).dropped_key(key) is None:
        return data
    text = reread(key, data[key])
    if text is None:
        raise InputError(
            f"aws-auth {key} does not parse and cannot be re-read with certainty; fix it by hand"
        )
    return {**data, key: text}


def simulate(state: ClusterState, steps: Sequence[Step]) -> ClusterState:
    """The ClusterState after the steps, as EKS and Kubernetes would make it."""
    mode = state.authentication_mode
    entries = {principal_key(e.principal_arn): e for e in state.access_entries()}
    manifests = list(state.kubernetes)
    for step in steps:
        if step.code is StepCode.MODE_UPDATE and step.mode is not None:
            if mode is AuthenticationMode.CONFIG_MAP and state.cluster.creator_arn:
                creator = state.cluster.creator_arn
                admin = AccessPolicyAssociation(
                    policy_arn=policy_arn(CLUSTER_ADMIN, state.partition), scope=CLUSTER_SCOPE
                )
                entries.setdefault(
                    principal_key(creator), AccessEntry(principal_arn=creator, policies=(admin,))
                )
            mode = step.mode
        elif step.mechanism is StepMechanism.ACCESS_ENTRY:
            _entry_step(entries, step)
        elif step.code is StepCode.BINDING_CREATE and step.manifest is not None:
            manifests.append(dict(step.manifest))
    aws_auth = edit_aws_auth(state.aws_auth, steps)
    return state.model_copy(
        update={
            "authentication_mode": mode,
            "access_entry_models": [AccessEntryModel.from_domain(e) for e in entries.values()],
            "aws_auth": aws_auth,
            "kubernetes": manifests,
        }
    )


def _entry_step(entries: dict[str, AccessEntry], step: Step) -> None:
    key = step.key
    entry = entries.get(key)
    if step.code is StepCode.ENTRY_CREATE:
        entries[key] = AccessEntry(
            principal_arn=step.principal,
            type=step.entry_type,
            username=step.username,
            kubernetes_groups=step.groups,
        )
    elif step.code is StepCode.ENTRY_DELETE:
        entries.pop(key, None)
    elif entry is None:
        return
    elif step.code is StepCode.ENTRY_UPDATE:
        username = step.username if step.username is not None else entry.username
        entries[key] = replace(entry, username=username, kubernetes_groups=step.groups)
    elif step.code in (StepCode.POLICY_ASSOCIATE, StepCode.POLICY_UPDATE) and step.scope is not None:
        assoc = AccessPolicyAssociation(policy_arn=str(step.policy_arn), scope=step.scope)
        others = tuple(p for p in entry.policies if p.policy_arn != step.policy_arn)
        entries[key] = replace(entry, policies=(*others, assoc))
    elif step.code is StepCode.POLICY_DISASSOCIATE:
        entries[key] = replace(
            entry, policies=tuple(p for p in entry.policies if p.policy_arn != step.policy_arn)
        )
