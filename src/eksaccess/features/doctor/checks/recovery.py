"""The recovery link: who can apply the fixes (the administrator doctor proved first, then every principal
that holds cluster-admin, and how to act as it), or that nobody can from inside the cluster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.authz.access_policies import policy_name
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.findings import (
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
from eksaccess.domain.iam.identity import Caller, Resolution, resolve
from eksaccess.domain.iam.principal import InvalidArnError, same_principal
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.NO_ADMIN_AVAILABLE,
        link=Link.RECOVERY,
        severity=Severity.WARNING,
        title="No principal can administer the cluster",
        why="Nobody holds cluster-admin; recovery needs the EKS API (an access entry) or the creator.",
        fix="an administrator added through the EKS API by a principal with eks:CreateAccessEntry",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.ADMIN_CANDIDATES,
        link=Link.RECOVERY,
        severity=Severity.INFO,
        title="Who can fix this",
        why="Principals with cluster-admin, and how to act as one of them.",
        fix="none (who can run the fixes: the proven admin first, then each admin and how to act as it)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding

ADMIN_REQUEST = Attributes(verb="*", resource="*", api_group="*")


@dataclass(frozen=True, kw_only=True)
class Admin:
    principal_arn: str
    via: str


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
            finding(
                FindingCode.ADMIN_CANDIDATES,
                detail="In authentication mode CONFIG_MAP the cluster's creator holds an invisible system:masters "
                "grant; no other principal holds cluster-admin.",
                evidence={"admins": [{"arn": None, "via": "cluster creator"}]},
                fix=(_creator_step(facts),),
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
            finding(
                FindingCode.NO_ADMIN_AVAILABLE,
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
        if proven_arn and same_principal(admin.principal_arn, proven_arn):
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
        finding(
            FindingCode.ADMIN_CANDIDATES,
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


def check(ctx: Context) -> list[Finding]:
    if not ctx.read:
        return []
    everyone = _everyone(ctx.mode, ctx.entries or [], ctx.aws_auth)
    return recovery(
        ctx.facts,
        admins(everyone, ctx.authorizer),
        ctx.ports.profiles_by_role(),
        broken=ctx.errors(),
        creator_admin=ctx.mode is AuthenticationMode.CONFIG_MAP,
        complete=ctx.entries is not None
        and ctx.aws_auth is not None
        or ctx.mode is not AuthenticationMode.API_AND_CONFIG_MAP,
    )


def _everyone(
    mode: AuthenticationMode | None, entries: Sequence[AccessEntry], aws_auth: AwsAuth | None
) -> list[Resolution]:
    if mode is None:
        return []
    auth = aws_auth or parse_aws_auth(None)
    arns = (
        [e.principal_arn for e in entries] + [r.rolearn for r in auth.roles] + [u.userarn for u in auth.users]
    )
    out: list[Resolution] = []
    for arn in dict.fromkeys(arns):
        try:
            res = resolve(mode=mode, access_entries=entries, aws_auth=auth, caller=Caller(arn=arn))
        except InvalidArnError:
            continue
        out.append(res)
    return out


def _creator_step(facts: Facts) -> FixStep:
    """Act as the creator: named by CREATOR_FOUND or CREATOR_DELETED when doctor read CloudTrail, else the
    lookup that names it."""
    if facts.creator.value is not None:
        return FixStep(
            text="Act as the cluster's creator, named by CREATOR_FOUND (or, when it no longer exists, recover "
            "through the EKS API as CREATOR_DELETED says)."
        )
    return FixStep(
        text="Find the creator in CloudTrail (CreateCluster, in the cluster's region, within the last 90 days) "
        "and act as that principal.",
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
    )
