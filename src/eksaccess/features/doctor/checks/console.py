"""doctor --console: why the EKS console says "Your current IAM principal doesn't have access to Kubernetes
objects on this cluster" (domain/console.py holds what the console needs, with AWS's sources).

The console calls EKS and the Kubernetes API as the IAM principal signed in to it, so three links matter:
its IAM actions (iam:SimulatePrincipalPolicy decides), its mapping (the same identity resolution as kubectl's
path) and its reads (the same authorizer: access policies united with RBAC, or the cluster's own
SelfSubjectAccessReview). This module declares the codes and builds their findings and fixes; the walk is
``features/doctor/console``. Its ``check`` adds nothing to kubectl's walk: the console is asked for with
``doctor --console``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.awsauth import edit as awsauth_edit
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.console import (
    ADMIN_VIEW_POLICY,
    ADMIN_VIEW_SHORT,
    CONSOLE_PAGE,
    IAM_POLICY_NAME,
    IamDecision,
    ReadRequest,
    console_manifests,
    iam_policy_text,
)
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
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import (
    Writer,
    apply_manifests,
    aws_auth_patch,
    cmd,
    grant_access_entry_fix,
    opt,
)
from eksaccess.features.manage.translate import default_aws_auth_username

SSO_PATH = "/aws-reserved/sso.amazonaws.com/"

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.CONSOLE_IAM_ACTION_MISSING,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="The IAM principal lacks IAM actions the EKS console needs",
        why="The console calls EKS as the signed-in principal and shows Kubernetes objects only with "
        "eks:AccessKubernetesApi; iam:SimulatePrincipalPolicy says these actions are denied (doctor --console).",
        fix="the identity-policy statement allowing the missing actions, added with `aws iam put-role-policy` "
        "/ `put-user-policy` by an IAM administrator (a Deny statement must be removed instead; an IAM "
        "Identity Center role takes it in its permission set)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CONSOLE_IAM_UNCHECKED,
        link=Link.CREDENTIALS,
        severity=Severity.WARNING,
        title="The console's IAM actions could not be checked",
        why="iam:SimulatePrincipalPolicy was refused or failed (the caller needs that action on the "
        "principal; --admin-profile asks as the administrator), so doctor --console cannot say whether "
        "eks:AccessKubernetesApi and the rest are allowed.",
        fix="none printed: run doctor --console with --admin-profile, or ask an IAM administrator to run "
        "`aws iam simulate-principal-policy` for the principal",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CONSOLE_NOT_MAPPED,
        link=Link.MAPPING,
        severity=Severity.ERROR,
        title="The console's IAM principal is not mapped to the cluster",
        why="The console calls the Kubernetes API as the signed-in IAM principal (often an SSO permission-set "
        "role); without an access entry or an aws-auth row the cluster refuses it (doctor --console).",
        fix=f"an access entry with AmazonEKSAdminViewPolicy (`eksaccess grant ARN --policy admin-view` / `aws eks "
        "create-access-entry` + `associate-access-policy`), or in CONFIG_MAP AWS's console ClusterRole and binding "
        f"(`kubectl apply`) and an aws-auth row with its group; with -n, the restricted form for those namespaces, {ADMIN}",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CONSOLE_CANNOT_LIST,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The console's IAM principal cannot list what the console shows",
        why="The console lists nodes and namespaces cluster-wide and workloads and services in the namespaces "
        "shown; a namespace-scoped access policy or AmazonEKSViewPolicy never covers nodes (doctor --console).",
        fix="AmazonEKSAdminViewPolicy cluster-wide for an access entry (`eksaccess grant ARN --policy "
        "admin-view` / `aws eks associate-access-policy`), else AWS's console ClusterRole and binding "
        "(`kubectl apply`) with its group on the entry or aws-auth row; with -n, AWS's restricted form for "
        f"those namespaces, {ADMIN}",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    """kubectl's walk does not ask about the console (``doctor --console`` does)."""
    return []


# --- IAM ------------------------------------------------------------------------------------------------------


