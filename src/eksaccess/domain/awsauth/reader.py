"""The kube-system/aws-auth ConfigMap as aws-iam-authenticator really reads it
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go).

- Only the data keys ``mapRoles``, ``mapUsers`` and ``mapAccounts`` count, case-sensitively; any other key
  (``maproles``, ``MapUsers``) is ignored without an error: it lands in ``ignored_keys``.
- Each key is parsed on its own. YAML that cannot become JSON, or that is not a list, drops that **whole**
  key (``dropped``); the other keys still load.
- Entry field names match case-insensitively (``roleARN``); a value of the wrong type leaves that field
  empty (``groups: system:masters`` gives no groups); an entry without ``rolearn`` / ``userarn`` is skipped
  on its own (``skipped``). ``sso`` matchers need a feature gate EKS does not enable: skipped with a note.
- Roles match case-insensitively and a duplicated role (any case) resolves to the **later** entry.
  Users match case-insensitively; among case variants the authenticator picks one at random (map order),
  ``match_user`` deterministically returns the later one.
- ``mapAccounts`` items are kept as written (quoted or not; ``012345678901`` keeps its zero).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eksaccess.domain.awsauth.block_reader import FastItem, parse_json_list, parse_list
from eksaccess.domain.awsauth.go_yaml import (
    GoYamlError,
    first_document,
    go_fold,
    json_type,
    line_of,
    scalar_kind,
    to_json,
)
from eksaccess.domain.awsauth.manifest import split_manifest as split_manifest
from eksaccess.domain.awsauth.manifest import split_manifest_lines as split_manifest_lines
from eksaccess.domain.iam.principal import Principal, PrincipalKind

ROLES_KEY = "mapRoles"
USERS_KEY = "mapUsers"
ACCOUNTS_KEY = "mapAccounts"
KEYS: tuple[str, ...] = (ROLES_KEY, USERS_KEY, ACCOUNTS_KEY)
ARN_FIELD = {ROLES_KEY: "rolearn", USERS_KEY: "userarn"}
KNOWN_FIELDS = {
    ROLES_KEY: ("rolearn", "username", "groups", "sso"),
    USERS_KEY: ("userarn", "username", "groups"),
}
_GO_TYPE = {ROLES_KEY: "[]config.RoleMapping", USERS_KEY: "[]config.UserMapping"}
_SKIPPABLE = ("", "``", '""', "''")  # "nothing" (older authenticators skip them; newer ones load nothing)


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleMapping:
    index: int  # position in the mapRoles list (0-based)
    rolearn: str
    username: str | None
    groups: tuple[str, ...]
    line: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class UserMapping:
    index: int
    userarn: str
    username: str | None
    groups: tuple[str, ...]
    line: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DroppedKey:
    key: str
    error: str
    line: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AwsAuth:
    roles: tuple[RoleMapping, ...] = ()
    users: tuple[UserMapping, ...] = ()
    accounts: tuple[str, ...] = ()
    dropped: tuple[DroppedKey, ...] = ()
    ignored_keys: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def match_role(self, canonical_arn: str) -> RoleMapping | None:
        target = canonical_arn.lower()
        return next((r for r in reversed(self.roles) if r.rolearn.lower() == target), None)

    def match_user(self, canonical_arn: str) -> UserMapping | None:
        target = canonical_arn.lower()
        return next((u for u in reversed(self.users) if u.userarn.lower() == target), None)

    def row_for(self, principal: Principal) -> RoleMapping | UserMapping | None:
        """The row the authenticator uses for ``principal``: users by their ARN, roles and assumed roles by
        the path-less role ARN (:attr:`Principal.mapping_arn`)."""
        if principal.kind is PrincipalKind.USER:
            return self.match_user(principal.arn)
        return self.match_role(principal.mapping_arn)

    def has_account(self, account_id: str) -> bool:
        return account_id in self.accounts

    def dropped_key(self, key: str) -> DroppedKey | None:
        return next((d for d in self.dropped if d.key == key), None)


EMPTY_AWS_AUTH = AwsAuth()


@dataclass(frozen=True, kw_only=True, slots=True)
class TypeMismatch:
    """A value Go could not decode: that field (or group item) stays empty."""

    field: str
    got: str  # Go's JSON type name: string, number, bool, array, object
    item: int | None = None  # for a groups item: its position


@dataclass(frozen=True, kw_only=True, slots=True)
class RawEntry:
    """One mapRoles/mapUsers item with everything the authenticator did with it."""

    key: str
    index: int
    line: int | None
    kind: str  # JSON type of the item; "object" for a proper entry
    arn: str = ""
    username: str = ""
    groups: tuple[str, ...] | None = None
    groups_text: str | None = None  # the string given where a list was expected
    has_sso: bool = False
    fields: tuple[str, ...] = ()  # field names as written (after duplicate keys collapsed)
    field_lines: Mapping[str, int] = field(default_factory=dict)  # folded field name -> line
    mismatches: tuple[TypeMismatch, ...] = ()
    problem: str | None = None  # why it is skipped; None = loaded

    def line_of_field(self, name: str) -> int | None:
        return self.field_lines.get(name, self.line)


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountItem:
    index: int
    text: str
    line: int | None
    problem: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AwsAuthReport:
    """parse_aws_auth's result plus the raw entries (for the linter and the editor)."""

    auth: AwsAuth
    entries: tuple[RawEntry, ...]
    account_items: tuple[AccountItem, ...]


