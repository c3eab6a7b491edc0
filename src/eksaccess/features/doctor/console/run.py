"""doctor --console's walk: gather as doctor does, then the console's three links (IAM, mapping, reads).

The facts come from doctor's own gathering (``probe.gather``) and its Context: the same identity resolution
(domain/iam/identity) and the same authorizer (domain/authz: access policies united with RBAC). kubectl's
checks run on that Context too, so a link that stops everything (credentials, the cluster, the endpoint) or
a mapping doctor can repair (a role path in aws-auth, a stale entry) is reported as kubectl's walk reports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.adapters.kube import KubeCallError
from eksaccess.adapters.ports import DoctorPorts
from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.authz.rbac import Attributes
from eksaccess.domain.console import CONSOLE_IAM_ACTIONS, CONSOLE_VERB, ReadRequest, read_requests
from eksaccess.domain.findings import Finding, FindingCode, FixStep, Link, Severity
from eksaccess.domain.iam.identity import MappingKind
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal
from eksaccess.features.doctor.checks import CHECKS
from eksaccess.features.doctor.checks import console as checks
from eksaccess.features.doctor.console.model import ConsoleReport, DecidedBy, IamAnswer, ReadAnswer
from eksaccess.features.doctor.context import Context, build_context
from eksaccess.features.doctor.model import sort_findings
from eksaccess.features.doctor.probe import GET_TOKEN_SESSION, gather
from eksaccess.features.doctor.start import Started, start
from eksaccess.features.doctor.target import DoctorOptions
from eksaccess.features.doctor.writer import writer_of

# kubectl's findings that stop the console's walk too: nothing past them can be asked.
_BLOCKING = (Link.CREDENTIALS, Link.CLUSTER, Link.NETWORK)
# kubectl's "nothing maps it" findings: the console says it with its own fix (CONSOLE_NOT_MAPPED).
_RESTATED = frozenset(
    {
        FindingCode.ACCESS_ENTRY_MISSING,
        FindingCode.AWS_AUTH_ENTRY_MISSING,
        FindingCode.NOT_MAPPED,
        FindingCode.MAPPING_UNVERIFIED,
        FindingCode.AWS_AUTH_IGNORED_API_MODE,
    }
)
_TRANSIENT = (AwsErrorKind.THROTTLED, AwsErrorKind.UNREACHABLE, AwsErrorKind.OTHER)


def run_console(
    options: DoctorOptions, ports: DoctorPorts, namespaces: Sequence[str] = (), started: Started | None = None
) -> ConsoleReport:
    started = started or start(options, ports)
    try:
        facts = gather(started, options, ports)
    finally:
        started.close()
    ctx = build_context(facts, ports)
    for check in CHECKS:
        ctx.findings += check(ctx)
    target = facts.target
    cluster = {
        "name": target.cluster_name,
        "region": target.region,
        "authenticationMode": ctx.mode.value if ctx.mode else None,
    }
    principal = {
        "arn": facts.principal_arn,
        "principalArn": ctx.resolution.principal_arn if ctx.resolution else None,
        "username": ctx.identity.username if ctx.identity else None,
        "groups": list(ctx.identity.groups) if ctx.identity else [],
    }
    blocking = [f for f in ctx.findings if f.severity is Severity.ERROR and f.link in _BLOCKING]
    if not target.usable:
        blocking = [f for f in ctx.findings if f.severity is Severity.ERROR]
    if blocking or facts.principal_arn is None:
        return ConsoleReport(
            cluster=cluster,
            principal=principal,
            namespaces=tuple(namespaces),
            iam=IamAnswer(source_arn=None, why="not asked: an earlier link is broken"),
            mapped=None,
            reads=(),
            findings=sort_findings(blocking),
            call_failures=0 if blocking else 1,
        )
    sessions = _Sessions(ctx, ports)
    findings: list[Finding] = []
    failures = 0
    iam = _ask_iam(ctx, sessions)
    if iam.decisions is not None and iam.source_arn:
        findings += checks.iam_findings(
            source_arn=iam.source_arn, decisions=iam.decisions, writer=writer_of(facts)
        )
    elif iam.why.startswith("failed"):
        failures += 1
    else:
        findings.append(checks.iam_unchecked(iam.source_arn, iam.why))
    mapped, mapping_findings = _mapping(ctx, namespaces)
    findings += mapping_findings
    reads: tuple[ReadAnswer, ...] = ()
    notes: list[str] = []
    if mapped:
        reads, how, failed = _reads(ctx, sessions, read_requests(namespaces))
        failures += failed
        denied = [r.request for r in reads if not r.allowed]
        if denied and ctx.identity is not None:
            findings.append(
                checks.cannot_list(
                    principal_arn=facts.principal_arn,
                    username=ctx.identity.username,
                    denied=denied,
                    how=how,
                    fix=_access_fix(ctx, namespaces),
                )
            )
        if not reads:
            notes.append(f"the console's reads could not be checked: {how}")
    elif mapped is None:
        notes.append("whether the cluster maps the principal could not be told: pass --admin-profile")
        failures += int(ctx.transient > 0)
    return ConsoleReport(
        cluster=cluster,
        principal=principal,
        namespaces=tuple(namespaces),
        iam=iam,
        mapped=mapped,
        reads=reads,
        findings=sort_findings(findings),
        call_failures=failures,
        notes=tuple(notes),
    )


class _Sessions:
    """The AWS sessions the console's questions are asked with: the principal's own (as doctor's probe
    makes it: the kubeconfig's profile, its --role-arn assumed) and the administrator's."""

    def __init__(self, ctx: Context, ports: DoctorPorts) -> None:
        self.ctx, self.ports = ctx, ports
        self._principal: AwsSession | None | bool = False

    def admin(self) -> AwsSession | None:
        options, target = self.ctx.facts.options, self.ctx.facts.target
        if not options.admin_profile or not self.ctx.facts.admin_caller.ok:
            return None
        return self.ports.aws(profile=options.admin_profile, region=target.region)

    def principal(self) -> AwsSession | None:
        if self._principal is False:
            self._principal = self._make_principal()
        return self._principal if isinstance(self._principal, AwsSession) else None

    def _make_principal(self) -> AwsSession | None:
        facts = self.ctx.facts
        if facts.options.as_arn or not facts.caller.ok:
            return None
        target = facts.target
        try:
            session = self.ports.aws(profile=target.profile, region=target.token_region or target.region)
            if target.role_arn:
                session = session.assume_role(target.role_arn, GET_TOKEN_SESSION)
        except AwsCallError:
            return None
        return session


def _ask_iam(ctx: Context, sessions: _Sessions) -> IamAnswer:
    """iam:SimulatePrincipalPolicy for the principal's IAM ARN (path included, from GetRole/GetUser), asked
    as the administrator when one is given, else as the principal itself."""
    from eksaccess.adapters.iam import principal_arn

    arn = ctx.facts.principal_arn or ""
    try:
        parsed = parse_principal(arn)
    except InvalidArnError:
        return IamAnswer(source_arn=None, why=f"{arn} is not an IAM user or role ARN")
    if parsed.kind not in (PrincipalKind.ROLE, PrincipalKind.ASSUMED_ROLE, PrincipalKind.USER):
        return IamAnswer(source_arn=None, why=f"a {parsed.kind.value} principal cannot be simulated")
    admin = sessions.admin()
    asker = admin or sessions.principal()
    asked_as = f"the administrator (profile {ctx.facts.options.admin_profile})" if admin else "the principal"
    if asker is None:
        return IamAnswer(
            source_arn=None, why="no credentials to ask IAM with (--as-arn needs --admin-profile)"
        )
    kind: Literal["role", "user"] = "user" if parsed.kind is PrincipalKind.USER else "role"
    source = parsed.canonical_arn
    with contextlib.suppress(AwsCallError):  # refused: the ARN as the cluster sees it (no path)
        source = principal_arn(asker, kind, parsed.name)  # the path IAM keeps (the canonical ARN drops it)
    try:
        decisions = asker.simulate_principal_policy(source, CONSOLE_IAM_ACTIONS)
    except AwsCallError as err:
        if err.kind in _TRANSIENT:
            return IamAnswer(source_arn=source, asked_as=asked_as, why=f"failed: {err}")
        return IamAnswer(source_arn=source, asked_as=asked_as, why=f"{err.code or err.kind.value}: {err}")
    return IamAnswer(source_arn=source, decisions=decisions, asked_as=asked_as)


def _mapping(ctx: Context, namespaces: Sequence[str]) -> tuple[bool | None, list[Finding]]:
    """Whether the cluster maps the principal (by its state when read, else by its answer to the token), and
    the findings: kubectl's for a mapping doctor can repair, else CONSOLE_NOT_MAPPED with the console's fix."""
    facts, resolution = ctx.facts, ctx.resolution
    if ctx.read and resolution is not None:
        mapped: bool | None = resolution.authenticated
    elif ctx.live_identity is not None:
        mapped = True
    elif ctx.live_unauthorized and ctx.token_ok:
        mapped = False
    else:
        mapped = None
    if mapped is not False:
        return mapped, []
    repairable = [
        f
        for f in ctx.findings
        if f.link is Link.MAPPING and f.severity is Severity.ERROR and f.code not in _RESTATED
    ]
    if repairable:
        return False, repairable
    near = [f"{m.where}: {m.reason}" for m in resolution.near_misses] if resolution else []
    return False, [
        checks.not_mapped(
            principal_arn=resolution.principal_arn if resolution else facts.principal_arn or "",
            mode=ctx.mode,
            fix=_access_fix(ctx, namespaces),
            evidence={"mode": ctx.mode.value if ctx.mode else None, "nearMisses": near},
        )
    ]


def _access_fix(ctx: Context, namespaces: Sequence[str]) -> tuple[FixStep, ...]:
    resolution = ctx.resolution
    arn = resolution.principal_arn if resolution else ctx.facts.principal_arn or ""
    kind = resolution.source.kind if resolution else MappingKind.NONE
    via_aws_auth = ctx.mode is AuthenticationMode.CONFIG_MAP or (
        ctx.mode is AuthenticationMode.API_AND_CONFIG_MAP
        and kind in (MappingKind.MAP_ROLES, MappingKind.MAP_USERS)
    )
    read = ctx.facts.aws_auth.value
    return checks.console_access_fix(
        writer=writer_of(ctx.facts),
        principal_arn=arn,
        mode=ctx.mode,
        entry=resolution.access_entry if resolution else None,
        via_aws_auth=via_aws_auth,
        namespaces=namespaces,
        aws_auth_data=read.data if read is not None else None,
        resource_version=read.resource_version if read is not None else None,
    )


def _reads(
    ctx: Context, sessions: _Sessions, requests: Sequence[ReadRequest]
) -> tuple[tuple[ReadAnswer, ...], str, int]:
    """Each read decided by the cluster's state (the authorizer over access policies and RBAC) when it was
    read, else by the cluster's SelfSubjectAccessReview to the principal's own token."""
    resolution, identity = ctx.resolution, ctx.identity
    if ctx.read and ctx.authorizer is not None and resolution is not None and identity is not None:
        policies = resolution.access_entry.policies if resolution.access_entry else ()
        answers = []
        for request in requests:
            decision = ctx.authorizer.authorize(
                Attributes(
                    verb=CONSOLE_VERB,
                    resource=request.read.resource,
                    api_group=request.read.group,
                    namespace=request.namespace,
                ),
                username=identity.username,
                groups=identity.groups,
                policies=policies,
                principal_arn=resolution.principal_arn,
                explain=False,
            )
            answers.append(
                ReadAnswer(
                    request=request,
                    allowed=decision.allowed,
                    decided_by=DecidedBy.STATE,
                    reason=decision.reason,
                )
            )
        return tuple(answers), "by the cluster's access policies and RBAC", 0
    return _live_reads(ctx, sessions, requests)


def _live_reads(
    ctx: Context, sessions: _Sessions, requests: Sequence[ReadRequest]
) -> tuple[tuple[ReadAnswer, ...], str, int]:
    facts = ctx.facts
    session = sessions.principal()
    described = facts.cluster.value
    server = (described.endpoint if described else None) or facts.target.server
    ca = (described.certificate_authority_data if described else None) or facts.target.ca_data
    if session is None or not server or ctx.live_identity is None:
        return (), "neither the cluster's state nor its answer to the principal's token could be read", 0
    try:
        token = session.presign_token(
            facts.target.token_cluster_name or facts.target.cluster_name or "", facts.target.token_region
        )
    except AwsCallError:
        return (), "no token could be minted for the principal", 1
    answers: list[ReadAnswer] = []
    with ctx.ports.kube(server=server, ca_data=ca, token=token) as client, ThreadPoolExecutor(4) as pool:

        def ask(request: ReadRequest) -> ReadAnswer:
            review = client.can_i(
                CONSOLE_VERB, request.read.resource, group=request.read.group, namespace=request.namespace
            )
            return ReadAnswer(
                request=request, allowed=review.allowed, decided_by=DecidedBy.CLUSTER, reason=review.reason
            )

        try:
            answers = list(pool.map(ask, requests))
        except KubeCallError:
            return (), "the cluster's SelfSubjectAccessReview failed", 1
    return tuple(answers), "the cluster's own SelfSubjectAccessReview", 0
