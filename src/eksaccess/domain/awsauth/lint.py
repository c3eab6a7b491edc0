"""Lint the aws-auth ConfigMap: what the authenticator silently drops, ignores, or grants too widely.

Every finding rests on awsauth.inspect_aws_auth, the authenticator's real parsing
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go), and on the canonical-ARN rules (pkg/arn/arn.go). Lines are within the key's YAML, or within the manifest when
the caller passes ``line_offsets`` (awsauth.split_manifest_lines).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eksaccess.domain.awsauth.findings import Where, lint_finding
from eksaccess.domain.awsauth.go_yaml import first_document, go_fold, line_of
from eksaccess.domain.awsauth.lint_grants import grant_findings, placeholder_in, system_masters
from eksaccess.domain.awsauth.manifest import AWS_AUTH_NAME, AWS_AUTH_NAMESPACE, AwsAuthDocument
from eksaccess.domain.awsauth.reader import (
    ACCOUNTS_KEY,
    ARN_FIELD,
    KEYS,
    KNOWN_FIELDS,
    ROLES_KEY,
    USERS_KEY,
    AwsAuthReport,
    RawEntry,
    inspect_aws_auth,
    is_skippable,
)
from eksaccess.domain.findings import Finding, FindingCode, Severity
from eksaccess.domain.iam.principal import (
    InvalidArnError,
    PrincipalKind,
    parse_principal_any_case,
)

_ENTRY_HINT = re.compile(r"(?im)^[ \t-]*(?:rolearn|userarn|sso)[ \t]*:")
_ITEM_HINT = re.compile(r"(?m)^[ \t]*-")
_ACCOUNT = re.compile(r"\d{12}")
_KEY_LIKE = re.compile(r"""(?:^|[\s{,])["']?([A-Za-z_]+)["']?[ \t]*:""", re.MULTILINE)
# YAML's nulls: the authenticator reads them as an empty list, without a word.
_NULLS = ("null", "Null", "NULL", "~")
MERGE_KEY = "<<"
ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def lint_aws_auth(
    data: Mapping[str, str],
    *,
    line_offsets: Mapping[str, int] | None = None,
    fail_on_system_masters: bool = False,
) -> tuple[Finding, ...]:
    """All findings for a ConfigMap's data, ordered by key and line. system:masters is a warning (it does not
    fail lint) unless ``fail_on_system_masters`` makes it an error."""
    report = inspect_aws_auth(data)
    where = Where(offsets=line_offsets or {})
    findings = [*_key_findings(data, report, where), *_quoted_empty(data, where)]
    for entry in report.entries:
        findings.extend(_entry_findings(entry, where))
    findings.extend(system_masters(report, where, ERR if fail_on_system_masters else WARN))
    findings.extend(_duplicates(report, where))
    findings.extend(_repeated_keys(data, report, where))
    findings.extend(_accounts(report, where))
    order = {key: i for i, key in enumerate(data)}
    return tuple(sorted(findings, key=lambda f: (order.get(f.key or "", -1), f.line or 0)))


def lint_document(document: AwsAuthDocument, *, fail_on_system_masters: bool = False) -> tuple[Finding, ...]:
    """lint_aws_auth for one aws-auth ConfigMap of a manifest file, its namespace included."""
    findings = lint_aws_auth(
        document.data, line_offsets=document.offsets, fail_on_system_masters=fail_on_system_masters
    )
    if document.namespace in (None, "", AWS_AUTH_NAMESPACE):
        return findings
    wrong = lint_finding(
        FindingCode.AWS_AUTH_WRONG_NAMESPACE,
        ERR,
        None,
        document.namespace_line,
        f"this ConfigMap is {document.namespace}/{AWS_AUTH_NAME}; the authenticator reads only "
        f"{AWS_AUTH_NAMESPACE}/{AWS_AUTH_NAME}, so nothing in it is mapped",
        f"set metadata.namespace: {AWS_AUTH_NAMESPACE}",
    )
    return (wrong, *findings)


def lint_json(finding: Finding) -> dict[str, Any]:
    """A finding as ``lint aws-auth -o json`` prints it."""
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "line": finding.line,
        "key": finding.key,
        "message": finding.detail,
        "fix": finding.advice,
        **({"evidence": dict(finding.evidence)} if finding.evidence else {}),
    }


# ---------------------------------------------------------------------------------------------------------
# Keys


def _key_findings(data: Mapping[str, str], report: AwsAuthReport, where: Where) -> Iterator[Finding]:
    for dropped in report.auth.dropped:
        text = data.get(dropped.key, "")
        yield lint_finding(
            FindingCode.AWS_AUTH_MALFORMED,
            ERR,
            dropped.key,
            where.line(dropped.key, dropped.line),
            f"{dropped.key} does not parse; the authenticator logs `{dropped.error}` (lines counted within "
            f"{dropped.key}) and drops the whole key: {_what_is_lost(dropped.key, text)} (the other keys still load)",
            f"fix the YAML of {dropped.key} (indentation, tabs, a missing quote); keep it a block string "
            f"(`{dropped.key}: |`) holding a YAML list. Locked out? Restore it as the cluster creator or through "
            "an access entry with AmazonEKSClusterAdminPolicy",
        )
    canonical = {key.lower(): key for key in KEYS}
    for key in report.auth.ignored_keys:
        line = where.offsets.get(key)
        normal = re.sub(r"[^a-z]", "", key.lower())
        right = canonical.get(normal) or canonical.get(normal + "s")
        if right is None:
            yield lint_finding(
                FindingCode.AWS_AUTH_UNKNOWN_KEY,
                INFO,
                key,
                line,
                f"data key {key!r} is not read by the authenticator (it reads mapRoles, mapUsers, mapAccounts)",
                "remove it, unless it is there on purpose",
            )
            continue
        merge = f" and merge its entries into the existing {right}" if right in data else ""
        yield lint_finding(
            FindingCode.AWS_AUTH_KEY_CASE,
            ERR,
            key,
            line,
            f"data key {key!r} is ignored: the authenticator reads only {right!r} (keys are case-sensitive), "
            "so nothing in it is mapped, silently",
            f"rename {key} to {right}{merge}",
        )


def _quoted_empty(data: Mapping[str, str], where: Where) -> Iterator[Finding]:
    """`mapRoles: "''"`: the value is the two characters '' (or "", a backquote pair, a YAML null), which
    the authenticator reads as nothing at all (configmap.go isSkippable; a null decodes to no list), without
    logging a word: every role (node roles included) or user the key was meant to hold is unmapped."""
    for key in KEYS:
        text = data.get(key, "").strip()
        if not (text and (is_skippable(text) or text in _NULLS)):
            continue
        lost = {ROLES_KEY: "no role is mapped, node roles included", USERS_KEY: "no user is mapped"}.get(
            key, "no account is mapped"
        )
        yield lint_finding(
            FindingCode.AWS_AUTH_QUOTED_EMPTY,
            ERR if key == ROLES_KEY else WARN,
            key,
            where.offsets.get(key),
            f"{key} holds {text} (the value, quotes included): the authenticator reads it as empty, so {lost}, "
            "and logs nothing",
            f"write the YAML list {key} should hold (`{key}: |` and its items), or remove the key",
        )


def _what_is_lost(key: str, text: str) -> str:
    count = len((_ITEM_HINT if key == ACCOUNTS_KEY else _ENTRY_HINT).findall(text))
    nodes = ", node roles included" if key == ROLES_KEY and "system:node" in text else ""
    if not count:
        return f"everything in {key} is lost"
    noun = "its one entry stops" if count == 1 else f"all {count} entries of {key} stop"
    return f"{noun} working{nodes}"


# ---------------------------------------------------------------------------------------------------------
# Entries


def _entry_findings(entry: RawEntry, where: Where) -> Iterator[Finding]:
    key, name = entry.key, f"{entry.key}[{entry.index}]"
    line = where.line(key, entry.line)
    if entry.kind != "object":
        yield lint_finding(
            FindingCode.AWS_AUTH_INVALID_ENTRY,
            ERR,
            key,
            line,
            f"{name} is {entry.problem}; the authenticator skips it",
            f"write it as a mapping: `- {ARN_FIELD[key]}: ARN` with `username:` and `groups:` under it",
        )
        return
    yield from _entry_shape(entry, name, where)
    yield from _type_problems(entry, name, where)
    if entry.arn:
        yield from _arn_findings(entry, name, where)
    if entry.problem is None:
        yield from grant_findings(entry, name, where)


def _entry_shape(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    key, arn_field, line = entry.key, ARN_FIELD[entry.key], where.line(entry.key, entry.line)
    folded = [go_fold(f) for f in entry.fields]
    if entry.has_sso:
        yield lint_finding(
            FindingCode.AWS_AUTH_SSO_UNSUPPORTED if not entry.arn else FindingCode.AWS_AUTH_INVALID_ENTRY,
            WARN if not entry.arn else ERR,
            key,
            line,
            f"{name}: {entry.problem}; the entry never matches",
            "map each IAM Identity Center role by its path-less ARN "
            "(arn:aws:iam::ACCOUNT:role/AWSReservedSSO_SET_SUFFIX), or use access entries",
        )
    elif not entry.arn:
        other = "userarn" if key == ROLES_KEY else "rolearn"
        hint = (
            f"it has {other}: move it to {USERS_KEY if key == ROLES_KEY else ROLES_KEY} or rename the field"
            if other in folded
            else f"add `{arn_field}: ARN`"
        )
        yield lint_finding(
            FindingCode.AWS_AUTH_MISSING_ARN,
            ERR,
            key,
            line,
            f"{name} has no {arn_field}; the authenticator skips it",
            hint,
        )
    for field_name, fold in zip(entry.fields, folded, strict=True):
        if fold in KNOWN_FIELDS[key] or (not entry.arn and fold in ARN_FIELD.values()):
            continue  # a rolearn in mapUsers (or the reverse) is already reported as the missing ARN
        close = difflib.get_close_matches(fold, KNOWN_FIELDS[key], n=1, cutoff=0.6)
        yield lint_finding(
            FindingCode.AWS_AUTH_UNKNOWN_FIELD,
            WARN,
            key,
            where.line(key, entry.field_lines.get(fold, entry.line)),
            f"{name}: field {field_name!r} is not read by the authenticator (ignored)",
            f"did you mean {close[0]!r}?"
            if close
            else f"remove it; {key} entries take {', '.join(KNOWN_FIELDS[key])}",
        )
    for fold in sorted(set(folded)):
        names = [f for f, g in zip(entry.fields, folded, strict=True) if g == fold]
        if len(names) > 1 and fold in KNOWN_FIELDS[key]:
            yield lint_finding(
                FindingCode.AWS_AUTH_DUPLICATE_FIELD,
                WARN,
                key,
                line,
                f"{name} sets {fold} {len(names)} times ({', '.join(names)}); the authenticator keeps {names[-1]!r} "
                "(keys are compared case-insensitively, the last in sorted order wins)",
                f"keep one {fold}",
            )


def _type_problems(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    key = entry.key
    for miss in entry.mismatches:
        line = where.line(key, entry.line_of_field(miss.field))
        if miss.field == "groups" and miss.item is None:
            suggestion = ", ".join(g for g in re.split(r"[\s,]+", entry.groups_text or "") if g and g != "-")
            yield lint_finding(
                FindingCode.AWS_AUTH_GROUPS_NOT_LIST,
                ERR,
                key,
                line,
                f"{name}: groups is a {miss.got}, not a list, so the entry gets no groups at all",
                f"write groups as a YAML list: groups: [{suggestion or 'GROUP'}]",
            )
            continue
        what = f"group {miss.item + 1}" if miss.item is not None else miss.field
        yield lint_finding(
            FindingCode.AWS_AUTH_NOT_A_STRING,
            ERR,
            key,
            line,
            f"{name}: {what} is a {miss.got}, not a string (YAML 1.1 reads yes/no/on/off/y/n as booleans and "
            "digits as numbers); the authenticator leaves it empty",
            "quote the value",
        )
    for group in entry.groups or ():
        if group != group.strip() or not re.search(r"\s", group) or placeholder_in(group):
            continue  # a placeholder ({{ .Values.x }}) is reported as such
        slip = " - " in group
        yield lint_finding(
            FindingCode.AWS_AUTH_GROUP_WHITESPACE,
            ERR if slip else WARN,
            key,
            where.line(key, entry.line_of_field("groups")),
            f"{name}: group {group!r} contains spaces"
            + (
                "; an indentation slip joined list items into one string, so those groups are missing"
                if slip
                else ""
            ),
            "put each `- group` on its own line, aligned under the first" if slip else "check the group name",
        )


def _arn_findings(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    key, field, arn = entry.key, ARN_FIELD[entry.key], entry.arn
    line = where.line(key, entry.line_of_field(field))
    placeholder = placeholder_in(arn)
    if placeholder is not None:
        yield lint_finding(
            FindingCode.AWS_AUTH_PLACEHOLDER,
            ERR,
            key,
            line,
            f"{name}: {field} {arn!r} still holds the placeholder {placeholder}; it never matches",
            f"replace {placeholder} with the real value (render the template before applying)",
        )
        return
    try:
        principal = parse_principal_any_case(arn)
        if arn != arn.strip():
            raise InvalidArnError("it has leading or trailing spaces")
    except InvalidArnError as err:
        wild = " aws-auth has no wildcards;" if "*" in arn else ""
        yield lint_finding(
            FindingCode.AWS_AUTH_INVALID_ARN,
            ERR,
            key,
            line,
            f"{name}: {field} {arn!r} is not a valid IAM principal ARN ({err});{wild} it never matches",
            f"use arn:aws:iam::ACCOUNT:{'role' if key == ROLES_KEY else 'user'}/NAME",
        )
        return
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        yield lint_finding(
            FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
            ERR,
            key,
            line,
            f"{name}: {field} is an STS assumed-role ARN; callers are matched by their role ARN, so it never matches",
            f"use rolearn: {principal.canonical_arn}" + (" (in mapRoles)" if key == USERS_KEY else ""),
        )
    elif principal.path_never_matches:
        sso = " (an IAM Identity Center role)" if "sso.amazonaws.com" in principal.path else ""
        yield lint_finding(
            FindingCode.AWS_AUTH_ROLE_PATH,
            ERR,
            key,
            line,
            f"{name}: role ARN has the path {principal.path}{sso}; STS drops role paths, so the authenticator "
            "compares the path-less ARN and this entry never matches",
            f"use {field}: {principal.pathless_arn}",
        )
    wrong = (key == USERS_KEY and principal.kind is PrincipalKind.ROLE) or (
        key == ROLES_KEY and principal.kind in (PrincipalKind.USER, PrincipalKind.ROOT)
    )
    if wrong:
        right, right_field = (ROLES_KEY, "rolearn") if key == USERS_KEY else (USERS_KEY, "userarn")
        yield lint_finding(
            FindingCode.AWS_AUTH_WRONG_KEY,
            WARN,
            key,
            line,
            f"{name}: {key} holds a {principal.kind.value} ARN; the authenticator compares ARNs only, so it "
            "matches, but tools that read aws-auth by key (eksctl, migration to access entries) misread it",
            f"move the entry to {right} as {right_field}",
        )


# ---------------------------------------------------------------------------------------------------------
# Duplicates and accounts


def _duplicates(report: AwsAuthReport, where: Where) -> Iterator[Finding]:
    for key in (ROLES_KEY, USERS_KEY):
        groups: dict[str, list[RawEntry]] = {}
        for entry in report.entries:
            if entry.key == key and entry.problem is None:
                groups.setdefault(entry.arn.lower(), []).append(entry)
        for same in groups.values():
            if len(same) < 2:
                continue
            last = same[-1]
            lines = where.lines(key, [e.line for e in same])
            random = key == USERS_KEY and len({e.arn for e in same}) > 1
            winner = (
                "the authenticator picks one of the spellings at random"
                if random
                else f"the authenticator keeps only the last one (line {where.line(key, last.line)}: "
                f"username {last.username or '(none)'}, groups [{', '.join(last.groups or ())}])"
            )
            yield lint_finding(
                FindingCode.AWS_AUTH_DUPLICATE,
                WARN,
                key,
                where.line(key, same[0].line),
                f"{last.arn} is mapped {len(same)} times in {key} (lines {lines}); {winner}",
                f"keep one entry per ARN: delete or merge the others (lines "
                f"{where.lines(key, [e.line for e in same[:-1]])})",
            )


def _repeated_keys(data: Mapping[str, str], report: AwsAuthReport, where: Where) -> Iterator[Finding]:
    """A key written twice in one item (two ``rolearn``s): YAML allows it and the authenticator's reader
    (sigs.k8s.io/yaml over go-yaml v2, non-strict) keeps the later value, silently; the earlier one is
    lost. The parsed entries no longer show it, so the item's YAML is read again, when a field name occurs
    more often in the text than there are items (the common case costs one regular expression)."""
    dropped = {d.key for d in report.auth.dropped}
    for key in (ROLES_KEY, USERS_KEY):
        text = data.get(key)
        items = sum(1 for e in report.entries if e.key == key)
        if text is None or key in dropped or not _may_repeat_a_key(key, text, items):
            continue
        node = first_document(text).node
        if not isinstance(node, SequenceNode):
            continue
        for index, item in enumerate(node.value):
            if isinstance(item, MappingNode):
                yield from _repeats_in_item(key, index, item, where)


def _may_repeat_a_key(key: str, text: str, items: int) -> bool:
    counts: dict[str, int] = {}
    for match in _KEY_LIKE.finditer(text):
        fold = go_fold(match[1])
        if fold in KNOWN_FIELDS[key]:
            counts[fold] = counts.get(fold, 0) + 1
    return any(count > items for count in counts.values())


def _repeats_in_item(key: str, index: int, item: MappingNode, where: Where) -> Iterator[Finding]:
    written: dict[str, list[tuple[int, Node]]] = {}
    for key_node, value_node in item.value:
        if isinstance(key_node, ScalarNode) and key_node.value != MERGE_KEY:
            written.setdefault(str(key_node.value), []).append((line_of(key_node), value_node))
    for field_name, seen in written.items():
        if len(seen) < 2 or go_fold(field_name) not in KNOWN_FIELDS[key]:
            continue
        yield _repeated_key(key, f"{key}[{index}]", field_name, seen, where)


def _repeated_key(
    key: str, name: str, field_name: str, seen: list[tuple[int, Node]], where: Where
) -> Finding:
    values = [_shown(node) for _, node in seen]
    lines = where.lines(key, [line for line, _ in seen])
    lost = [v for v in dict.fromkeys(values[:-1]) if v != values[-1]]
    arn = go_fold(field_name) == ARN_FIELD[key]
    message = (
        f"{name} sets {field_name} {len(seen)} times (lines {lines}); the authenticator keeps only the last "
        f"({values[-1]})"
    )
    if not lost:
        return lint_finding(
            FindingCode.AWS_AUTH_DUPLICATE_FIELD,
            WARN,
            key,
            where.line(key, seen[0][0]),
            f"{message}; the values are the same",
            f"keep one {field_name}",
        )
    what = "so this entry does not map " if arn else "and drops "
    fix = (
        f"give each {field_name} its own entry (`- {field_name}: ARN` with its username and groups)"
        if arn
        else f"keep one {field_name}"
    )
    return lint_finding(
        FindingCode.AWS_AUTH_DUPLICATE_FIELD,
        ERR if arn else WARN,
        key,
        where.line(key, seen[0][0]),
        f"{message}, {what}{', '.join(lost)}",
        fix,
    )


def _shown(node: Node) -> str:
    """A value as the message shows it: a scalar as written, a list of scalars as ``[a, b]``."""
    if isinstance(node, ScalarNode):
        return str(node.value) or "(empty)"
    if isinstance(node, SequenceNode):
        return "[" + ", ".join(_shown(item) for item in node.value) + "]"
    return "a mapping"


def _accounts(report: AwsAuthReport, where: Where) -> Iterator[Finding]:
    seen: set[str] = set()
    for item in report.account_items:
        line = where.line(ACCOUNTS_KEY, item.line)
        if item.problem is not None:
            yield lint_finding(
                FindingCode.AWS_AUTH_INVALID_ACCOUNT,
                ERR if item.problem != "an empty item" else WARN,
                ACCOUNTS_KEY,
                line,
                f"{ACCOUNTS_KEY}[{item.index}] is {item.problem}; the authenticator skips it",
                'list 12-digit account IDs, quoted: - "111122223333"',
            )
        elif (placeholder := placeholder_in(item.text)) is not None:
            yield lint_finding(
                FindingCode.AWS_AUTH_PLACEHOLDER,
                ERR,
                ACCOUNTS_KEY,
                line,
                f"{ACCOUNTS_KEY}[{item.index}] {item.text!r} still holds the placeholder {placeholder}; it never "
                "matches",
                f"replace {placeholder} with the 12-digit account ID, quoted",
            )
        elif not _ACCOUNT.fullmatch(item.text):
            yield lint_finding(
                FindingCode.AWS_AUTH_INVALID_ACCOUNT,
                WARN,
                ACCOUNTS_KEY,
                line,
                f"{ACCOUNTS_KEY}[{item.index}] {item.text!r} is not a 12-digit account ID; it never matches",
                'list 12-digit account IDs, quoted: - "111122223333"',
            )
        elif item.text in seen:
            yield lint_finding(
                FindingCode.AWS_AUTH_DUPLICATE,
                INFO,
                ACCOUNTS_KEY,
                line,
                f"account {item.text} is listed more than once in {ACCOUNTS_KEY} (harmless)",
                "remove the repeated item",
            )
        seen.add(item.text)