def parse_aws_auth(data: Mapping[str, str] | None) -> AwsAuth:
    """The mappings the authenticator loads from a ConfigMap's data. Never raises on any text."""
    return inspect_aws_auth(data).auth


def inspect_aws_auth(data: Mapping[str, str] | None) -> AwsAuthReport:
    """Everything the authenticator does with each item; the common YAML is read by awsauth_fast."""
    return _inspect(data, fast=True)


def inspect_aws_auth_careful(data: Mapping[str, str] | None) -> AwsAuthReport:
    """inspect_aws_auth through ruamel.yaml alone: the reference the fast reader is proven against."""
    return _inspect(data, fast=False)


def _inspect(data: Mapping[str, str] | None, *, fast: bool) -> AwsAuthReport:
    data = data or {}
    dropped: list[DroppedKey] = []
    entries: list[RawEntry] = []
    for key in (ROLES_KEY, USERS_KEY):
        if key in data:
            found, drop = _load_entries(key, data[key], fast=fast)
            entries.extend(found)
            dropped.extend([drop] if drop else [])
    accounts: list[AccountItem] = []
    if ACCOUNTS_KEY in data:
        accounts, drop = _load_accounts(data[ACCOUNTS_KEY], fast=fast)
        dropped.extend([drop] if drop else [])
    auth = AwsAuth(
        roles=tuple(_role(e) for e in entries if e.key == ROLES_KEY and e.problem is None),
        users=tuple(_user(e) for e in entries if e.key == USERS_KEY and e.problem is None),
        accounts=tuple(a.text for a in accounts if a.problem is None),
        dropped=tuple(dropped),
        ignored_keys=tuple(k for k in data if k not in KEYS),
        skipped=tuple(
            [f"{e.key}[{e.index}] (line {e.line}): {e.problem}" for e in entries if e.problem]
            + [f"{ACCOUNTS_KEY}[{a.index}] (line {a.line}): {a.problem}" for a in accounts if a.problem]
        ),
    )
    return AwsAuthReport(auth=auth, entries=tuple(entries), account_items=tuple(accounts))


def is_skippable(text: str) -> bool:
    return text.strip() in _SKIPPABLE


def _role(entry: RawEntry) -> RoleMapping:
    return RoleMapping(
        index=entry.index,
        rolearn=entry.arn,
        username=entry.username or None,
        groups=entry.groups or (),
        line=entry.line,
    )


def _user(entry: RawEntry) -> UserMapping:
    return UserMapping(
        index=entry.index,
        userarn=entry.arn,
        username=entry.username or None,
        groups=entry.groups or (),
        line=entry.line,
    )


def _load_entries(key: str, text: str, *, fast: bool) -> tuple[list[RawEntry], DroppedKey | None]:
    if not isinstance(text, str) or is_skippable(text):
        return [], None
    if text.lstrip().startswith("{"):
        # util/yaml.ToJSON hands text that looks like JSON to encoding/json untouched.
        try:
            kind = json_type(json.loads(text))
        except json.JSONDecodeError as err:
            return [], DroppedKey(key=key, error=f"invalid JSON: {err.msg}", line=err.lineno)
        except RecursionError:
            return [], DroppedKey(key=key, error="invalid JSON: nested too deeply", line=None)
        return [], DroppedKey(
            key=key, error=f"json: cannot unmarshal {kind} into Go value of type {_GO_TYPE[key]}", line=1
        )
    found = parse_list(text) if fast else None
    if found is not None:
        return [
            raw_entry(key, i, it.line, it.value, it.field_lines) for i, it in enumerate(found.items)
        ], None
    objects = parse_json_list(text) if fast else None
    if objects is not None:
        return [raw_entry(key, i, 1, item, lines) for i, (item, lines) in enumerate(objects)], None
    doc = first_document(text)
    if doc.error is not None:
        return [], DroppedKey(key=key, error=doc.error, line=doc.line)
    if doc.node is None:
        return [], None
    try:
        value = to_json(doc.node)
    except GoYamlError as err:
        return [], DroppedKey(key=key, error=err.message, line=err.line)
    if value is None:
        return [], None
    if not isinstance(value, list) or not isinstance(doc.node, SequenceNode):
        error = f"json: cannot unmarshal {json_type(value)} into Go value of type {_GO_TYPE[key]}"
        return [], DroppedKey(key=key, error=error, line=line_of(doc.node))
    return [
        raw_entry(key, i, line_of(node), item, _field_lines(node))
        for i, (node, item) in enumerate(zip(doc.node.value, value, strict=True))
    ], None


