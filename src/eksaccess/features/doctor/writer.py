"""Who runs the cluster-side fixes: the administrator doctor proved can read the cluster's state."""

from __future__ import annotations

from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.probe import Facts


def admin_proven(facts: Facts) -> bool:
    """--admin-profile was given, its credentials work, and it read the access entries or aws-auth."""
    return bool(
        facts.options.admin_profile
        and facts.admin_caller.ok
        and (facts.access_entries.ok or facts.aws_auth.ok)
    )


def writer_of(facts: Facts) -> Writer:
    target = facts.target
    profile = facts.options.admin_profile if admin_proven(facts) else None
    return Writer(
        cluster=target.cluster_name or "",
        region=target.region,
        profile=profile,
        context=target.profile_contexts.get(profile) if profile else None,
        diagnosed_context=target.context,
    )


def profile_flag(facts: Facts) -> list[str]:
    """``--profile P`` for the exec entry's profile, as the commands printed for the person need it."""
    return ["--profile", facts.target.profile] if facts.target.profile else []
