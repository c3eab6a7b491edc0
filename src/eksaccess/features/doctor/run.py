"""doctor: walk the chain link by link and return a Report (never prints)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.aws_profiles import CredentialKind, ProfileCredentials
from eksaccess.adapters.kube import KubeCallError
from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig
from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.arn import InvalidArnError
from eksaccess.domain.authorize import Authorizer
from eksaccess.domain.awsauth import AwsAuth, parse_aws_auth
from eksaccess.domain.findings import Severity
from eksaccess.domain.identity import Caller, KubeIdentity, Resolution, resolve
from eksaccess.domain.sts_answer import is_transient
from eksaccess.features.doctor.catalog import Code, Link
from eksaccess.features.doctor.checks import (
    authorization,
    cluster,
    credentials,
    exec_plugin,
    kubeconfig,
    kubectl_token,
    network,
    recovery,
    token,
)
from eksaccess.features.doctor.checks.mapping import mapping
from eksaccess.features.doctor.model import ChainLink, Finding, LinkStatus, Report, sort_findings
from eksaccess.features.doctor.probe import DoctorPorts, Facts, gather
from eksaccess.features.doctor.target import DoctorOptions, resolve_target

AS_ARN_SESSION = "eksaccess-doctor"  # the session name templates see for --as-arn (no real session)


class RunPorts(DoctorPorts, Protocol):
    def which(self, command: str) -> str | None: ...
    def load_kubeconfig(self, explicit: str | None) -> LoadedKubeconfig: ...
    def profiles_by_role(self) -> dict[str, str]: ...
    def describe_profile(self, profile: str | None) -> ProfileCredentials: ...
    def transient_answers(self) -> int: ...
    def role_trust_policy(self, session: AwsSession, role_arn: str) -> dict[str, Any] | None: ...


def run_doctor(options: DoctorOptions, ports: RunPorts) -> Report:
    target = resolve_target(options, lambda: ports.load_kubeconfig(options.kubeconfig), ports.which)
    facts = gather(target, options, ports)
    findings: list[Finding] = kubeconfig.kubeconfig(facts)
    findings += credentials.credentials(facts, *_credential_context(facts, ports))
    findings += cluster.cluster(facts)
    codes = {f.code for f in findings}
    findings += network.network(facts, codes)
    findings += token.token(facts, codes)
    findings += exec_plugin.exec_plugin(facts)
    findings += kubectl_token.kubectl_token(facts)

    mode = facts.cluster.value.authentication_mode if facts.cluster.value else None
    aws_auth = _aws_auth(facts)
    entries = facts.access_entries.value
    resolution = _resolve(facts, mode, entries, aws_auth)
    live_identity, live_unauthorized = _live(facts)
    token_ok = facts.token_format_error is None and (facts.token_sts is None or facts.token_sts[0] == 200)
    read = _mapping_read(mode, entries, aws_auth)
    if resolution is not None:
        if not read:
            if live_identity is None and live_unauthorized and token_ok and not _errors(findings):
                findings.append(_inferred_missing(facts, mode, resolution))
            if live_identity is None:
                findings.append(
                    Finding(
                        code=Code.MAPPING_UNVERIFIED,
                        detail=_unverified(facts),
                    )
                )
        else:
            findings += mapping(
                facts,
                resolution,
                mode,
                aws_auth,
                live_unauthorized,
                token_ok and not _errors(findings),
                live_authenticated=live_identity is not None,
            )
    authorizer = (
        Authorizer.from_manifests(facts.rbac.value)
        if facts.rbac.ok and facts.rbac.value is not None
        else None
    )
    identity = live_identity or (resolution.identity if resolution else None)
    if resolution is not None and not _errors(findings):
        findings += authorization.authorization(facts, resolution, authorizer, identity)
    if not read and not _errors(findings):
        findings += authorization.live_only(facts, live_identity)
    findings, withheld = _settle(findings, ports.transient_answers())
    if read:
        everyone = _everyone(mode, entries or [], aws_auth)
        admins = recovery.admins(everyone, authorizer)
        findings += recovery.recovery(
            facts,
            admins,
            ports.profiles_by_role(),
            broken=bool(_errors(findings)),
            creator_admin=mode is AuthenticationMode.CONFIG_MAP,
            complete=entries is not None
            and aws_auth is not None
            or mode is not AuthenticationMode.API_AND_CONFIG_MAP,
        )
    ordered = sort_findings(_dedupe(findings))
    return Report(
        cluster=_cluster_json(facts, mode),
        principal=_principal_json(facts, resolution, identity),
        chain=_chain(facts, ordered),
        findings=ordered,
        call_failures=_call_failures(facts, ordered) + withheld,
    )


def _inferred_missing(facts: Facts, mode: AuthenticationMode | None, resolution: Resolution) -> Finding:
    """The token is valid (STS accepts it for this cluster) yet the cluster answers 401: nothing maps the
    principal as it is now. Without the mapping, the cause is one of several; the fix printed is only
    what is right in each of them, and the read that decides is named."""
    from eksaccess.features.doctor.checks.mapping import entry_arn_for, inferred_fix

    arn = entry_arn_for(resolution.principal_arn)
    config_map = mode is AuthenticationMode.CONFIG_MAP
    causes = (
        [
            Code.AWS_AUTH_ENTRY_MISSING,
            Code.AWS_AUTH_ROLE_PATH,
            Code.AWS_AUTH_ASSUMED_ROLE_ARN,
            Code.AWS_AUTH_MALFORMED,
        ]
        if config_map
        else [Code.ACCESS_ENTRY_MISSING, Code.ACCESS_ENTRY_STALE_PRINCIPAL]
        + ([Code.AWS_AUTH_ENTRY_MISSING] if mode is AuthenticationMode.API_AND_CONFIG_MAP else [])
    )
    return Finding(
        code=Code.NOT_MAPPED,
        detail=f"The cluster refuses a valid token for {resolution.principal_arn} (STS accepts it; mode "
        f"{mode.value if mode else 'unknown'}), so nothing maps this principal as it is now. Inferred, not read: "
        f"the cause is one of {', '.join(c.value for c in causes)}.",
        evidence={"principal": arn, "inferred": True, "causes": [c.value for c in causes]},
        fix=inferred_fix(facts, arn, mode),
    )


def _credential_context(
    facts: Facts, ports: RunPorts
) -> tuple[ProfileCredentials | None, dict[str, Any] | None]:
    """Where the failing credentials come from, and (AssumeRole refused) the role's trust policy as the
    administrator reads it."""
    error = facts.base_caller.error or facts.caller.error
    if facts.options.as_arn or not isinstance(error, AwsCallError):
        return None, None
    profile = ports.describe_profile(facts.target.profile)
    trust = None
    role = facts.target.role_arn or (profile.role_arn if profile.kind is CredentialKind.ASSUME_ROLE else None)
    if (
        error.kind is AwsErrorKind.ACCESS_DENIED
        and role
        and facts.options.admin_profile
        and facts.admin_caller.ok
    ):
        admin = ports.aws(profile=facts.options.admin_profile, region=facts.target.region)
        trust = ports.role_trust_policy(admin, role)
    return profile, trust


def _mapping_read(
    mode: AuthenticationMode | None, entries: list[AccessEntry] | None, aws_auth: AwsAuth | None
) -> bool:
    """Whether what decides the mapping in this mode was read: the access entries where they count (they
    win), aws-auth in CONFIG_MAP. A failed read of the entries never becomes "no entry"."""
    if mode is None:
        return False
    return entries is not None if mode.uses_access_entries else aws_auth is not None


def _rests_on_a_401(finding: Finding) -> bool:
    """A finding whose only evidence is the cluster's 401 to a token STS accepts."""
    return finding.code in (Code.NOT_MAPPED, Code.CACHED_CREDENTIALS_STALE) or (
        finding.code is Code.ACCESS_ENTRY_STALE_PRINCIPAL and "restsOn" in finding.evidence
    )


