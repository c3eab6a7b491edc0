"""EKS Pod Identity's rules, in one place for the sandbox (EKS, EKS Auth) and the client side (doctor, audit).

Facts (shared/facts/workload-identity.md §5, §6; EKS User Guide pod-id-role, pod-id-abac, pod-id-association;
botocore's ``eks`` and ``eks-auth`` models):

* the role trusts the service principal ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` **and**
  ``sts:TagSession`` (EKS Auth tags every session, unless the association disables session tags);
* the service-account token's audience is ``pods.eks.amazonaws.com``; its ``sub`` is
  ``system:serviceaccount:NAMESPACE:NAME``; a pod-bound token names the pod (``kubernetes.io.pod``);
* six session tags: ``eks-cluster-arn``, ``eks-cluster-name``, ``kubernetes-namespace``,
  ``kubernetes-service-account``, ``kubernetes-pod-name``, ``kubernetes-pod-uid``;
* role session name ``eks-<cluster>-<pod>-<uuid>`` (STS allows 64 characters: longer names are cut in the
  middle, keeping the UUID whole - how EKS shortens them is not documented);
* association ids ``a-`` + 17 of ``[a-z0-9]``; ARN
  ``arn:<partition>:eks:<region>:<account>:podidentityassociation/<cluster>/<id>``;
* with a target role and session tags disabled, EKS sets ``sts:ExternalId`` to
  ``<region>/<account>/<cluster>/<namespace>/<service account>`` (the User Guide's example);
* at pod admission the webhook injects container credentials when (namespace, SA) has an association and
  then ignores the IRSA annotation ("Container credentials method takes precedence"); a pod admitted before
  its association exists keeps what it got (IRSA variables, or none).

Trust evaluation here is about the service principal only: Allow statements naming
``pods.eks.amazonaws.com`` (or ``*``) for an action; an unconditional Deny for the same removes it;
``Not*`` statements are ignored; a conditional Allow counts and is marked ``conditional`` (its conditions -
``aws:SourceAccount``, ``aws:SourceArn``, ``aws:RequestTag/...`` - are not evaluated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eksaccess.domain.iam.principal import arn_account, arn_partition
from eksaccess.domain.iam.trust import ANYONE, PolicyDocument, action_matches, parse_policy
from eksaccess.domain.workload.oidc import parse_service_account_subject, token_audiences

SERVICE_PRINCIPAL = "pods.eks.amazonaws.com"
AUDIENCE = "pods.eks.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"
TAG_SESSION = "sts:TagSession"
REQUIRED_ACTIONS = (ASSUME_ROLE, TAG_SESSION)
SESSION_TAG_KEYS = (
    "eks-cluster-arn",
    "eks-cluster-name",
    "kubernetes-namespace",
    "kubernetes-service-account",
    "kubernetes-pod-name",
    "kubernetes-pod-uid",
)
MAX_SESSION_NAME = 64
MAX_ASSOCIATIONS = 5000  # per cluster, not adjustable
ASSOCIATION_ID = re.compile(r"^a-[a-z0-9]{17}$")


@dataclass(frozen=True, kw_only=True, slots=True)
class PodIdentityTrust:
    """What a role's trust policy grants ``pods.eks.amazonaws.com`` of the actions EKS Auth needs."""

    allowed: frozenset[str] = frozenset()  # of REQUIRED_ACTIONS
    conditional: bool = False  # an Allow it relies on carries a Condition (not evaluated)
    notes: tuple[str, ...] = ()

    @property
    def admits_service(self) -> bool:
        """The service may assume the role at all (what CreatePodIdentityAssociation checks)."""
        return ASSUME_ROLE in self.allowed

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(a for a in REQUIRED_ACTIONS if a not in self.allowed)

    @property
    def complete(self) -> bool:
        """Both sts:AssumeRole and sts:TagSession: what AssumeRoleForPodIdentity needs (tags enabled)."""
        return not self.missing

    def admits(self, *, session_tags: bool = True) -> bool:
        """Whether EKS Auth can assume the role: with session tags it needs both actions."""
        return self.complete if session_tags else self.admits_service


def _names_service(services: tuple[str, ...], aws: tuple[str, ...]) -> bool:
    return SERVICE_PRINCIPAL in services or ANYONE in aws or ANYONE in services


def pod_identity_trust(trust: PolicyDocument | Mapping[str, Any] | str) -> PodIdentityTrust:
    """Which of sts:AssumeRole and sts:TagSession a trust policy grants ``pods.eks.amazonaws.com``."""
    document = trust if isinstance(trust, PolicyDocument) else parse_policy(trust, "trust policy")
    allowed: set[str] = set()
    denied: set[str] = set()
    conditional: dict[str, bool] = {}
    notes: list[str] = []
    for st in document.statements:
        if st.negated:
            notes.append(f"a statement with {st.negated} is ignored")
            continue
        if not _names_service(st.services, st.aws):
            continue
        for action in REQUIRED_ACTIONS:
            if not action_matches(st.actions, action):
                continue
            if not st.allow:
                if st.conditional:
                    notes.append(f"a conditional Deny of {action} is not evaluated")
                else:
                    denied.add(action)
                continue
            allowed.add(action)
            conditional[action] = conditional.get(action, True) and st.conditional
    granted = allowed - denied
    return PodIdentityTrust(
        allowed=frozenset(granted),
        conditional=any(conditional[a] for a in granted),
        notes=tuple(notes),
    )


