"""M5 at the store: locks that agree with retention, and purge, the one guarded delete.

"Nothing is purged before its date; legal hold stops the clock." Every test calls the
store itself (``store.purge``, no service around it): the guard is the store's own. Tests
that apply to both stores take ``store``, parametrized over the local store and the S3
store on the real SeaweedFS server (tests/s3server.py). S3 COMPLIANCE locks cannot be
shortened, so purgeable objects are made with locks a couple of seconds ahead, and waited for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import time

import pytest

from avrecords.lib.storage import s3_locks
from avrecords.lib.storage.base import (
    PurgeRefused,
    RetentionError,
    StoreError,
    UnsupportedByStore,
    object_key,
)
from avrecords.lib.storage.local import LocalStore
from avrecords.lib.storage.s3 import S3Store
from tests.s3server import ACCESS_KEY, SECRET_KEY, configure_store

MiB = 1024 * 1024
SHORT = 2.5  # seconds of lock on objects a test purges


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _soon(seconds: float = SHORT) -> dt.datetime:
    return _now() + dt.timedelta(seconds=seconds)


def _wait_past(until: dt.datetime) -> None:
    time.sleep(max(0.0, (until - _now()).total_seconds()) + 1.1)  # S3 dates are whole seconds


def _s3_store(server, bucket: str, **extra) -> S3Store:
    options = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, **extra}
    return S3Store(
        bucket=bucket,
        endpoint=server.endpoint,
        part_bytes=5 * MiB,
        attempts=2,
        backoff_seconds=0.02,
        chunk_bytes=1 * MiB,
        **options,
    )


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "store", chunk_bytes=64 * 1024)
    server = request.getfixturevalue("s3_server")
    return _s3_store(server, request.getfixturevalue("s3_bucket"))


@pytest.fixture
def local(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store", chunk_bytes=64 * 1024)


@pytest.fixture
def s3(s3_server, s3_bucket) -> S3Store:
    return _s3_store(s3_server, s3_bucket)


def _read(store, result) -> bytes:
    with store.open(result.key, version=result.version) as fh:
        return fh.read()


def _purge(store, result, **kwargs) -> None:
    store.purge(result.key, version=result.version, sha256=result.sha256, **kwargs)


def _versions(server, bucket: str, prefix: str) -> list[tuple[str, str]]:
    listing = server.client().list_object_versions(Bucket=bucket, Prefix=prefix)
    found = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return [(v["Key"], v["VersionId"]) for v in found]


# --- locks that agree --------------------------------------------------------------------------


def test_a_lock_is_extended_never_shortened(store):
    result = store.put(io.BytesIO(os.urandom(50_000)), retain_until=_now() + dt.timedelta(days=3))
    held = store.stat(result.key, version=result.version).retain_until
    assert abs((held - result.retain_until).total_seconds()) < 1
    for earlier in (held - dt.timedelta(days=1), held - dt.timedelta(seconds=1)):
        with pytest.raises(RetentionError):
            store.extend_retention(result.key, version=result.version, until=earlier)
    assert store.stat(result.key, version=result.version).retain_until == held
    assert store.extend_retention(result.key, version=result.version, until=held) == held
    later = held + dt.timedelta(days=30)
    assert store.extend_retention(result.key, version=result.version, until=later) == later
    stat = store.stat(result.key, version=result.version)
    assert abs((stat.retain_until - later).total_seconds()) < 1
    with pytest.raises(RetentionError):  # and a put never shortens it either
        store.extend_retention(result.key, version=result.version, until=held)
    again = store.put(io.BytesIO(_read(store, result)), retain_until=held)
    assert again.already_present and abs((again.retain_until - later).total_seconds()) < 1


def test_a_lock_is_only_ever_set_into_the_future(store):
    with pytest.raises(RetentionError):
        store.put(io.BytesIO(b"late" * 100), retain_until=_now() - dt.timedelta(days=1))
    assert list(store.iter_keys("originals")) == []
    result = store.put(io.BytesIO(b"evidence" * 100), retain_until=_soon(1))
    _wait_past(result.retain_until)
    held = store.stat(result.key, version=result.version).retain_until
    past = held + dt.timedelta(seconds=0.5)  # later than the lock held, but already past
    with pytest.raises(RetentionError, match="not in the future"):
        store.extend_retention(result.key, version=result.version, until=past)
    assert store.stat(result.key, version=result.version).retain_until == held


def test_stat_reports_the_lock_and_the_hold(store):
    until = _now() + dt.timedelta(days=10)
    result = store.put(io.BytesIO(b"case 2026-17" * 100), retain_until=until)
    stat = store.stat(result.key, version=result.version)
    assert abs((stat.retain_until - until).total_seconds()) < 1 and not stat.legal_hold
    store.set_legal_hold(result.key, version=result.version, on=True)
    assert store.stat(result.key, version=result.version).legal_hold
    store.set_legal_hold(result.key, version=result.version, on=False)
    stat = store.stat(result.key, version=result.version)
    assert not stat.legal_hold and abs((stat.retain_until - until).total_seconds()) < 1
    assert store.guards_purge


# --- purge: refused ----------------------------------------------------------------------------


def test_a_purge_before_the_date_is_refused_and_changes_nothing(store):
    data = os.urandom(300_000)
    until = _now() + dt.timedelta(days=2)
    result = store.put(io.BytesIO(data), retain_until=until)
    for now in (None, _now(), _now() + dt.timedelta(days=3)):  # a caller's clock moves nothing
        with pytest.raises(PurgeRefused) as refused:
            _purge(store, result, now=now)
        assert refused.value.reason == PurgeRefused.NOT_DUE
        assert "未到期，拒绝清除" in refused.value.user_message
        assert "locked until" in str(refused.value) and isinstance(refused.value, RetentionError)
        assert abs((refused.value.retain_until - until).total_seconds()) < 1
    assert _read(store, result) == data
    assert store.verify(result.key, result.sha256, version=result.version)
    assert list(store.iter_keys("originals")) == [result.key]


def test_a_legal_hold_stops_the_clock(store):
    data = os.urandom(100_000)
    result = store.put(io.BytesIO(data), retain_until=_soon())
    store.set_legal_hold(result.key, version=result.version, on=True)
    _wait_past(result.retain_until)
    with pytest.raises(PurgeRefused) as refused:
        _purge(store, result)
    assert refused.value.reason == PurgeRefused.LEGAL_HOLD and refused.value.legal_hold
    assert refused.value.user_message == "存储处于法律保全（legal hold）状态，拒绝清除"
    assert _read(store, result) == data
    store.set_legal_hold(result.key, version=result.version, on=False)
    _purge(store, result)
    assert not store.exists(result.key, version=result.version)


def test_the_local_store_refuses_an_original_it_holds_no_date_for(local):
    data = b"no date" * 1000
    result = local.put(io.BytesIO(data))  # as ingest does today: no retain_until
    assert result.retain_until is None and local.stat(result.key).retain_until is None
    with pytest.raises(PurgeRefused) as refused:
        local.purge(result.key, now=_now() + dt.timedelta(days=9999))
    assert refused.value.reason == PurgeRefused.NO_LOCK
    assert refused.value.user_message == "存储中没有该对象的保存期限记录，拒绝清除"
    local.set_legal_hold(result.key, on=True)  # a hold alone is no date either
    local.set_legal_hold(result.key, on=False)
    with pytest.raises(PurgeRefused, match="no retain-until date"):
        local.purge(result.key)
    assert local.path_for(result.key).read_bytes() == data


def test_a_local_original_stored_without_a_lock_can_be_given_its_date_later(local):
    result = local.put(io.BytesIO(b"before lock records" * 100))
    past = _now() - dt.timedelta(days=30)  # its keep-until date has gone by already
    assert local.extend_retention(result.key, until=past) == past
    with pytest.raises(RetentionError):
        local.extend_retention(result.key, until=past - dt.timedelta(days=1))
    with pytest.raises(RetentionError, match="not in the future"):  # a date held: only later
        local.extend_retention(result.key, until=past + dt.timedelta(days=1))
    local.purge(result.key)
    assert not local.exists(result.key)


def test_the_s3_server_refuses_on_its_own(s3, monkeypatch):
    """With the store's own check switched off, the server still refuses (AccessDenied)."""
    data = os.urandom(100_000)
    result = s3.put(io.BytesIO(data), retain_until=_now() + dt.timedelta(days=1))
    monkeypatch.setattr(s3_locks, "check_purge", lambda *args: None)
    with pytest.raises(PurgeRefused) as refused:
        _purge(s3, result)
    assert refused.value.reason == PurgeRefused.BY_STORE and "AccessDenied" in str(refused.value)
    assert "S3 存储拒绝删除该对象" in refused.value.user_message
    assert _read(s3, result) == data


