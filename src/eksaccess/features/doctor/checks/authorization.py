"""The authorization link: what the mapped identity may do, by the cluster's own state (access policies
united with RBAC, the domain engine) and, for an explicit --verb/--resource, the cluster's live
SelfSubjectAccessReview answer."""

from __future__ import annotations

from collections.abc import Sequence

from eksaccess.domain.access import AccessPolicyAssociation, ScopeType
from eksaccess.domain.authz.access_policies import policy_name
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.authz.resources import resolve_resource
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
from eksaccess.domain.iam.identity import KubeIdentity, Resolution
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.features.doctor import least_access
from eksaccess.features.doctor.checks.mapping import suggested_aws_auth_grant
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import apply_manifests, grant_access_entry_fix
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of
from eksaccess.features.manage.translate import cluster_role_binding, role_binding

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.NO_PERMISSIONS,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The identity has no permissions",
        why="No access policy is associated and no RBAC binding names its username or groups.",
        fix="an access policy for the entry (`eksaccess grant` / `aws eks associate-access-policy`), or for an aws-auth identity a group bound to a ClusterRole (as AWS_AUTH_ENTRY_MISSING)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.GROUPS_WITHOUT_BINDINGS,
        link=Link.AUTHORIZATION,
        severity=Severity.WARNING,
        title="Groups without any binding",
        why="Kubernetes groups grant nothing until a RoleBinding or ClusterRoleBinding names them.",
        fix=f"`kubectl apply` of a RoleBinding (edit in the context's namespace) per group, {ADMIN}",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.NAMESPACE_SCOPE,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The access policy is scoped to other namespaces",
        why="A namespace-scoped access policy grants nothing outside its namespaces.",
        fix="the policy associated again with the namespace added to its scope",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.PERMISSION_DENIED,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="The permission asked for is denied",
        why="Neither an access policy nor RBAC allows this request.",
        fix="the smallest access that allows the request, found by running the authorizer over view, edit, "
        "admin and cluster-admin (a namespace scope before the cluster scope): an access policy associated "
        "with its access entry (`eksaccess grant` / `aws eks associate-access-policy`, a scope it has kept), "
        "or, for an identity mapped by aws-auth, a group bound to that ClusterRole (as AWS_AUTH_ENTRY_MISSING)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


BASELINE_GROUPS = ("system:authenticated",)


def asked_request(facts: Facts) -> Attributes | None:
    if not facts.options.verb or not facts.options.resource:
        return None
    if facts.options.resource.startswith("/"):
        return Attributes(verb=facts.options.verb, path=facts.options.resource)
    ref = resolve_resource(facts.options.resource)
    namespace = (facts.options.namespace or facts.target.namespace or "default") if ref.namespaced else ""
    return Attributes(
        verb=facts.options.verb,
        resource=ref.resource,
        subresource=ref.subresource,
        api_group=ref.group,
        namespace=namespace,
    )


def authorization(
    facts: Facts, resolution: Resolution, authorizer: Authorizer | None, identity: KubeIdentity | None
) -> list[Finding]:
    if identity is None:
        return []
    policies = resolution.access_entry.policies if resolution.access_entry else ()
    findings: list[Finding] = []
    bound_groups: set[str] = set()
    if authorizer is not None:
        bound_groups = {g for g in identity.groups if authorizer.index.is_bound("Group", g)}
        unbound = [g for g in identity.groups if not g.startswith("system:") and g not in bound_groups]
        user_bound = authorizer.index.is_bound("User", identity.username)
        if unbound:
            findings.append(_groups_without_bindings(facts, unbound))
        if not policies and not user_bound and not [g for g in bound_groups if g not in BASELINE_GROUPS]:
            fix: tuple[FixStep, ...] = ()
            if unbound:
                fix = ()  # binding the groups (GROUPS_WITHOUT_BINDINGS) is the fix the mapping meant
            elif resolution.access_entry:
                fix = grant_access_entry_fix(
                    writer=writer_of(facts), principal_arn=resolution.principal_arn, create_entry=False
                )
            else:
                fix = suggested_aws_auth_grant(facts, resolution.principal_arn)
            findings.append(
                finding(
                    FindingCode.NO_PERMISSIONS,
                    detail=f"{identity.username} is authenticated but holds no access policy, and no RoleBinding or "
                    "ClusterRoleBinding names its username or groups"
                    + (f" ({', '.join(unbound)} are bound nowhere: bind them)" if unbound else "")
                    + ".",
                    evidence={"username": identity.username, "groups": list(identity.groups), "policies": []},
                    fix=fix,
                )
            )
    namespace = facts.options.namespace or facts.target.namespace
    scoped = [p for p in policies if p.scope.type is ScopeType.NAMESPACE]
    if namespace and scoped and not any(p.scope.covers_namespace(namespace) for p in policies):
        findings.append(_namespace_scope(facts, resolution, namespace, scoped))
    request = asked_request(facts)
    if request is not None:
        decision = (
            authorizer.authorize(
                request,
                username=identity.username,
                groups=identity.groups,
                policies=policies,
                principal_arn=resolution.principal_arn,
            )
            if authorizer is not None
            else None
        )
        live = facts.permission.value
        allowed = live[0] if live is not None else (decision.allowed if decision else None)
        if allowed is False and not any(f.code is FindingCode.NAMESPACE_SCOPE for f in findings):
            misses = [str(m) for m in decision.near_misses][:5] if decision else []
            findings.append(
                _permission_denied(facts, resolution, authorizer, identity, request, misses, live)
            )
    return findings


