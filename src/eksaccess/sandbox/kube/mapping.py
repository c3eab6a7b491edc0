"""Token -> Kubernetes user for one sandbox cluster: the authenticator plus EKS's identity mapping.

The mapping inputs are read live: the cluster's authentication mode, creator and access entries from the
sandbox store, and the aws-auth mappings parsed (with the authenticator's rules: a broken key drops its
mappings) from the stored kube-system/aws-auth ConfigMap, re-parsed whenever the objects change.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

from eksaccess.domain.awsauth.reader import AwsAuth, parse_aws_auth
from eksaccess.domain.iam.identity import Caller, resolve
from eksaccess.domain.iam.principal import arn_partition
from eksaccess.domain.token import StsIdentity
from eksaccess.sandbox.aws.nodegroups import caller_dns_name
from eksaccess.sandbox.context import SandboxContext
from eksaccess.sandbox.kube.authenticator_journal import AuthenticatorJournal
from eksaccess.sandbox.kube.authn import (
    AuthenticationError,
    KubeUser,
    StsCaller,
    TokenVerifier,
    token_cache_key,
)
from eksaccess.sandbox.kube.storage import KubeObjects


class AwsAuthCache:
    """The parsed aws-auth of one cluster, re-parsed when the stored objects' revision moved."""

    def __init__(self, cluster: str, objects: KubeObjects) -> None:
        self.cluster = cluster
        self.objects = objects
        self._lock = threading.Lock()
        self._revision = -1
        self._value: tuple[AwsAuth, dict[str, str] | None] | None = None

    def get(self) -> tuple[AwsAuth, dict[str, str] | None]:
        revision = self.objects.revision()
        with self._lock:
            if self._value is None or revision != self._revision:
                data = self.objects.aws_auth_data(self.cluster)
                self._value = (parse_aws_auth(data), data)
                self._revision = revision
            return self._value


class ClusterAuthenticator:
    """Callable token -> :class:`KubeUser`; :class:`AuthenticationError` with the authenticator's reason."""

    def __init__(self, *, cluster: str, ctx: SandboxContext, objects: KubeObjects) -> None:
        self.cluster = cluster
        self.ctx = ctx
        self.objects = objects
        self.aws_auth = AwsAuthCache(cluster, objects)
        # token -> user, valid while nothing in the database changed (mode, access entries, aws-auth)
        self._users: dict[str, tuple[tuple[int, int], KubeUser]] = {}
        self._lock = threading.Lock()
        self.journal = AuthenticatorJournal(cluster=cluster, ctx=ctx)  # the authenticator's log lines
        record = ctx.store.get_cluster(cluster)
        region = record.region if record else "us-east-1"
        partition = arn_partition(record.arn) if record else "aws"
        sts_host = urlsplit(ctx.aws_endpoint).netloc
        offset = ctx.clock_offset
        self.verifier = TokenVerifier(
            cluster=cluster,
            region=region,
            partition=partition,
            sts_hosts=(sts_host,),
            sts=StsCaller(str(ctx.ca_bundle)),
            clock=lambda: datetime.now(UTC) + offset,  # the authenticator's 15-minute window
        )

    def __call__(self, token: str) -> KubeUser:
        try:
            identity, access_key_id = self.verifier.verify(token)
        except AuthenticationError as err:
            self.journal.denied(str(err))
            raise
        key = token_cache_key(token)
        marker = self.objects.change_marker()
        with self._lock:
            hit = self._users.get(key)
        if hit is not None and hit[0] == marker:
            return hit[1]
        user = self._map(identity, access_key_id)
        with self._lock:
            if len(self._users) > 10000:
                self._users.clear()
            self._users[key] = (marker, user)
        return user

    def _map(self, identity: StsIdentity, access_key_id: str) -> KubeUser:
        record = self.ctx.store.get_cluster(self.cluster)
        if record is None:
            raise AuthenticationError(f"cluster {self.cluster} does not exist")
        aws_auth, data = self.aws_auth.get()
        caller = Caller(
            arn=identity.arn,
            account=identity.account,
            user_id=identity.user_id,
            access_key_id=access_key_id,
            ec2_private_dns_name=caller_dns_name(identity.arn, record.region),  # EC2's DescribeInstances
        )
        resolution = resolve(
            mode=record.authentication_mode,
            access_entries=self.ctx.store.list_access_entries(self.cluster),
            aws_auth=aws_auth,
            caller=caller,
            creator_arn=record.creator_arn,
            aws_auth_data=data,
        )
        self.journal.sts_response(identity, access_key_id, self.verifier.sts_hosts[0])
        if resolution.identity is None:
            error = resolution.error or "identity is not mapped"
            self.journal.denied(error, arn=resolution.principal_arn)
            raise AuthenticationError(error)
        kube = resolution.identity
        entry = resolution.access_entry
        self.journal.granted(
            arn=resolution.principal_arn, username=kube.username, uid=kube.uid, groups=kube.groups
        )
        self.ctx.log.debug(
            "access granted cluster=%s arn=%s username=%s uid=%s groups=%s",
            self.cluster,
            identity.arn,
            kube.username,
            kube.uid,
            list(kube.groups),
        )
        return KubeUser(
            username=kube.username,
            uid=kube.uid,
            groups=kube.groups,
            extra=kube.extra,
            policies=entry.policies if entry else (),
            principal_arn=resolution.principal_arn,
        )
