"""IAM Identity Center (SSO) permission sets: the two ways a permission set's people lose a cluster.

* ``SSO_ROLE_STALE_SUFFIX``: the caller is the role ``AWSReservedSSO_<set>_<suffix>`` and an access entry
  (or aws-auth row) maps the same set's role with another suffix. Identity Center recreates the role
  with a new suffix when the set is provisioned to the account again; the mapping names the old role,
  which no longer exists. The fix maps the current role exactly as the old one was mapped and removes the
  mapping of the old role. This check runs before ``mapping``, which then leaves out its generic "no
  mapping" finding (this one says why).
* ``SSO_SESSION_NAME_AT``: ``{{SessionName}}`` turns every ``@`` of the session name into ``-``
  (aws-iam-authenticator's ``renderTemplate``; an Identity Center session is named after the user, often
  an e-mail address), so a RoleBinding or ClusterRoleBinding naming ``alice@example.com`` never applies to
  the identity ``alice-example.com``. Found like RBAC_SUBJECT_CASE: a binding that would allow the request
  doctor checks if its subject were spelled as the identity is.
"""

from __future__ import annotations

from eksaccess.domain.access import AccessEntry, AuthenticationMode, EntryType, default_username
from eksaccess.domain.awsauth import edit as awsauth_edit
from eksaccess.domain.awsauth.reader import RoleMapping
from eksaccess.domain.findings import (
    ADMIN,
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam import sso, templates
from eksaccess.domain.iam.principal import role_arn
from eksaccess.features.doctor.checks.subject_case import add_subject_fix, denied_probe, subject_misses
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer, associate_command, aws_auth_patch, cmd
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.SSO_ROLE_STALE_SUFFIX,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The mapping names an earlier role of this permission set",
        why="IAM Identity Center recreates a permission set's role `AWSReservedSSO_<set>_<suffix>` with a new "
        "suffix when the set is provisioned to the account again; the access entry or aws-auth row still names "
        "the old role, which no longer exists.",
        fix="`eksaccess grant --permission-set SET --account A` with the old mapping's type, username, groups "
        "and policies, then `eksaccess revoke OLD_ARN --force` / `aws eks create-access-entry` + "
        "`associate-access-policy` for the current role and `delete-access-entry` for the old one (aws-auth: "
        f"`kubectl patch configmap aws-auth` rewriting the row's rolearn), {ADMIN}",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.SSO_SESSION_NAME_AT,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="A binding names the e-mail address that {{SessionName}} renders with '-'",
        why="{{SessionName}} turns every '@' of the session name into '-': a subject `alice@example.com` never "
        "matches the identity `alice-example.com` (in aws-auth, `{{SessionNameRaw}}` keeps the '@').",
        fix="`kubectl patch` of the binding adding the subject as the identity spells it (the one written "
        f"stays), {ADMIN}",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


# --- the permission set provisioned again -------------------------------------------------------------------


def _current_arn(current: sso.PermissionSetRole, old: sso.PermissionSetRole) -> str:
    """The current role's ARN for an access entry (which takes the role's path): the old entry's reserved
    path (the set's path in this account does not change), else the usual one."""
    path = old.principal.path if sso.is_reserved_path(old.principal.path) else sso.SSO_PATH
    return role_arn(current.principal.partition, current.account, current.role_name, path)


def _grant_words(writer: Writer, current: sso.PermissionSetRole, via: str) -> list[str]:
    return [
        "eksaccess",
        "grant",
        "--permission-set",
        current.permission_set,
        "--account",
        current.account,
        "--cluster",
        writer.cluster,
        "--via",
        via,
    ]


def entry_fix(
    writer: Writer, entry: AccessEntry, current: sso.PermissionSetRole, old: sso.PermissionSetRole
) -> tuple[FixStep, ...]:
    """Create the current role's entry as the old one was (type, username, groups, every policy with its
    scope), then delete the old role's entry."""
    new_arn, common = _current_arn(current, old), writer.aws_flags()
    create = [
        "aws",
        "eks",
        "create-access-entry",
        "--cluster-name",
        writer.cluster,
        "--principal-arn",
        new_arn,
    ]
    grant = _grant_words(writer, current, "access-entry")
    custom_username = entry.username if entry.username != default_username(entry) else None
    if entry.type is not EntryType.STANDARD:
        create += ["--type", entry.type.value]
        grant += ["--type", entry.type.value]
    elif not (entry.policies or entry.kubernetes_groups or custom_username):
        grant += ["--type", entry.type.value]  # an entry with nothing else: grant needs something to give
    if custom_username:
        create += ["--username", custom_username]
        grant += ["--username", custom_username]
    if entry.kubernetes_groups:
        create += ["--kubernetes-groups", *entry.kubernetes_groups]
        grant += [x for g in entry.kubernetes_groups for x in ("--group", g)]
    for assoc in entry.policies:
        grant += ["--policy", assoc.policy_arn, *[x for ns in assoc.scope.namespaces for x in ("-n", ns)]]
    revoke = [
        "eksaccess",
        "revoke",
        entry.principal_arn,
        "--cluster",
        writer.cluster,
        "--via",
        "access-entry",
    ]
    delete = ["aws", "eks", "delete-access-entry", "--cluster-name", writer.cluster]
    plain = [
        cmd(*create, *common),
        *(
            associate_command(writer.cluster, new_arn, a.policy_arn, a.scope.namespaces, common)
            for a in entry.policies
        ),
        cmd(*delete, "--principal-arn", entry.principal_arn, *common),
    ]
    return (
        FixStep(
            text=f"As {writer.who}, give the permission set's current role {new_arn} the access entry the old "
            f"role had (type, username, groups and every policy with its scope), then delete the entry of "
            f"{entry.principal_arn}, which names a role that no longer exists.",
            eksaccess=(cmd(*grant, *common), cmd(*revoke, "--force", *common)),
            plain=tuple(plain),
        ),
    )


def row_fix(facts: Facts, row: RoleMapping, current: sso.PermissionSetRole) -> tuple[FixStep, ...]:
    """Point the aws-auth row at the current role (path-less, as aws-auth needs), username and groups kept."""
    writer, common = writer_of(facts), writer_of(facts).aws_flags()
    new_arn = current.principal.pathless_arn
    grant = _grant_words(writer, current, "aws-auth")
    grant += ["--username", row.username] if row.username else []
    grant += [x for g in row.groups for x in ("--group", g)]
    if not (row.username or row.groups):
        grant += ["--type", "STANDARD"]
    revoke = ["eksaccess", "revoke", row.rolearn, "--cluster", writer.cluster, "--via", "aws-auth", "--force"]
    read = facts.aws_auth.value
    plain: tuple[str, ...] = ()
    if read is not None:
        data = dict(read.data or {})
        edited = awsauth_edit.rewrite_role_arn(data, row.rolearn, new_arn)
        patch: dict[str, str | None] = {k: v for k, v in edited.items() if data.get(k) != v}
        plain = (aws_auth_patch(writer, patch, read.resource_version),)
    return (
        FixStep(
            text=f"As {writer.who}, point the aws-auth row at the permission set's current role: rolearn "
            f"{row.rolearn} -> {new_arn} (username and groups kept); the write is refused if aws-auth changed "
            "since doctor read it.",
            eksaccess=(cmd(*grant, *common), cmd(*revoke, *common)),
            plain=plain,
        ),
    )


def stale_suffix(ctx: Context) -> list[Finding]:
    resolution = ctx.resolution
    if resolution is None or not ctx.read or resolution.authenticated or ctx.live_identity is not None:
        return []
    current = sso.permission_set_role(resolution.principal_arn)
    if current is None or ctx.mode is None:
        return []
    found: list[Finding] = []
    if ctx.mode.uses_access_entries:
        entries = {e.principal_arn: e for e in ctx.entries or []}
        for arn, old in sso.stale_of(current.principal, entries):
            found.append(
                _stale(
                    current,
                    old,
                    "access entry",
                    arn,
                    entry_fix(writer_of(ctx.facts), entries[arn], current, old),
                )
            )
    if ctx.mode is not AuthenticationMode.API and ctx.aws_auth is not None:
        rows = {r.rolearn: r for r in ctx.aws_auth.roles}
        for arn, old in sso.stale_of(current.principal, rows):
            found.append(
                _stale(current, old, "aws-auth mapRoles row", arn, row_fix(ctx.facts, rows[arn], current))
            )
    return found


def _stale(
    current: sso.PermissionSetRole, old: sso.PermissionSetRole, where: str, arn: str, fix: tuple[FixStep, ...]
) -> Finding:
    return finding(
        FindingCode.SSO_ROLE_STALE_SUFFIX,
        detail=f"The {where} for {arn} names {old.role_name}, an earlier role of the IAM Identity Center "
        f"permission set {current.permission_set} (account {current.account}); the set's role is now "
        f"{current.role_name}: the set was provisioned to the account again, which recreates its role with a "
        "new suffix.",
        subject=current.principal.arn,
        evidence={
            "permissionSet": current.permission_set,
            "account": current.account,
            "mapped": arn,
            "mappedSuffix": old.suffix,
            "currentRole": current.role_name,
            "currentSuffix": current.suffix,
        },
        fix=fix,
    )


# --- {{SessionName}} and the e-mail address ---------------------------------------------------------------


def session_name_at(ctx: Context) -> list[Finding]:
    request = denied_probe(ctx)
    identity, resolution, authorizer, facts = ctx.identity, ctx.resolution, ctx.authorizer, ctx.facts
    if request is None or identity is None or resolution is None or authorizer is None:
        return []
    found = sso.permission_set_role(resolution.principal_arn)
    whose = f" of the IAM Identity Center permission set {found.permission_set}" if found else ""
    return [
        finding(
            FindingCode.SSO_SESSION_NAME_AT,
            detail=f"The {miss.where} names the {miss.kind} {miss.written!r}; the identity is {miss.wanted!r}: "
            f"the session{whose} is named {resolution.session_name or miss.written!r} and {{{{SessionName}}}} "
            "turns '@' into '-', so the binding never applies.",
            subject=resolution.principal_arn,
            evidence={
                "binding": miss.binding.name,
                "namespace": miss.binding.namespace,
                "kind": miss.kind,
                "written": miss.written,
                "identity": miss.wanted,
                "permissionSet": found.permission_set if found else None,
            },
            fix=(
                add_subject_fix(
                    facts,
                    miss,
                    ": {{SessionName}} renders the session name with '-' for '@', so "
                    f"{miss.written!r} never matches (it stays: remove it once nothing else uses it).",
                ),
            ),
        )
        for miss in subject_misses(
            facts.rbac.value, authorizer, identity, request, templates.at_sign_near_miss
        )
    ]


def check(ctx: Context) -> list[Finding]:
    """Runs before ``mapping``: a stale suffix is the cause its "no mapping" finding would only restate."""
    if ctx.errors():
        return []
    return stale_suffix(ctx) + session_name_at(ctx)
