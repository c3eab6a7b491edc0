"""Byte-preserving edits of the aws-auth data (mapRoles / mapUsers / mapAccounts).

Edits are surgical text edits on a key's YAML: the items of the top-level list are located by their ``-``
tokens (awsauth_yaml.sequence_layout), and only the touched item's characters change. Every untouched item
keeps its exact bytes, comments included; the comment lines directly above a removed item go with it.

Every edit is verified before it is returned: the result is parsed the way the authenticator parses it and
the edit is refused (InputError) if the key would be dropped, if an entry would be skipped that was not
before, if the mappings are not exactly the expected ones, or if an untouched item's text changed. A key
that is already dropped (broken YAML) is never edited: fix it by hand first.

A key written as a YAML flow list (``[...]``) is rewritten in block style (the only case where untouched
entries change bytes; their mappings are verified equal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from eksaccess.domain.awsauth.block_edit import edit_entries, indent
from eksaccess.domain.awsauth.go_yaml import (
    LINE_BREAKS,
    ItemSpan,
    first_document,
    sequence_layout,
    v2_scalar_kind,
)
from eksaccess.domain.awsauth.reader import (
    ACCOUNTS_KEY,
    ARN_FIELD,
    ROLES_KEY,
    USERS_KEY,
    AccountItem,
    AwsAuthReport,
    RawEntry,
    inspect_aws_auth,
    is_skippable,
)
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.errors import InputError

_ACCOUNT_ID = re.compile(r"\d{12}")
_RISKY_WORDS = frozenset(["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "<<"])
Item = RawEntry | AccountItem


def upsert_role(
    data: Mapping[str, str], rolearn: str, *, username: str | None, groups: Sequence[str]
) -> dict[str, str]:
    """Map a role (path-less IAM role ARN); an existing entry for it (any case) is replaced in place."""
    return _upsert(data, ROLES_KEY, _role_arn(rolearn), username, groups)


def rewrite_role_arn(data: Mapping[str, str], written: str, rolearn: str) -> dict[str, str]:
    """The mapRoles entries whose rolearn is ``written`` (any case) rewritten to ``rolearn`` (path-less),
    each keeping its username and groups; the first takes their place, the others go (the later entry for
    a role is the one that counts, so it gives the username and groups)."""
    corrected = _role_arn(rolearn)
    report = _report(data, ROLES_KEY)
    target = written.strip().lower()
    matches = [e.index for e in report.entries if e.key == ROLES_KEY and e.arn.lower() == target]
    if not matches:
        return dict(data)
    last = report.entries[[e.index for e in report.entries].index(matches[-1])]
    username = last.username or None
    groups = tuple(last.groups or ())
    rendered = render_entry(ROLES_KEY, corrected, username, groups)
    expect = _Expectation(
        is_target=lambda e: isinstance(e, RawEntry) and e.arn.lower() in (target, corrected.lower()),
        wanted=(corrected.lower(), username or "", groups),
    )
    return _edit(data, ROLES_KEY, report, matches=matches, rendered=rendered, expect=expect)


def remove_role(data: Mapping[str, str], rolearn: str) -> dict[str, str]:
    """Remove every mapRoles entry for the role (any case); unchanged if there is none."""
    return _remove(data, ROLES_KEY, rolearn.strip())


def upsert_user(
    data: Mapping[str, str], userarn: str, *, username: str | None, groups: Sequence[str]
) -> dict[str, str]:
    """Map an IAM user (or the account root); an existing entry for it (any case) is replaced in place."""
    return _upsert(data, USERS_KEY, _user_arn(userarn), username, groups)


def remove_user(data: Mapping[str, str], userarn: str) -> dict[str, str]:
    return _remove(data, USERS_KEY, userarn.strip())


def add_account(data: Mapping[str, str], account_id: str) -> dict[str, str]:
    """Add a 12-digit account to mapAccounts (written quoted); unchanged if it is already there."""
    account = _account_id(account_id)
    report = _report(data, ACCOUNTS_KEY)
    if any(a.text == account and a.problem is None for a in report.account_items):
        return dict(data)
    rendered = f'- "{account}"'
    return _edit(
        data, ACCOUNTS_KEY, report, matches=[], rendered=rendered, expect=_expect_accounts(account, True)
    )


def remove_account(data: Mapping[str, str], account_id: str) -> dict[str, str]:
    account = _account_id(account_id)
    report = _report(data, ACCOUNTS_KEY)
    matches = [a.index for a in report.account_items if a.text == account]
    if not matches:
        return dict(data)
    return _edit(
        data, ACCOUNTS_KEY, report, matches=matches, rendered=None, expect=_expect_accounts(account, False)
    )


# ---------------------------------------------------------------------------------------------------------
# Input checks


def _role_arn(text: str) -> str:
    principal = parse_principal(text)
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        raise InputError(
            f"{principal.arn} is an STS assumed-role ARN, which never matches in aws-auth; "
            f"map the role ARN {principal.canonical_arn} instead"
        )
    if principal.kind is not PrincipalKind.ROLE:
        raise InputError(
            f"{principal.arn} is not an IAM role ARN; mapRoles takes arn:PARTITION:iam::ACCOUNT:role/NAME"
        )
    if principal.path_never_matches:
        raise InputError(
            f"{principal.arn} has a path ({principal.path}); aws-auth compares the path-less ARN, "
            f"so map {principal.pathless_arn} instead"
        )
    return principal.arn


def _user_arn(text: str) -> str:
    principal = parse_principal(text)
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROOT):
        raise InputError(f"{principal.arn} is not an IAM user ARN; map roles with mapRoles")
    return principal.arn


def _account_id(text: str) -> str:
    account = text.strip()
    if not _ACCOUNT_ID.fullmatch(account):
        raise InputError(f"{text!r} is not a 12-digit AWS account ID")
    return account


def _check_name(what: str, value: str) -> None:
    if not value or not value.isprintable():
        raise InputError(
            f"{what} {value!r} must be non-empty printable text (no tabs, line breaks or controls)"
        )


# ---------------------------------------------------------------------------------------------------------
# Rendering


def quote(value: str) -> str:
    """The value as a YAML scalar that every reader (go-yaml v2, YAML 1.2) reads back as this string."""
    plain = (
        value == value.strip()
        and value[0] not in "-?:,[]{}#&*!|>'\"%@`+.0123456789"
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and value.lower() not in _RISKY_WORDS
        and v2_scalar_kind(value) == "str"
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def render_entry(key: str, arn: str, username: str | None, groups: Sequence[str]) -> str:
    lines = [f"- {ARN_FIELD[key]}: {quote(arn)}"]
    if username is not None:
        lines.append(f"  username: {quote(username)}")
    if groups:
        lines.append("  groups:")
        lines.extend(f"    - {quote(group)}" for group in groups)
    else:
        lines.append("  groups: []")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# The edit itself


@dataclass(frozen=True, kw_only=True, slots=True)
class _Expectation:
    """What the edited key must contain: a predicate on one item, and the wanted item (or none)."""

    is_target: Callable[[Item], bool]
    wanted: tuple[object, ...] | None  # signature of the one target item, or None for "no target left"


def _report(data: Mapping[str, str], key: str) -> AwsAuthReport:
    report = inspect_aws_auth({key: data[key]} if key in data else {})
    dropped = report.auth.dropped_key(key)
    if dropped is not None:
        raise InputError(
            f"{key} does not parse ({dropped.error}): the authenticator already drops all of it; "
            "fix it by hand before editing"
        )
    return report


def _upsert(
    data: Mapping[str, str],
    key: str,
    arn: str,
    username: str | None,
    groups: Sequence[str],
    *,
    careful: bool = False,
) -> dict[str, str]:
    if username is not None:
        _check_name("username", username)
    for group in groups:
        _check_name("group", group)
    rendered = render_entry(key, arn, username, groups)
    wanted = (arn.lower(), username or "", tuple(groups))
    fast = None
    if key in data and not careful:  # the common form: only the touched items are read (awsauth_edit_fast)
        fast = edit_entries(data[key], key, arn, rendered, lambda e: _wanted(e) == wanted)
    if fast is not None:
        return {**data, key: fast}
    report = _report(data, key)
    target = arn.lower()
    matches = [e.index for e in report.entries if e.key == key and e.arn.lower() == target]
    expect = _Expectation(
        is_target=lambda e: isinstance(e, RawEntry) and e.arn.lower() == target,
        wanted=wanted,
    )
    return _edit(data, key, report, matches=matches, rendered=rendered, expect=expect)


def _remove(data: Mapping[str, str], key: str, arn: str, *, careful: bool = False) -> dict[str, str]:
    fast = edit_entries(data[key], key, arn, None, lambda _: False) if key in data and not careful else None
    if fast is not None:
        return {**data, key: fast}
    report = _report(data, key)
    target = arn.lower()
    matches = [e.index for e in report.entries if e.key == key and e.arn.lower() == target]
    if not matches:
        return dict(data)
    expect = _Expectation(
        is_target=lambda e: isinstance(e, RawEntry) and e.arn.lower() == target, wanted=None
    )
    return _edit(data, key, report, matches=matches, rendered=None, expect=expect)


def _expect_accounts(account: str, present: bool) -> _Expectation:
    return _Expectation(
        is_target=lambda a: isinstance(a, AccountItem) and a.text == account,
        wanted=(account,) if present else None,
    )


def _edit(
    data: Mapping[str, str],
    key: str,
    report: AwsAuthReport,
    *,
    matches: list[int],
    rendered: str | None,
    expect: _Expectation,
) -> dict[str, str]:
    text = data.get(key)
    new_text, kept = _new_text(text, report, key, matches, rendered)
    after = inspect_aws_auth({key: new_text})
    _verify(key, report, after, expect)
    if kept:
        _verify_bytes(key, text or "", new_text, matches, rendered)
    result = dict(data)
    result[key] = new_text
    return result


def _new_text(
    text: str | None, report: AwsAuthReport, key: str, matches: list[int], rendered: str | None
) -> tuple[str, bool | None]:
    """The edited text, and whether byte-preservation of untouched items can be checked (None: rewritten)."""
    if text is None or is_skippable(text):
        return (indent(rendered, 0, "\n") if rendered else (text or "")), None
    newline = "\r\n" if "\r\n" in text else "\n"
    layout = sequence_layout(text)
    if layout.style == "block":
        return _splice(text, layout.items, matches, rendered, newline), True
    doc = first_document(text)
    if doc.node is None:  # comments only: keep them, append
        prefix = text if not text or text[-1] in LINE_BREAKS else text + newline
        return prefix + (indent(rendered, 0, newline) if rendered else ""), None
    return _rewrite_flow(report, key, matches, rendered), None


def _splice(
    text: str, spans: Sequence[ItemSpan], matches: list[int], rendered: str | None, newline: str
) -> str:
    edits: list[tuple[int, int, str]] = []
    if rendered is not None and matches:
        first = spans[matches[0]]
        edits.append((first.start, first.end, indent(rendered, first.column, newline)))
        matches = matches[1:]
    elif rendered is not None:
        end = spans[-1].end if spans else len(text)
        column = spans[0].column if spans else 0
        glue = "" if end == 0 or text[end - 1] in LINE_BREAKS else newline
        edits.append((end, end, glue + indent(rendered, column, newline)))
    edits.extend((spans[i].lead, spans[i].end, "") for i in matches)
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _rewrite_flow(report: AwsAuthReport, key: str, matches: list[int], rendered: str | None) -> str:
    if any(e.problem or e.mismatches for e in report.entries) or any(a.problem for a in report.account_items):
        raise InputError(
            f"{key} is a YAML flow list with entries the authenticator skips; rewrite it by hand first"
        )
    parts: list[str] = []
    if key == ACCOUNTS_KEY:
        parts = [f'- "{a.text}"' for a in report.account_items if a.index not in matches]
    else:
        for entry in report.entries:
            if entry.index in matches:
                continue
            parts.append(render_entry(key, entry.arn, entry.username or None, entry.groups or ()))
    if rendered is not None:
        parts.append(rendered)
    return "".join(indent(part, 0, "\n") for part in parts)


def _signature(item: Item) -> tuple[object, ...]:
    if isinstance(item, RawEntry):
        e = item
        return (
            e.kind,
            e.arn,
            e.username,
            e.groups,
            e.groups_text,
            e.has_sso,
            e.fields,
            e.mismatches,
            e.problem,
        )
    return (item.text, item.problem)


def _items(report: AwsAuthReport, key: str) -> list[Item]:
    if key == ACCOUNTS_KEY:
        return list(report.account_items)
    return [e for e in report.entries if e.key == key]


def _verify(key: str, before: AwsAuthReport, after: AwsAuthReport, expect: _Expectation) -> None:
    def refuse(why: str) -> InputError:
        return InputError(f"refusing to edit {key}: {why}; nothing was changed")

    if after.auth.dropped:
        raise refuse(f"the result would not parse ({after.auth.dropped[0].error})")
    if len(after.auth.skipped) > len(before.auth.skipped):
        raise refuse("the result would make the authenticator skip an entry")
    is_target = expect.is_target
    old, new = _items(before, key), _items(after, key)
    if [_signature(i) for i in old if not is_target(i)] != [_signature(i) for i in new if not is_target(i)]:
        raise refuse("an entry that should not change would change")
    targets = [i for i in new if is_target(i)]
    if expect.wanted is None:
        if targets:
            raise refuse("the entry would still be there")
        return
    if len(targets) != 1 or _wanted(targets[0]) != expect.wanted:
        raise refuse("the result would not map the principal as asked")


def _wanted(item: Item) -> tuple[object, ...]:
    if isinstance(item, RawEntry):
        if item.problem or item.mismatches:
            return ()
        return (item.arn.lower(), item.username, item.groups or ())
    return (item.text,)


def _verify_bytes(key: str, old: str, new: str, matches: list[int], rendered: str | None) -> None:
    # Compared without the final line break: appending after a last line that had none adds one.
    old_items = [old[s.start : s.end].rstrip(LINE_BREAKS) for s in sequence_layout(old).items]
    new_items = [new[s.start : s.end].rstrip(LINE_BREAKS) for s in sequence_layout(new).items]
    untouched_old = [t for i, t in enumerate(old_items) if i not in matches]
    if rendered is None:
        untouched_new = new_items
    else:
        position = matches[0] if matches else len(new_items) - 1
        untouched_new = [t for i, t in enumerate(new_items) if i != position]
    if untouched_old != untouched_new:
        raise InputError(
            f"refusing to edit {key}: an untouched entry's text would change; nothing was changed"
        )
