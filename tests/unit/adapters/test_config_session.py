"""The AWS config as the aws CLI finds it, read without a full botocore session (no client is made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksaccess.adapters.aws_profiles import config_session, require_profiles
from eksaccess.errors import InputError


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile ops]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/ops\n")
    credentials.write_text("[keys]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_files_of_the_environment_are_read(aws_files: Path) -> None:
    session = config_session()
    profiles = session.full_config["profiles"]
    assert profiles["ops"]["region"] == "eu-west-1"
    assert profiles["keys"]["aws_access_key_id"] == "AKIAEXAMPLEEXAMPLE12"  # the credentials file, merged
    assert set(session.available_profiles) == {"ops", "keys"}
    assert session.get_config_variable("credentials_file") == str(aws_files / "credentials")


def test_profiles_named_must_exist_as_the_aws_cli_says(aws_files: Path) -> None:
    require_profiles("ops", "keys", None)
    with pytest.raises(InputError, match=r"^The config profile \(nobody\) could not be found$"):
        require_profiles("ops", "nobody")


def test_a_config_file_botocore_cannot_parse_is_bad_input(aws_files: Path) -> None:
    (aws_files / "config").write_text("[profile ops\nregion = eu-west-1\n")
    with pytest.raises(InputError):
        require_profiles("ops")


def test_one_walk_makes_one_session_per_profile_and_region(aws_files: Path) -> None:
    from eksaccess.adapters.aws import AwsCallError
    from eksaccess.adapters.live_ports import LivePorts

    ports = LivePorts()
    first = ports.aws(profile="ops", region="eu-west-1")
    assert ports.aws(profile="ops", region="eu-west-1") is first
    assert ports.aws(profile="ops", region="us-east-1") is not first
    assert ports.aws(profile=None, region="eu-west-1") is not first
    assert LivePorts().aws(profile="ops", region="eu-west-1") is not first  # a new walk reads afresh
    with pytest.raises(AwsCallError):
        ports.aws(profile="nobody", region="eu-west-1")
    (aws_files / "config").write_text("[profile nobody]\nregion = eu-west-1\n")
    assert ports.aws(profile="nobody", region="eu-west-1").profile == "nobody"  # a failure is not kept
