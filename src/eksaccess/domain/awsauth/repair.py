"""Repairs of aws-auth rows that can never match, computed as the authenticator reads the result.

Three mistakes lock people out while the row looks right to a reader
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go, https://docs.aws.amazon.com/eks/latest/userguide/troubleshooting_iam.html):
- a ``rolearn`` with the role's path (``role/teams/deployer``): STS drops paths, so it never matches;
- a ``rolearn`` that is an STS assumed-role ARN: aws-auth matches role ARNs only;
- a key whose YAML does not parse (a stray space before ``-``, tabs): the authenticator drops all of it;
- a key spelled with another letter case (``maproles``): the authenticator ignores it.

A fourth leaves one row silently ignored: several rows for one ARN (the authenticator's configmap.go keys
mapRoles by ARN: the later row wins). ``duplicate_rows`` names them and the row to keep; ``keep_one_row`` removes the others.

``repair`` rewrites each such row to the ARN the authenticator compares (keeping its username and groups,
byte-preserving elsewhere) and re-reads a dropped key line by line, the way its author plainly meant it,
keeping the result only when the authenticator would read every item of it. What cannot be repaired this
way is left as it is and named in ``unrepaired``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.bootstrap import SYSTEM_MASTERS
from eksaccess.domain.awsauth.edit import render_entry, rewrite_role_arn
from eksaccess.domain.awsauth.go_yaml import sequence_layout
from eksaccess.domain.awsauth.reader import (
    ARN_FIELD,
    KEYS,
    ROLES_KEY,
    USERS_KEY,
    AwsAuthReport,
    RawEntry,
    inspect_aws_auth,
    is_skippable,
)
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.errors import InputError


@dataclass(frozen=True, kw_only=True, slots=True)
class RowRepair:
    """One mapRoles row rewritten to the ARN the authenticator compares."""

    index: int
    written: str  # the rolearn as written
    corrected: str  # the path-less role ARN
    username: str | None
    groups: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"mapRoles[{self.index}]"


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyRepair:
    """A key that did not parse, re-read line by line: its text as it will be written."""

    key: str
    text: str
    rows: int


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyRename:
    """A key the authenticator ignores for its letter case (``maproles``), moved to its name."""

    written: str
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Repair:
    data: dict[str, str]
    rows: tuple[RowRepair, ...] = ()
    keys: tuple[KeyRepair, ...] = ()
    renames: tuple[KeyRename, ...] = ()
    unrepaired: tuple[str, ...] = ()  # keys that do not parse and could not be re-read

    @property
    def changed(self) -> bool:
        return bool(self.rows or self.keys or self.renames)


def corrected_role_arn(written: str) -> str | None:
    """The ARN aws-auth must hold for a rolearn that can never match, or None when it is right (or not an
    ARN the authenticator would read at all)."""
    try:
        principal = parse_principal(written.strip())
    except InvalidArnError:
        return None
    mapped = principal.mapping_arn
    return mapped if mapped != principal.arn else None


def repair(data: Mapping[str, str] | None) -> Repair:
    """``data`` with every repairable row and key repaired (see the module's docstring)."""
    result = dict(data or {})
    renames = _renames(result)
    for rename in renames:
        result[rename.name] = result.pop(rename.written)
    keys: list[KeyRepair] = []
    unrepaired: list[str] = []
    for key in (ROLES_KEY, USERS_KEY):
        dropped = inspect_aws_auth({key: result[key]} if key in result else {}).auth.dropped_key(key)
        if dropped is None:
            continue
        text = reread(key, result[key])
        if text is None:
            unrepaired.append(key)
            continue
        result[key] = text
        keys.append(KeyRepair(key=key, text=text, rows=text.count("\n- ") + int(text.startswith("- "))))
    rows: list[RowRepair] = []
    if ROLES_KEY in result and ROLES_KEY not in unrepaired:
        report = inspect_aws_auth({ROLES_KEY: result[ROLES_KEY]})
        mapped = {r.rolearn.lower() for r in report.auth.roles}
        for entry in report.entries:
            corrected = corrected_role_arn(entry.arn) if entry.problem is None else None
            if corrected is None or corrected.lower() in mapped:
                continue  # right as it is, or the right row exists too (this one is only dead weight)
            rows.append(
                RowRepair(
                    index=entry.index,
                    written=entry.arn,
                    corrected=corrected,
                    username=entry.username or None,
                    groups=tuple(entry.groups or ()),
                )
            )
            mapped.add(corrected.lower())
        for row in rows:
            result = rewrite_role_arn(result, row.written, row.corrected)
    return Repair(
        data=result, rows=tuple(rows), keys=tuple(keys), renames=tuple(renames), unrepaired=tuple(unrepaired)
    )


def _renames(data: Mapping[str, str]) -> list[KeyRename]:
    """Keys spelled with another letter case than mapRoles/mapUsers/mapAccounts, when the right key is
    absent or says nothing: the authenticator ignores them, their author meant the right one."""
    found: list[KeyRename] = []
    for name in KEYS:
        variants = [k for k in data if k != name and k.lower() == name.lower()]
        if len(variants) == 1 and (name not in data or is_skippable(data[name])):
            found.append(KeyRename(written=variants[0], name=name))
    return found


def rename_key(data: Mapping[str, str], written: str, name: str) -> dict[str, str]:
    """``written`` moved to ``name`` when that is still what repair would do (else unchanged)."""
    if KeyRename(written=written, name=name) not in _renames(data):
        return dict(data)
    result = dict(data)
    result[name] = result.pop(written)
    return result


# --- a dropped key, re-read line by line ------------------------------------------------------------------

_ITEM = re.compile(r"^-[ \t]+(?P<rest>.*)$")
_FIELD = re.compile(r"^(?P<name>[A-Za-z]+)[ \t]*:(?:[ \t]+(?P<value>.*))?$")
_FIELDS = {ROLES_KEY: ("rolearn", "username", "groups"), USERS_KEY: ("userarn", "username", "groups")}


def _scalar(text: str) -> str | None:
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if not value or value[0] in "[]{}&*!|>%@`" or " #" in value or not value.isprintable():
        return None
    if any(c in value for c in "'\""):
        return None
    return value


def _flow_list(text: str) -> list[str] | None:
    value = text.strip()
    if not (value.startswith("[") and value.endswith("]")):
        return None
    items = [_scalar(part) for part in value[1:-1].split(",") if part.strip()]
    return None if any(i is None for i in items) else [i for i in items if i is not None]


def reread(key: str, text: str) -> str | None:
    """A dropped mapRoles/mapUsers key read as its author meant it (one ``- arn: ...`` item per entry,
    ``field: value`` lines, group items under ``groups:``), indentation and tabs ignored; rendered in the
    block form and returned only when the authenticator reads back every item with the same values.
    None: not plain enough to re-read with certainty."""
    wanted = _FIELDS[key]
    items: list[dict[str, object]] = []
    in_groups = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        item = _ITEM.match(line)
        body = item["rest"].strip() if item else line
        field_match = _FIELD.match(body)
        if item and field_match is None:  # "- value": a group, when a groups list is open
            group = _scalar(body)
            if not in_groups or group is None or not items:
                return None
            groups = items[-1]["groups"]
            assert isinstance(groups, list)
            groups.append(group)
            continue
        if field_match is None:
            return None
        name, value = field_match["name"].lower(), field_match["value"] or ""
        if name not in wanted:
            return None
        if item:
            items.append({"groups": []})
        elif not items:
            return None
        current = items[-1]
        if name in current and name != "groups":
            return None
        in_groups = False
        if name == "groups":
            if value.strip():
                flow = _flow_list(value)
                if flow is None:
                    return None
                current["groups"] = flow
            else:
                in_groups = True
            continue
        scalar = _scalar(value)
        if scalar is None:
            return None
        current[name] = scalar
    arn_field = ARN_FIELD[key]
    if not items or any(arn_field not in i for i in items):
        return None
    rendered = "\n".join(
        render_entry(key, str(i[arn_field]), _opt(i.get("username")), _groups(i["groups"])) for i in items
    )
    rendered += "\n"
    report = inspect_aws_auth({key: rendered})
    if report.auth.dropped or len(report.entries) != len(items) or any(e.problem for e in report.entries):
        return None
    for entry, wanted_item in zip(report.entries, items, strict=True):
        same = (
            entry.arn == wanted_item[arn_field]
            and (entry.username or None) == wanted_item.get("username")
            and tuple(entry.groups or ()) == tuple(_groups(wanted_item["groups"]))
        )
        if not same:
            return None
    return rendered


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _groups(value: object) -> list[str]:
    return [g for g in value if isinstance(g, str)] if isinstance(value, list) else []


# --- duplicate rows: one ARN mapped by several rows of a key ----------------------------------------------

Grants = Callable[[str | None, tuple[str, ...]], bool]


def grants_of(manifests: Sequence[Mapping[str, Any]]) -> Grants:
    """Whether a row's username or groups are granted anything: system:masters, or a binding naming them."""
    index = Authorizer.from_manifests(manifests).index

    def grants(username: str | None, groups: tuple[str, ...]) -> bool:
        named = [g for g in groups if g != "system:authenticated"]
        if SYSTEM_MASTERS in named or any(index.is_bound("Group", g) for g in named):
            return True
        return bool(username) and "{{" not in (username or "") and index.is_bound("User", username or "")

    return grants


"""Whether a row's username and groups are granted anything (a binding names them, or system:masters)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DuplicateRows:
    """Rows of one key that map the same ARN (any case). The authenticator uses the last mapRoles row (and
    one of the mapUsers rows, at random among case variants); the row kept is that winner, unless it grants
    nothing while an earlier row grants something: then the winner is the wrong row."""

    key: str
    arn: str  # as the kept row writes it
    indexes: tuple[int, ...]  # every row for the ARN, in order
    keep: int  # the index of the row kept
    username: str | None  # the kept row's
    groups: tuple[str, ...]

    @property
    def winner(self) -> int:
        return self.indexes[-1]

    @property
    def removed(self) -> tuple[int, ...]:
        return tuple(i for i in self.indexes if i != self.keep)

    @property
    def wrong_row_wins(self) -> bool:
        return self.keep != self.winner

    def where(self, index: int) -> str:
        return f"{self.key}[{index}]"


def duplicate_rows(data: Mapping[str, str] | None, grants: Grants | None = None) -> tuple[DuplicateRows, ...]:
    """Every ARN that several mapRoles (or mapUsers) rows map, with the row to keep. Without ``grants`` (no
    RBAC known) the winner is kept. A key that does not parse, or is a flow list, is left out."""
    found: list[DuplicateRows] = []
    for key in (ROLES_KEY, USERS_KEY):
        text = (data or {}).get(key)
        if text is None:
            continue
        report = inspect_aws_auth({key: text})
        if report.auth.dropped_key(key) is not None or sequence_layout(text).style != "block":
            continue
        groups: dict[str, list[RawEntry]] = {}
        for entry in report.entries:
            if entry.problem is None and entry.arn:
                groups.setdefault(entry.arn.lower(), []).append(entry)
        found += [_duplicate(key, rows, grants) for rows in groups.values() if len(rows) > 1]
    return tuple(found)


def _duplicate(key: str, rows: list[RawEntry], grants: Grants | None) -> DuplicateRows:
    kept = rows[-1]
    if grants is not None and not grants(rows[-1].username or None, tuple(rows[-1].groups or ())):
        granting = [r for r in rows[:-1] if grants(r.username or None, tuple(r.groups or ()))]
        kept = granting[-1] if granting else kept
    return DuplicateRows(
        key=key,
        arn=kept.arn,
        indexes=tuple(r.index for r in rows),
        keep=kept.index,
        username=kept.username or None,
        groups=tuple(kept.groups or ()),
    )


def keep_one_row(
    data: Mapping[str, str], arn: str, username: str | None, groups: tuple[str, ...]
) -> dict[str, str]:
    """Every other row for ``arn`` (any case) removed from the key that maps it several times, keeping the
    last row with exactly this username and groups; every other byte stays. Unchanged when no key maps the
    ARN twice any more, or no row has that username and groups (another writer changed it since)."""
    for found in duplicate_rows(data):
        if found.arn.lower() != arn.lower():
            continue
        text = data[found.key]
        report = inspect_aws_auth({found.key: text})
        same = [
            e.index
            for e in report.entries
            if e.index in found.indexes
            and (e.username or None) == username
            and tuple(e.groups or ()) == groups
        ]
        if not same:
            return dict(data)
        keep = same[-1]
        removed = [i for i in found.indexes if i != keep]
        new_text = _cut(text, removed)
        _verify_cut(found.key, report, inspect_aws_auth({found.key: new_text}), removed)
        return {**data, found.key: new_text}
    return dict(data)


def _cut(text: str, indexes: list[int]) -> str:
    """The block list without the items at ``indexes`` (each with the comment lines directly above it)."""
    spans = sequence_layout(text).items
    for index in sorted(indexes, reverse=True):
        span = spans[index]
        text = text[: span.lead] + text[span.end :]
    return text


def _verify_cut(key: str, before: AwsAuthReport, after: AwsAuthReport, removed: list[int]) -> None:
    def row(e: RawEntry) -> tuple[object, ...]:
        return (e.kind, e.arn, e.username, e.groups, e.groups_text, e.fields, e.mismatches, e.problem)

    wanted = [row(e) for e in before.entries if e.index not in removed]
    if after.auth.dropped or [row(e) for e in after.entries] != wanted:
        raise InputError(f"refusing to edit {key}: removing the duplicate rows would change other rows")
