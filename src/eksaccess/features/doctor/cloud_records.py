"""doctor's two questions to AWS's own records, asked only when they can matter (no call on the happy
path): CloudTrail's CreateCluster event when the cluster is in CONFIG_MAP (its creator holds an invisible
system:masters grant, the way back in), and the authenticator's log when the cluster refused the principal
or its mapping could not be read, and the cluster logs ``authenticator``.

Each is asked with the reader of the cluster's state (the administrator, then the principal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession, ClusterDescription
from eksaccess.adapters.cloud_logs import CreatorLookup, authenticator_lines, creator_lookup
from eksaccess.domain.access import AuthenticationMode
from eksaccess.domain.authenticator_log import LOG_TYPE, AuthenticatorLine
from eksaccess.domain.iam.principal import InvalidArnError, parse_principal

LOG_WINDOW = timedelta(minutes=10)  # how far back doctor reads the authenticator's lines


def creator_matters(cluster: ClusterDescription | None) -> bool:
    """CONFIG_MAP: the creator's admin grant is invisible (no access entry shows it)."""
    return cluster is not None and cluster.authentication_mode is AuthenticationMode.CONFIG_MAP


def authenticator_logging(cluster: ClusterDescription | None) -> bool:
    return cluster is not None and LOG_TYPE in (cluster.logging_on or ())


def log_matters(cluster: ClusterDescription | None, *, refused: bool, mapping_read: bool) -> bool:
    """The cluster logs ``authenticator`` and refused the principal's token, or its mapping was not read."""
    return authenticator_logging(cluster) and (refused or not mapping_read)


def mapping_was_read(cluster: ClusterDescription | None, entries_read: bool, aws_auth_read: bool) -> bool:
    mode = cluster.authentication_mode if cluster is not None else None
    if mode is None:
        return False
    return entries_read if mode.uses_access_entries else aws_auth_read


def ask_creator(sessions: Sequence[AwsSession], cluster: str, region: str | None) -> CreatorLookup:
    """The creator's event and existence, asked of each session in turn until one may read CloudTrail."""
    failure: AwsCallError | None = None
    for session in sessions:
        try:
            return creator_lookup(session, cluster, region)
        except AwsCallError as err:
            failure = failure or err
            if err.kind is not AwsErrorKind.ACCESS_DENIED:
                break
    assert failure is not None
    raise failure


def ask_authenticator_log(
    sessions: Sequence[AwsSession], cluster: str, region: str | None, principal_arn: str, now: datetime
) -> tuple[AuthenticatorLine, ...]:
    """The authenticator's lines of the last minutes about ``principal_arn`` (searched by its canonical
    ARN, as the authenticator logs it), asked of each session in turn until one may read them."""
    try:
        term = parse_principal(principal_arn).mapping_arn
    except InvalidArnError:
        term = principal_arn
    start = int((now - LOG_WINDOW).timestamp() * 1000)
    failure: AwsCallError | None = None
    for session in sessions:
        try:
            return authenticator_lines(session, cluster, region, term=term, start_ms=start)
        except AwsCallError as err:
            failure = failure or err
            if err.kind is not AwsErrorKind.ACCESS_DENIED:
                break
    assert failure is not None
    raise failure
