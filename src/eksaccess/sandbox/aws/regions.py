"""The regions AWS has, from botocore's endpoint data (its partitions' region lists), never a list of ours.

Against AWS, a client configured with a region AWS does not have (``xx-nowhere-9``) cannot even connect:
it resolves ``sts.xx-nowhere-9.amazonaws.com``, a host that does not exist. The sandbox answers every
region on one endpoint, so it answers such a request as an AWS regional endpoint answers a request whose
credential scope names a region that is not its own: 403 ``SignatureDoesNotMatch`` (STS, IAM) /
``InvalidSignatureException`` (EKS), "Credential should be scoped to a valid region". IAM is global and
not checked: against AWS, botocore calls ``iam.amazonaws.com`` whatever the client's region.
"""

from __future__ import annotations

from functools import cache

from eksaccess.sandbox.aws.errors import AwsError, ErrorKind


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows (read once: the data ships with botocore)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return frozenset(region for partition in data["partitions"] for region in partition["regions"])


def is_known_region(region: str) -> bool:
    return region in known_regions()


def unknown_region_error(region: str) -> AwsError:
    return AwsError.generic(
        ErrorKind.BAD_SIGNATURE, f"Credential should be scoped to a valid region, not '{region}'. "
    )


def ensure_known_region(region: str) -> None:
    if not is_known_region(region):
        raise unknown_region_error(region)
