"""The SQLite store: records round-trip, entries carry their policies, writes from many threads."""

from __future__ import annotations

import threading
from pathlib import Path

from eksaccess.domain.access import CLUSTER_SCOPE, AccessEntry, AccessScope, EntryType, ScopeType
from eksaccess.domain.state import AuthenticationMode
from eksaccess.sandbox.store import (
    AccessKeyRecord,
    ClusterRecord,
    EntryRecord,
    PolicyRecord,
    PrincipalRecord,
    PrincipalType,
    SandboxStore,
)

ROLE = "arn:aws:iam::111122223333:role/dev"


def _cluster(name: str = "demo") -> ClusterRecord:
    return ClusterRecord(
        name=name,
        region="us-west-2",
        account_id="111122223333",
        arn=f"arn:aws:eks:us-west-2:111122223333:cluster/{name}",
        authentication_mode=AuthenticationMode.API,
        creator_arn=None,
        endpoint="https://127.0.0.1:1",
        status="ACTIVE",
        certificate_authority_data="x",
        version="1.31",
    )


def test_principals_and_keys_round_trip(tmp_path: Path) -> None:
    store = SandboxStore.in_dir(tmp_path)
    role = PrincipalRecord(
        arn=ROLE,
        account_id="111122223333",
        kind=PrincipalType.ROLE,
        name="dev",
        path="/",
        unique_id="AROAX",
        allow=("eks:*",),
        trusted_by=("arn:aws:iam::111122223333:root",),
    )
    store.put_principal(role)
    assert store.get_principal(ROLE) == role
    assert store.find_principal("111122223333", PrincipalType.ROLE, "DEV") == role
    key = AccessKeyRecord(
        access_key_id="ASIAX",
        secret_access_key="s",
        principal_arn=ROLE,
        session_token="t",
        session_name="me",
        expiration=12.5,
        chained=True,
    )
    store.put_access_key(key)
    assert store.get_access_key("ASIAX") == key and store.get_access_key("nope") is None


def test_entries_with_policies_and_delete(tmp_path: Path) -> None:
    store = SandboxStore.in_dir(tmp_path)
    store.put_cluster(_cluster())
    assert store.get_cluster("demo") == _cluster()
    entry = AccessEntry(
        principal_arn=ROLE, type=EntryType.STANDARD, kubernetes_groups=("a",), principal_id="AROAX"
    )
    store.put_entry(
        EntryRecord(
            cluster="demo", entry=entry, entry_arn="arn", tags={"k": "v"}, created_at=1, modified_at=2
        )
    )
    scope = AccessScope(type=ScopeType.NAMESPACE, namespaces=("dev",))
    store.put_policy("demo", ROLE, PolicyRecord(policy_arn="p1", scope=scope, associated_at=1, modified_at=1))
    store.put_policy(
        "demo", ROLE, PolicyRecord(policy_arn="p2", scope=CLUSTER_SCOPE, associated_at=2, modified_at=2)
    )
    [listed] = store.list_access_entries("demo")
    assert listed.principal_id == "AROAX" and [p.policy_arn for p in listed.policies] == ["p1", "p2"]
    assert listed.policies[0].scope == scope
    store.delete_entry("demo", ROLE)
    assert store.list_access_entries("demo") == [] and store.policies_of("demo", ROLE) == []


def test_delete_cluster_drops_its_entries(tmp_path: Path) -> None:
    store = SandboxStore.in_dir(tmp_path)
    store.put_cluster(_cluster())
    store.put_entry(
        EntryRecord(
            cluster="demo",
            entry=AccessEntry(principal_arn=ROLE),
            entry_arn="a",
            tags={},
            created_at=0,
            modified_at=0,
        )
    )
    store.delete_cluster("demo")
    assert store.get_cluster("demo") is None and store.list_entry_records("demo") == []


def test_concurrent_writes(tmp_path: Path) -> None:
    store = SandboxStore.in_dir(tmp_path)

    def write(n: int) -> None:
        for i in range(20):
            store.set_meta(f"k{n}-{i}", str(i))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(store.get_meta(f"k{n}-19") == "19" for n in range(8))
    assert SandboxStore.in_dir(tmp_path).get_meta("k3-7") == "7"  # a second store on the same file sees it