def _settle(findings: list[Finding], transient: int) -> tuple[list[Finding], int]:
    """In a run where AWS answered with throttling, 5xx or no connection, the cluster's 401 may be its
    authenticator failing to reach STS the same way (any webhook failure is a 401): the findings that rest
    on it alone are withheld, and the run ends as a failed call (exit 3), never as a false finding."""
    if not transient:
        return findings, 0
    kept = [f for f in findings if not _rests_on_a_401(f)]
    return kept, len(findings) - len(kept)


def _unverified(facts: Facts) -> str:
    admin = facts.options.admin_profile
    if admin is None:
        return (
            "Neither the access entries nor aws-auth could be read with these credentials; pass "
            "--admin-profile to let doctor read them and say exactly why."
        )
    failure = facts.access_entries.error or facts.aws_auth.error or facts.admin_caller.error
    return (
        f"The administrator profile {admin} could not read the access entries or aws-auth either"
        + (f" ({failure})" if failure else "")
        + "; use a profile that can (eks:ListAccessEntries, or a Kubernetes identity that may read "
        "kube-system/aws-auth)."
    )


def _errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per code and detail; a fix step printed by an earlier finding is not printed again (two
    findings with one cause share one fix, and a patch pinned to a resourceVersion runs only once)."""
    seen: set[tuple[Code, str]] = set()
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


def _aws_auth(facts: Facts) -> AwsAuth | None:
    outcome = facts.aws_auth
    if outcome.value is None:
        return None
    return parse_aws_auth(outcome.value.data)


def _resolve(
    facts: Facts, mode: AuthenticationMode | None, entries: list[AccessEntry] | None, aws_auth: AwsAuth | None
) -> Resolution | None:
    arn = facts.principal_arn
    if arn is None or mode is None:
        return None
    caller = facts.caller.value
    try:
        return resolve(
            mode=mode,
            access_entries=entries or [],
            aws_auth=aws_auth or parse_aws_auth(None),
            caller=Caller(
                arn=arn,
                account=caller.account if caller else None,
                user_id=caller.user_id if caller else None,
                access_key_id=caller.access_key_id if caller else None,
                session_name=AS_ARN_SESSION if facts.options.as_arn else None,
            ),
            aws_auth_data=facts.aws_auth.value.data if facts.aws_auth.value else None,
        )
    except InvalidArnError:
        return None


def _live(facts: Facts) -> tuple[KubeIdentity | None, bool]:
    who = facts.whoami
    if who.value is not None:
        v = who.value
        return KubeIdentity(username=v.username, uid=v.uid, groups=v.groups, extra=v.extra), False
    unauthorized = isinstance(who.error, KubeCallError) and who.error.status == 401
    return None, unauthorized


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
            status, summary = LinkStatus.SKIPPED, "not checked: an earlier link is broken"
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
        return LinkStatus.UNKNOWN, "could not be checked"
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
