"""Local write-once store: content-addressed tree, read-only files, fsync + atomic rename.

Locks for purge (M5) are records beside the tree (``local_locks.py``): a retain-until date
given at commit or by ``extend_retention`` and a legal hold; ``purge`` is refused without
a passed date or with a hold on.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from avrecords.lib.hashing import DEFAULT_CHUNK_BYTES, PipelinedHasher, copy_hashing, sha256_file
from avrecords.lib.storage.base import (
    AREAS,
    ObjectStat,
    OriginalStore,
    PendingPut,
    ProgressCallback,
    PutResult,
    RetentionError,
    SourceReadError,
    StoreError,
    StoreFullError,
    aware,
    check_future,
    check_purge,
    object_key,
    utcnow,
)
from avrecords.lib.storage.local_locks import LockBook, LockRecord
from avrecords.lib.storage.local_locks import fsync_dir as _fsync_dir
from avrecords.lib.storage.local_locks import mkdirs_durable as _mkdirs_durable

log = logging.getLogger(__name__)
READ_ONLY_MODE = 0o400  # write-once, and the service user's alone (issue 15, row 8)
TMP_PREFIX = "put-"
# Start writing each 32 MiB to disk as soon as it is copied (sync_file_range), so the
# disk works while the next chunks are read and hashed and commit()'s fsync has little
# left to wait for. Durability still rests on that fsync; this only moves work earlier.
WRITEBACK_BYTES = 32 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range():
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range  # Linux only
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_sync_file_range = _load_sync_file_range()


class _LocalPendingPut(PendingPut):
    def __init__(self, store: LocalStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=store.tmp_dir)
        self._fd = fd
        self._tmp_path = Path(name)
        self._hasher = PipelinedHasher()
        self._size = 0
        self._writeback_from = 0
        self._writeback_pool: ThreadPoolExecutor | None = None

    def local_path(self) -> str:
        return str(self._tmp_path)

    def _write_all(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFullError(f"no space left in {self._store.root}") from exc
            raise StoreError(f"write failed: {exc}") from exc

    def _start_writeback(self) -> None:
        """Ask the kernel to start writing what was copied since the last call (no wait)."""
        pending = self._size - self._writeback_from
        if pending < WRITEBACK_BYTES or _sync_file_range is None or WRITEBACK_BYTES <= 0:
            return
        # On its own thread: submitting the I/O costs CPU the copy loop should not wait on.
        # A hint only: errors (e.g. ENOSYS, EINVAL on odd filesystems) surface at fsync.
        if self._writeback_pool is None:
            self._writeback_pool = ThreadPoolExecutor(1, thread_name_prefix="writeback")
        self._writeback_pool.submit(
            _sync_file_range, self._fd, self._writeback_from, pending, _SYNC_FILE_RANGE_WRITE
        )
        self._writeback_from = self._size

    def _stop_writeback(self) -> None:
        """Wait for submitted writeback requests; must run before the fd is closed."""
        if self._writeback_pool is not None:
            self._writeback_pool.shutdown(wait=True)
            self._writeback_pool = None

    def write(self, chunk: bytes | memoryview) -> None:
        self._hasher.feed(chunk)
        self._write_all(chunk)
        self._size += len(chunk)
        self._start_writeback()
        # The caller may reuse its buffer once we return; the hash must be done with it.
        self._hasher.wait()

    def copy_from(self, src: BinaryIO, chunk_bytes: int, progress: ProgressCallback | None) -> None:
        def write(view: memoryview) -> None:
            self._write_all(view)
            self._size += len(view)
            self._start_writeback()

        try:
            copy_hashing(src, write, self._hasher, chunk_bytes=chunk_bytes, progress=progress)
        except (StoreError, KeyboardInterrupt):
            raise
        except OSError as exc:
            raise SourceReadError(f"source read failed: {exc}") from exc

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    @property
    def size_bytes(self) -> int:
        return self._size

    def commit(self, area: str, *, retain_until=None) -> PutResult:
        # File modes stop overwrites; a retain-until date goes to the lock record (purge).
        sha = self.sha256
        key = object_key(area, sha)
        final = self._store.path_for(key)
        until = None
        try:
            if retain_until is not None:
                until = aware(retain_until)
                check_future(key, until)
            self._stop_writeback()
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
            if final.exists():
                self.abort()
                return self._present(key, sha, until)
            _mkdirs_durable(final.parent)
            os.chmod(self._tmp_path, READ_ONLY_MODE)
            # link() refuses to replace an existing file, unlike rename(): a racing
            # writer of the same bytes can never overwrite a committed original.
            try:
                os.link(self._tmp_path, final)
            except FileExistsError:
                self.abort()
                return self._present(key, sha, until)
            _fsync_dir(final.parent)
            os.unlink(self._tmp_path)
            _fsync_dir(self._store.tmp_dir)
        except OSError as exc:
            self.abort()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFullError(f"no space left in {self._store.root}") from exc
            raise StoreError(f"commit failed: {exc}") from exc
        except BaseException:
            self.abort()
            raise
        finally:
            self._hasher.close()
        # The original is committed; a failure to record its lock is reported (the put
        # fails, a rerun finds the bytes and records it) and leaves it unpurgeable.
        held = self._store._record_commit(key, until, new_file=True)
        return PutResult(key, sha, self._size, already_present=False, retain_until=held)

    def _present(self, key: str, sha: str, until) -> PutResult:
        held = self._store._record_commit(key, until, new_file=False)
        return PutResult(key, sha, self._size, already_present=True, retain_until=held)

    def abort(self) -> None:
        self._stop_writeback()
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1
        try:
            os.unlink(self._tmp_path)
        except FileNotFoundError:
            pass
        self._hasher.close()


class LocalStore(OriginalStore):
    """Originals under <root>/<area>/ab/cd/<sha256>, mode 0400, never replaced.

    Removed only by ``purge``, guarded by the lock records under <root>/locks.
    A local file has one version, so the ``version`` arguments are accepted and ignored.
    """

    # Not locks_objects: nothing but this code stops a shell user from unlinking a file.
    guards_purge = True

    def __init__(self, root: Path | str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.root = Path(root)
        self.chunk_bytes = chunk_bytes
        self.tmp_dir = self.root / "tmp"
        self.locks = LockBook(self.root)
        for sub in (*AREAS, "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        area, a, b, sha = key.split("/")
        if object_key(area, sha) != key or (a, b) != (sha[:2], sha[2:4]):
            raise ValueError(f"malformed key {key!r}")
        return self.root / key

    def begin_put(self) -> _LocalPendingPut:
        return _LocalPendingPut(self)

    def copy_into(self, src: BinaryIO, pending: PendingPut, *, progress=None) -> None:
        assert isinstance(pending, _LocalPendingPut)
        pending.copy_from(src, self.chunk_bytes, progress)

    def begin_adopt(self, path: str) -> PendingPut | None:
        """A file on this store's filesystem is linked in, not copied (local_adopt.py)."""
        from avrecords.lib.storage.local_adopt import begin_adopt

        return begin_adopt(self, path)

    def open(self, key: str, *, version: str = "") -> BinaryIO:
        return open(self.path_for(key), "rb")

    def stat(self, key: str, *, version: str = "") -> ObjectStat:
        st = self.path_for(key).stat()
        record = self.locks.read(key) or LockRecord()
        return ObjectStat(
            key,
            st.st_size,
            read_only=not (st.st_mode & 0o222),
            retain_until=record.retain_until,
            legal_hold=record.legal_hold,
        )

    def exists(self, key: str, *, version: str = "") -> bool:
        return self.path_for(key).exists()

    def verify(self, key: str, sha256: str, *, version: str = "") -> bool:
        try:
            return sha256_file(str(self.path_for(key)), self.chunk_bytes) == sha256
        except FileNotFoundError:
            return False

    def local_path(self, key: str, *, version: str = "") -> str:
        return str(self.path_for(key))

    # --- locks and purge (M5) ----------------------------------------------------------
    def _record_commit(self, key: str, until, *, new_file: bool):
        """Record a committed original's lock date (never shortened); returns the date held.

        A record marked purged belongs to earlier bytes: a new file starts afresh."""
        record = self.locks.read(key)
        stale = new_file and record is not None and record.purged_at is not None
        if until is None and not stale:
            return record.retain_until if record else None
        with self.locks.mutex():
            record = self.locks.read(key)
            if new_file and record is not None and record.purged_at is not None:
                if until is None:
                    self.locks.remove(key)
                    return None
                record = None
            if until is not None and (
                record is None or record.retain_until is None or until > record.retain_until
            ):
                record = LockRecord(until, record.legal_hold if record else False)
                self.locks.write(key, record)
            return record.retain_until if record else None

    def _alive(self, key: str) -> Path:
        path = self.path_for(key)
        if not path.exists():
            raise FileNotFoundError(f"no original at {key}")
        return path

    def extend_retention(self, key: str, *, version: str = "", until: dt.datetime) -> dt.datetime:
        """Record a later retain-until date; an earlier one is refused (RetentionError).

        A later date must lie in the future (as on S3), except the first one recorded for an
        original stored without any (before lock records existed): it may be past already."""
        until = aware(until)
        with self.locks.mutex():
            self._alive(key)
            record = self.locks.read(key) or LockRecord()
            held = record.retain_until
            if held is not None and until < held:
                raise RetentionError(f"refusing to shorten the lock of {key}: {held} > {until}")
            if held is not None and until == held:
                return held
            if held is not None:
                check_future(key, until)
            self.locks.write(key, replace(record.alive(), retain_until=until))
        log.info("lock of %s extended to %s", key, until.isoformat())
        return until

    def set_legal_hold(self, key: str, *, version: str = "", on: bool) -> None:
        with self.locks.mutex():
            self._alive(key)
            record = self.locks.read(key) or LockRecord()
            if record.legal_hold != on or record.purged_at is not None:
                self.locks.write(key, replace(record.alive(), legal_hold=on))
        log.info("legal hold %s on %s", "set" if on else "released", key)

    def purge(self, key: str, *, version: str = "", now=None, sha256: str = "") -> None:
        """Unlink the original if its lock record has a passed date and no hold (M5)."""
        if sha256 and key.rsplit("/", 1)[-1] != sha256:
            raise ValueError(f"{key} does not hold sha256 {sha256}")
        with self.locks.mutex():
            path = self._alive(key)
            record = self.locks.read(key) or LockRecord()
            check_purge(key, "", record.retain_until, record.legal_hold, now)
            # Mark first: a crash before the unlink leaves the original and a purge that
            # the next call finishes; a crash after it, a record of bytes now gone.
            if record.purged_at is None:
                self.locks.write(key, replace(record, purged_at=utcnow()))
            try:
                path.unlink()  # needs write on the directory only; the file stays 0400
                _fsync_dir(path.parent)
            except FileNotFoundError:
                raise
            except OSError as exc:
                raise StoreError(f"purge of {key} failed: {exc}") from exc
        log.info("purged %s (locked until %s)", key, record.retain_until.isoformat())

    def cleanup_incomplete(self, older_than_seconds: float = 600) -> int:
        # A live put keeps touching its file; only leftovers of dead processes are old.
        removed = 0
        cutoff = time.time() - older_than_seconds
        removed += self.locks.cleanup(cutoff)
        for leftover in self.tmp_dir.glob(f"{TMP_PREFIX}*"):
            try:
                if leftover.stat().st_mtime <= cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            log.warning("removed %d incomplete put(s) left by an interrupted import", removed)
        return removed

    def iter_keys(self, area: str) -> Iterator[str]:
        base = self.root / area
        for path in sorted(base.glob("*/*/*")):
            yield f"{area}/{path.parent.parent.name}/{path.parent.name}/{path.name}"
