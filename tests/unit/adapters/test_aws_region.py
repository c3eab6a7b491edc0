"""The region an AwsSession uses, in the aws CLI v2's order: --region, AWS_REGION, AWS_DEFAULT_REGION,
the profile's ``region`` (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html).
botocore alone reads only AWS_DEFAULT_REGION (botocore/configprovider.py, 'region')."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksaccess.adapters.aws import AwsSession

# given region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region -> the session's region
CASES = [
    ("eu-west-1", "us-east-2", "ap-south-1", "sa-east-1", "eu-west-1"),
    (None, "us-east-2", "ap-south-1", "sa-east-1", "us-east-2"),
    (None, None, "ap-south-1", "sa-east-1", "ap-south-1"),
    (None, None, None, "sa-east-1", "sa-east-1"),
    (None, "", None, None, None),
]


@pytest.mark.parametrize(("given", "aws_region", "default_region", "profile_region", "want"), CASES)
def test_region_order_of_the_aws_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: str | None,
    aws_region: str | None,
    default_region: str | None,
    profile_region: str | None,
    want: str | None,
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\n" + (f"region = {profile_region}\n" if profile_region else ""), encoding="utf-8"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in (("AWS_REGION", aws_region), ("AWS_DEFAULT_REGION", default_region)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert AwsSession(region=given).region == want


@pytest.mark.parametrize(("given", "aws_region", "default_region", "profile_region", "want"), CASES[1:])
def test_the_token_fast_path_reads_the_same_region(
    tmp_path: Path,
    given: str | None,
    aws_region: str | None,
    default_region: str | None,
    profile_region: str | None,
    want: str | None,
) -> None:
    """``eksaccess token``'s light reader of the AWS files (no botocore) agrees with the session."""
    from eksaccess.adapters.aws_credentials_light import resolve_light

    (tmp_path / "config").write_text(
        "[default]\n" + (f"region = {profile_region}\n" if profile_region else ""), encoding="utf-8"
    )
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = x\n", encoding="utf-8"
    )
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    env |= {
        k: v for k, v in (("AWS_REGION", aws_region), ("AWS_DEFAULT_REGION", default_region)) if v is not None
    }
    found = resolve_light(env)
    assert found is not None
    assert found.region == want
