"""Fix steps: each a sentence plus commands ready to paste (eksaccess, and plain aws/kubectl)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from eksaccess.domain.policies import policy_arn
from eksaccess.features.doctor.model import FixStep


def cmd(*parts: str | None) -> str:
    return shlex.join(p for p in parts if p)


def _opt(flag: str, value: str | None) -> list[str]:
    return [flag, value] if value else []


def update_kubeconfig_fix(
    *,
    cluster: str,
    region: str | None,
    profile: str | None,
    role_arn: str | None = None,
    kubeconfig: str | None = None,
    text: str | None = None,
) -> tuple[FixStep, ...]:
    common = [*_opt("--region", region), *_opt("--profile", profile)]
    eks = cmd(
        "eksaccess",
        "kubeconfig",
        "--cluster",
        cluster,
        *common,
        *_opt("--role-arn", role_arn),
        *_opt("--kubeconfig", kubeconfig),
    )
    plain = cmd(
        "aws",
        "eks",
        "update-kubeconfig",
        "--name",
        cluster,
        *common,
        *_opt("--role-arn", role_arn),
        *_opt("--kubeconfig", kubeconfig),
    )
    return (
        FixStep(
            text=text or "Rewrite the kubeconfig entry from the cluster's current description.",
            eksaccess=(eks, "eksaccess doctor --fix"),
            plain=(plain,),
        ),
    )


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def associate_command(
    cluster: str, principal_arn: str, policy: str, namespaces: Sequence[str], common: Sequence[str]
) -> str:
    """``aws eks associate-access-policy`` with the scope EKS expects (namespaces, or the whole cluster)."""
    scope = f"type=namespace,namespaces={','.join(namespaces)}" if namespaces else "type=cluster"
    return cmd(
        "aws",
        "eks",
        "associate-access-policy",
        "--cluster-name",
        cluster,
        "--principal-arn",
        principal_arn,
        "--policy-arn",
        policy,
        "--access-scope",
        scope,
        *common,
    )


def grant_access_entry_fix(
    *,
    cluster: str,
    region: str | None,
    principal_arn: str,
    policy: str = "AmazonEKSViewPolicy",
    short: str = "view",
    namespaces: Sequence[str] = (),
    admin_profile: str | None = None,
    create_entry: bool = True,
) -> tuple[FixStep, ...]:
    common = [*_opt("--region", region), *_opt("--profile", admin_profile)]
    ns_flags = [x for ns in namespaces for x in ("--namespace", ns)]
    plain: list[str] = []
    if create_entry:
        plain.append(
            cmd(
                "aws",
                "eks",
                "create-access-entry",
                "--cluster-name",
                cluster,
                "--principal-arn",
                principal_arn,
                *common,
            )
        )
    plain.append(
        associate_command(
            cluster, principal_arn, policy_arn(policy, _partition(principal_arn)), namespaces, common
        )
    )
    return (
        FixStep(
            text=(
                f"As a cluster administrator, give {principal_arn} an access entry with the {short} policy "
                "(pick the policy the person needs)."
                if create_entry
                else f"As a cluster administrator, associate an access policy ({short}) with the entry."
            ),
            eksaccess=(
                cmd(
                    "eksaccess",
                    "grant",
                    principal_arn,
                    "--cluster",
                    cluster,
                    "--policy",
                    short,
                    *ns_flags,
                    *common,
                ),
            ),
            plain=tuple(plain),
        ),
    )


def edit_aws_auth_fix(*, text: str, grant: str | None = None) -> tuple[FixStep, ...]:
    """Fixing aws-auth: the eksaccess command when one exists, else lint; kubectl edit as the plain way."""
    lint = "kubectl get configmap aws-auth -n kube-system -o yaml | eksaccess lint aws-auth -"
    return (
        FixStep(
            text=text,
            eksaccess=(grant,) if grant else (lint,),
            plain=(cmd("kubectl", "edit", "configmap", "aws-auth", "-n", "kube-system"),),
        ),
    )