def _permission_denied(
    facts: Facts,
    resolution: Resolution,
    authorizer: Authorizer | None,
    identity: KubeIdentity,
    request: Attributes,
    misses: Sequence[str],
    live: tuple[bool, str] | None,
) -> Finding:
    """Denied: the smallest access that allows the request (least_access), for the mechanism that maps it."""
    if resolution.access_entry is not None:
        access = least_access.for_access_entry(
            request,
            identity,
            resolution.access_entry.policies,
            authorizer,
            resolution.principal_arn,
            _partition(resolution.principal_arn),
        )
        fix = grant_access_entry_fix(
            writer=writer_of(facts),
            principal_arn=resolution.principal_arn,
            policy=access.policy,
            short=access.short,
            namespaces=access.namespaces,
            create_entry=False,
        )
    else:  # its mapping is aws-auth's
        access = least_access.for_aws_auth(request, authorizer)
        fix = suggested_aws_auth_grant(
            facts, resolution.principal_arn, (access.policy, access.short, access.namespaces)
        )
    what = f"{request.verb} {facts.options.resource}"
    smallest = (
        f"Only cluster-admin allows {what}: no view, edit or admin grant does."
        if access.cluster_admin
        else f"The smallest grant that allows it is {access.describe()}."
    )
    return finding(
        FindingCode.PERMISSION_DENIED,
        detail=f"{identity.username} cannot {what}"
        + (f" in namespace {request.namespace}" if request.namespace else "")
        + (f" ({misses[0]})" if misses else "")
        + f". {smallest}",
        evidence={
            "request": facts.options.resource,
            "verb": request.verb,
            "nearMisses": list(misses),
            "live": live[0] if live else None,
            "smallestGrant": {"policy": access.policy, "namespaces": list(access.namespaces)},
        },
        fix=fix,
    )


def _partition(arn: str) -> str:
    try:
        return parse_principal(arn).partition
    except InvalidArnError:
        return "aws"


def _groups_without_bindings(facts: Facts, unbound: Sequence[str]) -> Finding:
    """Bind each group to edit in the context's namespace (view cluster-wide without one), with the
    manifests ``grant`` writes for its own groups."""
    namespace = facts.options.namespace or facts.target.namespace
    manifests = [
        role_binding(group, "edit", namespace) if namespace else cluster_role_binding(group, "view")
        for group in unbound
    ]
    where = f"edit in namespace {namespace}" if namespace else "view cluster-wide"
    return finding(
        FindingCode.GROUPS_WITHOUT_BINDINGS,
        detail=f"The groups {', '.join(unbound)} are named by no RoleBinding or ClusterRoleBinding, so they "
        "grant nothing.",
        evidence={"groups": list(unbound)},
        fix=(
            FixStep(
                text=f"As {writer_of(facts).who}, bind the groups to the access they were meant to carry "
                f"({where} here; pick the role).",
                plain=(apply_manifests(writer_of(facts), manifests),),
            ),
        ),
    )


def live_only(facts: Facts, identity: KubeIdentity | None) -> list[Finding]:
    """Authenticated, but the cluster's RBAC and access entries could not be read: ask the cluster."""
    probe = facts.baseline_permission.value
    if identity is None or probe is None or probe[0]:
        return []
    namespace = facts.options.namespace or facts.target.namespace or "default"
    return [
        finding(
            FindingCode.PERMISSION_DENIED,
            detail=f"{identity.username} cannot even list pods in namespace {namespace} (the cluster's own "
            "SelfSubjectAccessReview). doctor could not read the access entries or RBAC to say why; pass "
            "--admin-profile.",
            evidence={"verb": "list", "resource": "pods", "namespace": namespace, "live": False},
            fix=(
                FixStep(
                    text="Ask a cluster administrator to run doctor with --admin-profile and --as-arn for you."
                ),
            ),
        )
    ]


def _namespace_scope(
    facts: Facts, resolution: Resolution, namespace: str, scoped: Sequence[AccessPolicyAssociation]
) -> Finding:
    where = "; ".join(f"{policy_name(p.policy_arn)} in {', '.join(p.scope.namespaces)}" for p in scoped)
    return finding(
        FindingCode.NAMESPACE_SCOPE,
        detail=f"Your access policies are scoped to other namespaces ({where}); namespace {namespace} is not "
        "among them.",
        evidence={"namespace": namespace, "scopes": [list(p.scope.namespaces) for p in scoped]},
        fix=grant_access_entry_fix(
            writer=writer_of(facts),
            principal_arn=resolution.principal_arn,
            policy=policy_name(scoped[0].policy_arn),
            short=policy_name(scoped[0].policy_arn),
            namespaces=sorted({*scoped[0].scope.namespaces, namespace}),
            create_entry=False,
        ),
    )


def check(ctx: Context) -> list[Finding]:
    if ctx.errors():
        return []
    # RBAC alone decides nothing while the mapping (its access policies) was not read: the cluster's own
    # answers stand in (a principal that may read RBAC but not the access entries is not "without permissions")
    authorizer = ctx.authorizer if ctx.read else None
    found = authorization(ctx.facts, ctx.resolution, authorizer, ctx.identity) if ctx.resolution else []
    if not ctx.read and not any(f.severity is Severity.ERROR for f in found):
        found += live_only(ctx.facts, ctx.live_identity)  # the cluster's own answer, for want of its state
    return found