def test_purge_checks_what_it_is_told(store):
    result = store.put(io.BytesIO(b"x" * 1000), retain_until=_soon(60))
    with pytest.raises(ValueError):
        store.purge(result.key, version=result.version, sha256="0" * 64)
    with pytest.raises(ValueError):
        store.purge("originals/../../etc/passwd", version=result.version or "v")
    assert store.exists(result.key, version=result.version)


# --- purge: allowed ----------------------------------------------------------------------------


def test_after_the_date_the_original_is_purged_for_good(store):
    keep = store.put(io.BytesIO(b"keep" * 1000), retain_until=_now() + dt.timedelta(days=1))
    result = store.put(io.BytesIO(os.urandom(200_000)), retain_until=_soon())
    _wait_past(result.retain_until)
    _purge(store, result)
    assert not store.exists(result.key, version=result.version)
    with pytest.raises(FileNotFoundError):
        store.open(result.key, version=result.version)
    with pytest.raises(FileNotFoundError):
        _purge(store, result)  # what a resumed disposal sees
    assert list(store.iter_keys("originals")) == [keep.key]
    assert _read(store, keep) == b"keep" * 1000


def test_purged_bytes_can_come_back_as_a_new_original_with_a_new_lock(store):
    data = os.urandom(100_000)
    result = store.put(io.BytesIO(data), retain_until=_soon())
    _wait_past(result.retain_until)
    _purge(store, result)
    again = store.put(io.BytesIO(data), retain_until=_now() + dt.timedelta(days=1))
    assert not again.already_present and _read(store, again) == data
    with pytest.raises(PurgeRefused):  # the old, passed date is not the new original's
        _purge(store, again)


