"""The one cluster read, against in-memory fakes of EKS and of the API server (the outside world, not the
code under test): what is read in each mode, the creator rule, defaults, and the one retry policy."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, CallerIdentity, ClusterDescription
from eksaccess.adapters.kube import ConfigMapData, KubeCallError, ServiceAccountInfo, WhoAmI
from eksaccess.domain.access import AccessEntry
from eksaccess.domain.authz.bootstrap import bootstrap_manifests
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.state import AuthenticationMode
from eksaccess.features.cluster_read import read_cluster
from eksaccess.features.retry import Backoff, retry

ACCT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCT}:user/admin"
NO_WAIT = Backoff(attempts=5, sleep=lambda _: None, rng=random.Random(1))
CUSTOM_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "team-reader"},
    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
}


def described(mode: AuthenticationMode) -> ClusterDescription:
    return ClusterDescription(
        name="demo", arn=f"arn:aws:eks:us-west-2:{ACCT}:cluster/demo", region="us-west-2", status="ACTIVE",
        endpoint="https://127.0.0.1:1", certificate_authority_data=None, version="1.31",
        authentication_mode=mode, bootstrap_creator_admin=None,
    )  # fmt: skip


@dataclass
class FakeEks:
    entries: list[AccessEntry] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def describe_cluster(self, name: str, region: str | None = None) -> ClusterDescription:
        raise AssertionError("read_cluster is given the description")

    def list_access_entries(self, cluster: str, region: str | None = None) -> list[AccessEntry]:
        self.calls.append("ListAccessEntries")
        return list(self.entries)

    def caller_identity(self) -> CallerIdentity:
        return CallerIdentity(arn=ADMIN, account=ACCT, user_id="AIDAADMIN")

    def presign_token(self, cluster_name: str, region: str | None = None) -> str:
        return "k8s-aws-v1.fake"


@dataclass
class FakeApiServer:
    me: WhoAmI = field(default_factory=lambda: WhoAmI(username="admin", groups=(), uid="", extra={}))
    aws_auth: dict[str, str] | None = None
    rbac: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=lambda: ["default", "kube-system"])
    accounts: list[ServiceAccountInfo] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)  # per call, raised in order first

    def _answer(self, call: str, value: Callable[[], Any]) -> Any:
        pending = self.failures.get(call) or []
        if pending:
            raise pending.pop(0)
        return value()

    def whoami(self) -> WhoAmI:
        return self._answer("whoami", lambda: self.me)  # type: ignore[no-any-return]

    def get_aws_auth(self) -> ConfigMapData:
        return self._answer("aws-auth", lambda: ConfigMapData(data=self.aws_auth, resource_version="7"))  # type: ignore[no-any-return]

    def rbac_manifests(self) -> list[dict[str, Any]]:
        return self._answer("rbac", lambda: copy.deepcopy(self.rbac))  # type: ignore[no-any-return]

    def namespaces(self) -> list[str]:
        return self._answer("namespaces", lambda: list(self.names))  # type: ignore[no-any-return]

    def service_accounts(self) -> list[ServiceAccountInfo]:
        return self._answer("serviceaccounts", lambda: list(self.accounts))  # type: ignore[no-any-return]


def read(eks: FakeEks, kube: FakeApiServer, mode: AuthenticationMode, **kw: Any) -> Any:
    return read_cluster(
        eks, kube, described(mode), Caller(arn=ADMIN, account=ACCT), account=ACCT, backoff=NO_WAIT, **kw
    )


def test_api_modes_read_the_entries_and_config_map_does_not() -> None:
    entry = AccessEntry(principal_arn=ADMIN, kubernetes_groups=("ops",))
    for mode, expected in (
        (AuthenticationMode.API, ["ListAccessEntries"]),
        (AuthenticationMode.API_AND_CONFIG_MAP, ["ListAccessEntries"]),
        (AuthenticationMode.CONFIG_MAP, []),
    ):
        eks = FakeEks(entries=[entry])
        got = read(eks, FakeApiServer(aws_auth={"mapRoles": ""}), mode)
        assert eks.calls == expected
        assert len(got.state.access_entries()) == len(expected)
        assert got.aws_auth_version == "7"
        assert got.state.aws_auth == {"mapRoles": ""}


def test_namespaces_are_bare_manifests_before_the_rbac_objects() -> None:
    got = read(FakeEks(), FakeApiServer(rbac=[CUSTOM_ROLE]), AuthenticationMode.API)
    kinds = [(m["kind"], m["metadata"]["name"]) for m in got.state.kubernetes]
    assert kinds == [("Namespace", "default"), ("Namespace", "kube-system"), ("ClusterRole", "team-reader")]


def test_unchanged_defaults_are_left_out_only_when_asked_and_edited_ones_stay() -> None:
    defaults = [dict(m) for m in bootstrap_manifests()]
    plain = [m for m in defaults if m["kind"] == "ClusterRole" and "aggregationRule" not in m]
    edited = copy.deepcopy(plain[-1])
    edited["metadata"]["labels"] = {"edited": "yes"}
    edited["rules"] = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
    unchanged = [m for m in defaults if m["metadata"]["name"] != edited["metadata"]["name"]][:3]
    server = FakeApiServer(rbac=[*unchanged, edited, CUSTOM_ROLE])
    kept = read(FakeEks(), server, AuthenticationMode.API)
    stripped = read(FakeEks(), server, AuthenticationMode.API, keep_defaults=False)
    names = [m["metadata"]["name"] for m in stripped.state.kubernetes if m["kind"] != "Namespace"]
    assert names == [edited["metadata"]["name"], "team-reader"]
    assert len(kept.state.kubernetes) == 2 + 5


@pytest.mark.parametrize(
    ("me", "aws_auth", "creator"),
    [
        (WhoAmI(username="kubernetes-admin", groups=("system:masters",), uid="", extra={}), None, ADMIN),
        (WhoAmI(username="kubernetes-admin", groups=("system:authenticated",), uid="", extra={}), None, None),
        (WhoAmI(username="admin", groups=("system:masters",), uid="", extra={}), None, None),
        (  # an aws-auth row gave the reader that name: not the creator's hidden mapping
            WhoAmI(username="kubernetes-admin", groups=("system:masters",), uid="", extra={}),
            {"mapUsers": f"- userarn: {ADMIN}\n  username: kubernetes-admin\n  groups: [system:masters]\n"},
            None,
        ),
    ],
)
def test_the_one_creator_rule(me: WhoAmI, aws_auth: dict[str, str] | None, creator: str | None) -> None:
    got = read(FakeEks(), FakeApiServer(me=me, aws_auth=aws_auth), AuthenticationMode.CONFIG_MAP)
    assert got.state.cluster.creator_arn == creator


def test_the_creator_is_asked_only_in_config_map_mode() -> None:
    server = FakeApiServer(failures={"whoami": [AssertionError("asked")]})
    assert read(FakeEks(), server, AuthenticationMode.API).state.cluster.creator_arn is None


def test_a_creator_check_that_cannot_run_is_a_note_not_a_failure() -> None:
    server = FakeApiServer(failures={"whoami": [KubeCallError("forbidden", status=403)]})
    got = read(FakeEks(), server, AuthenticationMode.CONFIG_MAP)
    assert got.state.cluster.creator_arn is None
    assert got.notes and "cluster creator not checked" in got.notes[0]


def test_transient_answers_are_tried_again_and_lasting_ones_raise() -> None:
    server = FakeApiServer(
        failures={
            "aws-auth": [KubeCallError("slow down", status=429), KubeCallError("boom", status=503)],
            "rbac": [KubeCallError("reset", status=None)],
            "namespaces": [KubeCallError("sts failed", status=401)],
        }
    )
    assert read(FakeEks(), server, AuthenticationMode.API).aws_auth_version == "7"
    denied = FakeApiServer(failures={"namespaces": [KubeCallError("forbidden", status=403)]})
    with pytest.raises(KubeCallError, match="forbidden"):
        read(FakeEks(), denied, AuthenticationMode.API)


@pytest.mark.parametrize(
    ("error", "tries"),
    [
        (KubeCallError("x509", status=None, tls=True), 1),  # never transient
        (KubeCallError("not mapped", status=401), 4),  # a few times: the authenticator's STS may have failed
        (KubeCallError("throttled", status=429), 5),
        (AwsCallError(AwsErrorKind.THROTTLED, "Rate exceeded", operation="ListAccessEntries"), 5),
        (AwsCallError(AwsErrorKind.ACCESS_DENIED, "no", operation="ListAccessEntries"), 1),
    ],
)
def test_the_retry_policy(error: Exception, tries: int) -> None:
    count = 0

    def call() -> None:
        nonlocal count
        count += 1
        raise error

    with pytest.raises(type(error)):
        retry(call, NO_WAIT)
    assert count == tries


def test_service_accounts_are_read_into_the_workload_section_and_a_403_is_a_note() -> None:
    web = ServiceAccountInfo(
        namespace="apps",
        name="web",
        annotations={"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCT}:role/web"},
    )
    got = read(FakeEks(), FakeApiServer(accounts=[web]), AuthenticationMode.API)
    section = got.state.workload_identity
    assert section is not None and got.state.api_version == "eksaccess/v2"
    assert [(sa.namespace, sa.name, sa.annotations) for sa in section.service_accounts] == [
        ("apps", "web", web.annotations)
    ]
    denied = FakeApiServer(failures={"serviceaccounts": [KubeCallError("forbidden", status=403)]})
    got = read(FakeEks(), denied, AuthenticationMode.API)
    assert got.state.workload_identity is None
    assert any(note.startswith("service accounts not read") for note in got.notes)
