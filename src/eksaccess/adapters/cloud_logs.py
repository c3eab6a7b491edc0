"""What AWS's own records say about a cluster: CloudTrail's CreateCluster event (who created it, and
whether that IAM principal still exists) and the authenticator's lines in CloudWatch Logs. Questions asked
with an ``AwsSession``; answers are domain values; failures are ``AwsCallError``."""

from __future__ import annotations

from dataclasses import dataclass

from eksaccess.adapters.aws import AwsCallError, AwsErrorKind, AwsSession
from eksaccess.domain.authenticator_log import STREAM_PREFIX, AuthenticatorLine, log_group, parse_line
from eksaccess.domain.cluster_creator import EVENT_NAME, ClusterCreation, creation_from_event
from eksaccess.domain.iam.principal import InvalidArnError, PrincipalKind, parse_principal

LOOKUP_PAGES = 10  # 50 events a page: the CreateCluster events of the last 90 days, as far as doctor looks
LOG_PAGES = 5


@dataclass(frozen=True, kw_only=True, slots=True)
class CreatorLookup:
    """The cluster's CreateCluster event (None: not in the 90 days of event history), and whether its
    principal still exists in IAM (None: unknown, IAM could not be asked)."""

    creation: ClusterCreation | None
    exists: bool | None = None


def find_cluster_creation(session: AwsSession, cluster: str, region: str | None) -> ClusterCreation | None:
    """The newest CreateCluster event of ``cluster`` in ``region`` (CloudTrail's 90 days)."""
    params: dict[str, object] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": EVENT_NAME}],
        "MaxResults": 50,
    }
    for _ in range(LOOKUP_PAGES):
        out = session.call("cloudtrail", "lookup_events", region, **params)
        for event in out.get("Events", []):
            when = event.get("EventTime")
            stamp = when.timestamp() if hasattr(when, "timestamp") else 0.0
            found = creation_from_event(str(event.get("CloudTrailEvent", "")), cluster, event_time=stamp)
            if found is not None:
                return found
        token = out.get("NextToken")
        if not token:
            return None
        params["NextToken"] = token
    return None


def principal_exists(session: AwsSession, arn: str) -> bool | None:
    """Whether the IAM user or role ``arn`` exists (None: IAM could not tell, e.g. no iam:GetUser)."""
    try:
        principal = parse_principal(arn)
    except InvalidArnError:
        return None
    try:
        if principal.kind is PrincipalKind.USER:
            session.call("iam", "get_user", UserName=principal.name)
        elif principal.kind is PrincipalKind.ROLE:
            session.call("iam", "get_role", RoleName=principal.name)
        else:
            return None
    except AwsCallError as err:
        return False if err.kind is AwsErrorKind.NOT_FOUND else None
    return True


def creator_lookup(session: AwsSession, cluster: str, region: str | None) -> CreatorLookup:
    creation = find_cluster_creation(session, cluster, region)
    if creation is None:
        return CreatorLookup(creation=None)
    return CreatorLookup(creation=creation, exists=principal_exists(session, creation.principal_arn))


def authenticator_lines(
    session: AwsSession,
    cluster: str,
    region: str | None,
    *,
    term: str,
    start_ms: int,
    end_ms: int | None = None,
) -> tuple[AuthenticatorLine, ...]:
    """The authenticator's lines in the cluster's log group that hold ``term`` (an ARN), oldest first."""
    params: dict[str, object] = {
        "logGroupName": log_group(cluster),
        "logStreamNamePrefix": STREAM_PREFIX,
        "filterPattern": '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"',
        "startTime": start_ms,
    }
    if end_ms is not None:
        params["endTime"] = end_ms
    lines: list[AuthenticatorLine] = []
    for _ in range(LOG_PAGES):
        out = session.call("logs", "filter_log_events", region, **params)
        for event in out.get("events", []):
            line = parse_line(str(event.get("message", "")))
            if line is not None:
                lines.append(line)
        token = out.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    return tuple(lines)
