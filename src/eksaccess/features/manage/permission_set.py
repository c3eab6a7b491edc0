"""An IAM Identity Center permission set, named in ``grant --permission-set`` or a desired-state file's
``permissionSet:``, resolved to its role's ARN in one account.

IAM Identity Center gives no role ARN (sso-admin has none); IAM does: ``ListRoles`` with
``PathPrefix=/aws-reserved/sso.amazonaws.com/`` lists every permission set's role in the account, and the
set's is ``AWSReservedSSO_<set>_<suffix>`` (``domain/iam/sso.py``). ListRoles answers for the operator's
own account only, so a set in another account cannot be resolved with these credentials.

None or several roles is bad input (exit 2), said in one line that names the set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eksaccess.domain.awsauth.reader import parse_aws_auth
from eksaccess.domain.iam import sso
from eksaccess.domain.iam.principal import parse_principal
from eksaccess.domain.state import ClusterState
from eksaccess.errors import InputError, RemoteError
from eksaccess.features.manage.desired import ClusterAccess
from eksaccess.features.manage.via import Via

if TYPE_CHECKING:  # plan.py imports this module: it loads no client library
    from eksaccess.adapters.ports import ClusterAdmin
    from eksaccess.features.manage.connect import Connection

# (permission set name, account) -> the set's role ARN in that account
PermissionSetResolver = Callable[[str, str], str]


def resolve_permission_set(admin: ClusterAdmin, name: str, account: str, *, operator_account: str) -> str:
    """The one role of permission set ``name`` in ``account``; InputError for none, several, or an account
    ListRoles cannot answer for."""
    from eksaccess.adapters.aws import AwsCallError

    sso.validate_permission_set_name(name)
    if not (len(account) == 12 and account.isdigit()):
        raise InputError(f"--account {account!r} is not a 12-digit AWS account id")
    if account != operator_account:
        raise InputError(
            f"the permission set {name} in account {account} cannot be resolved with credentials of account "
            f"{operator_account} (IAM lists the roles of its own account only); use a profile of account "
            f"{account}, or give the role ARN"
        )
    try:
        arns = admin.role_arns(sso.SSO_PATH)
    except AwsCallError as err:
        raise RemoteError(
            f"could not list the IAM Identity Center roles of account {account} to resolve the permission set "
            f"{name}: {err.message}",
            hint="the profile needs iam:ListRoles; or give the role ARN instead of --permission-set",
        ) from err
    found = sso.roles_of_set(name, account, arns)
    if not found:
        raise InputError(
            f"the permission set {name} has no role in account {account} (no {sso.ROLE_PREFIX}{name}_* under "
            f"{sso.SSO_PATH}): it is not provisioned to the account, or it is spelt otherwise"
        )
    if len(found) > 1:
        raise InputError(
            f"the permission set {name} has {len(found)} roles in account {account}: {', '.join(found)}; "
            "give the role ARN"
        )
    return found[0]


def resolver(admin: ClusterAdmin, operator_account: str) -> PermissionSetResolver:
    """``resolve_permission_set`` asked once per set and account for one command (a replan asks again
    through a new resolver)."""

    @functools.cache
    def resolve(name: str, account: str) -> str:
        return resolve_permission_set(admin, name, account, operator_account=operator_account)

    return resolve


def check_grant_target(arn: str | None, permission_set: str | None, account: str | None) -> None:
    """``grant`` names its principal by ARN or by ``--permission-set NAME --account A``, never both."""
    if permission_set is None:
        if account is not None:
            raise InputError("--account goes with --permission-set")
        if not arn:
            raise InputError("give the principal's ARN, or --permission-set NAME --account ACCOUNT")
        parse_principal(arn)
        return
    if arn:
        raise InputError("give the principal's ARN or --permission-set, not both")
    if not account:
        raise InputError(
            f"--permission-set {permission_set} needs --account (the account it is provisioned to)"
        )
    sso.validate_permission_set_name(permission_set)


@dataclass(frozen=True, kw_only=True, slots=True)
class ResolvedGrant:
    arn: str
    notices: tuple[str, ...]
    warnings: tuple[str, ...]


def stale_mappings(state: ClusterState, arn: str) -> list[tuple[str, Via, sso.PermissionSetRole]]:
    """The access entries and aws-auth rolearns of ``state`` that name an earlier role of the permission
    set whose role is ``arn`` (same set and account, another suffix)."""
    entries = [e.principal_arn for e in state.access_entries()]
    rows = [r.rolearn for r in parse_aws_auth(state.aws_auth).roles]
    return [(old, Via.ACCESS_ENTRY, role) for old, role in sso.stale_of(arn, entries)] + [
        (old, Via.AWS_AUTH, role) for old, role in sso.stale_of(arn, rows)
    ]


def reprovisioned(name: str, account: str, arn: str) -> str:
    current = sso.permission_set_role(arn)
    role = current.role_name if current else arn
    return f"the permission set {name} (account {account}) was provisioned again: its role is now {role}"


def permission_set_grant(conn: Connection, state: ClusterState, name: str, account: str) -> ResolvedGrant:
    """The permission set's role, the notice that says so, and a warning per mapping of an earlier role of
    the set (grant adds; ``revoke`` the old ARN, or ``apply`` a file with ``permissionSet:``, removes it)."""
    arn = resolver(conn.session, conn.operator.account)(name, account)
    warnings = tuple(
        f"{old} ({via}) names an earlier role of the set: {reprovisioned(name, account, arn)}; "
        f"`eksaccess revoke {old} --via {via}` removes it"
        for old, via, _ in stale_mappings(state, arn)
    )
    return ResolvedGrant(
        arn=arn,
        notices=(f"permission set {name} in account {account}: role {arn} (IAM ListRoles)",),
        warnings=warnings,
    )


def resolve_file(desired: ClusterAccess, resolve: PermissionSetResolver | None) -> ClusterAccess:
    """The file with each ``permissionSet:`` given its role's ARN (the reference stays, for the plan's
    reasons); unchanged when it names none."""
    if not any(spec.arn is None for spec in desired.principals):
        return desired
    if resolve is None:
        raise InputError("the file names permission sets (permissionSet:): resolving them needs IAM")
    principals = [
        spec.model_copy(update={"arn": resolve(spec.permissionSet.name, spec.permissionSet.account)})
        if spec.arn is None and spec.permissionSet is not None
        else spec
        for spec in desired.principals
    ]
    return desired.model_copy(update={"principals": principals})
