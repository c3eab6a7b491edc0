"""The AWS port: botocore behind questions named in EKS's words, answering with domain values.

botocore directly, not boto3: boto3 adds nothing used here and costs a quarter of a second of imports
(s3transfer) on every command. No botocore dict or ClientError leaves this module: failures become ``AwsCallError`` with a typed
``kind`` so features can turn them into findings (never "nothing found" for an AccessDenied).
Credentials come exactly as the aws CLI finds them: ``AWS_PROFILE``/``--profile``, the config and
credentials files named by ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE``, ``AWS_ENDPOINT_URL*``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import botocore.exceptions
import botocore.session
from botocore.config import Config

from eksaccess.adapters.transient import TransientAnswers
from eksaccess.domain.access import (
    AccessEntry,
    AccessPolicyAssociation,
    AccessScope,
    AuthenticationMode,
    EntryType,
    ScopeType,
)
from eksaccess.domain.console import IamDecision
from eksaccess.domain.endpoint_access import EndpointAccess
from eksaccess.domain.iam.principal import arn_region
from eksaccess.domain.token import encode_token
from eksaccess.errors import InputError, RemoteError

_RETRIES = Config(retries={"max_attempts": 6, "mode": "standard"}, connect_timeout=5, read_timeout=20)


class AwsErrorKind(StrEnum):
    NO_CREDENTIALS = "no-credentials"
    INVALID_CREDENTIALS = "invalid-credentials"
    EXPIRED_CREDENTIALS = "expired-credentials"
    CLOCK_SKEW = "clock-skew"  # the request's signature is outside AWS's time window: this machine's clock
    ACCESS_DENIED = "access-denied"
    NOT_FOUND = "not-found"
    INVALID_REQUEST = "invalid-request"
    IN_USE = "in-use"
    THROTTLED = "throttled"
    UNREACHABLE = "unreachable"
    PROFILE_NOT_FOUND = "profile-not-found"
    CONFIG_INVALID = "config-invalid"  # the AWS config or credentials file cannot be parsed, a bad setting
    NO_REGION = "no-region"
    OTHER = "other"


class AwsCallError(RemoteError):
    """An AWS call that failed after retries, classified."""

    def __init__(self, kind: AwsErrorKind, message: str, *, operation: str, code: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.operation = operation
        self.code = code


class AwsConfigError(AwsCallError, InputError):
    """No call could be made because the user's AWS configuration is wrong (a profile that does not exist,
    a config file botocore cannot parse, an invalid region name): bad input, exit 2, like any InputError."""

    exit_code = 2


_CONFIG_ERRORS = (
    botocore.exceptions.ConfigParseError,
    botocore.exceptions.InvalidConfigError,
    botocore.exceptions.InvalidRegionError,
    botocore.exceptions.PartialCredentialsError,
)


_CODES: Mapping[str, AwsErrorKind] = {
    "InvalidClientTokenId": AwsErrorKind.INVALID_CREDENTIALS,
    "SignatureDoesNotMatch": AwsErrorKind.INVALID_CREDENTIALS,
    "UnrecognizedClientException": AwsErrorKind.INVALID_CREDENTIALS,
    "ExpiredToken": AwsErrorKind.EXPIRED_CREDENTIALS,
    "ExpiredTokenException": AwsErrorKind.EXPIRED_CREDENTIALS,
    "RequestExpired": AwsErrorKind.CLOCK_SKEW,
    "RequestTimeTooSkewed": AwsErrorKind.CLOCK_SKEW,
    "AccessDenied": AwsErrorKind.ACCESS_DENIED,
    "AccessDeniedException": AwsErrorKind.ACCESS_DENIED,
    "ResourceNotFoundException": AwsErrorKind.NOT_FOUND,
    "NoSuchEntity": AwsErrorKind.NOT_FOUND,
    "InvalidParameterException": AwsErrorKind.INVALID_REQUEST,
    "InvalidRequestException": AwsErrorKind.INVALID_REQUEST,
    "ResourceInUseException": AwsErrorKind.IN_USE,
    "ThrottlingException": AwsErrorKind.THROTTLED,
    "Throttling": AwsErrorKind.THROTTLED,
}


log = logging.getLogger(__name__)


def _log_call(service: str, operation: str, region: str | None, start: float, outcome: str) -> None:
    if log.isEnabledFor(logging.DEBUG):
        took = (time.monotonic() - start) * 1000
        log.debug("%s %s (%s) -> %s in %.0f ms", service, operation, region or "no region", outcome, took)


def _has_policies(entry: Mapping[str, Any]) -> bool:
    """Only STANDARD and EC2 entries carry access policies (node and Windows entries cannot)."""
    return EntryType(entry.get("type", "STANDARD")) in (EntryType.STANDARD, EntryType.EC2)


def _entry(
    entry: Mapping[str, Any], policies: tuple[AccessPolicyAssociation, ...] | AwsCallError | None
) -> AccessEntry:
    if not _has_policies(entry):
        policies = ()
    elif isinstance(policies, AwsCallError):
        raise policies
    return AccessEntry(
        principal_arn=entry["principalArn"],
        type=EntryType(entry.get("type", "STANDARD")),
        username=entry.get("username"),
        kubernetes_groups=tuple(entry.get("kubernetesGroups") or ()),
        policies=policies or (),
    )


_LOADER: list[Any] = []  # botocore's data loader, shared by every session of the process
_LOADER_LOCK = threading.Lock()
_CREATING = threading.Lock()
_MODEL_KINDS = ("service-2", "endpoint-rule-set-1", "paginators-1")


def _share_loader(session: botocore.session.Session) -> botocore.session.Session:
    """Service models and endpoint rules are read and parsed once per process, not once per session
    (a new session's first client costs ~70 ms of CPU, a session sharing the loader ~3 ms)."""
    with _LOADER_LOCK:
        if not _LOADER:
            loader = session.get_component("data_loader")
            for kind in _MODEL_KINDS:  # once, here: threads that miss botocore's cache together each walk
                loader.list_available_services(kind)  # every service directory (~450) to check a name
            _LOADER.append(loader)
        else:
            session.register_component("data_loader", _LOADER[0])
    return session


def _botocore_session(session: Any, profile: str | None, region: str | None) -> botocore.session.Session:
    """The botocore session to use: the one given (a boto3 session's own), or one for ``profile``."""
    if session is not None:
        found: botocore.session.Session = getattr(session, "_session", session)  # boto3 wraps botocore's
        return found
    made = _share_loader(botocore.session.Session(profile=profile))
    if profile is not None:
        made.get_scoped_config()  # ProfileNotFound now, as the aws CLI says it, not at the first call
    # The aws CLI v2's order: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. botocore
    # reads only AWS_DEFAULT_REGION (botocore/configprovider.py: 'region': ('region', 'AWS_DEFAULT_REGION')).
    region = region or os.environ.get("AWS_REGION") or None
    if region:
        made.set_config_variable("region", region)
    return made


# What AWS says when a signature's time is outside its window (SignatureDoesNotMatch carries both).
_CLOCK_MESSAGES = ("Signature expired", "Signature not yet current")


def _kind_of(code: str, message: str) -> AwsErrorKind:
    if any(marker in message for marker in _CLOCK_MESSAGES):
        return AwsErrorKind.CLOCK_SKEW
    return _CODES.get(code, AwsErrorKind.OTHER)


def classify(err: Exception, operation: str) -> AwsCallError:
    if isinstance(err, botocore.exceptions.ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        return AwsCallError(_kind_of(code, message), message, operation=operation, code=code)
    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return AwsCallError(AwsErrorKind.NO_CREDENTIALS, "no AWS credentials were found", operation=operation)
    if isinstance(err, botocore.exceptions.CredentialRetrievalError):  # credential_process, container, ...
        return AwsCallError(AwsErrorKind.NO_CREDENTIALS, str(err).strip(), operation=operation)
    if isinstance(  # the SSO login is over (or never happened): `aws sso login` renews it
        err,
        (
            botocore.exceptions.TokenRetrievalError,
            botocore.exceptions.SSOTokenLoadError,
            botocore.exceptions.UnauthorizedSSOTokenError,
        ),
    ):
        return AwsCallError(AwsErrorKind.EXPIRED_CREDENTIALS, str(err).strip(), operation=operation)
    if isinstance(err, botocore.exceptions.ProfileNotFound):
        return AwsConfigError(AwsErrorKind.PROFILE_NOT_FOUND, str(err), operation=operation)
    if isinstance(err, _CONFIG_ERRORS):
        return AwsConfigError(AwsErrorKind.CONFIG_INVALID, str(err).strip(), operation=operation)
    if isinstance(err, botocore.exceptions.NoRegionError):
        return AwsCallError(AwsErrorKind.NO_REGION, "You must specify a region.", operation=operation)
    if isinstance(err, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError)):
        return AwsCallError(AwsErrorKind.UNREACHABLE, str(err), operation=operation)
    if isinstance(err, botocore.exceptions.BotoCoreError):
        return AwsCallError(AwsErrorKind.OTHER, str(err), operation=operation)
    raise err


@dataclass(frozen=True, kw_only=True)
class CallerIdentity:
    arn: str
    account: str
    user_id: str
    access_key_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClusterDescription:
    name: str
    arn: str
    region: str
    status: str
    endpoint: str | None
    certificate_authority_data: str | None
    version: str | None
    authentication_mode: AuthenticationMode | None
    bootstrap_creator_admin: bool | None
    endpoint_access: EndpointAccess | None = None  # resourcesVpcConfig's public/private access and CIDRs
    logging_on: frozenset[str] | None = None  # control-plane log types enabled (None: not told)
    oidc_issuer: str | None = None  # identity.oidc.issuer (IRSA)


def _logging_on(logging_block: Any) -> frozenset[str] | None:
    """The log types DescribeCluster's ``logging`` shows enabled."""
    if not isinstance(logging_block, Mapping):
        return None
    groups = logging_block.get("clusterLogging") or []
    return frozenset(t for g in groups if g.get("enabled") for t in g.get("types") or ())


class AwsSession:
    """One set of credentials (profile or explicit keys) and a region."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        session: Any = None,
        transient: TransientAnswers | None = None,
    ) -> None:
        """``session``: a botocore or boto3 session to use instead of one built from ``profile``;
        ``transient``: where to count the answers that decided nothing (shared with assumed sessions)."""
        try:
            self._session = _botocore_session(session, profile, region)
            self.region = region or self._session.get_config_variable("region")  # reads the config files
        except botocore.exceptions.BotoCoreError as err:
            raise classify(err, "Session") from err
        self.transient = transient or TransientAnswers()
        self._session.register("needs-retry", self.transient.on_attempt)
        self.profile = profile
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        """One client per service and region (clients are thread-safe; creating them is not, and is slow)."""
        key = (service, region or self.region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(service, region)
            return self._clients[key]

    def _new_client(self, service: str, region: str | None) -> Any:
        # One client is made at a time in the process: making one is CPU under the GIL, and clients made
        # together each parse the same service model and endpoint rules before botocore's cache has them.
        try:
            with _CREATING:
                return self._session.create_client(
                    service, region_name=region or self.region, config=_RETRIES
                )
        except botocore.exceptions.BotoCoreError as err:
            raise classify(err, f"{service} client") from err

    def endpoint_host(self, service: str, region: str | None = None) -> str:
        """The host (and port) this session sends ``service`` calls to in ``region``: botocore's endpoint
        resolution, with AWS_ENDPOINT_URL* and the profile's endpoint_url honoured."""
        return str(urllib.parse.urlsplit(self.client(service, region).meta.endpoint_url).netloc)

    def access_key_id(self) -> str | None:
        creds = self._session.get_credentials()
        return None if creds is None else str(creds.access_key)

    def call(self, service: str, operation: str, region: str | None = None, **params: Any) -> Any:
        """One botocore call (retried by botocore); failures become AwsCallError."""
        start = time.monotonic()
        try:
            out = getattr(self.client(service, region), operation)(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            failure = classify(err, operation)
            _log_call(service, operation, region or self.region, start, f"{failure.code or failure.kind}")
            raise failure from err
        _log_call(service, operation, region or self.region, start, "ok")
        return out

    # STS -----------------------------------------------------------------------------------------
    def caller_identity(self) -> CallerIdentity:
        out = self.call("sts", "get_caller_identity")
        return CallerIdentity(
            arn=out["Arn"], account=out["Account"], user_id=out["UserId"], access_key_id=self.access_key_id()
        )

    def assume_role(self, role_arn: str, session_name: str) -> AwsSession:
        out = self.call("sts", "assume_role", RoleArn=role_arn, RoleSessionName=session_name)
        creds = out["Credentials"]
        session = _share_loader(botocore.session.Session())
        session.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        if self.region:
            session.set_config_variable("region", self.region)
        return AwsSession(session=session, region=self.region, transient=self.transient)

    # IAM -----------------------------------------------------------------------------------------
    def role_trust_policy(self, role_arn: str) -> dict[str, Any] | None:
        """The role's trust policy document (decoded), or None when it cannot be read."""
        name = role_arn.rsplit("/", 1)[-1]
        try:
            document = self.call("iam", "get_role", RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        except AwsCallError:
            return None
        if isinstance(document, str):  # botocore decodes it; some endpoints return it URL-encoded
            document = json.loads(urllib.parse.unquote(document))
        return dict(document) if isinstance(document, dict) else None

    def simulate_principal_policy(self, source_arn: str, actions: Sequence[str]) -> dict[str, IamDecision]:
        """iam:SimulatePrincipalPolicy of ``actions`` on every resource for the user or role ``source_arn``
        (IAM's ARN, path included): each action's EvalDecision, every page read (doctor --console)."""
        found: dict[str, IamDecision] = {}
        for result in self.paginate(
            "iam",
            "simulate_principal_policy",
            "EvaluationResults",
            None,
            PolicySourceArn=source_arn,
            ActionNames=list(actions),
        ):
            found[str(result["EvalActionName"])] = IamDecision(str(result["EvalDecision"]))
        return found

    # EKS -----------------------------------------------------------------------------------------
    def describe_cluster(self, name: str, region: str | None = None) -> ClusterDescription:
        cluster = self.call("eks", "describe_cluster", region, name=name)["cluster"]
        access = cluster.get("accessConfig") or {}
        mode = access.get("authenticationMode")
        return ClusterDescription(
            name=cluster["name"],
            arn=cluster["arn"],
            region=arn_region(cluster["arn"]),
            status=cluster.get("status", "UNKNOWN"),
            endpoint=cluster.get("endpoint"),
            certificate_authority_data=(cluster.get("certificateAuthority") or {}).get("data"),
            version=cluster.get("version"),
            authentication_mode=AuthenticationMode(mode) if mode else None,
            bootstrap_creator_admin=access.get("bootstrapClusterCreatorAdminPermissions"),
            logging_on=_logging_on(cluster.get("logging")),
            oidc_issuer=((cluster.get("identity") or {}).get("oidc") or {}).get("issuer"),
            endpoint_access=EndpointAccess.from_json(cluster["resourcesVpcConfig"])
            if isinstance(cluster.get("resourcesVpcConfig"), dict)
            else None,
        )

    def list_clusters(self, region: str | None = None) -> list[str]:
        return list(self.paginate("eks", "list_clusters", "clusters", region))

    def list_access_entries(self, cluster: str, region: str | None = None) -> list[AccessEntry]:
        """Every entry with its policies: after the listing, each entry's DescribeAccessEntry and
        ListAssociatedAccessPolicies run concurrently (one round trip, bounded)."""
        arns = list(self.paginate("eks", "list_access_entries", "accessEntries", region, clusterName=cluster))
        if not arns:
            return []
        with ThreadPoolExecutor(max_workers=min(16, 2 * len(arns)), thread_name_prefix="eks") as pool:
            described = [pool.submit(self._describe_entry, cluster, arn, region) for arn in arns]
            listed = [pool.submit(self._policies, cluster, arn, region) for arn in arns]
            return [_entry(d.result(), p.result()) for d, p in zip(described, listed, strict=True)]

    def describe_access_entry(
        self, cluster: str, principal_arn: str, region: str | None = None, *, policies: bool = True
    ) -> AccessEntry:
        """One entry; ``policies=False`` skips ListAssociatedAccessPolicies (one round trip, no policies)."""
        entry = self._describe_entry(cluster, principal_arn, region)
        if not policies or not _has_policies(entry):
            return _entry(entry, None)
        return _entry(entry, tuple(self.list_associated_access_policies(cluster, principal_arn, region)))

    def _describe_entry(self, cluster: str, principal_arn: str, region: str | None) -> dict[str, Any]:
        out = self.call(
            "eks", "describe_access_entry", region, clusterName=cluster, principalArn=principal_arn
        )
        entry: dict[str, Any] = out["accessEntry"]
        return entry

    def _policies(
        self, cluster: str, principal_arn: str, region: str | None
    ) -> tuple[AccessPolicyAssociation, ...] | AwsCallError:
        """Asked alongside the describe, before the entry's type is known: an error is kept, and raised
        only if the entry turns out to be one that carries policies."""
        try:
            return tuple(self.list_associated_access_policies(cluster, principal_arn, region))
        except AwsCallError as err:
            return err

    def list_associated_access_policies(
        self, cluster: str, principal_arn: str, region: str | None = None
    ) -> Iterator[AccessPolicyAssociation]:
        for item in self.paginate(
            "eks",
            "list_associated_access_policies",
            "associatedAccessPolicies",
            region,
            clusterName=cluster,
            principalArn=principal_arn,
        ):
            scope = item.get("accessScope") or {}
            yield AccessPolicyAssociation(
                policy_arn=item["policyArn"],
                scope=AccessScope(
                    type=ScopeType(scope.get("type", "cluster")),
                    namespaces=tuple(scope.get("namespaces") or ()),
                ),
            )

    def paginate(
        self, service: str, operation: str, key: str, region: str | None, **params: Any
    ) -> Iterator[Any]:
        try:
            paginator = self.client(service, region).get_paginator(operation)
            for page in paginator.paginate(**params):
                yield from page.get(key, [])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            raise classify(err, operation) from err

    # Token ---------------------------------------------------------------------------------------
    def presign_token(self, cluster_name: str, region: str | None = None) -> str:
        """A ``k8s-aws-v1.`` token exactly as ``aws eks get-token`` mints it."""
        return presign_with(self._new_client("sts", region), cluster_name)


def presign_with(sts: Any, cluster_name: str) -> str:
    """The token for ``cluster_name`` presigned by the STS client ``sts``: the cluster's header is signed in
    through an event handler registered for this presign only (one caller at a time per client)."""

    def _add_cluster_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster_name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", _add_cluster_header)
    try:
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    except botocore.exceptions.BotoCoreError as err:
        raise classify(err, "GetCallerIdentity (presign)") from err
    finally:
        sts.meta.events.unregister("before-sign.sts.GetCallerIdentity", _add_cluster_header)
    return encode_token(url)