def test_on_s3_the_version_is_deleted_not_hidden(s3, s3_server):
    result = s3.put(io.BytesIO(os.urandom(1000)), retain_until=_soon())
    _wait_past(result.retain_until)
    with pytest.raises(ValueError):  # a purge names the recorded version
        s3.purge(result.key, sha256=result.sha256)
    _purge(s3, result)
    assert _versions(s3_server, s3.bucket, "") == []  # no version, no delete marker


def test_a_large_original_goes_with_its_pointer(s3, s3_server, monkeypatch):
    monkeypatch.setattr(s3, "default_retain_until", lambda: _soon(4))  # the upload's own lock
    data = os.urandom(6 * MiB)
    result = s3.put(io.BytesIO(data))
    address = object_key("originals", result.sha256)
    assert result.key.startswith("objects/") and len(_versions(s3_server, s3.bucket, address)) == 1
    _wait_past(result.retain_until)
    s3.purge(result.key, version=result.version)  # no digest given: found by reading the bytes
    assert _versions(s3_server, s3.bucket, "") == []
    with pytest.raises(FileNotFoundError):
        _purge(s3, result)


def test_a_large_original_named_by_its_content_address_goes_whole(s3, s3_server, monkeypatch):
    monkeypatch.setattr(s3, "default_retain_until", lambda: _soon(4))
    result = s3.put(io.BytesIO(os.urandom(6 * MiB)))
    address = object_key("originals", result.sha256)
    [(_, pointer)] = _versions(s3_server, s3.bucket, address)
    # the lock counted from now, not from before the upload: on a loaded machine the upload
    # itself has taken longer than the upload's own lock (CI, 2026-12-07)
    until = s3.extend_retention(address, version=pointer, until=_soon(4))
    with pytest.raises(PurgeRefused):
        s3.purge(address, version=pointer)
    assert _versions(s3_server, s3.bucket, address) == [(address, pointer)]
    _wait_past(until)
    s3.purge(address, version=pointer)
    assert _versions(s3_server, s3.bucket, "") == []