def target_trust_missing(
    trust: PolicyDocument | Mapping[str, Any] | str, *, role_arn: str, session_tags: bool = True
) -> tuple[str, ...]:
    """The actions a target role's trust policy does not grant the association's role (``Principal.AWS``:
    the role's ARN, its account's root or id, or ``*``): sts:AssumeRole, and sts:TagSession when the
    session is tagged. Unconditional Deny statements subtract; conditions are not evaluated."""
    document = trust if isinstance(trust, PolicyDocument) else parse_policy(trust, "trust policy")
    account = arn_account(role_arn)
    partition = arn_partition(role_arn)
    names = {role_arn, account, f"arn:{partition}:iam::{account}:root", ANYONE}
    wanted = REQUIRED_ACTIONS if session_tags else (ASSUME_ROLE,)
    missing: list[str] = []
    for action in wanted:
        matching = [
            st
            for st in document.statements
            if not st.negated and names & set(st.aws) and action_matches(st.actions, action)
        ]
        denied = any(not st.allow and not st.conditional for st in matching)
        if denied or not any(st.allow for st in matching):
            missing.append(action)
    return tuple(missing)


def trust_document(*, tag_session: bool = True, service: str = SERVICE_PRINCIPAL) -> dict[str, Any]:
    """The trust policy the EKS User Guide gives for a Pod Identity role (without TagSession on request)."""
    actions = [ASSUME_ROLE, TAG_SESSION] if tag_session else [ASSUME_ROLE]
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- associations ---------------------------------------------------------------------------------------


def association_arn(*, partition: str, region: str, account: str, cluster: str, association_id: str) -> str:
    return f"arn:{partition}:eks:{region}:{account}:podidentityassociation/{cluster}/{association_id}"


def external_id(*, region: str, account: str, cluster: str, namespace: str, service_account: str) -> str:
    """The sts:ExternalId EKS sets on the target role's AssumeRole (the User Guide's example form)."""
    return f"{region}/{account}/{cluster}/{namespace}/{service_account}"


def session_tags(
    *, cluster_arn: str, cluster: str, namespace: str, service_account: str, pod_name: str, pod_uid: str
) -> dict[str, str]:
    """The six session tags EKS Auth sets, keyed as ``aws:PrincipalTag/<key>`` reads them."""
    values = (cluster_arn, cluster, namespace, service_account, pod_name, pod_uid)
    return dict(zip(SESSION_TAG_KEYS, values, strict=True))


def role_session_name(*, cluster: str, pod_name: str, unique: str) -> str:
    """``eks-<cluster>-<pod>-<unique>``, cut to STS's 64 characters before the unique part."""
    tail = f"-{unique}"
    head = f"eks-{cluster}-{pod_name}"
    room = MAX_SESSION_NAME - len(tail)
    return head[:room] + tail


# --- tokens ---------------------------------------------------------------------------------------------


class TokenProblem(StrEnum):
    AUDIENCE = "audience"
    SUBJECT = "subject"


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenSubject:
    """Whom a (verified) service-account token speaks for."""

    namespace: str
    service_account: str
    pod_name: str = ""
    pod_uid: str = ""


class PodIdentityTokenError(ValueError):
    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def token_subject(claims: Mapping[str, Any]) -> TokenSubject:
    """The namespace, service account and pod of a token EKS Auth accepts (aud ``pods.eks.amazonaws.com``)."""
    if AUDIENCE not in token_audiences(claims):
        raise PodIdentityTokenError(
            TokenProblem.AUDIENCE, f"The token's audience does not include {AUDIENCE}"
        )
    subject = parse_service_account_subject(str(claims.get("sub", "")))
    if subject is None:
        raise PodIdentityTokenError(
            TokenProblem.SUBJECT, "The token is not a Kubernetes service account token"
        )
    info = claims.get("kubernetes.io")
    pod = info.get("pod") if isinstance(info, Mapping) else None
    pod = pod if isinstance(pod, Mapping) else {}
    return TokenSubject(
        namespace=subject[0],
        service_account=subject[1],
        pod_name=str(pod.get("name") or ""),
        pod_uid=str(pod.get("uid") or ""),
    )


# --- admission (which credentials a pod gets) ------------------------------------------------------------


class InjectedCredentials(StrEnum):
    POD_IDENTITY = "pod-identity"  # AWS_CONTAINER_CREDENTIALS_FULL_URI + token file
    IRSA = "irsa"  # AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
    NONE = "none"  # nothing: the SDK falls back to the node role (IMDS)


def injected_credentials(*, has_association: bool, irsa_role_arn: str | None) -> InjectedCredentials:
    """What the pod identity webhook injects at pod CREATE: an association wins over the IRSA annotation."""
    if has_association:
        return InjectedCredentials.POD_IDENTITY
    if irsa_role_arn:
        return InjectedCredentials.IRSA
    return InjectedCredentials.NONE


def admitted_before_association(*, pod_created_at: float, association_created_at: float) -> bool:
    """A pod admitted before its association existed got no Pod Identity variables (recreate it)."""
    return pod_created_at < association_created_at
