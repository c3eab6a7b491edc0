"""An in-memory EKS cluster for management's feature tests: EKS's access entries and policy associations
(ClusterAdmin) and the API server's aws-auth, RBAC and namespaces (KubeWriter), with the answers the live
services give (ResourceInUseException, ResourceNotFoundException, 409 on a stale resourceVersion, 404).

A fake of the outside world, never of the code under test: apply, read-back and verification run as they
do against AWS. ``before_put`` lets a test play another writer at the worst moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import ConfigMapData, KubeCallError, ServiceAccountInfo, WhoAmI
from eksaccess.adapters.ports import WriteOutcome
from eksaccess.domain.access import (
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    AuthenticationMode,
    EntryType,
    default_username,
)

ACCOUNT = "111122223333"
REGION = "us-west-2"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/admin"


@dataclass
class FakeEks:
    """EKS for one cluster, as the operator sees it."""

    mode: AuthenticationMode = AuthenticationMode.API_AND_CONFIG_MAP
    entries: dict[str, AccessEntry] = field(default_factory=dict)
    fail_on: Callable[[str], AwsCallError | None] = lambda operation: None
    calls: list[str] = field(default_factory=list)
    region: str | None = REGION
    roles: list[str] = field(default_factory=list)  # IAM's role ARNs (ListRoles)

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        error = self.fail_on(operation)
        if error is not None:
            raise error

    def describe_cluster(self, name: str, region: str | None = None) -> ClusterDescription:
        self._call("DescribeCluster")
        return ClusterDescription(
            name=name,
            arn=f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{name}",
            region=REGION,
            status="ACTIVE",
            endpoint="https://fake.example",
            certificate_authority_data="Q0E=",
            version="1.31",
            authentication_mode=self.mode,
            bootstrap_creator_admin=False,
        )

    def list_access_entries(self, cluster: str, region: str | None = None) -> list[AccessEntry]:
        self._call("ListAccessEntries")
        return list(self.entries.values())

    def caller_identity(self) -> CallerIdentity:
        return CallerIdentity(arn=OPERATOR, account=ACCOUNT, user_id="AROAOPERATOR")

    def presign_token(self, cluster_name: str, region: str | None = None) -> str:
        return "k8s-aws-v1.fake"

    def describe_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None, *, policies: bool = True
    ) -> AccessEntry:
        self._call("DescribeAccessEntry")
        entry = self.entries.get(principal_arn)
        if entry is None:
            raise AwsCallError(AwsErrorKind.NOT_FOUND, "no entry", operation="DescribeAccessEntry")
        return entry if policies else replace(entry, policies=())

    def create_access_entry(
        self, cluster: str, entry: AccessEntry, region: str | None = None
    ) -> WriteOutcome:
        self._call("CreateAccessEntry")
        if entry.principal_arn in self.entries:
            return WriteOutcome.ALREADY  # ResourceInUseException
        self.entries[entry.principal_arn] = replace(entry, policies=())
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
        self._call("UpdateAccessEntry")
        entry = self._entry(principal_arn, "UpdateAccessEntry")
        changes: dict[str, Any] = {"kubernetes_groups": tuple(groups)}
        if username is not None:
            changes["username"] = username
        self.entries[principal_arn] = replace(entry, **changes)
        return WriteOutcome.DONE

    def delete_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None
    ) -> WriteOutcome:
        self._call("DeleteAccessEntry")
        return WriteOutcome.DONE if self.entries.pop(principal_arn, None) else WriteOutcome.ALREADY

    def associate_access_policy(
        self, cluster: str, principal_arn: str, policy_arn: str, scope: AccessScope, region: str | None = None
    ) -> WriteOutcome:
        self._call("AssociateAccessPolicy")
        entry = self._entry(principal_arn, "AssociateAccessPolicy")
        kept = tuple(p for p in entry.policies if p.policy_arn != policy_arn)
        new = AccessPolicyAssociation(policy_arn=policy_arn, scope=scope)
        self.entries[principal_arn] = replace(entry, policies=(*kept, new))
        return WriteOutcome.DONE

    def disassociate_access_policy(
        self, cluster: str, principal_arn: str, policy_arn: str, region: str | None = None
    ) -> WriteOutcome:
        self._call("DisassociateAccessPolicy")
        entry = self.entries.get(principal_arn)
        if entry is None or all(p.policy_arn != policy_arn for p in entry.policies):
            return WriteOutcome.ALREADY
        kept = tuple(p for p in entry.policies if p.policy_arn != policy_arn)
        self.entries[principal_arn] = replace(entry, policies=kept)
        return WriteOutcome.DONE

    def update_authentication_mode(
        self, cluster: str, mode: AuthenticationMode, region: str | None = None
    ) -> WriteOutcome:
        self._call("UpdateClusterConfig")
        if mode is self.mode:
            return WriteOutcome.ALREADY
        self.mode = mode
        return WriteOutcome.DONE

    def principal_arn(self, kind: Literal["role", "user"], name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"

    def role_arns(self, path_prefix: str) -> list[str]:
        self._call("ListRoles")
        return [arn for arn in self.roles if f":role{path_prefix}" in arn]

    def _entry(self, principal_arn: str, operation: str) -> AccessEntry:
        entry = self.entries.get(principal_arn)
        if entry is None:
            raise AwsCallError(
                AwsErrorKind.NOT_FOUND, f"no access entry for {principal_arn}", operation=operation
            )
        return entry


@dataclass
class FakeKube:
    """The API server: kube-system/aws-auth with a resourceVersion, bindings, namespaces; the operator is
    mapped (so whoami answers)."""

    aws_auth: dict[str, str] | None = None
    version: int = 1
    objects: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=lambda: ["default", "kube-system", "dev"])
    before_put: Callable[[FakeKube], None] = lambda kube: None
    puts: int = 0

    def whoami(self) -> WhoAmI:
        return WhoAmI(username="admin", groups=("system:authenticated",), uid="u", extra={})

    def get_aws_auth(self) -> ConfigMapData:
        data = dict(self.aws_auth) if self.aws_auth is not None else None
        return ConfigMapData(data=data, resource_version=str(self.version) if data is not None else None)

    def rbac_manifests(self) -> list[dict[str, Any]]:
        return [dict(o) for o in self.objects]

    def namespaces(self) -> list[str]:
        return list(self.names)

    def service_accounts(self) -> list[ServiceAccountInfo]:
        return []

    def put_aws_auth(self, data: Mapping[str, str], resource_version: str | None) -> str:
        self.before_put(self)
        self.puts += 1
        if (resource_version is None) != (self.aws_auth is None) or (
            resource_version is not None and resource_version != str(self.version)
        ):
            raise KubeCallError("the object has been modified; please apply your changes", status=409)
        self.aws_auth, self.version = dict(data), self.version + 1
        return str(self.version)

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        if method == "POST" and "bindings" in path:
            name = body["metadata"]["name"]
            if any(o["metadata"]["name"] == name and o["kind"] == body["kind"] for o in self.objects):
                raise KubeCallError("already exists", status=409)
            self.objects.append(dict(body))
            return body
        raise KubeCallError(f"{method} {path}: not served by the fake", status=404)

    def close(self) -> None:
        return None

    def other_writer_sets(self, mapping: dict[str, str]) -> None:
        """Another writer's write, between our read and our put."""
        self.aws_auth, self.version = dict(mapping), self.version + 1


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def entry(arn: str, *groups: str) -> AccessEntry:
    """A standard entry as EKS creates it (its default username)."""
    made = AccessEntry(principal_arn=arn, type=EntryType.STANDARD, kubernetes_groups=groups)
    return replace(made, username=default_username(made))
