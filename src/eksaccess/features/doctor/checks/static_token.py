"""The token link, for a kubeconfig user holding a static ``token: k8s-aws-v1...``: when was it signed,
has it expired, and what replaces it.

A k8s-aws-v1 token is a presigned STS URL; the authenticator takes it for 15 minutes after its X-Amz-Date
(X-Amz-Expires, 60, is ignored: shared/facts/doctor-breadth.md §3.1). kubectl sends a static token as it
is and nothing refreshes it: minted once by ``aws eks get-token``, by CI, or read by Terraform's
``data "aws_eks_cluster_auth"`` at plan time, it works for a quarter of an hour and then kubectl gets
``Unauthorized``. The fix is an exec entry that mints a token for every command (and, for Terraform, the
kubernetes/helm providers' ``exec`` block). The token itself is never printed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

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
from eksaccess.domain.token import TokenError, TokenInfo, describe_token
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import update_kubeconfig_fix
from eksaccess.features.doctor.probe import Facts

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.STATIC_TOKEN,
        link=Link.TOKEN,
        severity=Severity.WARNING,
        title="The kubeconfig holds a static EKS token",
        why="A k8s-aws-v1 token is valid 15 minutes after it was signed and a static one is never refreshed: "
        "kubectl gets Unauthorized once it is older.",
        fix="an exec entry (`aws eks update-kubeconfig --alias CONTEXT --user-alias USER --profile P`); for "
        "Terraform, the kubernetes/helm providers' `exec` block (`aws eks get-token --cluster-name`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.STATIC_TOKEN_EXPIRED,
        link=Link.TOKEN,
        severity=Severity.ERROR,
        title="The kubeconfig's static EKS token has expired",
        why="It was signed more than 15 minutes ago; the cluster answers 401 Unauthorized and nothing renews a "
        "static token.",
        fix="an exec entry (`aws eks update-kubeconfig --alias CONTEXT --user-alias USER --profile P`); for "
        "Terraform, the kubernetes/helm providers' `exec` block (`aws eks get-token --cluster-name`)",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _minutes(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    return f"{minutes} min" if minutes else f"{int(abs(seconds))} s"


def terraform_step(cluster: str, region: str | None) -> FixStep:
    args = ", ".join(f'"{a}"' for a in ("eks", "get-token", "--cluster-name", cluster))
    if region:
        args += f', "--region", "{region}"'
    return FixStep(
        text='If Terraform made this token (data "aws_eks_cluster_auth" passed as `token`), give the '
        "kubernetes and helm providers an exec block instead, so each run mints its own: "
        'exec { api_version = "client.authentication.k8s.io/v1beta1", command = "aws", '
        f"args = [{args}] }} (with host and cluster_ca_certificate; no `token`)."
    )


def _fix(facts: Facts, info: TokenInfo) -> tuple[FixStep, ...]:
    target = facts.target
    profile = facts.options.profile or facts.static_token_profile
    signer = (
        f" as profile {profile}, whose key signed the token"
        if profile and not facts.options.profile
        else f" as profile {profile}"
        if profile
        else ": add --profile P, the AWS profile of the identity this context should use"
    )
    steps = update_kubeconfig_fix(
        cluster=target.cluster_name or "",
        region=target.region or info.region,
        profile=profile,
        kubeconfig=facts.options.kubeconfig,
        alias=target.context,
        user_alias=target.user_name,
        text=f"Replace the static token of user {target.user_name} with an exec entry that mints a fresh token "
        f"for every kubectl command{signer} (context {target.context} keeps its name).",
    )
    if profile is None:
        steps = tuple(replace(step, by_hand=True) for step in steps)
    return (*steps, terraform_step(target.cluster_name or "", target.region or info.region))


def static_token(facts: Facts) -> list[Finding]:
    target = facts.target
    if target.static_token is None or not target.cluster_name or facts.local_now is None:
        return []
    try:
        info = describe_token(target.static_token)
    except TokenError:
        return []  # malformed: the authenticator's own words say it (kubectl_token.py, TOKEN_REJECTED)
    now = facts.local_now
    age = (now - info.signed_at).total_seconds()
    evidence = {
        "user": target.user_name,
        "signedAt": info.signed_at.isoformat(),
        "expiresAt": info.expires_at.isoformat(),
        "expired": info.expired(now),
        "accessKeyId": info.access_key_id,
        "region": info.region,
        "profile": facts.static_token_profile,
    }
    signed = (
        f"signed at {_when(info.signed_at)} by access key {info.access_key_id}"
        + (f" (profile {facts.static_token_profile})" if facts.static_token_profile else "")
        + f", {_minutes(age)} ago"
    )
    if info.expired(now):
        detail = (
            f"User {target.user_name!r} holds a static EKS token {signed}; it expired at "
            f"{_when(info.expires_at)} (15 minutes after signing). kubectl sends it as it is and the cluster "
            "answers 401 Unauthorized; a static token cannot be refreshed."
        )
        code = FindingCode.STATIC_TOKEN_EXPIRED
    else:
        left = (info.expires_at - now).total_seconds()
        detail = (
            f"User {target.user_name!r} holds a static EKS token {signed}; it expires at "
            f"{_when(info.expires_at)}, in {_minutes(left)}. A static token cannot be refreshed: kubectl gets "
            "Unauthorized after that."
        )
        code = FindingCode.STATIC_TOKEN
    return [finding(code, detail=detail, evidence=evidence, fix=_fix(facts, info))]


def check(ctx: Context) -> list[Finding]:
    return static_token(ctx.facts)
