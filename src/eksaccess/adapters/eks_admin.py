"""EKS write operations for access management: access entries, policy associations, authentication mode.

``EksAdmin`` is the live :class:`~eksaccess.adapters.ports.ClusterAdmin`: an
:class:`~eksaccess.adapters.aws.AwsSession`'s reads and these writes (botocore's standard retry mode
retries throttling and 5xx), and IAM's ARN of a principal. Every write is safe to run again: "already
there" and "already gone" answers that mean the wanted state holds are reported as such instead of failing,
so an apply that stopped half-way can simply be run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession, CallerIdentity, ClusterDescription
from eksaccess.adapters.iam import principal_arn, role_arns
from eksaccess.adapters.ports import WriteOutcome
from eksaccess.domain.access import AccessEntry, AccessScope, ScopeType
from eksaccess.domain.state import AuthenticationMode


def _scope_param(scope: AccessScope) -> dict[str, Any]:
    if scope.type is ScopeType.CLUSTER:
        return {"type": "cluster"}
    return {"type": "namespace", "namespaces": list(scope.namespaces)}


class EksAdmin:
    """The live ClusterAdmin: one AwsSession's reads, EKS's access writes and IAM's principal lookup."""

    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @property
    def region(self) -> str | None:
        return self.session.region

    def describe_cluster(self, name: str, region: str | None = None) -> ClusterDescription:
        return self.session.describe_cluster(name, region)

    def list_access_entries(self, cluster: str, region: str | None = None) -> list[AccessEntry]:
        return self.session.list_access_entries(cluster, region)

    def caller_identity(self) -> CallerIdentity:
        return self.session.caller_identity()

    def presign_token(self, cluster_name: str, region: str | None = None) -> str:
        return self.session.presign_token(cluster_name, region)

    def describe_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None, *, policies: bool = True
    ) -> AccessEntry:
        return self.session.describe_access_entry(cluster, principal_arn, region, policies=policies)

    def principal_arn(self, kind: Literal["role", "user"], name: str) -> str:
        return principal_arn(self.session, kind, name)

    def role_arns(self, path_prefix: str) -> list[str]:
        return role_arns(self.session, path_prefix)

    def create_access_entry(
        self, cluster: str, entry: AccessEntry, region: str | None = None
    ) -> WriteOutcome:
        """CreateAccessEntry (type, username, groups; policies are associated separately).

        ``ResourceInUseException`` means an entry for the principal exists: ALREADY (the caller then compares
        and updates it)."""
        params: dict[str, Any] = {"clusterName": cluster, "principalArn": entry.principal_arn}
        if entry.type.is_node:
            params["type"] = entry.type.value
        else:
            if entry.username is not None:
                params["username"] = entry.username
            if entry.kubernetes_groups:
                params["kubernetesGroups"] = list(entry.kubernetes_groups)
        try:
            self.session.call("eks", "create_access_entry", region, **params)
        except AwsCallError as err:
            if err.kind is AwsErrorKind.IN_USE:
                return WriteOutcome.ALREADY
            raise
        return WriteOutcome.DONE

    def update_access_entry(
        self,
        cluster: str,
        principal_arn: str,
        *,
        username: str | None,
        groups: tuple[str, ...],
        region: str | None = None,
    ) -> WriteOutcome:
        """UpdateAccessEntry: set the groups (always) and the username (when given)."""
        params: dict[str, Any] = {
            "clusterName": cluster,
            "principalArn": principal_arn,
            "kubernetesGroups": list(groups),
        }
        if username is not None:
            params["username"] = username
        self.session.call("eks", "update_access_entry", region, **params)
        return WriteOutcome.DONE

    def delete_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None
    ) -> WriteOutcome:
        """DeleteAccessEntry (its policy associations go with it); an entry already gone is ALREADY."""
        try:
            self.session.call(
                "eks", "delete_access_entry", region, clusterName=cluster, principalArn=principal_arn
            )
        except AwsCallError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return WriteOutcome.ALREADY
            raise
        return WriteOutcome.DONE

    def associate_access_policy(
        self,
        cluster: str,
        principal_arn: str,
        policy_arn: str,
        scope: AccessScope,
        region: str | None = None,
    ) -> WriteOutcome:
        """AssociateAccessPolicy: an upsert (a new scope replaces the old one)."""
        self.session.call(
            "eks",
            "associate_access_policy",
            region,
            clusterName=cluster,
            principalArn=principal_arn,
            policyArn=policy_arn,
            accessScope=_scope_param(scope),
        )
        return WriteOutcome.DONE

    def disassociate_access_policy(
        self, cluster: str, principal_arn: str, policy_arn: str, region: str | None = None
    ) -> WriteOutcome:
        try:
            self.session.call(
                "eks",
                "disassociate_access_policy",
                region,
                clusterName=cluster,
                principalArn=principal_arn,
                policyArn=policy_arn,
            )
        except AwsCallError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return WriteOutcome.ALREADY
            raise
        return WriteOutcome.DONE

    def update_authentication_mode(
        self,
        cluster: str,
        mode: AuthenticationMode,
        region: str | None = None,
        *,
        timeout: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> WriteOutcome:
        """UpdateClusterConfig accessConfig.authenticationMode, then wait until the update is done.

        A cluster already in ``mode`` is ALREADY (EKS would refuse the same-mode update)."""
        current = self.session.describe_cluster(cluster, region).authentication_mode
        if current is mode:
            return WriteOutcome.ALREADY
        out = self.session.call(
            "eks",
            "update_cluster_config",
            region,
            name=cluster,
            accessConfig={"authenticationMode": mode.value},
        )
        update_id = str((out.get("update") or {}).get("id", ""))
        deadline = time.monotonic() + timeout
        delay = 0.2
        while update_id:
            update = self.session.call("eks", "describe_update", region, name=cluster, updateId=update_id)[
                "update"
            ]
            status = str(update.get("status", ""))
            if status == "Successful":
                break
            if status in ("Failed", "Cancelled"):
                errors = "; ".join(str(e.get("errorMessage", "")) for e in update.get("errors") or [])
                raise AwsCallError(
                    AwsErrorKind.OTHER,
                    f"authentication mode update {status.lower()}: {errors or 'no detail'}",
                    operation="UpdateClusterConfig",
                )
            if time.monotonic() > deadline:
                raise AwsCallError(
                    AwsErrorKind.OTHER,
                    f"authentication mode update {update_id} still {status} after {int(timeout)} s",
                    operation="DescribeUpdate",
                )
            sleep(delay)
            delay = min(delay * 2, 15.0)
        return WriteOutcome.DONE