def iam_findings(
    *,
    source_arn: str,
    decisions: Mapping[str, IamDecision],
    writer: Writer,
) -> list[Finding]:
    """The console's actions IAM denies the principal, and the statement (or the Deny to remove) that fixes it."""
    denied = [a for a, d in decisions.items() if d is not IamDecision.ALLOWED]
    if not denied:
        return []
    explicit = [a for a in denied if decisions[a] is IamDecision.EXPLICIT_DENY]
    implicit = [a for a in denied if a not in explicit]
    detail = f"iam:SimulatePrincipalPolicy for {source_arn} denies {', '.join(denied)}"
    if "eks:AccessKubernetesApi" in denied:
        detail += " (without eks:AccessKubernetesApi the console shows no Kubernetes object at all)"
    if explicit:
        detail += f"; {', '.join(explicit)} by an explicit Deny, which no added Allow overrides"
    return [
        finding(
            FindingCode.CONSOLE_IAM_ACTION_MISSING,
            detail=detail + ".",
            subject=source_arn,
            evidence={
                "principal": source_arn,
                "denied": {a: decisions[a].value for a in denied},
                "source": CONSOLE_PAGE,
            },
            fix=iam_fix(source_arn, implicit, explicit, writer),
        )
    ]


def iam_fix(
    source_arn: str, implicit: Sequence[str], explicit: Sequence[str], writer: Writer
) -> tuple[FixStep, ...]:
    principal = parse_principal(source_arn)
    kind = "role" if principal.kind is PrincipalKind.ROLE else "user"
    who = f"an IAM administrator (profile {writer.profile})" if writer.profile else "an IAM administrator"
    steps: list[FixStep] = []
    if implicit and principal.path.startswith(SSO_PATH):
        steps.append(
            FixStep(
                text=f"{principal.name} is an IAM Identity Center role, which IAM does not let anyone edit: add this "
                f"statement to its permission set's inline policy (aws sso-admin put-inline-policy-to-permission-set, "
                f"then provision it): {iam_policy_text(implicit)}"
            )
        )
    elif implicit:
        steps.append(
            FixStep(
                text=f"As {who}, allow the console's missing actions to the {kind} {principal.name} (an inline "
                f"policy {IAM_POLICY_NAME}).",
                plain=(
                    cmd(
                        "aws",
                        "iam",
                        f"put-{kind}-policy",
                        f"--{kind}-name",
                        principal.name,
                        "--policy-name",
                        IAM_POLICY_NAME,
                        "--policy-document",
                        iam_policy_text(implicit),
                        *opt("--profile", writer.profile),
                    ),
                ),
            )
        )
    if explicit:
        steps.append(
            FixStep(
                text=f"As {who}, remove {', '.join(explicit)} from the Deny statement that names it in the policies "
                f"of the {kind} {principal.name} (or a permissions boundary or SCP above it)."
            )
        )
    return tuple(steps)


def iam_unchecked(source_arn: str | None, why: str) -> Finding:
    return finding(
        FindingCode.CONSOLE_IAM_UNCHECKED,
        detail=f"iam:SimulatePrincipalPolicy for {source_arn or 'the principal'} could not be asked: {why}",
        subject=source_arn or "",
        evidence={"principal": source_arn, "why": why},
    )


# --- mapping and reads --------------------------------------------------------------------------------------


def not_mapped(
    *,
    principal_arn: str,
    mode: AuthenticationMode | None,
    fix: tuple[FixStep, ...],
    evidence: Mapping[str, object],
) -> Finding:
    where = f"in mode {mode.value} " if mode else ""
    return finding(
        FindingCode.CONSOLE_NOT_MAPPED,
        detail=f"The cluster {where}maps no access entry or aws-auth row to {principal_arn}, so the console, "
        "calling the Kubernetes API as it, shows \"Your current IAM principal doesn't have access to Kubernetes "
        'objects on this cluster."',
        subject=principal_arn,
        evidence=dict(evidence),
        fix=fix,
    )


def cannot_list(
    *, principal_arn: str, username: str, denied: Sequence[ReadRequest], how: str, fix: tuple[FixStep, ...]
) -> Finding:
    shown = "; ".join(r.describe() for r in denied)
    who = principal_arn if username == principal_arn else f"{principal_arn} (Kubernetes user {username})"
    panes = sorted({r.read.pane for r in denied})
    return finding(
        FindingCode.CONSOLE_CANNOT_LIST,
        detail=f"{who} cannot {shown} ({how}): the console shows those panes empty "
        f'("... or you don\'t have permission to view them").',
        subject=principal_arn,
        evidence={
            "denied": [
                {"verb": "list", "resource": r.read.name, "namespace": r.namespace or None} for r in denied
            ],
            "panes": panes,
            "decidedBy": how,
        },
        fix=fix,
    )


