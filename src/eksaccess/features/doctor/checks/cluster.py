"""The cluster link: does the cluster exist here, is it active, and does the kubeconfig point at it (name,
endpoint, certificate authority, region)?"""

from __future__ import annotations

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
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
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd, update_kubeconfig_fix
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import profile_flag

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.ENDPOINT_MISMATCH,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The kubeconfig points at another endpoint",
        why="The server in the kubeconfig is not the cluster's endpoint (an old or recreated cluster).",
        fix="`eksaccess kubeconfig --cluster C --alias CONTEXT --user-alias USER` / `aws eks update-kubeconfig --name C --alias CONTEXT --user-alias USER`: the diagnosed context rewritten",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CA_MISMATCH,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The kubeconfig holds another certificate authority",
        why="kubectl will not trust the cluster's certificate (x509: unknown authority).",
        fix="the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CLUSTER_NAME_MISMATCH,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The token is minted for another cluster name",
        why="The token's x-k8s-aws-id must equal the cluster's name or STS rejects the signature.",
        fix="the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.REGION_MISMATCH,
        link=Link.KUBECONFIG,
        severity=Severity.WARNING,
        title="The exec plugin uses another region",
        why="The token is signed in another region than the cluster's; it fails where that region's STS is off.",
        fix="the diagnosed context rewritten from DescribeCluster (as ENDPOINT_MISMATCH)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CLUSTER_NOT_FOUND,
        link=Link.CLUSTER,
        severity=Severity.ERROR,
        title="The cluster does not exist here",
        why="DescribeCluster finds no cluster of that name in this account and region.",
        fix="`aws eks list-clusters --region R`, with the similar names found in other regions",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.CLUSTER_NOT_ACTIVE,
        link=Link.CLUSTER,
        severity=Severity.ERROR,
        title="The cluster is not active",
        why="The cluster is being created, deleted or has failed.",
        fix="CREATING: wait for it; FAILED: see its health (`aws eks describe-cluster`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.DESCRIBE_CLUSTER_DENIED,
        link=Link.CLUSTER,
        severity=Severity.WARNING,
        title="You may not describe the cluster",
        why="eks:DescribeCluster is denied: update-kubeconfig fails, the rest of the chain may still work.",
        fix="the IAM statement to add (eks:DescribeCluster on the cluster)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def cluster(facts: Facts) -> list[Finding]:
    error = facts.cluster.error
    target = facts.target
    name = target.cluster_name or ""
    findings: list[Finding] = []
    if isinstance(error, AwsCallError):
        if error.kind is AwsErrorKind.NOT_FOUND:
            near = ", ".join(f"{n} ({r})" for r, n in facts.near_clusters)
            detail = f"No cluster named {name!r} in region {target.region}."
            if near:
                detail += f" Similar names: {near}."
            findings.append(
                finding(
                    FindingCode.CLUSTER_NOT_FOUND,
                    detail=detail,
                    evidence={
                        "cluster": name,
                        "region": target.region,
                        "near": [list(x) for x in facts.near_clusters],
                    },
                    fix=(
                        FixStep(
                            text="Check the cluster name and region.",
                            plain=(
                                cmd(
                                    "aws",
                                    "eks",
                                    "list-clusters",
                                    "--region",
                                    target.region or "",
                                    *profile_flag(facts),
                                ),
                            ),
                        ),
                    ),
                )
            )
        elif error.kind is AwsErrorKind.ACCESS_DENIED:
            findings.append(_describe_denied(error))
        return findings
    described = facts.cluster.value
    if described is None:
        return findings
    own = facts.principal_cluster.error  # the administrator read it; the principal itself may not
    if isinstance(own, AwsCallError) and own.kind is AwsErrorKind.ACCESS_DENIED:
        findings.append(_describe_denied(own))
    if described.status not in ("ACTIVE", "UPDATING"):
        findings.append(
            finding(
                FindingCode.CLUSTER_NOT_ACTIVE,
                detail=f"Cluster status is {described.status}.",
                evidence={"status": described.status},
                fix=_not_active_fix(facts, described.status),
            )
        )
    fix = update_kubeconfig_fix(
        cluster=described.name,
        region=described.region,
        profile=target.profile,
        role_arn=target.role_arn,
        kubeconfig=facts.options.kubeconfig,
        alias=target.context,
        user_alias=target.user_name,
    )
    if target.token_cluster_name and target.token_cluster_name != described.name:
        findings.append(
            finding(
                FindingCode.CLUSTER_NAME_MISMATCH,
                detail=f"The exec entry mints tokens for cluster {target.token_cluster_name!r}, but the cluster is "
                f"{described.name!r}; STS then rejects the signature (SignatureDoesNotMatch) and kubectl "
                "sees Unauthorized.",
                evidence={"tokenClusterName": target.token_cluster_name, "clusterName": described.name},
                fix=fix,
            )
        )
    if target.server and described.endpoint and target.server.rstrip("/") != described.endpoint.rstrip("/"):
        findings.append(
            finding(
                FindingCode.ENDPOINT_MISMATCH,
                detail=f"The kubeconfig's server is {target.server}; the cluster's endpoint is {described.endpoint}.",
                evidence={"kubeconfig": target.server, "cluster": described.endpoint},
                fix=fix,
            )
        )
    elif (
        target.ca_data
        and described.certificate_authority_data
        and target.ca_data.strip() != described.certificate_authority_data.strip()
    ):
        findings.append(
            finding(
                FindingCode.CA_MISMATCH,
                detail="The kubeconfig's certificate-authority-data is not the cluster's; kubectl fails with "
                "'x509: certificate signed by unknown authority'.",
                evidence={"kubeconfig": "differs", "cluster": "certificateAuthority.data"},
                fix=fix,
            )
        )
    if target.token_region and target.token_region != described.region:
        findings.append(
            finding(
                FindingCode.REGION_MISMATCH,
                detail=f"The exec entry signs tokens in {target.token_region}; the cluster is in {described.region}.",
                evidence={"tokenRegion": target.token_region, "clusterRegion": described.region},
                fix=fix,
            )
        )
    return findings


