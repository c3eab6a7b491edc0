"""EKS Auth (rest-json, SigV4 name ``eks-auth``): AssumeRoleForPodIdentity, what the Pod Identity agent calls.

``POST /clusters/{clusterName}/assume-role-for-pod-identity`` with ``{"token": <service-account JWT>}``,
signed by the node role, which needs ``eks-auth:AssumeRoleForPodIdentity`` on the cluster. In order:

1. the cluster (ResourceNotFoundException 404) and the caller's permission (AccessDeniedException, 400 as
   EKS Auth's model has it);
2. the token: signed by the cluster's key, issued by its issuer, not expired (ExpiredTokenException), for
   the audience ``pods.eks.amazonaws.com``, a service account's (InvalidTokenException otherwise);
3. the association of the token's namespace and service account (ResourceNotFoundException);
4. the role's trust: ``pods.eks.amazonaws.com`` with sts:AssumeRole and, unless the association disables
   session tags, sts:TagSession (AccessDeniedException);
5. a session of the role named ``eks-<cluster>-<pod>-<uuid>`` with the six session tags (6 hours), minted as
   STS's AssumeRole mints one (``sts.issue_role_session``); with a target role, a second session of the
   target (1 hour: role chaining), whose trust must admit the first role (AccessDeniedException).

The answer: ``subject``, ``audience``, ``podIdentityAssociation``, ``assumedRoleUser`` (of the role whose
credentials come back) and ``credentials`` (``expiration`` in epoch seconds). The session tags are kept
in the store (``pod_identity_sessions``), as STS would carry them as ``aws:PrincipalTag``.
Tokens not bound to a pod are accepted (the pod tags are then empty): whether EKS Auth refuses them is
not documented (facts §9).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from eksaccess.domain.workload.pod_identity import (
    AUDIENCE,
    PodIdentityTokenError,
    TokenSubject,
    pod_identity_trust,
    role_session_name,
    session_tags,
    target_trust_missing,
    token_subject,
)
from eksaccess.sandbox import oidc
from eksaccess.sandbox.aws.eks_common import find_cluster
from eksaccess.sandbox.aws.errors import AwsError, ErrorKind
from eksaccess.sandbox.aws.identity import PolicyDecision, caller_for, decide
from eksaccess.sandbox.aws.pod_identity import Association, find_association, role_trust
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.sts import issue_role_session
from eksaccess.sandbox.aws.wire import AwsResponse, json_response
from eksaccess.sandbox.store import (
    AccessKeyRecord,
    ClusterRecord,
    PrincipalRecord,
    PrincipalType,
    SandboxStore,
)

ACTION = "eks-auth:AssumeRoleForPodIdentity"
SESSION_SECONDS = 6 * 3600  # the agent's cached credentials last 6 hours (EKS User Guide)
CHAINED_SECONDS = 3600  # role chaining: at most 1 hour
_TABLE = (
    "CREATE TABLE IF NOT EXISTS pod_identity_sessions (access_key_id TEXT PRIMARY KEY, tags TEXT NOT NULL,"
    " association_id TEXT NOT NULL)"
)


def _denied(message: str) -> AwsError:
    return AwsError("AccessDeniedException", message, status=400)


def _invalid_token(message: str) -> AwsError:
    return AwsError("InvalidTokenException", message, status=400)


def record_session(
    store: SandboxStore, key: AccessKeyRecord, tags: Mapping[str, str], association_id: str
) -> None:
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "INSERT OR REPLACE INTO pod_identity_sessions VALUES (?, ?, ?)",
            (key.access_key_id, json.dumps(dict(tags)), association_id),
        )


def session_tags_of(store: SandboxStore, access_key_id: str) -> dict[str, str] | None:
    """The session tags EKS Auth set on the session of ``access_key_id`` (None: not a Pod Identity session)."""
    with store.write() as conn:
        conn.execute(_TABLE)
        row = conn.execute(
            "SELECT tags FROM pod_identity_sessions WHERE access_key_id = ?", (access_key_id,)
        ).fetchone()
    return None if row is None else dict(json.loads(str(row[0])))


def _cluster(req: ServiceRequest, name: str) -> ClusterRecord:
    try:
        return find_cluster(req, name, ACTION)
    except AwsError as err:
        if err.kind is ErrorKind.ACCESS_DENIED:  # EKS Auth's AccessDeniedException is a 400
            raise _denied(err.message) from None
        raise


def _subject(req: ServiceRequest, cluster: ClusterRecord, token: str) -> TokenSubject:
    claims = verified_claims(req, cluster, token)
    try:
        return token_subject(claims)
    except PodIdentityTokenError as err:
        raise _invalid_token(err.message) from None


def verified_claims(req: ServiceRequest, cluster: ClusterRecord, token: str) -> dict[str, Any]:
    """The claims of a token signed by the cluster's key for its issuer, in its time window, with EKS Auth's
    error codes (the texts are the sandbox's: AWS's are not known)."""
    try:
        return oidc.verified_claims(req.ctx.store, cluster, token, now=req.now.timestamp())
    except oidc.ServiceAccountTokenError as err:
        if err.expired:
            raise AwsError(
                "ExpiredTokenException", "The service account token has expired", status=400
            ) from None
        raise _invalid_token(f"The token is not valid: {err.message}") from None


def _role(store: SandboxStore, arn: str) -> PrincipalRecord | None:
    role = store.get_principal(arn)
    return role if role is not None and role.kind is PrincipalType.ROLE else None


def _first_session(
    req: ServiceRequest, cluster: ClusterRecord, association: Association, subject: TokenSubject
) -> tuple[PrincipalRecord, AccessKeyRecord, str, dict[str, str]]:
    role = _role(req.ctx.store, association.role_arn)
    tagged = not association.disable_session_tags
    trust = pod_identity_trust(role_trust(role)) if role is not None else None
    if role is None or trust is None or not trust.admits(session_tags=tagged):
        missing = ", ".join(trust.missing) if trust is not None else "the role does not exist"
        raise _denied(
            f"EKS Pod Identity could not assume the role {association.role_arn}: its trust policy must allow "
            f"pods.eks.amazonaws.com sts:AssumeRole{' and sts:TagSession' if tagged else ''} ({missing})"
        )
    name = role_session_name(cluster=cluster.name, pod_name=subject.pod_name, unique=str(uuid.uuid4()))
    tags = (
        session_tags(
            cluster_arn=cluster.arn,
            cluster=cluster.name,
            namespace=subject.namespace,
            service_account=subject.service_account,
            pod_name=subject.pod_name,
            pod_uid=subject.pod_uid,
        )
        if tagged
        else {}
    )
    key, arn = issue_role_session(
        req.ctx.store,
        role,
        session_name=name,
        expiration=req.now.timestamp() + SESSION_SECONDS,
        chained=False,
    )
    record_session(req.ctx.store, key, tags, association.association_id)
    return role, key, arn, tags


def _target_session(
    req: ServiceRequest,
    association: Association,
    first: PrincipalRecord,
    first_key: AccessKeyRecord,
    tags: dict[str, str],
) -> tuple[PrincipalRecord, AccessKeyRecord, str]:
    target_arn = str(association.target_role_arn)
    target = _role(req.ctx.store, target_arn)
    tagged = bool(tags)
    wanted = ("sts:AssumeRole", "sts:TagSession") if tagged else ("sts:AssumeRole",)
    caller = caller_for(first, first_key)
    for action in wanted:  # the first role's identity policy must allow both on the target
        if decide(first, action) is not PolicyDecision.ALLOWED:
            raise _denied(
                f"User: {caller.arn} is not authorized to perform: {action} on resource: {target_arn}"
            )
    missing = (
        target_trust_missing(role_trust(target), role_arn=first.arn, session_tags=tagged)
        if target is not None
        else wanted
    )
    if target is None or missing:
        raise _denied(
            f"User: {caller.arn} is not authorized to perform: {missing[0]} on resource: {target_arn}"
        )
    name = str(first_key.session_name)
    key, arn = issue_role_session(
        req.ctx.store,
        target,
        session_name=name,
        expiration=req.now.timestamp() + CHAINED_SECONDS,
        chained=True,
    )
    record_session(req.ctx.store, key, tags, association.association_id)  # session tags are transitive
    return target, key, arn


def assume_role_for_pod_identity(req: ServiceRequest, name: str) -> AwsResponse:
    cluster = _cluster(req, name)
    body = req.json_body()
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise AwsError("InvalidRequestException", "token is required", status=400)
    subject = _subject(req, cluster, token)
    association = find_association(req.ctx.store, cluster.name, subject.namespace, subject.service_account)
    if association is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"No Pod Identity Association found for service account {subject.service_account} in namespace "
            f"{subject.namespace} of cluster {cluster.name}",
            status=404,
        )
    role, key, arn, tags = _first_session(req, cluster, association, subject)
    if association.target_role_arn:
        role, key, arn = _target_session(req, association, role, key, tags)
    req.ctx.log.info(
        "eks-auth AssumeRoleForPodIdentity %s %s/%s -> %s (%s) by %s",
        cluster.name,
        subject.namespace,
        subject.service_account,
        arn,
        key.access_key_id,
        req.caller.arn,
    )
    data = {
        "subject": {"namespace": subject.namespace, "serviceAccount": subject.service_account},
        "audience": AUDIENCE,
        "podIdentityAssociation": {
            "associationArn": association.association_arn,
            "associationId": association.association_id,
        },
        "assumedRoleUser": {"arn": arn, "assumeRoleId": f"{role.unique_id}:{key.session_name}"},
        "credentials": {
            "sessionToken": key.session_token,
            "secretAccessKey": key.secret_access_key,
            "accessKeyId": key.access_key_id,
            "expiration": key.expiration,
        },
    }
    return json_response(data, req.request_id)


def handle(req: ServiceRequest) -> AwsResponse:
    raw = req.http.raw_path.split("?")[0].strip("/")
    segments = [unquote(s) for s in raw.split("/")] if raw else []
    match (req.http.method.upper(), segments):
        case ("POST", ["clusters", name, "assume-role-for-pod-identity"]):
            return assume_role_for_pod_identity(req, name)
    raise AwsError.generic(
        ErrorKind.UNKNOWN_OPERATION, f"No EKS Auth operation for {req.http.method} {req.http.raw_path}"
    )
