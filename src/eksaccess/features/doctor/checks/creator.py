"""The creator, named: in CONFIG_MAP the IAM principal that created the cluster holds a system:masters grant
no aws-auth row or access entry shows, and when nobody else can administer the cluster, that grant is the way
back in. CloudTrail's CreateCluster event (90 days of event history) names it; IAM says whether it still
exists. When it is gone, only the EKS API can let anyone in again: switch to API_AND_CONFIG_MAP and give a
principal you hold an access entry with AmazonEKSClusterAdminPolicy (eks:* rights, no Kubernetes access)."""

from __future__ import annotations

import dataclasses

from eksaccess.adapters.aws import AwsCallError
from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.cluster_creator import HISTORY, ClusterCreation
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
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import Writer, cmd, grant_access_entry_fix, opt
from eksaccess.features.doctor.probe import Facts

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
CREATOR_PROFILE = "eks-creator"  # the profile the printed commands configure to act as a creator role

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.CREATOR_FOUND,
        link=Link.RECOVERY,
        severity=Severity.INFO,
        title="The cluster's creator, named",
        why="In CONFIG_MAP the creator holds an invisible system:masters grant; CloudTrail's CreateCluster "
        "event names it, and acting as it is the way to fix the mapping.",
        fix="act as the creator: a profile that assumes its role (`aws configure set profile.eks-creator."
        "role_arn ...`), or the user's own credentials; then `eksaccess doctor --admin-profile PROFILE`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CREATOR_DELETED,
        link=Link.RECOVERY,
        severity=Severity.WARNING,
        title="The cluster's creator no longer exists",
        why="The only administrator of this CONFIG_MAP cluster was its creator, and that IAM principal is "
        "gone (a new one with its name would not be it for EKS): only the EKS API can let anyone in again.",
        fix="`aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP`, "
        "`aws eks wait cluster-active`, then `aws eks create-access-entry` + `associate-access-policy` "
        "AmazonEKSClusterAdminPolicy for a principal you hold (aws commands only: `eksaccess grant` reads "
        "the cluster first, which nobody can yet)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CREATOR_UNKNOWN,
        link=Link.RECOVERY,
        severity=Severity.INFO,
        title="The cluster's creator could not be named",
        why="CloudTrail could not be read (cloudtrail:LookupEvents), or the CreateCluster event is older "
        "than its 90 days of event history.",
        fix="`aws cloudtrail lookup-events` as a principal that may (or the organisation's trail); without "
        "the creator, the EKS API path (as CREATOR_DELETED)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def check(ctx: Context) -> list[Finding]:
    facts = ctx.facts
    lookup = facts.creator
    if ctx.mode is not AuthenticationMode.CONFIG_MAP or (lookup.value is None and lookup.error is None):
        return []
    if not ctx.errors() or _other_admins(ctx):
        return []
    if lookup.error is not None or lookup.value is None:
        return [_unknown(facts, lookup.error)]
    creation = lookup.value.creation
    if creation is None:
        return [_unknown(facts, None)]
    if lookup.value.exists is False:
        deleted = _deleted(facts, creation)
        _recovery_first(ctx, deleted)
        return [deleted]
    return [_found(ctx, creation, lookup.value.exists)]


def _recovery_first(ctx: Context, deleted: Finding) -> None:
    """When the recovery gives the diagnosed principal itself cluster-admin, NOT_MAPPED's inferred fix (an
    aws-auth edit by "a cluster administrator", whom nobody is) is replaced by a pointer to it: the access
    entry the recovery creates maps the principal."""
    resolution = ctx.resolution
    recoverer = deleted.evidence.get("recoverer")
    if resolution is None or not isinstance(recoverer, str):
        return
    if _entry_arn(resolution.principal_arn).lower() != recoverer.lower():
        return
    pointer = FixStep(
        text="Nobody can edit aws-auth now: the EKS-API recovery under CREATOR_DELETED (below) gives "
        f"{recoverer} an access entry, which maps it."
    )
    ctx.findings[:] = [
        dataclasses.replace(f, fix=(pointer,)) if f.code is FindingCode.NOT_MAPPED else f
        for f in ctx.findings
    ]


