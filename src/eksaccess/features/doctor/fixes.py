"""Fix steps: each a sentence plus commands ready to paste (eksaccess, and plain aws/kubectl).

Every command runs as printed, in order, without a prompt or an editor. Cluster-side commands run as the
``Writer``: the administrator doctor proved can read the cluster's state (``--admin-profile``), through a
kubeconfig context of theirs for this cluster when there is one, else with a token of theirs on the
diagnosed context. Without one, the commands carry no identity and the step says who must run them.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksaccess.domain.access import AccessEntry, default_username
from eksaccess.domain.authz.access_policies import policy_arn
from eksaccess.domain.findings import FixStep
from eksaccess.domain.iam.principal import parse_principal


def cmd(*parts: str | None) -> str:
    return shlex.join(p for p in parts if p)


def opt(flag: str, value: str | None) -> list[str]:
    return [flag, value] if value else []


@dataclass(frozen=True, kw_only=True, slots=True)
class Writer:
    """Who runs the cluster-side commands, and where the cluster is."""

    cluster: str
    region: str | None
    profile: str | None = None  # the administrator's AWS profile (None: not known)
    context: str | None = None  # a kubeconfig context that runs as that profile
    diagnosed_context: str | None = None  # the context doctor ran on (server and CA are right)

    @property
    def known(self) -> bool:
        return self.profile is not None

    @property
    def who(self) -> str:
        return f"the administrator (profile {self.profile})" if self.profile else "a cluster administrator"

    def aws_flags(self) -> list[str]:
        return [*opt("--region", self.region), *opt("--profile", self.profile)]

    def kubectl(self, *args: str) -> str:
        """kubectl as the writer: their context, or their token on the diagnosed context."""
        if self.context:
            return cmd("kubectl", "--context", self.context, *args)
        if self.profile:
            token = cmd(
                "aws",
                "eks",
                "get-token",
                "--cluster-name",
                self.cluster,
                *self.aws_flags(),
                "--query",
                "status.token",
                "--output",
                "text",
            )
            head = cmd("kubectl", *opt("--context", self.diagnosed_context))
            return f'{head} --token "$({token})" {shlex.join(args)}'
        return cmd("kubectl", *args)


def update_kubeconfig_fix(
    *,
    cluster: str,
    region: str | None,
    profile: str | None,
    role_arn: str | None = None,
    kubeconfig: str | None = None,
    alias: str | None = None,
    user_alias: str | None = None,
    text: str | None = None,
    exec_plugin: str | None = None,
) -> tuple[FixStep, ...]:
    """Rewrite the diagnosed context (its name kept with --alias/--user-alias) from the cluster's description.

    ``exec_plugin="eksaccess"``: the entry runs ``eksaccess token`` (``--exec eksaccess``), for when the aws
    CLI is not installed; then there is no plain form (``aws eks update-kubeconfig`` is the aws CLI)."""
    common = [*opt("--region", region), *opt("--profile", profile)]
    eks = cmd(
        "eksaccess",
        "kubeconfig",
        "--cluster",
        cluster,
        *common,
        *opt("--role-arn", role_arn),
        *opt("--alias", alias),
        *opt("--user-alias", user_alias or alias),
        *opt("--kubeconfig", kubeconfig),
        *opt("--exec", exec_plugin),
    )
    plain = cmd(
        "aws",
        "eks",
        "update-kubeconfig",
        "--name",
        cluster,
        *common,
        *opt("--role-arn", role_arn),
        *opt("--alias", alias),
        *opt("--user-alias", user_alias or alias),
        *opt("--kubeconfig", kubeconfig),
    )
    return (
        FixStep(
            text=text
            or (
                f"Rewrite the context {alias} from the cluster's current description."
                if alias
                else "Write the kubeconfig entry from the cluster's current description."
            ),
            eksaccess=(eks,),
            plain=() if exec_plugin == "eksaccess" else (plain,),
        ),
    )


def _partition(arn: str) -> str:
    return parse_principal(arn).partition


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
    writer: Writer,
    principal_arn: str,
    policy: str = "AmazonEKSViewPolicy",
    short: str = "view",
    namespaces: Sequence[str] = (),
    create_entry: bool = True,
) -> tuple[FixStep, ...]:
    common = writer.aws_flags()
    ns_flags = [x for ns in namespaces for x in ("--namespace", ns)]
    plain: list[str] = []
    if create_entry:
        plain.append(
            cmd(
                "aws",
                "eks",
                "create-access-entry",
                "--cluster-name",
                writer.cluster,
                "--principal-arn",
                principal_arn,
                *common,
            )
        )
    plain.append(
        associate_command(
            writer.cluster, principal_arn, policy_arn(policy, _partition(principal_arn)), namespaces, common
        )
    )
    where = f" in {', '.join(namespaces)}" if namespaces else " cluster-wide"
    return (
        FixStep(
            text=(
                f"As {writer.who}, give {principal_arn} an access entry with the {short} policy{where} "
                "(pick the policy the person needs)."
                if create_entry
                else f"As {writer.who}, associate the {short} access policy{where} with the entry."
            ),
            eksaccess=(
                cmd(
                    "eksaccess",
                    "grant",
                    principal_arn,
                    "--cluster",
                    writer.cluster,
                    "--policy",
                    short,
                    *ns_flags,
                    *common,
                ),
            ),
            plain=tuple(plain),
        ),
    )


def restore_entry_fix(*, writer: Writer, entry: AccessEntry) -> tuple[FixStep, ...]:
    """Delete an access entry and create it again exactly as it was: type, username, groups, and every
    policy with its scope (EKS then binds it to the principal's current unique ID)."""
    arn, common = entry.principal_arn, writer.aws_flags()
    custom_username = entry.username and entry.username != default_username(entry)
    create = ["aws", "eks", "create-access-entry", "--cluster-name", writer.cluster, "--principal-arn", arn]
    grant = ["eksaccess", "grant", arn, "--cluster", writer.cluster]
    if entry.type.value != "STANDARD":
        create += ["--type", entry.type.value]
        grant += ["--type", entry.type.value]
    if custom_username and entry.username:
        create += ["--username", entry.username]
        grant += ["--username", entry.username]
    if entry.kubernetes_groups:
        create += ["--kubernetes-groups", *entry.kubernetes_groups]
        grant += [x for g in entry.kubernetes_groups for x in ("--group", g)]
    for assoc in entry.policies:
        grant += [
            "--policy",
            assoc.policy_arn,
            *[x for ns in assoc.scope.namespaces for x in ("--namespace", ns)],
        ]
    plain = [
        cmd(
            "aws",
            "eks",
            "delete-access-entry",
            "--cluster-name",
            writer.cluster,
            "--principal-arn",
            arn,
            *common,
        ),
        cmd(*create, *common),
    ]
    plain += [
        associate_command(writer.cluster, arn, a.policy_arn, a.scope.namespaces, common)
        for a in entry.policies
    ]
    return (
        FixStep(
            text=f"As {writer.who}, delete the entry bound to the deleted principal and create it again exactly "
            "as it was (type, username, groups and every policy with its scope); EKS then binds it to the "
            "current principal.",
            eksaccess=(
                cmd(
                    "eksaccess",
                    "revoke",
                    arn,
                    "--cluster",
                    writer.cluster,
                    "--via",
                    "access-entry",
                    "--force",
                    *common,
                ),
                cmd(*grant, *common),
            ),
            plain=tuple(plain),
        ),
    )


# --- aws-auth ----------------------------------------------------------------------------------------------


def aws_auth_patch(writer: Writer, data: Mapping[str, str | None], resource_version: str | None) -> str:
    """A merge patch of the aws-auth keys in ``data``, refused by the API server (409) if aws-auth changed
    since doctor read it at ``resource_version``: it never overwrites another writer's change."""
    body: dict[str, Any] = {"data": dict(data)}
    if resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    patch = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return writer.kubectl(
        "-n", "kube-system", "patch", "configmap", "aws-auth", "--type", "merge", "-p", patch
    )


def apply_manifests(writer: Writer, manifests: Sequence[Mapping[str, Any]]) -> str:
    """``kubectl apply`` of the manifests, given inline (a here-document)."""
    body = {"apiVersion": "v1", "kind": "List", "items": [dict(m) for m in manifests]}
    return f"{writer.kubectl('apply', '-f', '-')} <<'EOF'\n{json.dumps(body, indent=2)}\nEOF"


def repair_aws_auth_fix(
    *, writer: Writer, text: str, repaired: Mapping[str, str | None], resource_version: str | None
) -> tuple[FixStep, ...]:
    return (
        FixStep(
            text=f"As {writer.who}, {text}",
            eksaccess=(
                cmd("eksaccess", "repair", "aws-auth", "--cluster", writer.cluster, *writer.aws_flags()),
            ),
            plain=(aws_auth_patch(writer, repaired, resource_version),),
        ),
    )


def aws_auth_grant_fix(
    *,
    writer: Writer,
    principal_arn: str,
    short: str,
    namespaces: Sequence[str],
    patch: Mapping[str, str | None] | None,
    resource_version: str | None,
    manifests: Sequence[Mapping[str, Any]],
) -> tuple[FixStep, ...]:
    """Map the principal in aws-auth with a group bound to the policy's ClusterRole (as ``grant`` does)."""
    ns_flags = [x for ns in namespaces for x in ("--namespace", ns)]
    grant = cmd(
        "eksaccess",
        "grant",
        principal_arn,
        "--cluster",
        writer.cluster,
        "--via",
        "aws-auth",
        "--policy",
        short,
        *ns_flags,
        *writer.aws_flags(),
    )
    plain: list[str] = []
    if manifests:
        plain.append(apply_manifests(writer, manifests))
    if patch is not None:
        plain.append(aws_auth_patch(writer, patch, resource_version))
    where = f" in {', '.join(namespaces)}" if namespaces else " cluster-wide"
    return (
        FixStep(
            text=f"As {writer.who}, map {principal_arn} in aws-auth with a group bound to the {short} "
            f"ClusterRole{where} (pick the access the person needs).",
            eksaccess=(grant,),
            plain=tuple(plain),
        ),
    )