def test_a_pointer_left_by_a_cut_short_purge_is_never_adopted(s3, s3_server, monkeypatch):
    monkeypatch.setattr(s3, "default_retain_until", lambda: _soon(4))
    data = os.urandom(6 * MiB)
    result = s3.put(io.BytesIO(data))
    address = object_key("originals", result.sha256)
    _wait_past(result.retain_until)
    real_delete = s3_locks._delete
    deleted: list[str] = []

    def crash_after_the_bytes(store, key, version):
        if deleted:
            raise StoreError("connection lost")
        real_delete(store, key, version)
        deleted.append(key)

    monkeypatch.setattr(s3_locks, "_delete", crash_after_the_bytes)
    with pytest.raises(StoreError, match="purge again to finish"):
        _purge(s3, result)
    monkeypatch.setattr(s3_locks, "_delete", real_delete)
    assert deleted == [result.key] and not s3.exists(result.key, version=result.version)
    [(_, dangling)] = _versions(s3_server, s3.bucket, address)

    again = s3.put(io.BytesIO(data))  # the same bytes, stored afresh beside the dead pointer
    assert not again.already_present and again.key not in (result.key, address)
    assert _read(s3, again) == data
    assert s3.verify(again.key, again.sha256, version=again.version)

    with pytest.raises(FileNotFoundError):  # the disposal resumes: it finishes, then says gone
        _purge(s3, result)
    assert (address, dangling) not in _versions(s3_server, s3.bucket, address)
    third = s3.put(io.BytesIO(data))  # the live pointer is untouched and still found
    assert third.already_present and (third.key, third.version) == (again.key, again.version)


def test_a_lock_change_through_the_content_address_reaches_the_bytes(s3):
    result = s3.put(io.BytesIO(os.urandom(6 * MiB)))
    address = object_key("originals", result.sha256)
    later = result.retain_until + dt.timedelta(days=100)
    held = s3.extend_retention(address, version="", until=later)
    assert abs((held - later).total_seconds()) < 1
    for key, version in ((result.key, result.version), (address, "")):
        assert abs((s3.stat(key, version=version).retain_until - later).total_seconds()) < 1
    s3.set_legal_hold(address, version="", on=True)
    assert s3.stat(result.key, version=result.version).legal_hold
    assert s3.stat(address).legal_hold
    s3.set_legal_hold(address, version="", on=False)
    assert not s3.stat(result.key, version=result.version).legal_hold


# --- the purge key -----------------------------------------------------------------------------


def test_purge_deletes_with_its_own_key_when_one_is_set(settings, s3_server, s3_bucket):
    from avrecords.lib.storage import get_store

    configure_store(
        settings,
        s3_server,
        s3_bucket,
        AVRECORDS_S3_PURGE_ACCESS_KEY=ACCESS_KEY,
        AVRECORDS_S3_PURGE_SECRET_KEY="not-the-purge-secret",
    )
    store = get_store()
    assert store.purge_client is not store.client
    data = os.urandom(10_000)
    result = store.put(io.BytesIO(data), retain_until=_soon())
    _wait_past(result.retain_until)
    with pytest.raises(StoreError, match="AVRECORDS_S3_PURGE_ACCESS_KEY") as failed:
        _purge(store, result)
    assert not isinstance(failed.value, PurgeRefused) and "SignatureDoesNotMatch" in str(
        failed.value
    )
    assert _read(store, result) == data  # the everyday key still reads
    settings.AVRECORDS_S3_PURGE_SECRET_KEY = SECRET_KEY
    get_store.cache_clear()
    _purge(get_store(), result)
    assert not get_store().exists(result.key, version=result.version)
    get_store.cache_clear()
    with pytest.raises(ValueError):
        _s3_store(s3_server, s3_bucket, purge_access_key=ACCESS_KEY)


