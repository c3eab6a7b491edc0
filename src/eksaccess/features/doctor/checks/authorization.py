"""Authorization and recovery checks: what the mapped identity may do, and who could fix things.

Both evaluate the cluster's own state with the domain engine (access policies united with RBAC),
and, for an explicit --verb/--resource, the cluster's live SelfSubjectAccessReview answer too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eksaccess.domain.access import AccessPolicyAssociation, ScopeType
from eksaccess.domain.arn import InvalidArnError, canonicalize
from eksaccess.domain.authorize import Authorizer
from eksaccess.domain.identity import KubeIdentity, Resolution
from eksaccess.domain.policies import policy_name
from eksaccess.domain.rbac import Attributes
from eksaccess.domain.resources import resolve_resource
from eksaccess.features.doctor.catalog import Code
from eksaccess.features.doctor.checks.mapping import suggested_aws_auth_grant
from eksaccess.features.doctor.fixes import apply_manifests, cmd, grant_access_entry_fix
from eksaccess.features.doctor.model import Finding, FixStep
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of
from eksaccess.features.manage.translate import cluster_role_binding, role_binding

ADMIN_REQUEST = Attributes(verb="*", resource="*", api_group="*")
BASELINE_GROUPS = ("system:authenticated",)


@dataclass(frozen=True, kw_only=True)
class Admin:
    principal_arn: str
    via: str


def _request(facts: Facts) -> Attributes | None:
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
                Finding(
                    code=Code.NO_PERMISSIONS,
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
    request = _request(facts)
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
        if allowed is False and not any(f.code is Code.NAMESPACE_SCOPE for f in findings):
            misses = [str(m) for m in decision.near_misses][:5] if decision else []
            findings.append(
                Finding(
                    code=Code.PERMISSION_DENIED,
                    detail=f"{identity.username} cannot {request.verb} {facts.options.resource}"
                    + (f" in namespace {request.namespace}" if request.namespace else "")
                    + (f" ({misses[0]})" if misses else "")
                    + ".",
                    evidence={
                        "request": facts.options.resource,
                        "verb": request.verb,
                        "nearMisses": misses,
                        "live": live[0] if live else None,
                    },
                    fix=grant_access_entry_fix(
                        writer=writer_of(facts),
                        principal_arn=resolution.principal_arn,
                        policy="AmazonEKSEditPolicy",
                        short="edit",
                        namespaces=(request.namespace,) if request.namespace else (),
                        create_entry=resolution.access_entry is None,
                    ),
                )
            )
    return findings


def _groups_without_bindings(facts: Facts, unbound: Sequence[str]) -> Finding:
    """Bind each group to edit in the context's namespace (view cluster-wide without one), with the
    manifests ``grant`` writes for its own groups."""
    namespace = facts.options.namespace or facts.target.namespace
    manifests = [
        role_binding(group, "edit", namespace) if namespace else cluster_role_binding(group, "view")
        for group in unbound
    ]
    where = f"edit in namespace {namespace}" if namespace else "view cluster-wide"
    return Finding(
        code=Code.GROUPS_WITHOUT_BINDINGS,
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
        Finding(
            code=Code.PERMISSION_DENIED,
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
    return Finding(
        code=Code.NAMESPACE_SCOPE,
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


def admins(resolutions: Sequence[Resolution], authorizer: Authorizer | None) -> list[Admin]:
    """Principals that hold cluster-admin (all verbs on all resources), by whatever path."""
    found: list[Admin] = []
    for res in resolutions:
        if res.identity is None:
            continue
        policies = res.access_entry.policies if res.access_entry else ()
        if authorizer is None:
            allowed = "system:masters" in res.identity.groups or any(
                policy_name(p.policy_arn) == "AmazonEKSClusterAdminPolicy" for p in policies
            )
        else:
            allowed = authorizer.authorize(
                ADMIN_REQUEST, username=res.identity.username, groups=res.identity.groups, policies=policies
            ).allowed
        if allowed:
            found.append(Admin(principal_arn=res.principal_arn, via=str(res.source)))
    return found


def recovery(
    facts: Facts,
    admin_list: Sequence[Admin],
    profiles: dict[str, str],
    broken: bool,
    *,
    creator_admin: bool = False,
    complete: bool = True,
) -> list[Finding]:
    """Who can apply the fixes: the administrator doctor just proved first, then the others that hold
    cluster-admin, each with a way to act as them (never the profile that just failed)."""
    if not broken:
        return []
    writer = writer_of(facts)
    failed_profile = facts.target.profile if (facts.base_caller.error or facts.caller.error) else None
    proven_arn = facts.admin_caller.value.arn if writer.known and facts.admin_caller.value else None
    steps: list[FixStep] = []
    if writer.known:
        steps.append(
            FixStep(
                text=f"Profile {writer.profile} ({proven_arn}) read the cluster's state in this run: the commands "
                "above run as it."
            )
        )
    if not admin_list and creator_admin and not writer.known:
        return [
            Finding(
                code=Code.ADMIN_CANDIDATES,
                detail="In authentication mode CONFIG_MAP the cluster's creator holds an invisible system:masters "
                "grant; no other principal holds cluster-admin.",
                evidence={"admins": [{"arn": None, "via": "cluster creator"}]},
                fix=(
                    FixStep(
                        text="Find the creator in CloudTrail (CreateCluster, in the cluster's region, within the last "
                        "90 days) and act as that principal.",
                        plain=(
                            cmd(
                                "aws",
                                "cloudtrail",
                                "lookup-events",
                                *(["--region", facts.target.region] if facts.target.region else []),
                                "--lookup-attributes",
                                "AttributeKey=EventName,AttributeValue=CreateCluster",
                            ),
                        ),
                    ),
                ),
            )
        ]
    if not admin_list and not complete:
        return []  # part of the mapping could not be read: "nobody is an admin" would be a guess
    if not admin_list and not creator_admin:  # a profile that reads the state is no admin of the cluster
        read = (
            f"Profile {writer.profile} ({proven_arn or 'unknown ARN'}) could read the cluster's state, but no "
            if writer.known
            else "No "
        )
        return [
            Finding(
                code=Code.NO_ADMIN_AVAILABLE,
                detail=f"{read}principal that the cluster's state shows holds cluster-admin.",
                evidence={"reader": writer.profile, "readerArn": proven_arn},
                fix=(
                    FixStep(
                        text="With IAM rights for eks:CreateAccessEntry, add an administrator through the EKS API "
                        "(needs authentication mode API or API_AND_CONFIG_MAP)."
                    ),
                ),
            )
        ]
    for admin in admin_list[:5]:
        if proven_arn and _same_principal(admin.principal_arn, proven_arn):
            continue
        profile = profiles.get(admin.principal_arn.lower())
        if profile is not None and profile == failed_profile:
            profile = None  # the profile that just failed to give its credentials is no way in
        how = (
            f"use --profile {profile}"
            if profile
            else cmd(
                "aws",
                "sts",
                "assume-role",
                "--role-arn",
                admin.principal_arn,
                "--role-session-name",
                "eksaccess-fix",
            )
            if ":role/" in admin.principal_arn
            else "use that user's credentials"
        )
        steps.append(FixStep(text=f"{admin.principal_arn} ({admin.via}): {how}"))
    return [
        Finding(
            code=Code.ADMIN_CANDIDATES,
            detail="These principals can apply the fixes above"
            + (f" (profile {writer.profile} is proven in this run)" if writer.known else "")
            + ".",
            evidence={
                "proven": {"profile": writer.profile, "arn": proven_arn} if writer.known else None,
                "admins": [
                    {"arn": a.principal_arn, "via": a.via, "profile": profiles.get(a.principal_arn.lower())}
                    for a in admin_list
                ],
            },
            fix=tuple(steps),
        )
    ]


def _same_principal(a: str, b: str) -> bool:
    try:
        return canonicalize(a).lower() == canonicalize(b).lower()
    except InvalidArnError:
        return a.lower() == b.lower()
