"""Lint the aws-auth ConfigMap: what the authenticator silently drops, ignores, or grants too widely.

Every finding rests on awsauth.inspect_aws_auth, the authenticator's real parsing
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go), and on the canonical-ARN rules (pkg/arn/arn.go). Lines are within the key's YAML, or within the manifest when
the caller passes ``line_offsets`` (awsauth.split_manifest_lines).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from eksaccess.domain.awsauth.findings import LINT
from eksaccess.domain.awsauth.go_yaml import first_document, go_fold, line_of
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
)
from eksaccess.domain.findings import Finding, FindingCode, FixStep, Severity
from eksaccess.domain.iam.principal import (
    InvalidArnError,
    PrincipalKind,
    parse_principal_any_case,
)

KNOWN_TEMPLATES = (
    "{{AccountID}}",
    "{{SessionName}}",
    "{{SessionNameRaw}}",
    "{{AccessKeyID}}",
    "{{EC2PrivateDNSName}}",
)
SESSION_TEMPLATES = ("{{SessionName}}", "{{SessionNameRaw}}")
NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"
NODE_GROUPS = ("system:bootstrappers", "system:nodes")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_ENTRY_HINT = re.compile(r"(?im)^[ \t-]*(?:rolearn|userarn|sso)[ \t]*:")
_ITEM_HINT = re.compile(r"(?m)^[ \t]*-")
_ACCOUNT = re.compile(r"\d{12}")
_KEY_LIKE = re.compile(r"""(?:^|[\s{,])["']?([A-Za-z_]+)["']?[ \t]*:""", re.MULTILINE)
MERGE_KEY = "<<"
ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True, kw_only=True, slots=True)
class _Where:
    offsets: Mapping[str, int]

    def line(self, key: str, line: int | None) -> int | None:
        if line is None:
            return None
        return line + self.offsets[key] if key in self.offsets else line

    def lines(self, key: str, lines: list[int | None]) -> str:
        return ", ".join(str(self.line(key, n)) for n in lines)


def lint_aws_auth(
    data: Mapping[str, str], *, line_offsets: Mapping[str, int] | None = None
) -> tuple[Finding, ...]:
    """All findings for a ConfigMap's data, ordered by key and line."""
    report = inspect_aws_auth(data)
    where = _Where(offsets=line_offsets or {})
    findings = [*_key_findings(data, report, where)]
    for entry in report.entries:
        findings.extend(_entry_findings(entry, where))
    findings.extend(_duplicates(report, where))
    findings.extend(_repeated_keys(data, report, where))
    findings.extend(_accounts(report, where))
    order = {key: i for i, key in enumerate(data)}
    return tuple(sorted(findings, key=lambda f: (order.get(f.key or "", -1), f.line or 0)))


def _finding(
    code: FindingCode, severity: Severity, key: str, line: int | None, message: str, fix: str
) -> Finding:
    return LINT.finding(code, severity=severity, key=key, line=line, detail=message, fix=(FixStep(text=fix),))


def lint_json(finding: Finding) -> dict[str, Any]:
    """A finding as ``lint aws-auth -o json`` prints it."""
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "line": finding.line,
        "key": finding.key,
        "message": finding.detail,
        "fix": finding.advice,
    }


# ---------------------------------------------------------------------------------------------------------
# Keys


