"""Lint of what an aws-auth entry grants: its username and groups, as the authenticator renders them.

Facts (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go
``renderTemplates``, and the README's mapRoles examples): the username and each group are rendered after a
match; ``{{EC2PrivateDNSName}}`` needs a session name that is an EC2 instance id, else the login fails;
an empty username is rendered as it is; any ``{{...}}`` the authenticator does not know stays literal text.
The README recommends a prefix before the session name (``admin:{{SessionName}}``,
``aws:{{AccountID}}:instance:{{SessionName}}``): the caller still picks the session name, but can no longer
take another mapping's username.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from eksaccess.domain.awsauth.findings import Where, lint_finding
from eksaccess.domain.awsauth.go_yaml import go_fold
from eksaccess.domain.awsauth.reader import ROLES_KEY, USERS_KEY, AwsAuthReport, RawEntry
from eksaccess.domain.findings import Finding, FindingCode, Severity
from eksaccess.domain.iam.templates import (
    EC2_PRIVATE_DNS_NAME,
    KNOWN_TEMPLATES,
    SESSION_NAME,
    SESSION_NAME_RAW,
)

SESSION_TEMPLATES = (SESSION_NAME, SESSION_NAME_RAW)
NODE_USERNAME = f"system:node:{EC2_PRIVATE_DNS_NAME}"
FARGATE_USERNAME = f"system:node:{SESSION_NAME}"
NODE_GROUPS = ("system:bootstrappers", "system:nodes")
NODE_PROXIER = "system:node-proxier"
SYSTEM_MASTERS = "system:masters"
MASTERS_ROWS_SHOWN = 10  # the message names this many rows; the evidence (JSON) lists them all
ERR, WARN = Severity.ERROR, Severity.WARNING

_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
# Text a template engine or a person was meant to replace: <ACCOUNT_ID>, <system:nodes>, ${var}, $VAR,
# {{ .Values.x }} (Helm/Go templates: a dot, a $ or a function after the braces), ACCOUNT_ID, REPLACE_ME.
_PLACEHOLDERS = (
    re.compile(r"<[^<>\n]+>"),
    re.compile(r"\$\{[^}\n]*\}"),
    re.compile(r"\$[A-Z_][A-Z0-9_]*"),
    re.compile(
        r"\{\{-?\s*(?:[.$]|(?:include|template|tpl|toYaml|quote|default|required|printf|index|if|with)\b)"
        r"[^{}]*\}\}"
    ),
    re.compile(
        r"(?<![A-Za-z0-9])(?:AWS_)?ACCOUNT_?ID(?![A-Za-z0-9])|(?<![A-Za-z])(?:REPLACE_?ME|CHANGE_?ME)"
    ),
)
# The README's pattern: a prefix (itself free of the session name), a colon, then the session name.
_PREFIXED_SESSION = re.compile(r"(?P<prefix>.*\S.*):\{\{SessionName(?:Raw)?\}\}")
# Names of roles people, SSO and CI systems assume (never EC2 instances), and of node roles.
_NOT_A_NODE = re.compile(
    r"AWSReservedSSO_|(?:^|[-_.])sso(?:$|[-_.])|codebuild|github|gitlab|jenkins|circleci|buildkite|bitbucket|atlantis|terraform"
    r"|pipeline|deploy|(?:^|[-_.])ci(?:$|[-_.])",
    re.IGNORECASE,
)
_NODE_LIKE = re.compile(r"node|worker|instance|karpenter|nodegroup", re.IGNORECASE)
_FARGATE = re.compile(r"FargatePodExecution|Fargate", re.IGNORECASE)


def placeholder_in(text: str) -> str | None:
    """The first placeholder left in ``text``, or None."""
    found = [m for p in _PLACEHOLDERS for m in p.finditer(text)]
    return min(found, key=lambda m: m.start())[0] if found else None


def role_name(arn: str) -> str:
    """The role's name (after the last ``/``) of a role ARN; "" for anything else."""
    return arn.rsplit("/", 1)[-1] if ":role/" in arn.lower() else ""


