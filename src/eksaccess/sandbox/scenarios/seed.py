"""Load a scenario into a fresh sandbox store: principals and keys, clusters, access entries, the
Kubernetes objects of each cluster, and the credentials each AWS profile will hold.

IAM unique ids are derived from the ARN (stable across resets); a user or role marked ``recreated`` gets
the id of its second incarnation, while access entries keep the id of the first, as in EKS after a
principal is deleted and created again under the same name.

A cluster marked ``deleted`` is kept with the status ``DELETED`` (a sandbox-only marker): EKS answers
for it as for a cluster that does not exist, while the server keeps its old endpoint refusing connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

from eksaccess.domain.endpoint_access import EndpointAccess
from eksaccess.domain.iam.principal import parse_principal, role_arn, user_arn
from eksaccess.domain.workload.oidc import issuer_url, provider_arn
from eksaccess.errors import InputError
from eksaccess.sandbox.aws.cloudtrail import record_seeded_creation
from eksaccess.sandbox.aws.cluster_logging import set_types as set_logging
from eksaccess.sandbox.aws.eks_common import DELETED, cluster_arn, entry_arn
from eksaccess.sandbox.aws.iam_oidc import OidcProvider, put_provider
from eksaccess.sandbox.aws.identity import (
    new_access_key_id,
    new_sandbox_id,
    new_secret,
    new_session_token,
    unique_id,
)
from eksaccess.sandbox.aws.pod_identity import new_association, put_association
from eksaccess.sandbox.config_files import ProfileKeys
from eksaccess.sandbox.scenarios.model import DEFAULT_CLIENT_IP, ProfileSpec, ProfileType, Scenario
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
META_CLUSTER_ACCESS = "cluster_endpoint_access"
META_SANDBOX_ID = "sandbox_id"
SANDBOX_ID = re.compile(r"[a-z0-9]{4,16}")
EXPIRED_AGO = 3600.0


def principal_id(arn: str, *, generation: int = 0) -> str:
    prefix = "AIDA" if parse_principal(arn).kind.value == "user" else "AROA"
    return unique_id(prefix, f"{arn}#{generation}")


def stable_key_id(arn: str, sandbox_id: str) -> str:
    """The generated access key id of a user: fixed for one sandbox (across down/up), another in another."""
    digest = base64.b32encode(hashlib.sha256(f"key:{sandbox_id}:{arn}".encode()).digest()).decode("ascii")
    return "AKIA" + digest[:16]


def role_session_name(sandbox_id: str) -> str:
    """The ``role_session_name`` of the sandbox's assume-role profiles. The aws CLI keys its assumed-role
    cache (~/.aws/cli/cache) on the profile's settings, an explicit session name included, never on the
    endpoint: a name of this sandbox alone keeps another sandbox's cached session out."""
    return f"eksaccess-{sandbox_id}"


def check_sandbox_id(value: str) -> str:
    if not SANDBOX_ID.fullmatch(value):
        raise InputError(f"sandbox id {value!r} must be 4 to 16 lower-case letters or digits")
    return value


def _seed_principals(store: SandboxStore, scenario: Scenario, now: float, sandbox_id: str) -> None:
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
                    unique_id=principal_id(arn, generation=1 if user.recreated else 0),
                    allow=None if user.allow is None else tuple(user.allow),
                    deny=tuple(user.deny),
                    created_at=now,
                )
            )
            keys = [(k.accessKeyId, k.secretAccessKey) for k in user.accessKeys] or [
                (stable_key_id(arn, sandbox_id), new_secret())
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
                    deny=tuple(role.deny),
                    trusted_by=tuple(role.trustedBy),
                    trust_policy=None if role.trustPolicy is None else json.dumps(role.trustPolicy),
                    max_session_duration=role.maxSessionDuration,
                    created_at=now,
                )
            )


def _seed_clusters(
    store: SandboxStore, scenario: Scenario, *, ca_data: str, cluster_ca: Mapping[str, str], now: float
) -> None:
    from eksaccess.sandbox.kube.storage import KubeObjects

    objects = KubeObjects(store)
    access = {spec.cluster.name: spec.endpoint_access().to_json() for spec in scenario.clusters}
    store.set_meta(META_CLUSTER_ACCESS, json.dumps(access))
    for spec in scenario.clusters:
        info = spec.cluster
        record = ClusterRecord(
            name=info.name,
            region=info.region,
            account_id=info.account_id,
            arn=info.arn or cluster_arn(info.region, info.account_id, info.name),
            authentication_mode=spec.authentication_mode,
            creator_arn=info.creator_arn,
            endpoint="",
            status=DELETED if spec.deleted else spec.status.value,
            certificate_authority_data=cluster_ca.get(info.name, ca_data),
            version=info.version or DEFAULT_VERSION,
            bootstrap_cluster_creator_admin_permissions=spec.bootstrapClusterCreatorAdminPermissions,
            created_at=now - spec.createdDaysAgo * 86400.0,
        )
        store.put_cluster(record)
        creator = info.creator_arn
        record_seeded_creation(store, record, principal_id(creator) if creator else None)  # CloudTrail
        if spec.deleted:  # nothing of it is left but the kubeconfig entry
            continue
        if spec.logging:
            set_logging(store, record, spec.logging, at=record.created_at)
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
        for pod_identity in spec.podIdentityAssociations:
            created = pod_identity.createdAt.timestamp() if pod_identity.createdAt else now
            put_association(
                store,
                new_association(
                    record,
                    namespace=pod_identity.namespace,
                    service_account=pod_identity.serviceAccount,
                    role_arn=pod_identity.roleArn,
                    now=created,
                    target_role_arn=pod_identity.targetRoleArn,
                    disable_session_tags=pod_identity.disableSessionTags,
                ),
            )
        objects.seed(record.name, manifests=spec.kubernetes, aws_auth=spec.aws_auth)


