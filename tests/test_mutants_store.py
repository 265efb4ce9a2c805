"""M2 write-once and M5 locks at the local store, and the SHA-256 behind them: what
`make mutate` found no test for (issue 23 §2).

Pinned here, each against the store itself:

- an original, once committed, is never changed: a put of bytes already present (found
  before the link, or by losing a race to another writer) keeps the first file and only
  ever lengthens its lock, keeping its legal hold; a lost original restored from a backup
  keeps its record; an import during a cut-short purge leaves the purge to finish;
- the lock date is recorded at commit and reported back; a full disk at commit is told
  apart from other failures and leaves nothing behind;
- verification and hashing read in chunks: a fixity check of a large original needs one
  chunk of memory, and the hash covers every byte even when the source trickles and the
  hasher lags behind it.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from avrecords.lib.hashing import PipelinedHasher, copy_hashing, sha256_file
from avrecords.lib.storage.base import (
    PurgeRefused,
    RetentionError,
    StoreError,
    StoreFullError,
    object_key,
)
from avrecords.lib.storage.local import LocalStore
from tests import test_store_locks
from tests.test_store_locks import _now, _soon, _wait_past

local = test_store_locks.local  # the fixture: a local store reading 64 KiB chunks

MiB = 1024 * 1024


def _record(store: LocalStore, key: str) -> dict:
    return json.loads(store.locks.path(key).read_text())


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


# --- write-once: a commit of bytes already present -------------------------------------------


def test_a_new_original_is_reported_new_with_the_lock_date_recorded_at_commit(local):
    data = os.urandom(150_000)
    until = _now() + dt.timedelta(days=30)
    result = local.put(io.BytesIO(data), retain_until=until)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.size_bytes, result.retain_until) == (len(data), until)
    assert result.already_present is False  # a count (upgrade/transfer.py adds it up)
    assert _record(local, result.key) == {"retain_until": _iso(until), "legal_hold": False}
    assert local.stat(result.key).retain_until == until
    assert list((local.root / "tmp").iterdir()) == []


def test_the_same_bytes_again_keep_the_original_and_can_only_lengthen_its_lock(local):
    data = os.urandom(120_000)
    held = _now() + dt.timedelta(days=3)
    first = local.put(io.BytesIO(data), retain_until=held)
    local.set_legal_hold(first.key, on=True)
    path = local.path_for(first.key)
    inode = path.stat().st_ino

    for until in (None, held - dt.timedelta(days=2)):  # no date, then an earlier one
        again = local.put(io.BytesIO(data), retain_until=until)
        assert (again.key, again.sha256, again.size_bytes) == (first.key, first.sha256, len(data))
        assert again.already_present and again.retain_until == held
        assert local.stat(first.key).retain_until == held

    later = held + dt.timedelta(days=7)
    again = local.put(io.BytesIO(data), retain_until=later)
    assert again.already_present and again.retain_until == later
    stat = local.stat(first.key)
    assert stat.retain_until == later and stat.legal_hold  # lengthened, the hold kept
    assert _record(local, first.key) == {"retain_until": _iso(later), "legal_hold": True}
    assert path.stat().st_ino == inode and path.read_bytes() == data
    assert list(local.iter_keys("originals")) == [first.key]
    assert list((local.root / "tmp").iterdir()) == []


def test_a_put_of_bytes_already_present_closes_only_its_own_temporary_file(local):
    """The put drops its copy and closes its descriptor once; a wrong number there would
    close some other open file of the server, such as its standard output (fd 1)."""
    stdout = os.fstat(1)
    data = b"twice" * 10_000
    local.put(io.BytesIO(data))
    assert local.put(io.BytesIO(data)).already_present
    assert (os.fstat(1).st_dev, os.fstat(1).st_ino) == (stdout.st_dev, stdout.st_ino)


def test_a_writer_that_loses_the_race_keeps_the_winners_file_and_the_later_lock(local, monkeypatch):
    """Two imports of the same file at once: both find no original, the other one links
    first. The loser's link fails; it reports the bytes present and lengthens the lock."""
    data = os.urandom(80_000)
    theirs = _now() + dt.timedelta(days=2)
    ours = _now() + dt.timedelta(days=9)
    real_link = os.link
    winner = []

    def other_writer_links_first(src, dst):
        if not winner:
            winner.append(None)  # the other writer's own link goes through
            winner[0] = LocalStore(local.root, chunk_bytes=4096).put(io.BytesIO(data))
            winner.append(local.path_for(winner[0].key).stat().st_ino)
            LocalStore(local.root).extend_retention(winner[0].key, until=theirs)
        real_link(src, dst)

    monkeypatch.setattr(os, "link", other_writer_links_first)
    result = local.put(io.BytesIO(data), retain_until=ours)
    monkeypatch.setattr(os, "link", real_link)
    assert not winner[0].already_present  # the other writer committed the original
    assert (result.key, result.sha256, result.size_bytes) == (
        winner[0].key,
        winner[0].sha256,
        len(data),
    )
    assert result.already_present and result.retain_until == ours
    assert local.stat(result.key).retain_until == ours
    path = local.path_for(result.key)
    assert path.stat().st_ino == winner[1] and path.read_bytes() == data
    assert list((local.root / "tmp").iterdir()) == []