def _describe_denied(error: AwsCallError) -> Finding:
    return finding(
        FindingCode.DESCRIBE_CLUSTER_DENIED,
        detail=str(error),
        evidence={"action": "eks:DescribeCluster"},
        fix=(
            FixStep(
                text="An explicit Deny of eks:DescribeCluster applies to you (a Deny beats every Allow): have it "
                "removed from your IAM policy, permission boundary or the organization's SCP (update-kubeconfig "
                "needs the call; kubectl works without it)."
                if "explicit deny" in str(error).lower()
                else "Allow eks:DescribeCluster on the cluster in your IAM policy (update-kubeconfig needs it)."
            ),
        ),
    )


def _not_active_fix(facts: Facts, status: str) -> tuple[FixStep, ...]:
    """CREATING: wait until it is ACTIVE; FAILED: read what failed (its health)."""
    where = [
        "--name",
        facts.target.cluster_name or "",
        *(["--region", facts.target.region] if facts.target.region else []),
        *profile_flag(facts),
    ]
    if status == "CREATING":
        return (
            FixStep(
                text="The cluster is still being created (10-15 minutes): wait until it is ACTIVE, then run kubectl "
                "again.",
                plain=(cmd("aws", "eks", "wait", "cluster-active", *where),),
            ),
        )
    if status == "FAILED":
        return (
            FixStep(
                text="The cluster's creation failed and it cannot be repaired: read what failed (its health "
                "issues), delete it and create it again.",
                plain=(cmd("aws", "eks", "describe-cluster", *where, "--query", "cluster.health"),),
            ),
        )
    return (
        FixStep(
            text=f"The cluster is {status}: see its status and health.",
            plain=(cmd("aws", "eks", "describe-cluster", *where, "--query", "cluster.[status,health]"),),
        ),
    )


def check(ctx: Context) -> list[Finding]:
    return cluster(ctx.facts)