def _credentials(store: SandboxStore, profile: ProfileSpec, now: float) -> ProfileKeys | None:
    kind = profile.kind
    if kind in (
        ProfileType.ASSUME_ROLE,
        ProfileType.NO_CREDENTIALS,
        ProfileType.SSO_EXPIRED,
        ProfileType.CREDENTIAL_PROCESS_FAILING,
    ):
        return None
    if kind is ProfileType.UNKNOWN_KEY:
        return ProfileKeys(access_key_id=new_access_key_id("AKIA"), secret_access_key=new_secret())
    if kind in (ProfileType.STATIC, ProfileType.WRONG_SECRET, ProfileType.CREDENTIAL_PROCESS):
        keys = store.keys_of(str(profile.user))
        key = keys[0]
        secret = key.secret_access_key if kind is not ProfileType.WRONG_SECRET else new_secret()
        return ProfileKeys(
            access_key_id=key.access_key_id,
            secret_access_key=secret,
            via_process=kind is ProfileType.CREDENTIAL_PROCESS,
        )
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
    return ProfileKeys(
        access_key_id=record.access_key_id,
        secret_access_key=record.secret_access_key,
        session_token=record.session_token,
    )


def _seed_oidc_providers(store: SandboxStore, scenario: Scenario, now: float) -> None:
    """The accounts' IAM OIDC providers (IRSA); a provider of a scenario cluster gets its issuer URL."""
    for account, spec in scenario.accounts.items():
        for provider in spec.oidcProviders:
            url = provider.url
            if provider.cluster is not None:
                cluster = scenario.cluster(provider.cluster)
                assert cluster is not None  # the model checked the reference
                info = cluster.cluster
                arn = info.arn or cluster_arn(info.region, info.account_id, info.name)
                url = issuer_url(arn, info.region)
            assert url is not None
            put_provider(
                store,
                OidcProvider(
                    arn=provider_arn(account, url),
                    account_id=account,
                    url=url,
                    client_ids=tuple(dict.fromkeys(provider.clientIds)),
                    thumbprints=tuple(provider.thumbprints),
                    created_at=now,
                ),
            )


def seed_scenario(
    store: SandboxStore,
    scenario: Scenario,
    *,
    ca_data: str,
    foreign_ca_data: str,
    now: float,
    cluster_ca: Mapping[str, str] | None = None,
    sandbox_id: str | None = None,
) -> None:
    """Write the whole scenario into an empty store (meta: the scenario itself and profile credentials).

    ``cluster_ca``: cluster name -> base64 PEM of its own CA (a cluster not named uses ``ca_data``).
    ``sandbox_id``: the id in the generated key ids and session names (default: a new random one; give
    another sandbox's id only to reproduce what clients do with credentials cached for it)."""
    own_id = check_sandbox_id(sandbox_id) if sandbox_id is not None else new_sandbox_id()
    store.set_meta(META_SANDBOX_ID, own_id)
    _seed_principals(store, scenario, now, own_id)
    _seed_clusters(store, scenario, ca_data=ca_data, cluster_ca=cluster_ca or {}, now=now)
    _seed_oidc_providers(store, scenario, now)
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


def stored_sandbox_id(store: SandboxStore) -> str:
    """The sandbox's id (a store seeded before ids existed: the id its key ids were derived without)."""
    return store.get_meta(META_SANDBOX_ID) or ""


def stored_credentials(store: SandboxStore) -> dict[str, ProfileKeys]:
    data = json.loads(store.get_meta(META_PROFILES) or "{}")
    return {name: ProfileKeys.from_dict(value) for name, value in data.items()}


def endpoint_access(store: SandboxStore, name: str) -> tuple[bool, bool]:
    """(endpointPublicAccess, endpointPrivateAccess) of a cluster; a cluster made later is public."""
    settings = endpoint_settings(store, name)
    return settings.public, settings.private


def endpoint_settings(store: SandboxStore, name: str) -> EndpointAccess:
    """A cluster's resourcesVpcConfig access settings (a cluster made later: EKS's defaults)."""
    return EndpointAccess.from_json(json.loads(store.get_meta(META_CLUSTER_ACCESS) or "{}").get(name))


def put_endpoint_settings(store: SandboxStore, name: str, access: EndpointAccess) -> None:
    with store.lock:
        found = json.loads(store.get_meta(META_CLUSTER_ACCESS) or "{}")
        found[name] = access.to_json()
        store.set_meta(META_CLUSTER_ACCESS, json.dumps(found))


def client_ip(store: SandboxStore) -> str:
    """This machine's egress IP as the sandbox sees it (the scenario's clientIp)."""
    scenario = stored_scenario(store)
    return scenario.clientIp if scenario is not None else DEFAULT_CLIENT_IP


def serves_api(store: SandboxStore, record: ClusterRecord) -> bool:
    """Whether this machine can connect to the cluster's API server: an ACTIVE cluster whose public
    endpoint admits the scenario's clientIp (CREATING, FAILED, deleted and private-only clusters, and those
    whose publicAccessCidrs leave this machine out, refuse connections)."""
    return record.status in ("ACTIVE", "UPDATING") and endpoint_settings(store, record.name).admits(
        client_ip(store)
    )


def forget_endpoint_access(store: SandboxStore, name: str) -> None:
    """A deleted cluster's endpoint settings go with it (a cluster created again under its name is public)."""
    with store.lock:
        found = json.loads(store.get_meta(META_CLUSTER_ACCESS) or "{}")
        if found.pop(name, None) is not None:
            store.set_meta(META_CLUSTER_ACCESS, json.dumps(found))
