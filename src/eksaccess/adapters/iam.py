"""IAM reads for the audit: one account's authorization details (users, groups, roles, their policies and
trust policies) plus, per user, whether it holds active long-term access keys.

``read_account_iam`` answers an AccountIam (domain/trust.py). A failure of the details call raises
AwsCallError (the caller decides whether IAM is optional); failures of ListAccessKeys only make the
key count unknown for that user, with a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksaccess.adapters.aws import AwsCallError, AwsSession
from eksaccess.domain.trust import AccountIam, parse_authorization_details

_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
GLOBAL_REGION = "us-east-1"


def authorization_details(session: AwsSession) -> dict[str, Any]:
    """Every page of GetAccountAuthorizationDetails, merged into one document."""
    merged: dict[str, Any] = {key: [] for key in _LISTS}
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"Marker": marker} if marker else {}
        page = session.call(
            "iam", "get_account_authorization_details", session.region or GLOBAL_REGION, **params
        )
        for key in _LISTS:
            merged[key].extend(page.get(key) or [])
        marker = page.get("Marker") if page.get("IsTruncated") else None
        if not marker:
            return merged


def _access_keys(session: AwsSession, user: Mapping[str, Any]) -> list[dict[str, Any]]:
    region = session.region or GLOBAL_REGION
    return [
        {"AccessKeyId": k.get("AccessKeyId"), "Status": k.get("Status")}
        for k in session.paginate(
            "iam", "list_access_keys", "AccessKeyMetadata", region, UserName=user["UserName"]
        )
    ]


def read_account_iam(
    session: AwsSession, *, account: str | None = None, with_keys: bool = True
) -> AccountIam:
    details = authorization_details(session)
    notes: list[str] = []
    if with_keys:
        for user in details["UserDetailList"]:
            try:
                user["AccessKeyMetadata"] = _access_keys(session, user)
            except AwsCallError as err:
                notes.append(f"access keys unknown (ListAccessKeys failed: {err.message})")
                break  # the same answer for every user: do not ask again
    found = parse_authorization_details(details, account=account)
    return AccountIam(account=found.account, principals=found.principals, notes=tuple(notes))
