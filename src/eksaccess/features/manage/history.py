"""What eksaccess changed, recorded per cluster, and the plan that puts a recorded state back.

Each change is one record: the command, the operator, the steps and their results, and snapshots of the
cluster before and after (authentication mode, the aws-auth data verbatim with its resourceVersion, the
access entries with their policies). Version N's ``before`` is the state just before change N; its
``after`` the state right after it. ``rollback`` restores the ``before`` of the latest change, ``rollback
--to N`` the state as change N left it (``--to 0``: before the first recorded change).

A record that cannot be read (truncated, not JSON, a stray file) is skipped by ``list_history`` and
named in its ``skipped`` lines; ``rollback`` needs only the records it restores from, so an unreadable
record stops it only when it is one of those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksaccess.adapters.history_files import HistoryFiles
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.state import AccessEntryModel, AuthenticationMode, ClusterState
from eksaccess.errors import InputError
from eksaccess.features.manage.plan import Plan, PrincipalTarget, build_plan, removal_steps
from eksaccess.features.manage.steps import Action, Step, StepCode
from eksaccess.features.manage.via import Via


def snapshot(state: ClusterState, aws_auth_version: str | None) -> dict[str, Any]:
    return {
        "authenticationMode": str(state.authentication_mode),
        "awsAuth": None if state.aws_auth is None else dict(state.aws_auth),
        "awsAuthResourceVersion": aws_auth_version,
        "accessEntries": [e.model_dump(mode="json", exclude_none=True) for e in state.access_entry_models],
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryItem:
    version: int
    time: str
    command: str
    operator: str
    status: str
    changes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "time": self.time,
            "command": self.command,
            "operator": self.operator,
            "status": self.status,
            "changes": self.changes,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryListing:
    items: tuple[HistoryItem, ...]
    skipped: tuple[str, ...]  # one line per record that could not be read, naming its file


def list_history(files: HistoryFiles) -> HistoryListing:
    items = []
    skipped = []
    for version in files.versions():
        try:
            record = files.read(version)
        except InputError as err:
            skipped.append(err.message)
            continue
        items.append(
            HistoryItem(
                version=version,
                time=str(record.get("startedAt", "")),
                command=str(record.get("command", "")),
                operator=str(record.get("operator", "")),
                status=str(record.get("status", "")),
                changes=len(record.get("steps") or []),
            )
        )
    return HistoryListing(items=tuple(items), skipped=tuple(skipped))


def recorded_state(files: HistoryFiles, to: int | None) -> tuple[int, Mapping[str, Any]]:
    """(version, snapshot) to restore: the latest change's ``before``, or the state at version ``to``."""
    versions = files.versions()
    if not versions:
        raise InputError("eksaccess has recorded no change on this cluster: nothing to roll back")
    if to is None:
        latest = versions[-1]
        return latest, _snapshot_of(_read_latest(files, versions), "before", latest)
    if to == 0:
        return 0, _snapshot_of(files.read(versions[0]), "before", versions[0])
    if to not in versions:
        raise InputError(f"no history version {to}; see 'eksaccess history' (versions 1-{versions[-1]})")
    return to, _snapshot_of(files.read(to), "after", to)


def _read_latest(files: HistoryFiles, versions: list[int]) -> Mapping[str, Any]:
    """The latest record; when it is unreadable, the error says which intact version --to can restore."""
    try:
        return files.read(versions[-1])
    except InputError as err:
        earlier = versions[-2] if len(versions) > 1 else 0
        left = f"the state version {earlier} left" if earlier else "the state before the first change"
        raise InputError(err.message, hint=f"'eksaccess rollback --to {earlier}' restores {left}") from None


def _snapshot_of(record: Mapping[str, Any], which: str, version: int) -> Mapping[str, Any]:
    found = record.get(which)
    if not isinstance(found, dict):
        raise InputError(f"history version {version} has no '{which}' state (the change did not finish)")
    return found


def rollback_plan(state: ClusterState, recorded: Mapping[str, Any]) -> Plan:
    """Steps that make the access entries exactly the recorded ones and write aws-auth back verbatim."""
    entries = [AccessEntryModel.model_validate(e).to_domain() for e in recorded.get("accessEntries") or []]
    warnings: list[str] = []
    mode = AuthenticationMode(str(recorded.get("authenticationMode", state.authentication_mode)))
    if mode is not state.authentication_mode:
        warnings.append(
            f"the authentication mode was {mode} and is now {state.authentication_mode}: mode changes cannot be "
            "undone; only access entries and aws-auth are restored"
        )
    targets: list[PrincipalTarget] = []
    if state.authentication_mode.uses_access_entries:
        targets = [
            PrincipalTarget(
                arn=e.principal_arn,
                via=Via.ACCESS_ENTRY,
                type=e.type,
                username=None if e.type.is_node else e.username,
                groups=() if e.type.is_node else e.kubernetes_groups,
                policies=e.policies,
            )
            for e in entries
        ]
    keep = {principal_key(e.principal_arn) for e in entries}
    extra: list[Step] = []
    for entry in state.access_entries():
        if principal_key(entry.principal_arn) not in keep:
            extra.extend(removal_steps(state, entry.principal_arn, Via.ACCESS_ENTRY))
    data = recorded.get("awsAuth")
    if data != state.aws_auth:
        extra.append(
            Step(
                code=StepCode.AWS_AUTH_RESTORE,
                principal="kube-system/aws-auth",
                action=Action.UPDATE if data is not None else Action.DELETE,
                manifest={"data": data},
                after="the recorded data, byte for byte" if data is not None else "absent (deleted)",
            )
        )
    plan = build_plan(state, targets, extra=extra)
    return Plan(
        cluster=plan.cluster,
        before=plan.before,
        after=plan.after,
        steps=plan.steps,
        notices=plan.notices,
        warnings=(*plan.warnings, *warnings),
    )
