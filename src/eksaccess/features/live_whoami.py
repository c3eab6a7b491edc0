"""whoami, live: who the cluster of a kubeconfig context sees you as, which IAM principal that is, and
through which mapping.

The token is minted as ``aws eks get-token`` would mint it for the context (its profile, region and
``--role-arn``, assumed as the session ``EKSGetTokenAuth``); the cluster answers a SelfSubjectReview with
it (``kubectl auth whoami``); STS GetCallerIdentity names the IAM principal. The mapping is resolved from
what the authentication mode consults, read with the same credentials: the access entries (EKS
ListAccessEntries, DescribeAccessEntry) and kube-system/aws-auth. What could not be read is said, not
guessed: an access entry that was found decides alone (it beats aws-auth); otherwise every source the mode
consults must have been read.
"""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.adapters.aws import AwsSession, CallerIdentity
from eksaccess.adapters.kube import KubeCallError, KubeClient, WhoAmI
from eksaccess.domain.access import AccessEntry, AuthenticationMode
from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam.identity import Caller, Resolution, resolve
from eksaccess.domain.iam.principal import canonicalize
from eksaccess.errors import EksAccessError, InputError
from eksaccess.features.cluster_read import is_hidden_creator
from eksaccess.features.cluster_target import ClusterTarget

GET_TOKEN_SESSION = "EKSGetTokenAuth"  # the session name `aws eks get-token --role-arn` assumes the role as


@dataclass(frozen=True, kw_only=True)
class LiveIdentity:
    target: ClusterTarget
    iam: CallerIdentity  # who STS says the token's credentials are
    seen: WhoAmI | None  # who the cluster says you are; None when it refused the token
    seen_error: str | None = None  # why not (Unauthorized, ...)
    mode: AuthenticationMode | None = None  # the cluster's authentication mode, when EKS said it
    resolution: Resolution | None = None  # the mapping that gives (or would give) the identity
    read_error: str | None = None  # why the mapping is not known

    @property
    def authenticated(self) -> bool:
        return self.seen is not None


def live_whoami(target: ClusterTarget) -> LiveIdentity:
    """Ask the target cluster and STS now; AwsCallError (exit 3) when STS cannot be reached."""
    session = AwsSession(profile=target.profile, region=target.region)
    region = target.region or session.region
    if not region:
        raise InputError("no region: pass --region, set AWS_REGION, or set one in the AWS profile")
    if target.role_arn:
        session = session.assume_role(target.role_arn, GET_TOKEN_SESSION)
    iam = session.caller_identity()
    failures: list[str] = []
    mode: AuthenticationMode | None = None
    server, ca_data = target.server, target.ca_data
    try:
        described = session.describe_cluster(target.cluster, region)
        mode = described.authentication_mode or AuthenticationMode.CONFIG_MAP
        server, ca_data = server or described.endpoint, ca_data or described.certificate_authority_data
    except EksAccessError as err:
        failures.append(f"the authentication mode (DescribeCluster: {err.message})")
    if not server:
        raise InputError(
            f"cluster {target.cluster}: no API server in the kubeconfig context, and EKS did not say one"
        )
    token = session.presign_token(target.cluster, region)
    caller = Caller(arn=iam.arn, account=iam.account, user_id=iam.user_id, access_key_id=iam.access_key_id)
    seen: WhoAmI | None = None
    seen_error: str | None = None
    entries: list[AccessEntry] = []
    aws_auth = None
    with KubeClient(server=server, ca_data=ca_data, token=token) as kube:
        try:
            seen = kube.whoami()
        except KubeCallError as err:
            if err.status not in (401, 403):
                raise
            seen_error = err.message
        if mode is not None and mode.uses_access_entries:
            try:
                entries = session.list_access_entries(target.cluster, region)
            except EksAccessError as err:
                failures.append(f"the access entries ({err.message})")
        if mode is not None and mode.uses_aws_auth and seen is not None:
            try:
                aws_auth = kube.get_aws_auth().data
            except KubeCallError as err:
                failures.append(f"kube-system/aws-auth ({err.message})")
    if mode is None:
        return LiveIdentity(target=target, iam=iam, seen=seen, seen_error=seen_error, read_error=failures[0])
    if mode.uses_aws_auth and seen is None:
        failures.append("kube-system/aws-auth (the cluster refused the token)")
    creator = (
        canonicalize(iam.arn)
        if mode is AuthenticationMode.CONFIG_MAP
        and seen is not None
        and is_hidden_creator(seen, aws_auth, caller)
        else None
    )
    resolution = resolve(
        mode=mode,
        access_entries=entries,
        aws_auth=parse_aws_auth(aws_auth),
        caller=caller,
        creator_arn=creator,
    )
    if failures and resolution.access_entry is None:  # what was not read might have decided
        return LiveIdentity(
            target=target,
            iam=iam,
            seen=seen,
            seen_error=seen_error,
            mode=mode,
            read_error="; ".join(failures),
        )
    return LiveIdentity(
        target=target, iam=iam, seen=seen, seen_error=seen_error, mode=mode, resolution=resolution
    )
