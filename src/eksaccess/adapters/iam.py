"""IAM reads for the audit: one account's authorization details (users, groups, roles, their policies and
trust policies) plus, per user, whether it holds active long-term access keys.

``read_account_iam`` answers an AccountIam (domain/iam/trust.py). A failure of the details call raises
AwsCallError (the caller decides whether IAM is optional); a failure of ListAccessKeys makes the key
counts unknown, with a note.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from eksaccess.adapters.aws import AwsCallError, AwsSession
from eksaccess.domain.iam.trust import AccountIam, parse_authorization_details

_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
GLOBAL_REGION = "us-east-1"
KEY_READERS = 8  # concurrent ListAccessKeys calls (botocore retries IAM throttling)


def principal_arn(session: AwsSession, kind: Literal["role", "user"], name: str) -> str:
    """IAM's own ARN of the role or user ``name`` in the session's account (GetRole / GetUser).

    Raises AwsCallError when IAM cannot say (not found, access denied, throttled past retries).
    """
    if kind == "role":
        return str(session.call("iam", "get_role", RoleName=name)["Role"]["Arn"])
    return str(session.call("iam", "get_user", UserName=name)["User"]["Arn"])


def role_arns(session: AwsSession, path_prefix: str) -> list[str]:
    """IAM's ARNs of the roles under ``path_prefix`` in the session's account (ListRoles, every page).

    Raises AwsCallError when IAM cannot say."""
    region = session.region or GLOBAL_REGION
    return [
        str(role["Arn"])
        for role in session.paginate("iam", "list_roles", "Roles", region, PathPrefix=path_prefix)
    ]


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
        notes += _read_keys(session, details["UserDetailList"])
    found = parse_authorization_details(details, account=account)
    return AccountIam(account=found.account, principals=found.principals, notes=tuple(notes))


def _read_keys(session: AwsSession, users: list[dict[str, Any]]) -> list[str]:
    """ListAccessKeys for every user, KEY_READERS at a time (one call per user, one after another, is an
    hour for a large account). The first failure stops the asking: it is the same answer for every user."""
    failed: list[AwsCallError] = []
    stop = threading.Event()

    def read(user: dict[str, Any]) -> None:
        if stop.is_set():
            return
        try:
            user["AccessKeyMetadata"] = _access_keys(session, user)
        except AwsCallError as err:
            failed.append(err)
            stop.set()

    session.client("iam", session.region or GLOBAL_REGION)  # made once, before the threads share it
    with ThreadPoolExecutor(max_workers=KEY_READERS, thread_name_prefix="iam-keys") as pool:
        list(pool.map(read, users))
    if failed:
        for user in users:
            user.pop("AccessKeyMetadata", None)  # unknown for all, not known for some
        return [f"access keys unknown (ListAccessKeys failed: {failed[0].message})"]
    return []
