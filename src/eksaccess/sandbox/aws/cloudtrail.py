"""CloudTrail's event history (JSON 1.1, ``com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101``):
LookupEvents over the events the sandbox records, which are the ``CreateCluster`` of every cluster (a
scenario's, at its creation time; one made through the EKS API, when it is made).

As CloudTrail: one lookup attribute at most (``EventName``, ``EventSource``, ``Username``, ``EventId``,
``ReadOnly``, ``ResourceName``, ``ResourceType``, ``AccessKeyId``), ``StartTime``/``EndTime`` (epoch
seconds), ``MaxResults`` 1-50 (default 50), newest first, the last 90 days only, per account and region.
The caller needs ``cloudtrail:LookupEvents``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eksaccess.domain.cluster_creator import EVENT_NAME, EVENT_SOURCE, HISTORY
from eksaccess.domain.iam.principal import PrincipalKind, parse_principal
from eksaccess.sandbox.aws.errors import AwsError, ErrorKind
from eksaccess.sandbox.aws.identity import AwsCaller, ensure_allowed, unique_id
from eksaccess.sandbox.aws.request import ServiceRequest
from eksaccess.sandbox.aws.wire import AwsResponse, amz_json_response
from eksaccess.sandbox.store import ClusterRecord, SandboxStore

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
MAX_RESULTS = 50
CREATOR_SESSION = "cluster-creator"  # the session name of a scenario creator that is a role
_TABLE = (
    "CREATE TABLE IF NOT EXISTS cloudtrail_events (event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
    " region TEXT NOT NULL, event_time REAL NOT NULL, body TEXT NOT NULL)"
)
_ID_PREFIX = {PrincipalKind.USER: "AIDA", PrincipalKind.ROLE: "AROA"}
_ATTRIBUTES = {
    "EventId": "EventId",
    "EventName": "EventName",
    "ReadOnly": "ReadOnly",
    "Username": "Username",
    "EventSource": "EventSource",
    "AccessKeyId": "AccessKeyId",
}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_identity(
    principal_arn: str, *, principal_id: str, access_key_id: str, session: str, at: float
) -> dict[str, Any]:
    """userIdentity as CloudTrail writes it for an IAM user or a role session."""
    principal = parse_principal(principal_arn)
    if principal.kind is PrincipalKind.USER:
        return {
            "type": "IAMUser",
            "principalId": principal_id,
            "arn": principal_arn,
            "accountId": principal.account,
            "accessKeyId": access_key_id,
            "userName": principal.name,
        }
    sts_arn = f"arn:{principal.partition}:sts::{principal.account}:assumed-role/{principal.name}/{session}"
    return {
        "type": "AssumedRole",
        "principalId": f"{principal_id}:{session}",
        "arn": sts_arn,
        "accountId": principal.account,
        "accessKeyId": access_key_id,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal_id,
                "arn": principal_arn,
                "accountId": principal.account,
                "userName": principal.name,
            },
            "attributes": {"creationDate": _iso(at), "mfaAuthenticated": "false"},
        },
    }


def record_create_cluster(
    store: SandboxStore,
    cluster: ClusterRecord,
    *,
    principal_arn: str,
    principal_id: str,
    access_key_id: str,
    session: str | None,
    at: float,
) -> None:
    """Write the CreateCluster event of ``cluster`` (made by ``principal_arn`` at ``at``)."""
    identity = _user_identity(
        principal_arn,
        principal_id=principal_id,
        access_key_id=access_key_id,
        session=session or CREATOR_SESSION,
        at=at,
    )
    event_id = str(uuid.uuid4())
    record = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": _iso(at),
        "eventSource": EVENT_SOURCE,
        "eventName": EVENT_NAME,
        "awsRegion": cluster.region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "aws-cli/2",
        "requestParameters": {"name": cluster.name, "version": cluster.version},
        "responseElements": {
            "cluster": {
                "name": cluster.name,
                "arn": cluster.arn,
                "createdAt": _iso(at),
                "status": "CREATING",
            }
        },
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": cluster.account_id,
        "eventCategory": "Management",
    }
    username = identity.get("userName") or identity["arn"].rsplit("/", 1)[-1]
    event = {
        "EventId": event_id,
        "EventName": EVENT_NAME,
        "ReadOnly": "false",
        "AccessKeyId": access_key_id,
        "EventTime": at,
        "EventSource": EVENT_SOURCE,
        "Username": username,
        "Resources": [{"ResourceType": "AWS::EKS::Cluster", "ResourceName": cluster.name}],
        "CloudTrailEvent": json.dumps(record),
    }
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "INSERT OR REPLACE INTO cloudtrail_events VALUES (?, ?, ?, ?, ?)",
            (event_id, cluster.account_id, cluster.region, at, json.dumps(event)),
        )


def record_api_creation(req: ServiceRequest, cluster: ClusterRecord) -> None:
    """The CreateCluster event of a cluster made through the EKS API, by the request's caller."""
    caller: AwsCaller = req.caller
    record_create_cluster(
        req.ctx.store,
        cluster,
        principal_arn=caller.principal.arn,
        principal_id=caller.principal.unique_id,
        access_key_id=caller.access_key_id,
        session=caller.session_name,
        at=req.now.timestamp(),
    )


