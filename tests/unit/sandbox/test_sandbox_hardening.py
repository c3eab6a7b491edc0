"""The sandbox's own holes (issue #16): state-dir modes, per-sandbox ids, regions, STS payload hashes."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from eksaccess.errors import InputError
from eksaccess.sandbox import lifecycle
from eksaccess.sandbox.aws.regions import is_known_region
from eksaccess.sandbox.config_files import aws_config_text
from eksaccess.sandbox.scenarios.model import builtin_text, load_scenario, parse_scenario
from eksaccess.sandbox.scenarios.seed import role_session_name, stored_sandbox_id
from eksaccess.sandbox.sigv4 import HttpRequest, SigV4Error, parse_signature, verify_signature
from eksaccess.sandbox.store import DB_NAME, SandboxStore

ADMIN = "arn:aws:iam::111122223333:user/admin"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# --- state directory modes -----------------------------------------------------------------------------

LEFT_BEFORE = [
    # name, what existed before initialize: (directory mode, {file: mode})
    ("fresh directory", None),
    ("existing 0755 directory", (0o755, {})),
    ("world-readable files of an older sandbox", (0o755, {DB_NAME: 0o644, DB_NAME + "-wal": 0o644,
                                                         DB_NAME + "-shm": 0o644, "kubeconfig": 0o644,
                                                         "aws-credentials": 0o644, "sandbox.log": 0o644,
                                                         "ca.crt": 0o644, "ports.json": 0o666})),
    ("a 0777 directory", (0o777, {"sandbox.log": 0o644})),
]  # fmt: skip


@pytest.mark.parametrize(("name", "before"), LEFT_BEFORE, ids=[c[0] for c in LEFT_BEFORE])
def test_state_dir_is_0700_and_its_files_0600_whatever_existed(
    tmp_path: Path, loose_umask: None, name: str, before: tuple[int, dict[str, int]] | None
) -> None:
    state = tmp_path / "state"
    if before is not None:
        dir_mode, file_modes = before
        state.mkdir()
        os.chmod(state, dir_mode)
        for file_name, mode in file_modes.items():
            (state / file_name).write_bytes(b"")
            os.chmod(state / file_name, mode)
        (state / DB_NAME).unlink(missing_ok=True)  # an empty file is not a database; the rest stays
    lifecycle.initialize(state, "baseline")
    store = SandboxStore.in_dir(state)
    store.set_meta("probe", "x")  # a write: SQLite makes its -wal and -shm files now
    assert (state / (DB_NAME + "-wal")).exists() and (state / (DB_NAME + "-shm")).exists()
    assert _mode(state) == 0o700
    files = [p for p in state.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", "ca.key", "ca.crt"}
    assert {str(p.relative_to(state)): _mode(p) for p in files} == {
        str(p.relative_to(state)): 0o600 for p in files
    }
    assert {_mode(p) for p in state.rglob("*") if p.is_dir()} == {0o700}


def test_a_users_own_file_in_the_state_dir_is_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    mine = state / "notes.txt"
    mine.write_text("mine")
    os.chmod(mine, 0o644)
    lifecycle.initialize(state, "baseline")
    assert _mode(mine) == 0o644 and _mode(state) == 0o700


# --- one id per sandbox: key ids and role session names ---------------------------------------------------


def _admin_key(state: Path) -> str:
    (key,) = SandboxStore.in_dir(state).keys_of(ADMIN)
    return key.access_key_id


def test_each_sandbox_has_its_own_key_ids_unless_an_id_is_given(tmp_path: Path) -> None:
    lifecycle.initialize(tmp_path / "a", "baseline")
    lifecycle.initialize(tmp_path / "b", "baseline")
    first_id = stored_sandbox_id(SandboxStore.in_dir(tmp_path / "a"))
    lifecycle.initialize(tmp_path / "c", "baseline", sandbox_id=first_id)
    a, b, c = (_admin_key(tmp_path / n) for n in "abc")
    assert a != b and a == c
    assert a.startswith("AKIA") and len(a) == 20
    lifecycle.initialize(tmp_path / "a", "baseline")  # up again: same keys (state survives down/up)
    assert _admin_key(tmp_path / "a") == a


def test_reset_gives_new_ids(tmp_path: Path) -> None:
    state = tmp_path / "state"
    lifecycle.initialize(state, "baseline")
    before = _admin_key(state)
    lifecycle.reset(state)
    assert _admin_key(state) != before


@pytest.mark.parametrize("bad", ["", "abc", "UPPER123", "with-dash", "a" * 17, "bad id"])
def test_a_given_sandbox_id_is_checked(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError, match="sandbox id"):
        lifecycle.initialize(tmp_path / "s", "baseline", sandbox_id=bad)
    assert not (tmp_path / "s").exists()  # refused before anything is written


def test_an_initialized_sandbox_refuses_another_id(tmp_path: Path) -> None:
    lifecycle.initialize(tmp_path / "s", "baseline", sandbox_id="aaaa1111")
    with pytest.raises(InputError, match="another id"):
        lifecycle.initialize(tmp_path / "s", "baseline", sandbox_id="bbbb2222")


SESSION_NAMES = [
    # profile section, session name given to aws_config_text, role_session_name written (None: none)
    ("profile developer", "eksaccess-abcd2345", "eksaccess-abcd2345"),
    ("profile eks-admin", "eksaccess-abcd2345", "eksaccess-abcd2345"),
    ("profile admin", "eksaccess-abcd2345", None),  # static keys: no role, no session
    ("profile developer", None, None),  # a sandbox seeded before ids existed
]


@pytest.mark.parametrize(("section", "session", "written"), SESSION_NAMES)
def test_role_profiles_carry_the_sandboxs_session_name(
    section: str, session: str | None, written: str | None
) -> None:
    text = aws_config_text(
        load_scenario("baseline"),
        endpoint="https://127.0.0.1:1",
        ca_bundle=Path("ca.crt"),
        session_name=session,
    )
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(text)
    assert config[section].get("role_session_name") == written


def test_an_explicit_role_session_name_wins() -> None:
    scenario = load_scenario("baseline").model_dump(mode="json")
    scenario["profiles"][2]["roleSessionName"] = "alice@example.com"
    text = aws_config_text(
        parse_scenario(json.dumps(scenario)),
        endpoint="https://x",
        ca_bundle=Path("ca.crt"),
        session_name="eksaccess-x1",
    )
    assert "role_session_name = alice@example.com" in text


def test_session_name_is_a_valid_role_session_name() -> None:
    assert re.fullmatch(r"[\w+=,.@-]{2,64}", role_session_name("abcd2345"))


# --- regions --------------------------------------------------------------------------------------------

REGIONS = [
    ("us-west-2", True),
    ("eu-west-1", True),
    ("ap-southeast-7", True),
    ("cn-north-1", True),
    ("us-gov-west-1", True),
    ("xx-nowhere-9", False),
    ("us-west-9", False),
    ("US-WEST-2", False),
    ("", False),
    ("aws-global", False),  # botocore's pseudo-region; clients sign the global endpoint with us-east-1
]


@pytest.mark.parametrize(("region", "known"), REGIONS)
def test_known_regions_come_from_botocore(region: str, known: bool) -> None:
    assert is_known_region(region) is known


def test_a_scenario_cluster_in_an_unknown_region_is_refused() -> None:
    text = builtin_text("baseline").replace("region: us-west-2", "region: xx-nowhere-9")
    with pytest.raises(InputError, match="region 'xx-nowhere-9' is not an AWS region"):
        parse_scenario(text)


# --- payload hash: STS hashes the body; EKS and IAM take x-amz-content-sha256 -----------------------------

AKID, SECRET = "AKIAEXAMPLESANDBOX01", "sandbox/secret+key/EXAMPLE0000000000000000"


def _header_signed(
    *, declared: str | None, body: bytes = b"Action=GetCallerIdentity&Version=2011-06-15"
) -> HttpRequest:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if declared is not None:
        headers["X-Amz-Content-SHA256"] = declared  # botocore signs with this value as the payload hash
    request = AWSRequest(method="POST", url="https://127.0.0.1:8443/", data=body, headers=headers)
    SigV4Auth(Credentials(AKID, SECRET), "sts", "us-west-2").add_auth(request)
    prepared = request.prepare()
    sent = {k.lower(): v for k, v in prepared.headers.items()} | {"host": "127.0.0.1:8443"}
    return HttpRequest(method="POST", raw_path="/", raw_query="", headers=sent, body=body)


def _verifies(request: HttpRequest, *, declared_hash: bool) -> bool:
    try:
        verify_signature(request, parse_signature(request), SECRET, declared_hash=declared_hash)
    except SigV4Error:
        return False
    return True


BODY_HASH = "c1d2f4e0a6df8bcb4fdcbbd2c3d4c65a8ff6f06c1dd4b3a3f53f6a3d4b1b6d2e"  # not the body's hash
PAYLOADS = [
    # x-amz-content-sha256 sent (and signed as the payload hash), accepted by STS, accepted by EKS/IAM
    (None, True, True),  # what botocore and the aws CLI send to STS
    ("UNSIGNED-PAYLOAD", False, True),
    (BODY_HASH, False, False),  # a declared hash that is not the body's
]


@pytest.mark.parametrize(("declared", "sts", "others"), PAYLOADS)
def test_payload_hashes_sts_accepts(declared: str | None, sts: bool, others: bool) -> None:
    request = _header_signed(declared=declared)
    assert _verifies(request, declared_hash=False) is sts
    assert _verifies(request, declared_hash=True) is others


def test_the_real_body_hash_declared_is_accepted_by_sts_too() -> None:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = _header_signed(declared=hashlib.sha256(body).hexdigest(), body=body)
    assert _verifies(request, declared_hash=False)
