"""M2: the local write-once store — content addressed, read-only, never overwritten."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from avrecords.lib.storage.base import StoreFullError, object_key
from avrecords.lib.storage.local import LocalStore


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store", chunk_bytes=64 * 1024)


def test_put_hashes_while_copying_and_files_the_bytes_under_their_hash(store):
    data = os.urandom(1_000_003)
    result = store.put(io.BytesIO(data))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.key == object_key("originals", result.sha256)
    assert result.size_bytes == len(data) and not result.already_present
    with store.open(result.key) as fh:
        assert fh.read() == data
    assert store.stat(result.key).read_only


def test_the_same_bytes_are_stored_once(store):
    data = b"x" * 300_000
    first = store.put(io.BytesIO(data))
    second = store.put(io.BytesIO(data))
    assert second.already_present and second.key == first.key
    assert list(store.iter_keys("originals")) == [first.key]
    assert list((store.root / "tmp").iterdir()) == []


def test_a_committed_original_is_never_replaced(store):
    data = b"evidence" * 1000
    key = store.put(io.BytesIO(data)).key
    path = store.path_for(key)
    inode = path.stat().st_ino
    store.put(io.BytesIO(data))
    assert path.stat().st_ino == inode and path.read_bytes() == data


def test_verify_detects_a_flipped_byte(store):
    result = store.put(io.BytesIO(os.urandom(200_000)))
    assert store.verify(result.key, result.sha256)
    path = store.path_for(result.key)
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[1234] ^= 0x01
    path.write_bytes(bytes(raw))
    assert not store.verify(result.key, result.sha256)


def test_verify_reports_a_missing_object(store):
    assert not store.verify(object_key("originals", "a" * 64), "a" * 64)


def test_keys_that_are_not_content_addresses_are_refused(store):
    for bad in [
        "originals/../../etc/passwd",
        "originals/aa/bb/" + "a" * 64,
        "other/aa/aa/" + "a" * 64,
    ]:
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_a_full_disk_leaves_nothing_behind(store, monkeypatch):
    import errno

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("avrecords.lib.storage.local.os.write", no_space)
    with pytest.raises(StoreFullError):
        store.put(io.BytesIO(b"y" * 100_000))
    assert list(store.iter_keys("originals")) == []
    assert list((store.root / "tmp").iterdir()) == []


def test_cleanup_removes_only_stale_partial_copies(store):
    stale = store.tmp_dir / "put-stale"
    stale.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    live = store.tmp_dir / "put-live"
    live.write_bytes(b"in progress")
    assert store.cleanup_incomplete() == 1
    assert not stale.exists() and live.exists()


def test_the_local_store_guards_by_file_mode_and_its_own_lock_records(store):
    """No S3 lock: originals are read-only files, and the store's lock records (M5) hold a
    legal hold and a date that purge must respect."""
    result = store.put(io.BytesIO(b"z" * 1000))
    assert result.version == "" and result.retain_until is None and not store.locks_objects
    assert store.guards_purge
    assert store.presigned_url(result.key, expires_seconds=60) is None
    store.verify_ready()
    store.set_legal_hold(result.key, version="", on=True)
    assert store.stat(result.key).legal_hold
