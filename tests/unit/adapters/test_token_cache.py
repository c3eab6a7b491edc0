"""The token cache files: 0600, atomic, and never trusted when foreign, too open, linked or corrupted."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.adapters.token_cache import (
    CACHE_DIR_ENV,
    CachedToken,
    CacheKey,
    Refusal,
    TokenCache,
    default_cache_dir,
    parse_amz_date,
    parse_time,
)

KEY = CacheKey(
    partition="aws", region="us-west-2", cluster="demo", role_arn="", access_key_id="AKIAEXAMPLEKEY000001"
)
TOKEN = CachedToken(
    token="k8s-aws-v1.aHR0cHM6Ly9zdHMuZXhhbXBsZS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5",
    expiration=datetime(2030, 1, 1, 12, 14, tzinfo=UTC),
    fingerprint="f" * 64,
    signing_key_id="AKIAEXAMPLEKEY000001",
)


@pytest.fixture
def cache(tmp_path: Path) -> TokenCache:
    return TokenCache(tmp_path / "tokens")


def test_round_trip_and_modes(cache: TokenCache) -> None:
    path = Path(cache.write(KEY, TOKEN))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    read = cache.read(KEY)
    assert read.refusal is None
    assert read.token == TOKEN
    assert os.listdir(cache.directory) == [KEY.file_name()]  # no temporary left behind


def test_missing_file_is_a_plain_miss(cache: TokenCache) -> None:
    read = cache.read(KEY)
    assert read.token is None and read.refusal is None


def test_rewrite_replaces_atomically(cache: TokenCache) -> None:
    first = cache.write(KEY, TOKEN)
    inode = os.stat(first).st_ino
    newer = TOKEN._replace(expiration=datetime(2030, 1, 1, 12, 30, tzinfo=UTC))
    second = cache.write(KEY, newer)
    assert second == first and os.stat(second).st_ino != inode  # a new file renamed over the old one
    assert cache.read(KEY).token == newer


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o700, 0o666, 0o601])
def test_wider_than_0600_is_refused(cache: TokenCache, mode: int) -> None:
    path = Path(cache.write(KEY, TOKEN))
    path.chmod(mode)
    read = cache.read(KEY)
    assert read.token is None and read.refusal is Refusal.WIDE_MODE


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_modes_are_accepted(cache: TokenCache, mode: int) -> None:
    path = Path(cache.write(KEY, TOKEN))
    path.chmod(mode)
    assert cache.read(KEY).token == TOKEN


def test_foreign_owner_is_refused(cache: TokenCache, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.write(KEY, TOKEN)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)  # the file now belongs to someone else
    read = cache.read(KEY)
    assert read.token is None and read.refusal is Refusal.FOREIGN_OWNER


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_file_chowned_to_another_user_is_refused(cache: TokenCache) -> None:
    path = cache.write(KEY, TOKEN)
    os.chown(path, 65534, 65534)
    assert cache.read(KEY).refusal is Refusal.FOREIGN_OWNER


def test_symlink_is_refused_even_to_a_good_file(cache: TokenCache, tmp_path: Path) -> None:
    good = Path(cache.write(KEY, TOKEN))
    elsewhere = tmp_path / "elsewhere.json"
    good.rename(elsewhere)
    good.symlink_to(elsewhere)
    read = cache.read(KEY)
    assert read.token is None and read.refusal is Refusal.NOT_REGULAR


def test_directory_in_place_of_the_file_is_refused(cache: TokenCache) -> None:
    Path(cache.path(KEY)).mkdir(parents=True)
    assert cache.read(KEY).refusal is Refusal.NOT_REGULAR


def _plant(cache: TokenCache, content: bytes) -> None:
    path = Path(cache.path(KEY))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)


def _document(**changes: object) -> bytes:
    doc: dict[str, object] = {
        "version": 1,
        "key": KEY.as_dict(),
        "fingerprint": TOKEN.fingerprint,
        "signingKeyId": TOKEN.signing_key_id,
        "expirationTimestamp": "2030-01-01T12:14:00Z",
        "token": TOKEN.token,
    }
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"k8s-aws-v1.abc"',
        _document(version=2),
        _document(token=...),
        _document(token=12),
        _document(expirationTimestamp="tomorrow"),
        _document(expirationTimestamp="2030-01-01 12:14:00"),
        _document(fingerprint=None),
        _document(signingKeyId=["x"]),
        _document()[:-5],
        b" " * (64 * 1024 + 1),
    ],
)
def test_corrupted_files_are_refused(cache: TokenCache, content: bytes) -> None:
    _plant(cache, content)
    read = cache.read(KEY)
    assert read.token is None and read.refusal is Refusal.CORRUPTED


def test_a_file_written_for_another_key_is_refused(cache: TokenCache) -> None:
    other = KEY._replace(access_key_id="AKIAOTHERKEY00000002").as_dict()
    _plant(cache, _document(key=other))
    assert cache.read(KEY).refusal is Refusal.OTHER_KEY


def test_planted_good_document_is_read(cache: TokenCache) -> None:
    _plant(cache, _document())
    assert cache.read(KEY).token == TOKEN


def test_clear_removes_tokens_and_temporaries_only(cache: TokenCache) -> None:
    cache.write(KEY, TOKEN)
    cache.write(KEY._replace(cluster="other"), TOKEN)
    directory = Path(cache.directory)
    (directory / ".token-abc.tmp").write_text("x")
    (directory / "README").write_text("keep me")
    assert cache.clear() == 3
    assert os.listdir(directory) == ["README"]
    assert TokenCache(directory / "absent").clear() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("package.json", b'{"name": "app", "version": "1.0.0"}'),  # any *.json: the bug that was
        ("settings.json", b"{}"),
        ("a" * 40 + ".json", b'{"name": "app"}'),  # a cache file's name, but not a cache document
        ("b" * 40 + ".json", b"\x00\x01 not json"),
        ("C" * 40 + ".json", json.dumps({"version": 1, "key": {}, "token": "t", "expirationTimestamp": "x"})),
        (".token-abc.json", b"{}"),
    ],
)
def test_clear_keeps_files_it_did_not_write(cache: TokenCache, name: str, content: bytes | str) -> None:
    cache.write(KEY, TOKEN)
    foreign = Path(cache.directory) / name
    foreign.write_bytes(content.encode() if isinstance(content, str) else content)
    assert cache.clear() == 1
    assert os.listdir(cache.directory) == [name]


def test_clear_leaves_symlinks_and_directories(cache: TokenCache, tmp_path: Path) -> None:
    path = Path(cache.write(KEY, TOKEN))
    target = tmp_path / "elsewhere.json"
    target.write_text(path.read_text())  # a good cache document, reached through a link
    link = Path(cache.directory) / ("d" * 40 + ".json")
    link.symlink_to(target)
    (Path(cache.directory) / ("e" * 40 + ".json")).mkdir()
    assert cache.clear() == 1
    assert sorted(os.listdir(cache.directory)) == ["d" * 40 + ".json", "e" * 40 + ".json"]
    assert target.exists()


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o711, 0o777])
def test_write_makes_an_existing_directory_private(cache: TokenCache, mode: int) -> None:
    os.makedirs(cache.directory)
    os.chmod(cache.directory, mode)
    cache.write(KEY, TOKEN)
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700


def test_default_directory_override(tmp_path: Path) -> None:
    assert default_cache_dir({CACHE_DIR_ENV: str(tmp_path / "x")}) == str(tmp_path / "x")


@pytest.mark.parametrize("xdg", [None, "", "  ", "/somewhere/cache"])
def test_default_directory_is_platformdirs_one(monkeypatch: pytest.MonkeyPatch, xdg: str | None) -> None:
    from platformdirs import user_cache_dir

    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert default_cache_dir(dict(os.environ)) == os.path.join(user_cache_dir("eksaccess"), "tokens")


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@given(
    st.tuples(_text, _text, _text, _text, _text),
    st.integers(min_value=0, max_value=4),
    _text,
)
def test_every_key_part_selects_its_own_file(parts: tuple[str, ...], index: int, other: str) -> None:
    names = ("partition", "region", "cluster", "role_arn", "access_key_id")
    key = CacheKey(**dict(zip(names, parts, strict=True)))
    changed = key._replace(**{names[index]: other})
    assert (key.file_name() == changed.file_name()) == (key == changed)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_timestamps_parse_as_strptime_does(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    assert parse_time(moment.strftime("%Y-%m-%dT%H:%M:%SZ")) == moment
    assert parse_amz_date(moment.strftime("%Y%m%dT%H%M%SZ")) == moment


@pytest.mark.parametrize(
    "text",
    ["2030-13-01T00:00:00Z", "2030-01-01T00:00:00", "2030-01-01T00:00:00+00:00", "２０３０-01-01T00:00:00Z"],
)
def test_bad_timestamps_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)
