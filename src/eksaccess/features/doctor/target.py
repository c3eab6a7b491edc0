"""Which cluster and which credentials doctor diagnoses: from the kubeconfig, then the flags.

With no flags the current context decides everything, exactly as kubectl would: the exec entry's
``--cluster-name``, ``--region``, ``--role``/``--role-arn`` and ``AWS_PROFILE`` env (which overrides the
shell's). Problems found on the way are kubeconfig findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig
from eksaccess.domain.findings import Finding, FindingCode, FixStep
from eksaccess.domain.kubeconfig import (
    EXEC_V1,
    EXEC_V1ALPHA1,
    SUPPORTED_EXEC_VERSIONS,
    ClusterEntry,
    EksExec,
    ExecConfig,
    ExecPlugin,
    Kubeconfig,
    KubeconfigError,
    eks_exec,
)
from eksaccess.domain.token import PREFIX as TOKEN_PREFIX
from eksaccess.domain.token import token_region
from eksaccess.features.doctor.fixes import cmd, update_kubeconfig_fix
from eksaccess.features.doctor.kubeconfig_findings import finding

_CLUSTER_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):eks:(?P<region>[\w-]+):(?P<account>\d{12}):cluster/(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)"
)


@dataclass(frozen=True, kw_only=True)
class DoctorOptions:
    context: str | None = None
    kubeconfig: str | None = None
    cluster: str | None = None
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    as_arn: str | None = None
    admin_profile: str | None = None
    verb: str | None = None
    resource: str | None = None
    namespace: str | None = None
    offline: bool = False  # no check-IP lookup of this machine's public IP


@dataclass(frozen=True, kw_only=True)
class Target:
    """What the kubeconfig and flags say. ``cluster_name`` is the real cluster (from the kubeconfig's
    cluster ARN when there is one); ``token_cluster_name`` is the name the token will carry."""

    cluster_name: str | None
    token_cluster_name: str | None
    region: str | None
    token_region: str | None
    profile: str | None
    role_arn: str | None
    context: str | None
    server: str | None
    ca_data: str | None
    namespace: str | None
    plugin: ExecPlugin | None
    exec_command: str | None
    exec_config: ExecConfig | None = None  # the user's exec entry, run as kubectl runs it
    static_token: str | None = field(default=None, repr=False)  # the user's k8s-aws-v1 token (a secret)
    kubeconfig_paths: tuple[str, ...] = ()
    user_name: str | None = None  # the kubeconfig user entry of the context
    profile_contexts: Mapping[str, str] = field(default_factory=dict)  # profile -> a context of this cluster
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> bool:
        return self.cluster_name is not None


def _arn_parts(name: str | None) -> Mapping[str, str] | None:
    match = _CLUSTER_ARN.match(name or "")
    return match.groupdict() if match else None


def resolve_target(
    options: DoctorOptions,
    load: Callable[[], LoadedKubeconfig],
    which: Callable[[str], str | None],
) -> Target:
    findings: list[Finding] = []
    try:
        loaded: LoadedKubeconfig | None = load()
    except KubeconfigError as err:
        code = (
            FindingCode.KUBECONFIG_NOT_FOUND
            if "does not exist" in err.message
            else FindingCode.KUBECONFIG_INVALID
        )
        aside = (
            (
                FixStep(
                    text="Move the unreadable file aside (kubectl refuses all of it); copy entries back by hand later.",
                    plain=(cmd("mv", err.path, err.path + ".unreadable"),),
                ),
            )
            if code is FindingCode.KUBECONFIG_INVALID and err.path
            else ()
        )
        findings.append(finding(code, detail=err.message, fix=(*aside, *_kubeconfig_fix(options))))
        loaded = None
    if loaded is not None and not loaded.paths:  # kubectl has nothing to run with, --cluster or not
        findings.append(
            finding(
                FindingCode.KUBECONFIG_NOT_FOUND,
                detail="No kubeconfig file exists (KUBECONFIG or ~/.kube/config).",
                fix=_kubeconfig_fix(options),
            )
        )
    config = loaded.config if loaded else None
    context = config.context(options.context) if config else None
    if config is not None and loaded is not None and loaded.paths and context is None:
        wanted = options.context or config.current_context
        if not options.cluster:
            detail = (
                f"The context {wanted!r} does not exist in the kubeconfig."
                if wanted
                else "The kubeconfig has no current-context."
            )
            findings.append(
                finding(
                    FindingCode.KUBECONFIG_CONTEXT_MISSING,
                    detail=detail,
                    fix=_use_context_fix(config.contexts, options) or _kubeconfig_fix(options),
                )
            )

    cluster_entry = config.clusters.get(context.cluster) if config and context else None
    user_entry = config.users.get(context.user) if config and context else None
    if context is not None and (cluster_entry is None or user_entry is None):
        missing = "cluster" if cluster_entry is None else "user"
        name = context.cluster if cluster_entry is None else context.user
        findings.append(
            finding(
                FindingCode.KUBECONFIG_CONTEXT_MISSING,
                detail=f"Context {context.name!r} names the {missing} {name!r}, which the kubeconfig does not have.",
                fix=_kubeconfig_fix(options),
            )
        )
    exec_info: EksExec | None = eks_exec(user_entry) if user_entry else None
    static = user_entry.token if user_entry is not None and user_entry.exec is None else None
    static = static if static and static.startswith(TOKEN_PREFIX) else None  # kubectl sends it as it is
    if user_entry is not None and exec_info is None and static is None and not options.cluster:
        findings.append(
            finding(
                FindingCode.KUBECONFIG_NOT_EKS_EXEC,
                detail=f"User {user_entry.name!r} has no 'aws eks get-token' exec entry.",
                fix=_kubeconfig_fix(options),
            )
        )
    if user_entry is not None and user_entry.exec is not None and exec_info is not None:
        findings.extend(
            _exec_findings(
                user_entry.exec.api_version,
                user_entry.exec.interactive_mode,
                user_entry.exec.command,
                user_entry.name,
                which,
                options,
            )
        )

    arn = _arn_parts(cluster_entry.name if cluster_entry else None)
    token_cluster = exec_info.cluster_name if exec_info else None
    cluster_name = options.cluster or (arn["name"] if arn else None) or token_cluster
    static_region = token_region(static) if static else None
    region = (
        options.region
        or (arn["region"] if arn else None)
        or (exec_info.region if exec_info else None)
        or static_region
    )
    if static is not None and cluster_name is None and user_entry is not None:
        findings.append(
            finding(
                FindingCode.KUBECONFIG_NOT_EKS_EXEC,
                detail=f"User {user_entry.name!r} has a static token and no 'aws eks get-token' exec entry; the "
                "cluster entry is not named by its EKS ARN, and a token does not carry the cluster's name. "
                "Pass --cluster.",
                fix=_kubeconfig_fix(options),
            )
        )
    if cluster_name and context is not None:  # the entry's own context, rewritten under its own names
        rewrite = update_kubeconfig_fix(
            cluster=cluster_name,
            region=region,
            profile=options.profile or (exec_info.profile if exec_info else None),
            role_arn=options.role_arn or (exec_info.role_arn if exec_info else None),
            kubeconfig=options.kubeconfig,
            alias=context.name,
            user_alias=context.user,
            text=f"Rewrite the context {context.name} with the exec apiVersion kubectl accepts "
            "(client.authentication.k8s.io/v1beta1).",
        )
        mint = update_kubeconfig_fix(
            cluster=cluster_name,
            region=region,
            profile=options.profile,
            role_arn=options.role_arn,
            kubeconfig=options.kubeconfig,
            alias=context.name,
            user_alias=context.user,
            text=f"Rewrite the context {context.name} with an exec entry that mints EKS tokens"
            + (
                f" as profile {options.profile}."
                if options.profile
                else ": add --profile P, the AWS profile of the identity this context should use."
            ),
        )
        if not options.profile:
            mint = tuple(replace(step, by_hand=True) for step in mint)
        instead = _use_the_aws_cli(rewrite)
        if exec_info is not None and exec_info.plugin is ExecPlugin.AWS_CLI:  # aws is what may be missing
            instead = update_kubeconfig_fix(
                cluster=cluster_name,
                region=region,
                profile=options.profile or exec_info.profile,
                role_arn=options.role_arn or exec_info.role_arn,
                kubeconfig=options.kubeconfig,
                alias=context.name,
                user_alias=context.user,
                exec_plugin="eksaccess",
                text=f"Or mint the token with eksaccess instead (no aws CLI needed): rewrite the context "
                f"{context.name} to run 'eksaccess token'.",
            )
        findings = [
            replace(f, fix=mint)
            if f.code is FindingCode.KUBECONFIG_NOT_EKS_EXEC and static is None
            else replace(f, fix=rewrite)
            if f.code is FindingCode.EXEC_API_VERSION_UNSUPPORTED
            else replace(f, fix=(*f.fix, *instead))
            if f.code is FindingCode.EXEC_COMMAND_NOT_FOUND
            else f
            for f in findings
        ]
    return Target(
        cluster_name=cluster_name,
        token_cluster_name=options.cluster or token_cluster or cluster_name,
        region=region,
        token_region=options.region or (exec_info.region if exec_info else None) or static_region or region,
        profile=options.profile or (exec_info.profile if exec_info else None),
        role_arn=options.role_arn or (exec_info.role_arn if exec_info else None),
        context=context.name if context else None,
        server=cluster_entry.server if cluster_entry else None,
        ca_data=cluster_entry.certificate_authority_data if cluster_entry else None,
        namespace=options.namespace or (context.namespace if context else None),
        plugin=exec_info.plugin if exec_info else None,
        exec_command=user_entry.exec.command if user_entry and user_entry.exec else None,
        exec_config=user_entry.exec if user_entry else None,
        static_token=static,
        kubeconfig_paths=tuple(str(p) for p in loaded.paths) if loaded else (),
        user_name=context.user if context else None,
        profile_contexts=_profile_contexts(config, cluster_entry, cluster_name) if config else {},
        findings=tuple(findings),
    )


def _use_the_aws_cli(rewrite: tuple[FixStep, ...]) -> tuple[FixStep, ...]:
    return tuple(
        replace(
            step, text="Or mint the token with the aws CLI instead: " + step.text[0].lower() + step.text[1:]
        )
        for step in rewrite
    )


def _profile_contexts(
    config: Kubeconfig, diagnosed: ClusterEntry | None, cluster_name: str | None
) -> dict[str, str]:
    """The contexts that reach this cluster as an AWS profile (same cluster entry, or same server), by
    profile: the printed fixes run cluster-side commands as the administrator through one of them."""
    found: dict[str, str] = {}
    for name, ctx in sorted(config.contexts.items()):
        entry, user = config.clusters.get(ctx.cluster), config.users.get(ctx.user)
        info = eks_exec(user) if user is not None else None
        if entry is None or info is None or info.role_arn or not info.profile:
            continue
        same = diagnosed is not None and (
            entry.name == diagnosed.name or (entry.server is not None and entry.server == diagnosed.server)
        )
        arn = _arn_parts(entry.name)
        same = same or (arn is not None and arn["name"] == cluster_name)
        if same and entry.server and info.cluster_name in (cluster_name, None):
            found.setdefault(info.profile, name)
    return found


def _exec_findings(
    api_version: str,
    interactive_mode: str | None,
    command: str,
    user: str,
    which: Callable[[str], str | None],
    options: DoctorOptions,
) -> list[Finding]:
    findings: list[Finding] = []
    if api_version not in SUPPORTED_EXEC_VERSIONS:
        detail = (
            f"User {user!r} uses exec apiVersion {api_version!r}; kubectl 1.24 and later refuse it "
            f'("exec plugin: invalid apiVersion").'
            if api_version == EXEC_V1ALPHA1
            else f"User {user!r} uses exec apiVersion {api_version!r}, which kubectl does not know."
        )
        findings.append(
            finding(
                FindingCode.EXEC_API_VERSION_UNSUPPORTED,
                detail=detail,
                evidence={"apiVersion": api_version},
                fix=_kubeconfig_fix(
                    options, "Regenerate the entry with client.authentication.k8s.io/v1beta1"
                ),
            )
        )
    elif api_version == EXEC_V1 and not interactive_mode:
        findings.append(
            finding(
                FindingCode.EXEC_API_VERSION_UNSUPPORTED,
                detail=f"interactiveMode must be specified for {user} to use exec authentication plugin",
                evidence={"apiVersion": api_version},
                fix=_kubeconfig_fix(options),
            )
        )
    if which(command) is None:
        findings.append(
            finding(
                FindingCode.EXEC_COMMAND_NOT_FOUND,
                detail=f"exec: executable {command} not found on PATH.",
                evidence={"command": command},
                fix=(FixStep(text=f"Install {command} or put it on kubectl's PATH."),),
            )
        )
    return findings


def _use_context_fix(contexts: Mapping[str, object], options: DoctorOptions) -> tuple[FixStep, ...]:
    """current-context names a context that is gone and exactly one is left: switch to it (with several,
    which one the person meant is theirs to say). Not for --context: the person named that one."""
    if options.context or options.cluster or len(contexts) != 1:
        return ()
    (name,) = contexts
    return (
        FixStep(
            text=f"Switch to the one context the kubeconfig has left, {name!r} (or write the missing one with "
            "--cluster).",
            plain=(
                cmd(
                    "kubectl",
                    "config",
                    "use-context",
                    name,
                    *(["--kubeconfig", options.kubeconfig] if options.kubeconfig else []),
                ),
            ),
        ),
    )


def _kubeconfig_fix(options: DoctorOptions, text: str | None = None) -> tuple[FixStep, ...]:
    if not options.cluster:
        return (
            FixStep(text=text or "Write the kubeconfig entry for your cluster (name it with --cluster)."),
        )
    return update_kubeconfig_fix(
        cluster=options.cluster,
        region=options.region,
        profile=options.profile,
        role_arn=options.role_arn,
        kubeconfig=options.kubeconfig,
        text=text,
    )
