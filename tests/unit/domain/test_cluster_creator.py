"""The creator from a CloudTrail CreateCluster record (facts doctor-breadth.md §6.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.cluster_creator import IdentityType, creation_from_event

ACCT = "111122223333"


def _record(identity: dict[str, Any], **overrides: Any) -> str:
    record: dict[str, Any] = {
        "eventName": "CreateCluster",
        "eventSource": "eks.amazonaws.com",
        "eventID": "e-1",
        "userIdentity": identity,
        "requestParameters": {"name": "demo"},
        "responseElements": {"cluster": {"arn": f"arn:aws:eks:us-west-2:{ACCT}:cluster/demo"}},
    }
    record.update(overrides)
    return json.dumps(record)


USER = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCT}:user/founder", "principalId": "AIDA"}
ROLE = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCT}:assumed-role/platform/alice",
    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCT}:role/teams/platform"}},
    "invokedBy": "cloudformation.amazonaws.com",
}


@pytest.mark.parametrize(
    ("identity", "principal", "kind", "session"),
    [
        (USER, f"arn:aws:iam::{ACCT}:user/founder", IdentityType.IAM_USER, None),
        (ROLE, f"arn:aws:iam::{ACCT}:role/teams/platform", IdentityType.ASSUMED_ROLE, "alice"),  # path kept
        (
            {"type": "Root", "arn": f"arn:aws:iam::{ACCT}:root"},
            f"arn:aws:iam::{ACCT}:root",
            IdentityType.ROOT,
            None,
        ),
    ],
)
def test_the_creator_is_named_by_identity_type(
    identity: dict[str, Any], principal: str, kind: IdentityType, session: str | None
) -> None:
    found = creation_from_event(_record(identity), "demo", event_time=1.0)
    assert found is not None
    assert (found.principal_arn, found.identity_type, found.session_name) == (principal, kind, session)
    assert found.event_id == "e-1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"requestParameters": {"clusterName": "demo"}},  # the 2018 spelling
        {
            "requestParameters": {},
            "responseElements": {"cluster": {"arn": f"arn:aws:eks:us-west-2:{ACCT}:cluster/demo"}},
        },
    ],
)
def test_the_cluster_is_matched_by_any_of_its_names(overrides: dict[str, Any]) -> None:
    assert creation_from_event(_record(USER, **overrides), "demo", event_time=0) is not None


@pytest.mark.parametrize(
    "text",
    [
        _record(USER, eventName="DeleteCluster"),
        _record(USER, eventSource="ec2.amazonaws.com"),
        _record(USER, errorCode="AccessDenied"),  # a refused CreateCluster created nothing
        _record(USER, requestParameters={"name": "other"}, responseElements={}),
        _record({"type": "AssumedRole", "arn": "x"}),  # no session issuer
        "not json",
        "[]",
    ],
)
def test_other_records_name_nobody(text: str) -> None:
    assert creation_from_event(text, "demo", event_time=0) is None