def console_access_fix(
    *,
    writer: Writer,
    principal_arn: str,
    mode: AuthenticationMode | None,
    entry: AccessEntry | None,
    via_aws_auth: bool,
    namespaces: Sequence[str],
    aws_auth_data: Mapping[str, str] | None,
    resource_version: str | None,
) -> tuple[FixStep, ...]:
    """What gives the principal the console's reads: AmazonEKSAdminViewPolicy cluster-wide on its access entry;
    AWS's console RBAC (full, or restricted to ``namespaces``) with its group on the entry, or on an aws-auth
    row where aws-auth maps it (CONFIG_MAP, or a row in API_AND_CONFIG_MAP that an entry would override)."""
    arn = _iam_arn(principal_arn)
    if not via_aws_auth and not namespaces:
        return grant_access_entry_fix(
            writer=writer,
            principal_arn=arn,
            policy=ADMIN_VIEW_POLICY,
            short=ADMIN_VIEW_SHORT,
            create_entry=entry is None,
        )
    rbac = console_manifests(namespaces)
    where = (
        f"in {', '.join(namespaces)} (nodes and namespaces cluster-wide)" if namespaces else "cluster-wide"
    )
    steps = [
        FixStep(
            text=f"As {writer.who}, apply AWS's console ClusterRole and binding {where} "
            f"(eks-console-{'restricted' if namespaces else 'full'}-access.yaml): they grant the group {rbac.group}.",
            plain=(apply_manifests(writer, rbac.manifests),),
        )
    ]
    if via_aws_auth or (mode is AuthenticationMode.CONFIG_MAP):
        steps.append(_aws_auth_group(writer, arn, rbac.group, aws_auth_data, resource_version))
    else:
        steps.append(_entry_group(writer, arn, rbac.group, entry))
    return tuple(steps)


def _iam_arn(principal_arn: str) -> str:
    try:
        return parse_principal(principal_arn).canonical_arn
    except InvalidArnError:
        return principal_arn


def _entry_group(writer: Writer, arn: str, group: str, entry: AccessEntry | None) -> FixStep:
    common = writer.aws_flags()
    groups = list(dict.fromkeys([*(entry.kubernetes_groups if entry else ()), group]))
    verb = "update-access-entry" if entry is not None else "create-access-entry"
    plain = cmd(
        "aws",
        "eks",
        verb,
        "--cluster-name",
        writer.cluster,
        "--principal-arn",
        arn,
        "--kubernetes-groups",
        *groups,
        *common,
    )
    return FixStep(
        text=f"As {writer.who}, put {arn} in the group {group} through its access entry (its other groups kept).",
        eksaccess=(cmd("eksaccess", "grant", arn, "--cluster", writer.cluster, "--group", group, *common),),
        plain=(plain,),
    )


def _aws_auth_group(
    writer: Writer, arn: str, group: str, data: Mapping[str, str] | None, resource_version: str | None
) -> FixStep:
    grant = cmd(
        "eksaccess",
        "grant",
        arn,
        "--cluster",
        writer.cluster,
        "--via",
        "aws-auth",
        "--group",
        group,
        *writer.aws_flags(),
    )
    plain: tuple[str, ...] = ()
    if data is not None:
        is_user = parse_principal(arn).kind is not PrincipalKind.ROLE
        auth = parse_aws_auth(dict(data))
        row = auth.match_user(arn) if is_user else auth.match_role(arn)
        username = (row.username if row else None) or default_aws_auth_username(arn)
        groups = list(dict.fromkeys([*(row.groups if row else ()), group]))
        upsert = awsauth_edit.upsert_user if is_user else awsauth_edit.upsert_role
        edited = upsert(dict(data), arn, username=username, groups=groups)
        plain = (
            aws_auth_patch(writer, {k: v for k, v in edited.items() if data.get(k) != v}, resource_version),
        )
    return FixStep(
        text=f"As {writer.who}, map {arn} in aws-auth with the group {group} (its row's username and groups kept; "
        "the patch is refused if aws-auth changed since doctor read it).",
        eksaccess=(grant,),
        plain=plain,
    )