def is_prefixed_session_name(username: str) -> bool:
    """``prefix:{{SessionName}}`` as the authenticator's README writes it (the prefix free of it)."""
    match = _PREFIXED_SESSION.fullmatch(username)
    return match is not None and not any(t in match["prefix"] for t in SESSION_TEMPLATES)


def grant_findings(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    """Everything about what one loaded entry grants, system:masters aside (reported once per map)."""
    yield from _templates(entry, name, where)
    yield from _placeholders(entry, name, where)
    yield from _session_name(entry, name, where)
    yield from _empty_username(entry, name, where)
    yield from _node_identity(entry, name, where)


def _templates(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    for field_name, value in _values(entry):
        for template in _TEMPLATE.findall(value):
            if template in KNOWN_TEMPLATES or placeholder_in(template):
                continue
            yield lint_finding(
                FindingCode.AWS_AUTH_UNKNOWN_TEMPLATE,
                WARN,
                entry.key,
                where.line(entry.key, entry.line_of_field(field_name)),
                f"{name}: {field_name} uses {template}, which the authenticator does not know; it stays literal text",
                f"use one of {', '.join(KNOWN_TEMPLATES)}",
            )


def _values(entry: RawEntry) -> list[tuple[str, str]]:
    return [("username", entry.username)] + [("groups", g) for g in entry.groups or ()]


def _placeholders(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    for field_name, value in _values(entry):
        text = placeholder_in(value)
        if text is None:
            continue
        what = f"group {value!r}" if field_name == "groups" else f"username {value!r}"
        effect = (
            "no RBAC binding names it, so the entry gets none of the access meant"
            if field_name == "groups"
            else "the authenticator takes it literally"
        )
        yield lint_finding(
            FindingCode.AWS_AUTH_PLACEHOLDER,
            ERR,
            entry.key,
            where.line(entry.key, entry.line_of_field(field_name)),
            f"{name}: {what} still holds the placeholder {text}; {effect}",
            f"replace {text} with the real value (render the template before applying)",
        )


def _session_name(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    groups = entry.groups or ()
    in_groups = any(t in g for g in groups for t in SESSION_TEMPLATES)
    in_name = (
        any(t in entry.username for t in SESSION_TEMPLATES)
        and not entry.username.startswith("system:node:")
        and not is_prefixed_session_name(entry.username)
    )
    if entry.key != ROLES_KEY or not (in_name or in_groups):
        return
    part = "groups" if in_groups else "username"
    yield lint_finding(
        FindingCode.AWS_AUTH_SESSION_NAME_TEMPLATE,
        WARN,
        entry.key,
        where.line(entry.key, entry.line_of_field(part)),
        f"{name}: {part} uses the session name; whoever may call sts:AssumeRole on this role chooses the session "
        "name, and so their Kubernetes "
        + ("groups" if in_groups else "username, any other mapping's included"),
        "make sure only EC2 or your identity provider can assume the role (trust policy), and give the username "
        "a prefix no other mapping uses (e.g. sso:{{SessionName}})",
    )


def _empty_username(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    written = any(go_fold(f) == "username" for f in entry.fields)
    mismatched = any(m.field == "username" for m in entry.mismatches)
    if not written or entry.username or mismatched:
        return
    yield lint_finding(
        FindingCode.AWS_AUTH_EMPTY_USERNAME,
        ERR,
        entry.key,
        where.line(entry.key, entry.line_of_field("username")),
        f'{name}: username is empty; the authenticator answers with username "": RBAC cannot bind it, and '
        "requests proxied to aggregated APIs (kubectl top, metrics.k8s.io) fail with 401 Unauthorized",
        "give a username (a fixed name, or a prefix with the session name: devs:{{SessionName}})",
    )


def _node_identity(entry: RawEntry, name: str, where: Where) -> Iterator[Finding]:
    key, groups, role = entry.key, entry.groups or (), role_name(entry.arn)
    fargate = key == ROLES_KEY and (NODE_PROXIER in groups or bool(_FARGATE.search(role)))
    if fargate and entry.username == NODE_USERNAME:
        yield lint_finding(
            FindingCode.AWS_AUTH_FARGATE_EC2_USERNAME,
            ERR,
            key,
            where.line(key, entry.line_of_field("username")),
            f"{name}: the Fargate pod execution role {role or entry.arn} is mapped as an EC2 node "
            f"({NODE_USERNAME}); Fargate's session name is no instance id, so every Fargate node's login fails "
            "and its pods stay Pending",
            f"username: {FARGATE_USERNAME}, groups: [{', '.join((*NODE_GROUPS, NODE_PROXIER))}]",
        )
        return
    if any(EC2_PRIVATE_DNS_NAME in value for _, value in _values(entry)) and _not_a_node(entry, role):
        who = (
            "an IAM user has no session name"
            if key == USERS_KEY
            else f"{role or 'this role'} is not a node role"
        )
        yield lint_finding(
            FindingCode.AWS_AUTH_EC2_NAME_NOT_NODE,
            ERR,
            key,
            where.line(key, entry.line_of_field("username")),
            f"{name}: uses {EC2_PRIVATE_DNS_NAME} but {who}; the authenticator resolves it only for a session "
            "name that is an EC2 instance id, so every login fails (SessionName did not contain an instance id)",
            "give it its own username, e.g. ci:{{SessionName}} or the role's name; keep "
            f"{NODE_USERNAME} for node instance roles",
        )
        return
    missing = [g for g in NODE_GROUPS if g not in groups]
    if key == ROLES_KEY and entry.username == NODE_USERNAME and missing:
        yield lint_finding(
            FindingCode.AWS_AUTH_NODE_ROLE_GROUPS,
            ERR,
            key,
            where.line(key, entry.line_of_field("groups")),
            f"{name}: node role entry lacks {', '.join(missing)}; nodes using this role cannot join the cluster",
            "groups: [system:bootstrappers, system:nodes]",
        )


def _not_a_node(entry: RawEntry, role: str) -> bool:
    """A mapping {{EC2PrivateDNSName}} cannot serve: a user, or a role not named as node roles are that has
    no node group or is named as people's, SSO's or CI's roles are."""
    if entry.key == USERS_KEY:
        return True
    if _NODE_LIKE.search(role):
        return False
    if not any(g in (entry.groups or ()) for g in NODE_GROUPS):
        return True
    return bool(_NOT_A_NODE.search(role))


def system_masters(report: AwsAuthReport, where: Where, severity: Severity) -> Iterator[Finding]:
    """One finding per map (mapRoles, mapUsers) whose loaded entries grant system:masters, with the rows."""
    for key in (ROLES_KEY, USERS_KEY):
        rows = [
            e
            for e in report.entries
            if e.key == key and e.problem is None and SYSTEM_MASTERS in (e.groups or ())
        ]
        if not rows:
            continue
        lines = [where.line(key, e.line_of_field("groups")) for e in rows]
        shown = [f"{key}[{e.index}] {e.arn} (line {n})" for e, n in zip(rows, lines, strict=True)]
        more = len(shown) - MASTERS_ROWS_SHOWN
        listed = ", ".join(shown[:MASTERS_ROWS_SHOWN]) + (f", and {more} more" if more > 0 else "")
        noun = "1 entry grants" if len(rows) == 1 else f"{len(rows)} entries grant"
        yield lint_finding(
            FindingCode.AWS_AUTH_SYSTEM_MASTERS,
            severity,
            key,
            lines[0],
            f"{key}: {noun} system:masters, unrestricted cluster-admin that RBAC cannot limit (and access "
            f"entries refuse this group): {listed}",
            "grant AmazonEKSClusterAdminPolicy through an access entry, or bind a narrower ClusterRole to a custom group",
            evidence={
                "count": len(rows),
                "rows": [
                    {"index": e.index, "line": n, "arn": e.arn} for e, n in zip(rows, lines, strict=True)
                ],
            },
        )
