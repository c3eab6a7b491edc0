"""AWS partitions: the known ones, and which partition a region name belongs to.

Kept apart from :mod:`eksaccess.domain.iam.principal` and free of imports: the console script's token
cache-hit path needs a region's partition and must not pay for dataclasses at start-up.
"""

from __future__ import annotations

# https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
PARTITIONS: tuple[str, ...] = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)

# region-name prefixes of the non-commercial partitions (the SDK resolver's region regexes, simplified);
# every other region name is in the commercial partition ``aws``
REGION_PREFIX_PARTITIONS: tuple[tuple[str, str], ...] = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("eusc-", "aws-eusc"),
)


def region_partition(region: str) -> str:
    """The partition a region name belongs to (unknown regions: commercial ``aws``)."""
    return next(
        (partition for prefix, partition in REGION_PREFIX_PARTITIONS if region.startswith(prefix)), "aws"
    )