def raw_entry(key: str, index: int, line: int, item: Any, lines: Mapping[str, int]) -> RawEntry:
    """One item (its JSON value, its line and its fields' lines) as the authenticator decodes it."""
    if not isinstance(item, dict):
        kind = json_type(item)
        what = "an empty item" if item is None else f"a {kind}, not a mapping"
        return RawEntry(key=key, index=index, line=line, kind=kind, problem=f"{what}: {_required(key)}")
    decoded = _decode_fields(key, item)
    entry = RawEntry(key=key, index=index, line=line, kind="object", field_lines=lines, **decoded)
    problem = _validate(entry)
    return entry if problem is None else replace(entry, problem=problem)


def _required(key: str) -> str:
    return (
        "One of rolearn or SSO must be supplied" if key == ROLES_KEY else "Value for userarn must be supplied"
    )


def _validate(entry: RawEntry) -> str | None:
    """config.RoleMapping/UserMapping.Validate, plus EKS's lack of the SSO matcher."""
    if entry.key == USERS_KEY:
        return None if entry.arn else _required(USERS_KEY)
    if not entry.arn and not entry.has_sso:
        return _required(ROLES_KEY)
    if entry.arn and entry.has_sso:
        return "Only one of rolearn or SSO can be supplied"
    if entry.has_sso:
        return "sso entries never match on EKS (the authenticator's SSORoleMatch feature gate is off)"
    return None


def _decode_fields(key: str, item: dict[str, Any]) -> dict[str, Any]:
    """encoding/json into RoleMapping/UserMapping: keys in sorted order, case-insensitive, later wins."""
    out: dict[str, Any] = {"arn": "", "username": "", "groups": None, "groups_text": None, "has_sso": False}
    mismatches: list[TypeMismatch] = []
    arn_field = ARN_FIELD[key]
    for name in sorted(item):
        folded, value = go_fold(name), item[name]
        if folded not in KNOWN_FIELDS[key]:
            continue
        if folded in (arn_field, "username"):
            slot = "arn" if folded == arn_field else "username"
            if isinstance(value, str):
                out[slot] = value
            elif value is not None:
                mismatches.append(TypeMismatch(field=folded, got=json_type(value)))
        elif folded == "groups":
            out["groups"], out["groups_text"] = _decode_groups(value, mismatches, out["groups"])
        elif isinstance(value, dict) or value is None:
            out["has_sso"] = value is not None
        else:
            mismatches.append(TypeMismatch(field="sso", got=json_type(value)))
    out["fields"] = tuple(sorted(item))
    out["mismatches"] = tuple(mismatches)
    return out


def _decode_groups(
    value: Any, mismatches: list[TypeMismatch], previous: tuple[str, ...] | None
) -> tuple[tuple[str, ...] | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, list):
        mismatches.append(TypeMismatch(field="groups", got=json_type(value)))
        return previous, value if isinstance(value, str) else None
    groups: list[str] = []
    for i, group in enumerate(value):
        if not isinstance(group, str) and group is not None:
            mismatches.append(TypeMismatch(field="groups", got=json_type(group), item=i))
        groups.append(group if isinstance(group, str) else "")
    return tuple(groups), None


def _field_lines(node: Node) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                lines[go_fold(str(key.value))] = (
                    line_of(value) if value.start_mark.index > key.start_mark.index else line_of(key)
                )
    return lines


def _load_accounts(text: str, *, fast: bool) -> tuple[list[AccountItem], DroppedKey | None]:
    """go-yaml v2 Unmarshal into []string: scalars keep their text; other items are skipped one by one."""
    if not isinstance(text, str) or is_skippable(text):
        return [], None
    found = parse_list(text) if fast else None
    if found is not None:
        return [_account(i, item) for i, item in enumerate(found.items)], None
    doc = first_document(text)
    if doc.error is not None:
        return [], DroppedKey(key=ACCOUNTS_KEY, error=doc.error, line=doc.line)
    node = doc.node
    if node is None or (isinstance(node, ScalarNode) and scalar_kind(node) == "null"):
        return [], None
    if not isinstance(node, SequenceNode):
        tag = "!!map" if isinstance(node, MappingNode) else "!!str"
        error = f"yaml: unmarshal errors: line {line_of(node)}: cannot unmarshal {tag} into []string"
        return [], DroppedKey(key=ACCOUNTS_KEY, error=error, line=line_of(node))
    items = []
    for i, child in enumerate(node.value):
        problem: str | None = None
        if not isinstance(child, ScalarNode):
            tag = "!!map" if isinstance(child, MappingNode) else "!!seq"
            problem = f"cannot unmarshal {tag} into string"
        elif scalar_kind(child) == "null":
            problem = "an empty item"
        text_value = str(child.value) if isinstance(child, ScalarNode) else ""
        items.append(AccountItem(index=i, text=text_value, line=line_of(child), problem=problem))
    return items, None


def _account(index: int, item: FastItem) -> AccountItem:
    if item.scalar is None:
        return AccountItem(index=index, text="", line=item.line, problem="cannot unmarshal !!map into string")
    problem = "an empty item" if item.value is None else None
    return AccountItem(index=index, text=item.scalar, line=item.line, problem=problem)
