"""The fix for AWS credentials that do not work, by where they come from (adapters.aws_profiles).

The renewal itself is a person's step (a browser login, a new key from IAM): it is printed ``by_hand``,
naming the exact command for the profile's kind; the step after it proves the new credentials work.
"""

from __future__ import annotations

from eksaccess.adapters.aws_profiles import ENV_KEYS, CredentialKind, ProfileCredentials
from eksaccess.domain.findings import FixStep
from eksaccess.features.doctor.fixes import cmd


def _flag(profile: str | None) -> list[str]:
    return ["--profile", profile] if profile else []


def _renew(info: ProfileCredentials) -> FixStep:
    profile = info.profile
    kind = info.kind
    if kind is CredentialKind.ASSUME_ROLE:
        if info.source is None:
            return FixStep(
                text=f"Profile {profile} assumes {info.role_arn} with credentials from its credential_source "
                "(instance, container or environment): renew those.",
                by_hand=True,
            )
        inner = _renew(info.source)
        return FixStep(
            text=f"Profile {profile} assumes {info.role_arn} with the credentials of profile "
            f"{info.source.profile}: {inner.text}",
            plain=inner.plain,
            by_hand=True,
        )
    if kind is CredentialKind.SSO:
        login = (
            cmd("aws", "sso", "login", "--sso-session", info.sso_session)
            if info.sso_session
            else cmd("aws", "sso", "login", *_flag(profile))
        )
        return FixStep(
            text="Log in to IAM Identity Center again (the AWS CLI v2 opens a browser; v1 has no sso login).",
            plain=(login,),
            by_hand=True,
        )
    if kind is CredentialKind.ACCESS_KEY:
        return FixStep(
            text=f"Put a working access key in profile {profile or 'default'} (a new one from the IAM console, or "
            "`aws iam create-access-key` run by an administrator); `aws configure` asks for it.",
            plain=(cmd("aws", "configure", *_flag(profile)),),
            by_hand=True,
        )
    if kind is CredentialKind.SESSION_KEYS:
        sets = [
            cmd("aws", "configure", "set", name, value, *_flag(profile))
            for name, value in (
                ("aws_access_key_id", "NEW_ACCESS_KEY_ID"),
                ("aws_secret_access_key", "NEW_SECRET_ACCESS_KEY"),
                ("aws_session_token", "NEW_SESSION_TOKEN"),
            )
        ]
        return FixStep(
            text=f"Profile {profile or 'default'} holds temporary keys written into the credentials file, and they "
            "have expired: get new ones where these came from (your SSO portal's access keys, or "
            "`aws sts assume-role`) and write all three.",
            plain=(" && ".join(sets),),
            by_hand=True,
        )
    if kind is CredentialKind.ENVIRONMENT:
        return FixStep(
            text=f"The credentials come from the environment ({', '.join(ENV_KEYS)}), which kubectl's exec plugin "
            "inherits: export working values, or unset them to use a profile.",
            plain=(cmd("unset", *ENV_KEYS),),
            by_hand=True,
        )
    if kind is CredentialKind.PROCESS:
        return FixStep(
            text=f"Profile {profile} runs credential_process `{info.process}`: run it to see why it fails.",
            plain=(info.process or "",),
            by_hand=True,
        )
    if kind is CredentialKind.WEB_IDENTITY:
        return FixStep(
            text=f"Profile {profile} reads a web identity token file: check that the file is present and fresh.",
            by_hand=True,
        )
    if not info.exists:
        return FixStep(
            text=f"Profile {profile} does not exist in the AWS config or credentials file: create it.",
            plain=(cmd("aws", "configure", *_flag(profile)),),
            by_hand=True,
        )
    return FixStep(
        text=f"Profile {profile or 'default'} holds no credentials: configure some.",
        plain=(cmd("aws", "configure", *_flag(profile)),),
        by_hand=True,
    )


def credential_fix(info: ProfileCredentials) -> tuple[FixStep, ...]:
    check = FixStep(
        text="Check that the credentials work now.",
        plain=(cmd("aws", "sts", "get-caller-identity", *_flag(info.profile)),),
    )
    return (_renew(info), check)
