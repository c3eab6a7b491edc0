"""Load a scenario into a fresh sandbox store: principals and keys, clusters, access entries, the
Kubernetes objects of each cluster, and the credentials each AWS profile will hold.

IAM unique ids are derived from the ARN (stable across resets); a role marked ``recreated`` gets the id
of its second incarnation, while access entries keep the id of the first, as in EKS after a role is
deleted and created again under the same name.
"""

from __future__ import annotations

import base64
import hashlib
import json

from eksaccess.domain.arn import parse_principal, role_arn, user_arn
from eksaccess.sandbox.aws.eks_common import cluster_arn, entry_arn
from eksaccess.sandbox.aws.identity import new_access_key_id, new_secret, new_session_token, unique_id
from eksaccess.sandbox.config_files import ProfileCredentials
from eksaccess.sandbox.scenarios.model import ProfileSpec, ProfileType, Scenario
from eksaccess.sandbox.store import (
    AccessKeyRecord,
    ClusterRecord,
    EntryRecord,
    PolicyRecord,
    PrincipalRecord,
    PrincipalType,
    SandboxStore,
)

DEFAULT_VERSION = "1.31"
META_SCENARIO = "scenario"
META_SCENARIO_NAME = "scenario_name"
META_PROFILES = "profile_credentials"
META_FOREIGN_CA = "foreign_ca"
EXPIRED_AGO = 3600.0


def principal_id(arn: str, *, generation: int = 0) -> str:
    prefix = "AIDA" if parse_principal(arn).kind.value == "user" else "AROA"
    return unique_id(prefix, f"{arn}#{generation}")


def stable_key_id(arn: str) -> str:
    digest = base64.b32encode(hashlib.sha256(f"key:{arn}".encode()).digest()).decode("ascii")
    return "AKIA" + digest[:16]


def _seed_principals(store: SandboxStore, scenario: Scenario, now: float) -> None:
    for account, spec in scenario.accounts.items():
        for user in spec.users:
            arn = user_arn("aws", account, user.name, user.path)
            store.put_principal(
                PrincipalRecord(
                    arn=arn,
                    account_id=account,
                    kind=PrincipalType.USER,
                    name=user.name,
                    path=user.path,
                    unique_id=principal_id(arn),
                    allow=None if user.allow is None else tuple(user.allow),
                    created_at=now,
                )
            )
            keys = [(k.accessKeyId, k.secretAccessKey) for k in user.accessKeys] or [
                (stable_key_id(arn), new_secret())
            ]
            for akid, secret in keys:
                store.put_access_key(
                    AccessKeyRecord(access_key_id=akid, secret_access_key=secret, principal_arn=arn)
                )
        for role in spec.roles:
            arn = role_arn("aws", account, role.name, role.path)
            store.put_principal(
                PrincipalRecord(
                    arn=arn,
                    account_id=account,
                    kind=PrincipalType.ROLE,
                    name=role.name,
                    path=role.path,
                    unique_id=principal_id(arn, generation=1 if role.recreated else 0),
                    allow=None if role.allow is None else tuple(role.allow),
                    trusted_by=tuple(role.trustedBy),
                    max_session_duration=role.maxSessionDuration,
                    created_at=now,
                )
            )


def _seed_clusters(store: SandboxStore, scenario: Scenario, *, ca_data: str, now: float) -> None:
    from eksaccess.sandbox.kube.storage import KubeObjects

    objects = KubeObjects(store)
    for spec in scenario.clusters:
        info = spec.cluster
        record = ClusterRecord(
            name=info.name,
            region=info.region,
            account_id=info.accountId,
            arn=info.arn or cluster_arn(info.region, info.accountId, info.name),
            authentication_mode=spec.authenticationMode,
            creator_arn=info.creatorArn,
            endpoint="",
            status="ACTIVE",
            certificate_authority_data=ca_data,
            version=info.version or DEFAULT_VERSION,
            bootstrap_cluster_creator_admin_permissions=spec.bootstrapClusterCreatorAdminPermissions,
            created_at=now,
        )
        store.put_cluster(record)
        for entry in spec.access_entries():
            bound = entry.principal_id or principal_id(entry.principal_arn)
            store.put_entry(
                EntryRecord(
                    cluster=record.name,
                    entry=type(entry)(
                        principal_arn=entry.principal_arn,
                        type=entry.type,
                        username=entry.username,
                        kubernetes_groups=entry.kubernetes_groups,
                        principal_id=bound,
                    ),
                    entry_arn=entry_arn(record, entry.principal_arn),
                    tags={},
                    created_at=now,
                    modified_at=now,
                )
            )
            for association in entry.policies:
                store.put_policy(
                    record.name,
                    entry.principal_arn,
                    PolicyRecord(
                        policy_arn=association.policy_arn,
                        scope=association.scope,
                        associated_at=now,
                        modified_at=now,
                    ),
                )
        objects.seed(record.name, manifests=spec.kubernetes, aws_auth=spec.awsAuth)


def _credentials(store: SandboxStore, profile: ProfileSpec, now: float) -> ProfileCredentials | None:
    kind = profile.kind
    if kind is ProfileType.ASSUME_ROLE:
        return None
    if kind is ProfileType.UNKNOWN_KEY:
        return ProfileCredentials(access_key_id=new_access_key_id("AKIA"), secret_access_key=new_secret())
    if kind in (ProfileType.STATIC, ProfileType.WRONG_SECRET):
        keys = store.keys_of(str(profile.user))
        key = keys[0]
        secret = key.secret_access_key if kind is ProfileType.STATIC else new_secret()
        return ProfileCredentials(access_key_id=key.access_key_id, secret_access_key=secret)
    # expired session credentials of a role (or a user's GetSessionToken session)
    owner = str(profile.roleArn or profile.user)
    session = (profile.roleSessionName or "expired-session") if profile.roleArn else None
    record = AccessKeyRecord(
        access_key_id=new_access_key_id("ASIA"),
        secret_access_key=new_secret(),
        principal_arn=owner,
        session_token=new_session_token(),
        session_name=session,
        expiration=now - EXPIRED_AGO,
    )
    store.put_access_key(record)
    return ProfileCredentials(
        access_key_id=record.access_key_id,
        secret_access_key=record.secret_access_key,
        session_token=record.session_token,
    )


def seed_scenario(
    store: SandboxStore, scenario: Scenario, *, ca_data: str, foreign_ca_data: str, now: float
) -> None:
    """Write the whole scenario into an empty store (meta: the scenario itself and profile credentials)."""
    _seed_principals(store, scenario, now)
    _seed_clusters(store, scenario, ca_data=ca_data, now=now)
    creds = {}
    for profile in scenario.profiles:
        found = _credentials(store, profile, now)
        if found is not None:
            creds[profile.name] = found.as_dict()
    store.set_meta(META_PROFILES, json.dumps(creds))
    store.set_meta(META_SCENARIO, scenario.model_dump_json())
    store.set_meta(META_SCENARIO_NAME, scenario.name)
    store.set_meta(META_FOREIGN_CA, foreign_ca_data)


def stored_scenario(store: SandboxStore) -> Scenario | None:
    text = store.get_meta(META_SCENARIO)
    return None if text is None else Scenario.model_validate_json(text)


def stored_credentials(store: SandboxStore) -> dict[str, ProfileCredentials]:
    data = json.loads(store.get_meta(META_PROFILES) or "{}")
    return {name: ProfileCredentials.from_dict(value) for name, value in data.items()}