def test_the_purge_key_is_read_from_the_environment(tmp_path):
    code = "from django.conf import settings as s; print(s.AVRECORDS_S3_PURGE_ACCESS_KEY)"
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
        "AVRECORDS_S3_PURGE_ACCESS_KEY": "disposal-worker",
    }
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    half = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert half.returncode != 0 and "go together" in half.stderr
    env["AVRECORDS_S3_PURGE_SECRET_KEY"] = "s3cret"
    full = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert full.returncode == 0 and full.stdout.strip() == "disposal-worker", full.stderr


# --- the local lock records --------------------------------------------------------------------


def test_local_lock_records_live_beside_the_tree(local):
    until = _now() + dt.timedelta(days=1)
    result = local.put(io.BytesIO(b"beside" * 1000), retain_until=until)
    sha = result.sha256
    record = local.root / "locks" / "originals" / sha[:2] / sha[2:4] / f"{sha}.json"
    assert json.loads(record.read_text()) == {
        "retain_until": until.astimezone(dt.UTC).isoformat(),
        "legal_hold": False,
    }
    local.set_legal_hold(result.key, on=True)
    assert json.loads(record.read_text())["legal_hold"] is True
    assert list(local.iter_keys("originals")) == [result.key]
    assert [p.name for p in record.parent.iterdir()] == [record.name]  # no temporaries left
    assert oct(local.path_for(result.key).stat().st_mode & 0o777) == "0o400"


def test_a_local_purge_marks_its_record_and_resumes_after_a_crash(local, monkeypatch):
    from pathlib import Path

    data = os.urandom(50_000)
    result = local.put(io.BytesIO(data), retain_until=_soon(1))
    record = local.locks.path(result.key)
    _wait_past(result.retain_until)
    real_unlink = Path.unlink

    def power_cut(self, missing_ok=False):
        if self == local.path_for(result.key):
            raise OSError(5, "Input/output error")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", power_cut)
    with pytest.raises(StoreError):
        local.purge(result.key)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert "purged_at" in json.loads(record.read_text())
    assert local.path_for(result.key).read_bytes() == data  # marked, not yet gone
    local.purge(result.key)  # the next call finishes it
    assert not local.exists(result.key) and "purged_at" in json.loads(record.read_text())
    with pytest.raises(FileNotFoundError):
        local.purge(result.key)
    with pytest.raises(FileNotFoundError):
        local.set_legal_hold(result.key, on=True)
    again = local.put(io.BytesIO(data))  # the same bytes later: a fresh original, no old date
    assert not again.already_present and again.retain_until is None and not record.exists()
    with pytest.raises(PurgeRefused):
        local.purge(again.key)


def test_a_lost_and_restored_local_original_keeps_its_lock(local):
    data = b"restored" * 1000
    result = local.put(io.BytesIO(data), retain_until=_now() + dt.timedelta(days=5))
    local.set_legal_hold(result.key, on=True)
    local.path_for(result.key).unlink()  # a disk loss behind the store's back
    restored = local.put(io.BytesIO(data))
    assert not restored.already_present
    stat = local.stat(result.key)
    assert stat.legal_hold and stat.retain_until == result.retain_until


def test_a_store_without_a_guarded_purge_has_none(local):
    from avrecords.lib.storage.base import OriginalStore

    assert not OriginalStore.guards_purge and local.guards_purge and not local.locks_objects
    result = local.put(io.BytesIO(b"base"), retain_until=_soon(0.5))
    _wait_past(result.retain_until)
    with pytest.raises(UnsupportedByStore):  # the interface's own purge deletes nothing
        OriginalStore.purge(local, result.key, sha256=hashlib.sha256(b"base").hexdigest())
    assert local.exists(result.key)