def _other_admins(ctx: Context) -> bool:
    """The recovery check named principals that hold cluster-admin besides the invisible creator."""
    return any(
        f.code is FindingCode.ADMIN_CANDIDATES and any(a.get("arn") for a in f.evidence.get("admins", []))
        for f in ctx.findings
    )


def _lookup_command(facts: Facts) -> str:
    return cmd(
        "aws",
        "cloudtrail",
        "lookup-events",
        *opt("--region", _region(facts)),
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=CreateCluster",
    )


def _region(facts: Facts) -> str | None:
    cluster = facts.cluster.value
    return cluster.region if cluster else facts.target.region


def _evidence(creation: ClusterCreation) -> dict[str, object]:
    return {
        "creator": creation.principal_arn,
        "identityType": creation.identity_type.value,
        "callerArn": creation.caller_arn,
        "eventId": creation.event_id,
        "eventTime": creation.event_time,
        **({"invokedBy": creation.invoked_by} if creation.invoked_by else {}),
    }


def _found(ctx: Context, creation: ClusterCreation, exists: bool | None) -> Finding:
    facts = ctx.facts
    arn = creation.principal_arn
    still = "" if exists else " (whether it still exists could not be checked: iam:GetUser / iam:GetRole)"
    via = f", through {creation.invoked_by}" if creation.invoked_by else ""
    detail = (
        f"CloudTrail's CreateCluster event names {arn} ({creation.identity_type.value}{via}) as the creator "
        f"of {facts.target.cluster_name}{still}: it holds system:masters, which no aws-auth row shows."
    )
    return finding(
        FindingCode.CREATOR_FOUND,
        detail=detail,
        subject=arn,
        evidence={**_evidence(creation), "exists": exists},
        fix=_act_as(ctx, creation),
    )


def _act_as(ctx: Context, creation: ClusterCreation) -> tuple[FixStep, ...]:
    facts = ctx.facts
    arn, region = creation.principal_arn, _region(facts)
    cluster = facts.target.cluster_name or ""
    doctor = cmd(
        "eksaccess", "doctor", *opt("--context", facts.target.context), "--admin-profile", CREATOR_PROFILE
    )

    def read(profile: str) -> str:  # the diagnosed context, with a token of ``profile``
        as_it = Writer(
            cluster=cluster, region=region, profile=profile, diagnosed_context=facts.target.context
        )
        return as_it.kubectl("-n", "kube-system", "get", "configmap", "aws-auth")

    if not creation.is_role:
        return (
            FixStep(
                text=f"Act as the IAM user {arn}: put its access keys in a profile {CREATOR_PROFILE} (only its "
                "owner can), then let doctor read the cluster as it.",
                plain=(cmd("aws", "configure", "--profile", CREATOR_PROFILE),),
                by_hand=True,
            ),
        )
    profile = ctx.ports.profiles_by_role().get(_canonical(arn).lower())
    if profile is not None:
        return (
            FixStep(
                text=f"Act as the creator's role with profile {profile}: let doctor read the cluster as it.",
                eksaccess=(doctor.replace(CREATOR_PROFILE, profile),),
                plain=(read(profile),),
            ),
        )
    source = facts.options.admin_profile or facts.target.profile or "default"
    configure = [
        cmd("aws", "configure", "set", f"profile.{CREATOR_PROFILE}.role_arn", arn),
        cmd("aws", "configure", "set", f"profile.{CREATOR_PROFILE}.source_profile", source),
    ]
    if region:
        configure.append(cmd("aws", "configure", "set", f"profile.{CREATOR_PROFILE}.region", region))
    return (
        FixStep(
            text=f"Act as the creator's role {arn} (its trust policy must let profile {source} assume it): "
            f"a profile {CREATOR_PROFILE} that assumes it, then let doctor read the cluster as it.",
            eksaccess=(*configure, doctor),
            plain=(*configure, read(CREATOR_PROFILE)),
        ),
    )