def test_a_lost_original_restored_from_a_backup_keeps_its_later_lock_and_its_hold(local):
    data = b"restored from tape" * 2000
    held = _now() + dt.timedelta(days=5)
    result = local.put(io.BytesIO(data), retain_until=held)
    local.set_legal_hold(result.key, on=True)
    path = local.path_for(result.key)

    for until, kept in (
        (None, held),
        (held - dt.timedelta(days=4), held),  # an earlier date does not shorten it
        (held + dt.timedelta(days=10), held + dt.timedelta(days=10)),
    ):
        path.unlink()  # a disk loss behind the store's back
        restored = local.put(io.BytesIO(data), retain_until=until)
        assert not restored.already_present and restored.retain_until == kept
        stat = local.stat(result.key)
        assert stat.retain_until == kept and stat.legal_hold
        assert path.read_bytes() == data


def test_an_import_during_a_cut_short_purge_leaves_the_purge_to_finish(local, monkeypatch):
    """The purge marked the record and was cut off before the unlink; the same bytes are
    imported meanwhile. The record of the approved purge is not erased: the import reports
    the lock held, the next purge call finishes it, and bytes put after that start afresh."""
    data = os.urandom(40_000)
    result = local.put(io.BytesIO(data), retain_until=_soon(1))
    _wait_past(result.retain_until)
    real_unlink = Path.unlink

    def power_cut(self, missing_ok=False):
        if self == local.path_for(result.key):
            raise OSError(errno.EIO, "Input/output error")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", power_cut)
    with pytest.raises(StoreError):
        local.purge(result.key)
    monkeypatch.setattr(Path, "unlink", real_unlink)

    again = local.put(io.BytesIO(data))
    assert again.already_present and again.retain_until == result.retain_until
    assert "purged_at" in _record(local, result.key)
    local.purge(result.key)
    assert not local.exists(result.key)

    until = _now() + dt.timedelta(days=1)
    fresh = local.put(io.BytesIO(data), retain_until=until)
    assert not fresh.already_present and fresh.retain_until == until
    assert _record(local, result.key) == {"retain_until": _iso(until), "legal_hold": False}
    with pytest.raises(PurgeRefused) as refused:
        local.purge(result.key)
    assert refused.value.reason == PurgeRefused.NOT_DUE


# --- commit failures ---------------------------------------------------------------------------


def test_a_full_disk_at_commit_is_told_apart_from_a_failing_disk_and_leaves_nothing(
    local, monkeypatch
):
    """ENOSPC at the final fsync is "store full" (ingest answers 507 and names the store);
    any other error is a plain store error carrying the system's reason (503)."""
    data = b"no room" * 5000
    for code, reason in ((errno.ENOSPC, "No space left"), (errno.EIO, "Input/output error")):

        def failing_fsync(fd, code=code, reason=reason):
            raise OSError(code, reason)

        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(StoreError) as failed:
            local.put(io.BytesIO(data), retain_until=_now() + dt.timedelta(days=1))
        monkeypatch.undo()
        if code == errno.ENOSPC:
            assert type(failed.value) is StoreFullError
            assert str(local.root) in str(failed.value)
        else:
            assert type(failed.value) is StoreError
            assert "commit failed" in str(failed.value) and reason in str(failed.value)
        assert list(local.iter_keys("originals")) == []
        assert list((local.root / "tmp").iterdir()) == []
        assert not (local.root / "locks" / "originals").exists()


