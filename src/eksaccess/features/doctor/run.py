"""doctor: walk the chain link by link and return a Report (never prints)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind
from eksaccess.adapters.kube import KubeCallError
from eksaccess.adapters.ports import DoctorPorts
from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.findings import Finding, FindingCode, Link, Severity
from eksaccess.domain.iam.identity import KubeIdentity, Resolution
from eksaccess.domain.sts_answer import is_transient
from eksaccess.features.doctor.checks import CHECKS
from eksaccess.features.doctor.context import build_context
from eksaccess.features.doctor.model import (
    COULD_NOT_CHECK,
    NOT_CHECKED_AFTER_BREAK,
    ChainLink,
    LinkStatus,
    Report,
    sort_findings,
)
from eksaccess.features.doctor.probe import Facts, gather
from eksaccess.features.doctor.start import Started, start
from eksaccess.features.doctor.target import DoctorOptions


def run_doctor(options: DoctorOptions, ports: DoctorPorts, started: Started | None = None) -> Report:
    """Read the kubeconfig (or take ``started``, the kubeconfig read and the exec plugin under way), gather
    the facts, then run every check in link order on one Context."""
    started = started or start(options, ports)
    try:
        facts = gather(started, options, ports)
    finally:
        started.close()
    ctx = build_context(facts, ports)
    for check in CHECKS:
        ctx.findings += check(ctx)
    ordered = sort_findings(_dedupe(ctx.findings))
    return Report(
        cluster=_cluster_json(facts, ctx.mode),
        principal=_principal_json(facts, ctx.resolution, ctx.identity),
        chain=_chain(facts, ordered),
        findings=ordered,
        call_failures=_call_failures(facts, ordered) + ctx.withheld,
    )


def _errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per code and detail; a fix step printed by an earlier finding is not printed again (two
    findings with one cause share one fix, and a patch pinned to a resourceVersion runs only once)."""
    seen: set[tuple[FindingCode, str]] = set()
    steps: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    out = []
    for f in findings:
        key = (f.code, f.detail)
        if key in seen:
            continue
        seen.add(key)
        fix = tuple(s for s in f.fix if not (s.eksaccess or s.plain) or (s.eksaccess, s.plain) not in steps)
        steps.update((s.eksaccess, s.plain) for s in f.fix if s.eksaccess or s.plain)
        out.append(f if fix == f.fix else replace(f, fix=fix))
    return out


def _cluster_json(facts: Facts, mode: AuthenticationMode | None) -> dict[str, object]:
    described = facts.cluster.value
    return {
        "name": facts.target.cluster_name,
        "region": facts.target.region,
        "arn": described.arn if described else None,
        "status": described.status if described else None,
        "endpoint": described.endpoint if described else facts.target.server,
        "authenticationMode": mode.value if mode else None,
        "context": facts.target.context,
    }


def _principal_json(
    facts: Facts, resolution: Resolution | None, identity: KubeIdentity | None
) -> dict[str, object]:
    return {
        "arn": facts.principal_arn,
        "principalArn": resolution.principal_arn if resolution else None,
        "profile": facts.target.profile,
        "roleArn": facts.target.role_arn,
        "username": identity.username if identity else None,
        "groups": list(identity.groups) if identity else [],
        "source": resolution.source.kind.value if resolution else None,
    }


_SUMMARY_OK: dict[Link, str] = {
    Link.CREDENTIALS: "credentials work",
    Link.KUBECONFIG: "kubeconfig entry is right",
    Link.CLUSTER: "cluster found and active",
    Link.NETWORK: "endpoint reachable over TLS",
    Link.TOKEN: "token accepted",
    Link.AUTHENTICATION: "the cluster authenticates the principal",
    Link.MAPPING: "principal is mapped",
    Link.AUTHORIZATION: "permissions found",
    Link.RECOVERY: "an administrator exists",
}


def _chain(facts: Facts, findings: Sequence[Finding]) -> tuple[ChainLink, ...]:
    links: list[ChainLink] = []
    broken_before = False
    for link in Link:
        mine = [f for f in findings if f.link is link and f.severity is Severity.ERROR]
        if mine:
            links.append(ChainLink(link=link, status=LinkStatus.BROKEN, summary=mine[0].title))
            broken_before = True
            continue
        status, summary = _link_state(facts, link)
        if status is LinkStatus.OK and broken_before and link in (Link.AUTHORIZATION,):
            status, summary = LinkStatus.SKIPPED, NOT_CHECKED_AFTER_BREAK
        links.append(ChainLink(link=link, status=status, summary=summary))
    return tuple(links)


def _link_state(facts: Facts, link: Link) -> tuple[LinkStatus, str]:
    unknown: dict[Link, Callable[[], bool]] = {
        Link.CREDENTIALS: lambda: not facts.options.as_arn and facts.caller.value is None,
        Link.CLUSTER: lambda: facts.cluster.value is None,
        Link.NETWORK: lambda: facts.endpoint_version.value is None,
        Link.TOKEN: lambda: facts.whoami.value is None and facts.token_sts is None,
        Link.AUTHENTICATION: lambda: facts.whoami.value is None,
        Link.MAPPING: lambda: (
            facts.access_entries.value is None and facts.aws_auth.value is None and facts.whoami.value is None
        ),
        Link.AUTHORIZATION: lambda: facts.rbac.value is None and facts.baseline_permission.value is None,
        Link.RECOVERY: lambda: facts.access_entries.value is None and facts.aws_auth.value is None,
    }
    if facts.options.as_arn and link in (Link.CREDENTIALS, Link.TOKEN, Link.AUTHENTICATION):
        return LinkStatus.SKIPPED, "not checked: --as-arn diagnoses from the cluster's state"
    error = facts.whoami.error
    if link is Link.AUTHENTICATION and isinstance(error, KubeCallError) and error.status == 401:
        return LinkStatus.BROKEN, "the cluster answers 401 Unauthorized"
    if link in unknown and unknown[link]():
        return LinkStatus.UNKNOWN, COULD_NOT_CHECK
    if link is Link.AUTHENTICATION and facts.whoami.value is not None:
        return LinkStatus.OK, f"authenticated as {facts.whoami.value.username}"
    return LinkStatus.OK, _SUMMARY_OK[link]


def _call_failures(facts: Facts, findings: Sequence[Finding]) -> int:
    if findings and any(f.severity is Severity.ERROR for f in findings):
        return 0
    transient = {AwsErrorKind.THROTTLED, AwsErrorKind.UNREACHABLE, AwsErrorKind.OTHER}
    outcomes = (  # every question whose answer a finding could rest on (the shell's identity is only info)
        facts.caller,
        facts.base_caller,
        facts.admin_caller,
        facts.cluster,
        facts.endpoint_version,
        facts.whoami,
        facts.exec_whoami,
        facts.access_entries,
        facts.aws_auth,
        facts.rbac,
        facts.namespaces,
        facts.permission,
        facts.baseline_permission,
    )
    count = 0
    for outcome in outcomes:
        err = outcome.error
        aws_failed = isinstance(err, AwsCallError) and err.kind in transient
        kube_failed = isinstance(err, KubeCallError) and (err.status is None or err.status >= 429)
        count += int(aws_failed or kube_failed)
    for answer in (facts.token_sts, facts.exec_sts):
        if answer is not None and is_transient(*answer):
            count += 1  # STS never decided on the token
    return count
