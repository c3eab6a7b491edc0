"""What every check reads: the gathered facts and what follows from them once (the authentication mode, the
mapping read, the principal's resolution, the live identity, the authorizer), the findings so far, and the
ports for the few questions a check asks itself.

A check is ``check(ctx) -> findings``; it decides from ``ctx`` whether it applies (an earlier error, a
mapping that was not read), so the walk (run.py) names no check: it runs ``checks.CHECKS`` in link order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eksaccess.adapters.kube import KubeCallError
from eksaccess.adapters.ports import DoctorPorts
from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.findings import Finding, FindingCode, Severity
from eksaccess.domain.iam.identity import Caller, KubeIdentity, Resolution, resolve
from eksaccess.domain.iam.principal import InvalidArnError
from eksaccess.features.doctor.probe import Facts

AS_ARN_SESSION = "eksaccess-doctor"  # the session name templates see for --as-arn (no real session)


@dataclass
class Context:
    facts: Facts
    ports: DoctorPorts
    mode: AuthenticationMode | None
    aws_auth: AwsAuth | None
    entries: list[AccessEntry] | None
    resolution: Resolution | None
    live_identity: KubeIdentity | None
    live_unauthorized: bool  # the cluster answered the principal's token with 401
    token_ok: bool  # the token is well formed and STS accepted it (or was not asked)
    read: bool  # what decides the mapping in this mode was read
    authorizer: Authorizer | None
    transient: int  # AWS answers in this run that decided nothing (throttling, 5xx, no connection)
    findings: list[Finding] = field(default_factory=list)
    withheld: int = 0  # findings withheld because the 401 they rest on decided nothing

    @property
    def identity(self) -> KubeIdentity | None:
        return self.live_identity or (self.resolution.identity if self.resolution else None)

    def errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def codes(self) -> set[FindingCode]:
        return {f.code for f in self.findings}

    def decided(self, findings: Sequence[Finding]) -> list[Finding]:
        """``findings`` without those resting on the cluster's 401 alone, in a run where AWS answered with
        throttling, 5xx or no connection: the cluster's authenticator calls the same STS and turns any
        failure into a 401, so that 401 decided nothing (the run ends as a failed call, exit 3)."""
        if not self.transient:
            return list(findings)
        kept = [f for f in findings if not rests_on_a_401(f)]
        self.withheld += len(findings) - len(kept)
        return kept


def rests_on_a_401(finding: Finding) -> bool:
    """A finding whose only evidence is the cluster's 401 to a token STS accepts."""
    return finding.code in (FindingCode.NOT_MAPPED, FindingCode.CACHED_CREDENTIALS_STALE) or (
        finding.code is FindingCode.ACCESS_ENTRY_STALE_PRINCIPAL and "restsOn" in finding.evidence
    )


def build_context(facts: Facts, ports: DoctorPorts) -> Context:
    mode = facts.cluster.value.authentication_mode if facts.cluster.value else None
    aws_auth = parse_aws_auth(facts.aws_auth.value.data) if facts.aws_auth.value is not None else None
    entries = facts.access_entries.value
    live_identity, live_unauthorized = _live(facts)
    return Context(
        facts=facts,
        ports=ports,
        mode=mode,
        aws_auth=aws_auth,
        entries=entries,
        resolution=_resolve(facts, mode, entries, aws_auth),
        live_identity=live_identity,
        live_unauthorized=live_unauthorized,
        token_ok=facts.token_format_error is None and (facts.token_sts is None or facts.token_sts[0] == 200),
        read=mapping_read(mode, entries, aws_auth),
        authorizer=Authorizer.from_manifests(facts.rbac.value)
        if facts.rbac.ok and facts.rbac.value is not None
        else None,
        transient=ports.transient_answers(),
    )


def mapping_read(
    mode: AuthenticationMode | None, entries: list[AccessEntry] | None, aws_auth: AwsAuth | None
) -> bool:
    """Whether what decides the mapping in this mode was read: the access entries where they count (they
    win), aws-auth in CONFIG_MAP. A failed read of the entries never becomes "no entry"."""
    if mode is None:
        return False
    return entries is not None if mode.uses_access_entries else aws_auth is not None


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