def _key_findings(data: Mapping[str, str], report: AwsAuthReport, where: _Where) -> Iterator[Finding]:
    for dropped in report.auth.dropped:
        text = data.get(dropped.key, "")
        yield _finding(
            FindingCode.AWS_AUTH_MALFORMED,
            ERR,
            dropped.key,
            where.line(dropped.key, dropped.line),
            f"{dropped.key} does not parse ({dropped.error}); the authenticator drops the whole key: "
            f"{_what_is_lost(dropped.key, text)} (the other keys still load)",
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
            yield _finding(
                FindingCode.AWS_AUTH_UNKNOWN_KEY,
                INFO,
                key,
                line,
                f"data key {key!r} is not read by the authenticator (it reads mapRoles, mapUsers, mapAccounts)",
                "remove it, unless it is there on purpose",
            )
            continue
        merge = f" and merge its entries into the existing {right}" if right in data else ""
        yield _finding(
            FindingCode.AWS_AUTH_KEY_CASE,
            ERR,
            key,
            line,
            f"data key {key!r} is ignored: the authenticator reads only {right!r} (keys are case-sensitive), "
            "so nothing in it is mapped, silently",
            f"rename {key} to {right}{merge}",
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


def _entry_findings(entry: RawEntry, where: _Where) -> Iterator[Finding]:
    key, name = entry.key, f"{entry.key}[{entry.index}]"
    line = where.line(key, entry.line)
    if entry.kind != "object":
        yield _finding(
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
        yield from _grant_findings(entry, name, where)


def _entry_shape(entry: RawEntry, name: str, where: _Where) -> Iterator[Finding]:
    key, arn_field, line = entry.key, ARN_FIELD[entry.key], where.line(entry.key, entry.line)
    folded = [go_fold(f) for f in entry.fields]
    if entry.has_sso:
        yield _finding(
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
        yield _finding(
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
        yield _finding(
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
            yield _finding(
                FindingCode.AWS_AUTH_DUPLICATE_FIELD,
                WARN,
                key,
                line,
                f"{name} sets {fold} {len(names)} times ({', '.join(names)}); the authenticator keeps {names[-1]!r} "
                "(keys are compared case-insensitively, the last in sorted order wins)",
                f"keep one {fold}",
            )


def _type_problems(entry: RawEntry, name: str, where: _Where) -> Iterator[Finding]:
    key = entry.key
    for miss in entry.mismatches:
        line = where.line(key, entry.line_of_field(miss.field))
        if miss.field == "groups" and miss.item is None:
            suggestion = ", ".join(g for g in re.split(r"[\s,]+", entry.groups_text or "") if g and g != "-")
            yield _finding(
                FindingCode.AWS_AUTH_GROUPS_NOT_LIST,
                ERR,
                key,
                line,
                f"{name}: groups is a {miss.got}, not a list, so the entry gets no groups at all",
                f"write groups as a YAML list: groups: [{suggestion or 'GROUP'}]",
            )
            continue
        what = f"group {miss.item + 1}" if miss.item is not None else miss.field
        yield _finding(
            FindingCode.AWS_AUTH_NOT_A_STRING,
            ERR,
            key,
            line,
            f"{name}: {what} is a {miss.got}, not a string (YAML 1.1 reads yes/no/on/off/y/n as booleans and "
            "digits as numbers); the authenticator leaves it empty",
            "quote the value",
        )
    for group in entry.groups or ():
        if group != group.strip() or not re.search(r"\s", group):
            continue
        slip = " - " in group
        yield _finding(
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


def _arn_findings(entry: RawEntry, name: str, where: _Where) -> Iterator[Finding]:
    key, field, arn = entry.key, ARN_FIELD[entry.key], entry.arn
    line = where.line(key, entry.line_of_field(field))
    try:
        principal = parse_principal_any_case(arn)
        if arn != arn.strip():
            raise InvalidArnError("it has leading or trailing spaces")
    except InvalidArnError as err:
        wild = " aws-auth has no wildcards;" if "*" in arn else ""
        yield _finding(
            FindingCode.AWS_AUTH_INVALID_ARN,
            ERR,
            key,
            line,
            f"{name}: {field} {arn!r} is not a valid IAM principal ARN ({err});{wild} it never matches",
            f"use arn:aws:iam::ACCOUNT:{'role' if key == ROLES_KEY else 'user'}/NAME",
        )
        return
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        yield _finding(
            FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN,
            ERR,
            key,
            line,
            f"{name}: {field} is an STS assumed-role ARN; callers are matched by their role ARN, so it never matches",
            f"use rolearn: {principal.canonical_arn}" + (" (in mapRoles)" if key == USERS_KEY else ""),
        )
    elif principal.path_never_matches:
        sso = " (an IAM Identity Center role)" if "sso.amazonaws.com" in principal.path else ""
        yield _finding(
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
        yield _finding(
            FindingCode.AWS_AUTH_WRONG_KEY,
            WARN,
            key,
            line,
            f"{name}: {key} holds a {principal.kind.value} ARN; the authenticator compares ARNs only, so it "
            "matches, but tools that read aws-auth by key (eksctl, migration to access entries) misread it",
            f"move the entry to {right} as {right_field}",
        )


def _grant_findings(entry: RawEntry, name: str, where: _Where) -> Iterator[Finding]:
    key, groups = entry.key, entry.groups or ()
    for field_name, value in [("username", entry.username)] + [("groups", g) for g in groups]:
        for template in _TEMPLATE.findall(value):
            if template not in KNOWN_TEMPLATES:
                yield _finding(
                    FindingCode.AWS_AUTH_UNKNOWN_TEMPLATE,
                    WARN,
                    key,
                    where.line(key, entry.line_of_field(field_name)),
                    f"{name}: {field_name} uses {template}, which the authenticator does not know; it stays literal text",
                    f"use one of {', '.join(KNOWN_TEMPLATES)}",
                )
    session_in_groups = any(t in g for g in groups for t in SESSION_TEMPLATES)
    session_in_name = any(t in entry.username for t in SESSION_TEMPLATES) and not entry.username.startswith(
        "system:node:"
    )
    if key == ROLES_KEY and (session_in_name or session_in_groups):
        part = "groups" if session_in_groups else "username"
        yield _finding(
            FindingCode.AWS_AUTH_SESSION_NAME_TEMPLATE,
            WARN,
            key,
            where.line(key, entry.line_of_field(part)),
            f"{name}: {part} uses the session name; whoever may call sts:AssumeRole on this role chooses the session "
            "name, and so their Kubernetes " + ("groups" if session_in_groups else "username"),
            "make sure only EC2 or your identity provider can assume the role (trust policy), and give the username "
            "a prefix no other mapping uses (e.g. sso:{{SessionName}})",
        )
    if "system:masters" in groups:
        yield _finding(
            FindingCode.AWS_AUTH_SYSTEM_MASTERS,
            WARN,
            key,
            where.line(key, entry.line_of_field("groups")),
            f"{name}: system:masters grants unrestricted cluster-admin that RBAC cannot limit "
            "(and access entries refuse this group)",
            "grant AmazonEKSClusterAdminPolicy through an access entry, or bind a narrower ClusterRole to a custom group",
        )
    missing = [g for g in NODE_GROUPS if g not in groups]
    if key == ROLES_KEY and entry.username == NODE_USERNAME and missing:
        yield _finding(
            FindingCode.AWS_AUTH_NODE_ROLE_GROUPS,
            ERR,
            key,
            where.line(key, entry.line_of_field("groups")),
            f"{name}: node role entry lacks {', '.join(missing)}; nodes using this role cannot join the cluster",
            "groups: [system:bootstrappers, system:nodes]",
        )


# ---------------------------------------------------------------------------------------------------------
# Duplicates and accounts


def _duplicates(report: AwsAuthReport, where: _Where) -> Iterator[Finding]:
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
            yield _finding(
                FindingCode.AWS_AUTH_DUPLICATE,
                WARN,
                key,
                where.line(key, same[0].line),
                f"{last.arn} is mapped {len(same)} times in {key} (lines {lines}); {winner}",
                f"keep one entry per ARN: delete or merge the others (lines "
                f"{where.lines(key, [e.line for e in same[:-1]])})",
            )


def _repeated_keys(data: Mapping[str, str], report: AwsAuthReport, where: _Where) -> Iterator[Finding]:
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


def _repeats_in_item(key: str, index: int, item: MappingNode, where: _Where) -> Iterator[Finding]:
    written: dict[str, list[tuple[int, Node]]] = {}
    for key_node, value_node in item.value:
        if isinstance(key_node, ScalarNode) and key_node.value != MERGE_KEY:
            written.setdefault(str(key_node.value), []).append((line_of(key_node), value_node))
    for field_name, seen in written.items():
        if len(seen) < 2 or go_fold(field_name) not in KNOWN_FIELDS[key]:
            continue
        yield _repeated_key(key, f"{key}[{index}]", field_name, seen, where)


def _repeated_key(
    key: str, name: str, field_name: str, seen: list[tuple[int, Node]], where: _Where
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
        return _finding(
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
    return _finding(
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


def _accounts(report: AwsAuthReport, where: _Where) -> Iterator[Finding]:
    seen: set[str] = set()
    for item in report.account_items:
        line = where.line(ACCOUNTS_KEY, item.line)
        if item.problem is not None:
            yield _finding(
                FindingCode.AWS_AUTH_INVALID_ACCOUNT,
                ERR if item.problem != "an empty item" else WARN,
                ACCOUNTS_KEY,
                line,
                f"{ACCOUNTS_KEY}[{item.index}] is {item.problem}; the authenticator skips it",
                'list 12-digit account IDs, quoted: - "111122223333"',
            )
        elif not _ACCOUNT.fullmatch(item.text):
            yield _finding(
                FindingCode.AWS_AUTH_INVALID_ACCOUNT,
                WARN,
                ACCOUNTS_KEY,
                line,
                f"{ACCOUNTS_KEY}[{item.index}] {item.text!r} is not a 12-digit account ID; it never matches",
                'list 12-digit account IDs, quoted: - "111122223333"',
            )
        elif item.text in seen:
            yield _finding(
                FindingCode.AWS_AUTH_DUPLICATE,
                INFO,
                ACCOUNTS_KEY,
                line,
                f"account {item.text} is listed more than once in {ACCOUNTS_KEY} (harmless)",
                "remove the repeated item",
            )
        seen.add(item.text)