def test_a_lock_date_in_the_past_is_refused_for_the_original_it_names(local):
    data = b"late" * 1000
    with pytest.raises(RetentionError, match="not in the future") as refused:
        local.put(io.BytesIO(data), retain_until=_now() - dt.timedelta(minutes=1))
    assert object_key("originals", hashlib.sha256(data).hexdigest()) in str(refused.value)
    with pytest.raises(ValueError, match="time zone"):
        local.put(io.BytesIO(data), retain_until=dt.datetime(2099, 1, 1))
    assert list(local.iter_keys("originals")) == []
    assert list((local.root / "tmp").iterdir()) == []


# --- hashing in chunks -------------------------------------------------------------------------


def _peak_bytes(fn) -> tuple[object, int]:
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = fn()
        return value, tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()


def test_a_fixity_check_of_a_large_original_reads_it_a_chunk_at_a_time(local):
    """A nightly check of a 4 GB video must not need 4 GB of memory: the store's chunk size
    (64 KiB here) bounds what one check holds, and every chunk counts (a change in the last
    one is found)."""
    data = os.urandom(3 * MiB + 12_345)
    result = local.put(io.BytesIO(data))
    ok, peak = _peak_bytes(lambda: local.verify(result.key, result.sha256))
    assert ok and peak < MiB
    path = local.path_for(result.key)
    digest, peak = _peak_bytes(lambda: sha256_file(str(path), 64 * 1024))
    assert digest == result.sha256 and peak < MiB
    assert sha256_file(str(path)) == result.sha256  # the default: 4 MiB chunks

    path.chmod(0o600)
    with open(path, "r+b") as fh:
        fh.seek(len(data) - 10)
        fh.write(bytes([data[-10] ^ 0x80]))
    assert not local.verify(result.key, result.sha256)


def test_an_empty_file_hashes_to_the_empty_digest(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert sha256_file(str(empty), 4096) == hashlib.sha256(b"").hexdigest()


class _SlowSha256:
    """A hasher that lags behind the disk: each chunk waits before it is hashed."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def update(self, chunk) -> None:
        time.sleep(0.005)
        self._h.update(chunk)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


class _Trickle(io.RawIOBase):
    """A camera's USB storage: short reads, at most 700 bytes each."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        return self._io.readinto(memoryview(buf)[:700])


def test_the_hash_covers_every_byte_read_even_when_the_hasher_lags_behind(tmp_path):
    """Each chunk is hashed while the next is read into the other buffer: a hasher slower
    than the source must still see each chunk as it was read, never the next one's bytes.
    From a file on disk, from a trickling source (progress per short read), from memory;
    the digest given (as lib/copying.py gives a CRC-32) is the one fed."""
    data = bytes(range(256)) * 40 + os.urandom(2000)  # 12,240 bytes
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(data)
    with open(clip, "rb") as on_disk:
        sources = [(on_disk, [1024] * 11 + [976]), (_Trickle(data), [700] * 17 + [340])]
        sources.append((io.BytesIO(data), [1024] * 11 + [976]))
        for src, expected_progress in sources:
            slow = _SlowSha256()
            hasher = PipelinedHasher(slow)
            copied, progress = bytearray(), []
            try:
                total = copy_hashing(
                    src, copied.extend, hasher, chunk_bytes=1024, progress=progress.append
                )
                assert hasher.hexdigest() == slow.hexdigest() == hashlib.sha256(data).hexdigest()
            finally:
                hasher.close()
            assert (total, bytes(copied), progress) == (len(data), data, expected_progress)


def test_a_local_put_from_a_file_on_disk_stores_and_hashes_it_whole(local, tmp_path):
    data = os.urandom(200_001)  # four chunks of 64 KiB and a short one
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(data)
    with open(clip, "rb") as src:
        result = local.put(src)
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size_bytes == len(data)
    assert local.path_for(result.key).read_bytes() == data