def _canonical(arn: str) -> str:
    try:
        return parse_principal(arn).mapping_arn
    except InvalidArnError:
        return arn


def _unknown(facts: Facts, error: Exception | None) -> Finding:
    if isinstance(error, AwsCallError):
        why = f"CloudTrail could not be read ({error.code or error.kind.value}: {error})"
    elif error is not None:
        why = f"CloudTrail could not be read ({error})"
    else:
        why = (
            f"CloudTrail's event history has no CreateCluster event for {facts.target.cluster_name} in the last "
            f"{HISTORY.days} days: the cluster is older (only a trail or CloudTrail Lake kept it)"
        )
    return finding(
        FindingCode.CREATOR_UNKNOWN,
        detail=f"{why}. In CONFIG_MAP its creator holds the only invisible admin grant; without it, the EKS "
        "API path (switch to API_AND_CONFIG_MAP, then an access entry) needs only eks:* rights.",
        evidence={"error": str(error) if error else None},
        fix=(
            FixStep(
                text="Find the creator as a principal allowed cloudtrail:LookupEvents (in the cluster's region).",
                plain=(_lookup_command(facts),),
            ),
        ),
    )


def _recoverer(facts: Facts) -> tuple[str | None, str | None]:
    """(principal ARN for the access entry, its profile): the administrator profile's when it works, else
    the principal's own."""
    if facts.options.admin_profile and facts.admin_caller.value is not None:
        return _entry_arn(facts.admin_caller.value.arn), facts.options.admin_profile
    caller = facts.caller.value
    return (_entry_arn(caller.arn) if caller else None), facts.target.profile


def _entry_arn(arn: str) -> str:
    try:
        return parse_principal(arn).canonical_arn
    except InvalidArnError:
        return arn


def _deleted(facts: Facts, creation: ClusterCreation) -> Finding:
    cluster = facts.target.cluster_name or ""
    region = _region(facts)
    principal, profile = _recoverer(facts)
    writer = Writer(cluster=cluster, region=region, profile=profile)
    flags = writer.aws_flags()
    who = principal or "PRINCIPAL_ARN"
    switch = FixStep(
        text="Only the EKS API can let anyone in again (no Kubernetes access needed; eks:UpdateClusterConfig, "
        "eks:CreateAccessEntry, eks:AssociateAccessPolicy): switch the authentication mode to "
        "API_AND_CONFIG_MAP (one-way; aws-auth keeps working) and wait until the cluster is ACTIVE.",
        plain=(
            cmd(
                "aws",
                "eks",
                "update-cluster-config",
                "--name",
                cluster,
                "--access-config",
                "authenticationMode=API_AND_CONFIG_MAP",
                *flags,
            ),
            cmd("aws", "eks", "wait", "cluster-active", "--name", cluster, *flags),
        ),
    )
    [grant] = grant_access_entry_fix(
        writer=writer, principal_arn=who, policy=CLUSTER_ADMIN_POLICY, short="cluster-admin"
    )
    admin = FixStep(
        text=f"Give {who} (a principal you hold"
        + (f", profile {profile}" if profile else "")
        + f") an access entry with {CLUSTER_ADMIN_POLICY} cluster-wide.",
        plain=grant.plain,  # `eksaccess grant` reads the cluster first, which nobody can yet: aws only
    )
    return finding(
        FindingCode.CREATOR_DELETED,
        detail=f"CloudTrail's CreateCluster event names {creation.principal_arn} as the creator of {cluster}, and "
        "IAM no longer has it: its invisible system:masters grant is lost, and no aws-auth row is known to "
        "hold cluster-admin.",
        subject=creation.principal_arn,
        evidence={**_evidence(creation), "exists": False, "recoverer": principal},
        fix=(switch, admin),
    )