def record_seeded_creation(store: SandboxStore, cluster: ClusterRecord, principal_id: str | None) -> None:
    """The CreateCluster event of a scenario's cluster, by its ``creatorArn`` (which may no longer exist)."""
    creator = cluster.creator_arn
    if not creator:
        return
    kind = parse_principal(creator).kind
    keys = store.keys_of(creator) if kind is PrincipalKind.USER else []
    digest = base64.b32encode(hashlib.sha256(f"creator:{cluster.arn}".encode()).digest()).decode("ascii")
    key = keys[0].access_key_id if keys else ("AKIA" if kind is PrincipalKind.USER else "ASIA") + digest[:16]
    found = store.get_principal(creator)
    record_create_cluster(
        store,
        cluster,
        principal_arn=creator,
        principal_id=found.unique_id
        if found
        else principal_id or unique_id(_ID_PREFIX.get(kind, "AIDA"), creator),
        access_key_id=key,
        session=None,
        at=cluster.created_at,
    )


# LookupEvents ---------------------------------------------------------------------------------------------


def _invalid(code: str, message: str) -> AwsError:
    return AwsError(code, message, status=400)


def _time(body: Mapping[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AwsError("SerializationException", f"{key} must be a timestamp", status=400)
    return float(value)


def _matches(event: Mapping[str, Any], key: str, value: str) -> bool:
    if key == "ResourceName":
        return any(r.get("ResourceName") == value for r in event.get("Resources", []))
    if key == "ResourceType":
        return any(r.get("ResourceType") == value for r in event.get("Resources", []))
    return str(event.get(_ATTRIBUTES[key], "")) == value


def _attribute(body: Mapping[str, Any]) -> tuple[str, str] | None:
    attributes = body.get("LookupAttributes") or []
    if not isinstance(attributes, list):
        raise AwsError("SerializationException", "LookupAttributes must be a list", status=400)
    if len(attributes) > 1:
        raise _invalid("InvalidLookupAttributesException", "You cannot have more than one lookup attribute.")
    if not attributes:
        return None
    item = attributes[0] if isinstance(attributes[0], dict) else {}
    key, value = item.get("AttributeKey"), item.get("AttributeValue")
    if key not in {*_ATTRIBUTES, "ResourceName", "ResourceType"} or not isinstance(value, str) or not value:
        raise _invalid("InvalidLookupAttributesException", f"Invalid lookup attribute key: {key}")
    return str(key), value


def lookup_events(req: ServiceRequest) -> AwsResponse:
    caller = req.caller
    ensure_allowed(caller, "cloudtrail:LookupEvents", "*")
    body = req.json_body()
    attribute = _attribute(body)
    size = body.get("MaxResults", MAX_RESULTS)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_RESULTS:
        raise _invalid("InvalidMaxResultsException", "Value for MaxResults is invalid.")
    now = req.now.timestamp()
    start = _time(body, "StartTime")
    end = _time(body, "EndTime")
    if start is not None and end is not None and start > end:
        raise _invalid("InvalidTimeRangeException", "Start time must be before end time.")
    oldest = max(start if start is not None else 0.0, now - HISTORY.total_seconds())
    newest = end if end is not None else now
    with req.ctx.store.write() as conn:
        conn.execute(_TABLE)
        rows = conn.execute(
            "SELECT body FROM cloudtrail_events WHERE account_id = ? AND region = ? AND event_time >= ?"
            " AND event_time <= ? ORDER BY event_time DESC, event_id",
            (caller.account, req.region, oldest, newest),
        ).fetchall()
    events = [json.loads(str(row[0])) for row in rows]
    if attribute is not None:
        events = [e for e in events if _matches(e, *attribute)]
    offset = _offset(body.get("NextToken"), attribute)
    chunk = events[offset : offset + size]
    out: dict[str, Any] = {"Events": chunk}
    if offset + size < len(events):
        out["NextToken"] = _token(offset + size, attribute)
    return amz_json_response(out, req.request_id)


def _token(offset: int, attribute: tuple[str, str] | None) -> str:
    raw = json.dumps({"o": offset, "a": list(attribute) if attribute else None}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _offset(token: object, attribute: tuple[str, str] | None) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))
        offset = int(data["o"])
        same = (tuple(data["a"]) if data["a"] else None) == attribute
    except (ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise _invalid("InvalidNextTokenException", "Invalid NextToken.") from None
    if not same or offset < 0:
        raise _invalid("InvalidNextTokenException", "Invalid NextToken.")
    return offset


def handle(req: ServiceRequest) -> AwsResponse:
    target = req.http.headers.get("x-amz-target", "")
    if target == TARGET_PREFIX + "LookupEvents":
        return lookup_events(req)
    raise AwsError.generic(
        ErrorKind.UNKNOWN_OPERATION, f"The sandbox does not serve {target or 'this operation'}"
    )
