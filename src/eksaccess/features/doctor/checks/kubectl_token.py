"""The token kubectl sends, beside doctor's own: the exec plugin's output, or the user's static token.

Doctor mints its own token from fresh credentials; kubectl sends what the kubeconfig's exec plugin prints,
and ``aws eks get-token`` signs with the assumed-role credentials the aws CLI cached in ~/.aws/cli/cache
(https://github.com/aws/aws-cli/blob/develop/awscli/customizations/assumerole.py, ``JSONFileCache``). When the cluster refuses kubectl's token but accepts doctor's, of
the same profile, the cache is what differs. A user with a static ``k8s-aws-v1`` token sends that token
as it is: doctor walks the chain with it, and an expired one is refused before STS is asked.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable

from eksaccess.adapters.kube import KubeCallError
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
from eksaccess.domain.sts_answer import is_rejection
from eksaccess.features.doctor.checks import token
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.fixes import cmd, update_kubeconfig_fix
from eksaccess.features.doctor.probe import Facts

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.CACHED_CREDENTIALS_STALE,
        link=Link.CREDENTIALS,
        severity=Severity.ERROR,
        title="kubectl's cached AWS credentials are stale or revoked",
        why="The aws CLI signs kubectl's token with assumed-role credentials from its cache (~/.aws/cli/cache) until they expire; the cluster refuses them while fresh credentials of the profile work.",
        fix="`rm -f ~/.aws/cli/cache/<key>.json` (exactly the entry the profile's AssumeRole uses); eksaccess: `eksaccess doctor --fix`",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, (*ENTRIES, *token.ENTRIES)).finding

WHOLE_CACHE = "~/.aws/cli/cache/*.json"


def kubectl_token(facts: Facts) -> list[Finding]:
    return [*_static_token(facts), *_cached_credentials(facts)]


def _cached_credentials(facts: Facts) -> list[Finding]:
    """kubectl's token (the exec plugin's) is refused, doctor's own from fresh credentials is accepted."""
    run, refused = facts.exec_run, facts.exec_whoami.error
    if run is None or run.token is None or not facts.whoami.ok:
        return []
    if not isinstance(refused, KubeCallError) or refused.status != 401:
        return []
    if facts.exec_sts is None or not is_rejection(*facts.exec_sts):
        return []  # STS accepts kubectl's token (or never answered): the cluster's 401 says nothing of the cache
    target = facts.target
    profile = target.profile or "(default)"
    stale = [entry for entry in facts.cli_cache if entry.exists]
    sts_status, sts_error = _sts_answer(facts.exec_sts)
    said = f" (STS answers {sts_status}{f' {sts_error}' if sts_error else ''})" if sts_status else ""
    if stale:
        roles = ", ".join(f"{e.role_arn} in {e.shown}" for e in stale)
        detail = (
            f"kubectl's token is refused (401 Unauthorized){said}, while a token from fresh credentials of "
            f"profile {profile} is accepted: `{target.exec_command} eks get-token` signs with the credentials "
            f"the aws CLI cached for {roles}, and reuses them until they expire."
        )
        removal = _rm(e.shown for e in stale)
        text = (
            "Remove the aws CLI's cached credentials for this profile; its next run assumes the role afresh."
        )
    else:
        detail = (
            f"kubectl's token is refused (401 Unauthorized){said}, while a token from fresh credentials of "
            f"profile {profile} is accepted; the aws CLI has no cached role credentials for this profile, so "
            "what it signs with comes from another cache of it (IAM Identity Center role credentials)."
        )
        removal = f"rm -f {WHOLE_CACHE}"
        text = "Remove the aws CLI's cached credentials; its next run fetches fresh ones."
    return [
        finding(
            FindingCode.CACHED_CREDENTIALS_STALE,
            detail=detail,
            evidence={
                "profile": profile,
                "cacheFile": stale[0].path if stale else None,
                "cacheFiles": [e.path for e in stale],
                "roleArn": stale[0].role_arn if stale else target.role_arn,
                "stsStatus": sts_status,
                "stsError": sts_error,
            },
            fix=(FixStep(text=text, eksaccess=(_doctor_fix(facts),) if stale else (), plain=(removal,)),),
        )
    ]


def _rm(paths: Iterable[str]) -> str:
    """``rm -f`` of the paths, a leading ``~/`` left unquoted so the shell expands it."""
    quoted = ("~/" + shlex.quote(p[2:]) if p.startswith("~/") else shlex.quote(p) for p in paths)
    return "rm -f " + " ".join(quoted)


def _doctor_fix(facts: Facts) -> str:
    options = facts.options
    return cmd(
        "eksaccess",
        "doctor",
        "--fix",
        *(["--context", facts.target.context] if facts.target.context else []),
        *(["--kubeconfig", options.kubeconfig] if options.kubeconfig else []),
    )


def _sts_answer(answer: tuple[int, str] | None) -> tuple[int | None, str | None]:
    """STS's status and error code (JSON or XML) for kubectl's token; the body is not repeated."""
    if answer is None:
        return None, None
    status, body = answer
    if status == 200:
        return status, None
    try:
        code = json.loads(body).get("Error", {}).get("Code")
    except (ValueError, AttributeError):
        match = re.search(r"<Code>([^<]+)</Code>", body)
        code = match.group(1) if match else None
    return status, code if isinstance(code, str) else None


def _static_token(facts: Facts) -> list[Finding]:
    """The kubeconfig's static token fails the authenticator's own checks (expired, most often)."""
    target, error = facts.target, facts.static_token_error
    if target.static_token is None or error is None or not target.cluster_name:
        return []
    expired = "expired" in error
    reason = "has expired (a k8s-aws-v1 token lives 15 minutes)" if expired else "is malformed"
    return [
        finding(
            FindingCode.TOKEN_REJECTED,
            detail=f"The static token of kubeconfig user {target.user_name or '?'} {reason}: {error}. kubectl "
            "sends it as it is, and the cluster answers 401 Unauthorized.",
            evidence={"static": True, "expired": expired, "user": target.user_name},
            fix=update_kubeconfig_fix(
                cluster=target.cluster_name,
                region=target.region,
                profile=facts.options.profile,
                kubeconfig=facts.options.kubeconfig,
                alias=target.context,
                user_alias=target.user_name,
                text=f"Replace the static token with an exec entry that mints a fresh token for every kubectl "
                f"command (context {target.context} keeps its name).",
            ),
        )
    ]


def check(ctx: Context) -> list[Finding]:
    found = kubectl_token(ctx.facts)
    if FindingCode.STATIC_TOKEN_EXPIRED in ctx.codes():  # said by static_token.py, with the token's times
        found = [f for f in found if not (f.code is FindingCode.TOKEN_REJECTED and f.evidence.get("expired"))]
    return ctx.decided(found)
