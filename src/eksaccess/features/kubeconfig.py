"""Write or repair a kubeconfig entry for an EKS cluster, exactly as ``aws eks update-kubeconfig``."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eksaccess.adapters.aws import AwsSession
from eksaccess.adapters.kubeconfig_files import read_document, write_document, write_target
from eksaccess.domain.kubeconfig import EksClusterRef, ExecPlugin, dump_raw, update_kubeconfig
from eksaccess.errors import InputError


@dataclass(frozen=True, kw_only=True)
class KubeconfigChange:
    path: Path
    context: str
    existed: bool
    diff: str
    written: bool

    @property
    def message(self) -> str:
        verb = "Updated" if self.existed else "Added new"
        return f"{verb} context {self.context} in {self.path}"


def write_kubeconfig(
    session: AwsSession,
    *,
    cluster: str,
    env: Mapping[str, str],
    region: str | None = None,
    profile: str | None = None,
    role_arn: str | None = None,
    alias: str | None = None,
    user_alias: str | None = None,
    kubeconfig: str | None = None,
    plugin: ExecPlugin = ExecPlugin.AWS_CLI,
    dry_run: bool = False,
) -> KubeconfigChange:
    described = session.describe_cluster(cluster, region)
    if described.status not in ("ACTIVE", "UPDATING"):
        raise InputError(f"Cluster status is {described.status}")
    if not described.endpoint or not described.certificate_authority_data:
        raise InputError(f"cluster {cluster} has no endpoint yet")
    ref = EksClusterRef(
        name=described.name,
        arn=described.arn,
        endpoint=described.endpoint,
        certificate_authority_data=described.certificate_authority_data,
    )
    path = write_target(kubeconfig, env, ref.arn)
    before = read_document(path)
    before_text = dump_raw(before) if before else ""
    document, context, existed = update_kubeconfig(
        before, ref, profile=profile, role_arn=role_arn, alias=alias, user_alias=user_alias, plugin=plugin
    )
    after_text = dump_raw(document)
    diff = "".join(
        difflib.unified_diff(
            before_text.splitlines(keepends=True),
            after_text.splitlines(keepends=True),
            fromfile=f"{path} (before)",
            tofile=f"{path} (after)",
        )
    )
    if not dry_run and after_text != before_text:
        write_document(path, document)
    return KubeconfigChange(path=path, context=context, existed=existed, diff=diff, written=not dry_run)
