"""Adoption: a finished file taken into the local store by a link instead of a copy (M2;
issue 19 §3, the upload's throughput).

A resumable upload's part file is already on the store's disk and already durable: copying
it into the store wrote every byte a second time. When it lies on the store's filesystem,
``LocalStore.begin_adopt`` hashes it (one read, from the page cache) and the commit links it
to its content address under the store's write-once rules: read-only mode, the file and its
directory fsynced, the address from the hash just read, an object already there kept (the
duplicate is simply not linked). The source is never moved or removed here: a crash at any
point leaves it where it was, and a re-run hashes it again and finds, or makes, the same
link.

Only a file nobody else can change is adopted: a regular file (not a link), with one name
(no other hard link through which it could be rewritten), owned by this process's user; its
size and modification time are the same after the hash as before, and the name linked is
checked to be the very file that was hashed.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from avrecords.lib.hashing import PipelinedHasher, copy_hashing
from avrecords.lib.storage.base import (
    PendingPut,
    PutResult,
    SourceReadError,
    StoreError,
    StoreFullError,
    aware,
    check_future,
    object_key,
)
from avrecords.lib.storage.local_locks import fsync_dir, mkdirs_durable

if TYPE_CHECKING:
    from avrecords.lib.storage.local import LocalStore

READ_ONLY_MODE = 0o400  # as every original of the local store (local.READ_ONLY_MODE)


def begin_adopt(store: LocalStore, path: str) -> PendingPut | None:
    """The file hashed and ready to commit, or None if it cannot be adopted (another
    filesystem, another owner, more than one name): the caller copies it instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        before = os.fstat(fd)
        if (
            not stat.S_ISREG(before.st_mode)
            or before.st_nlink != 1
            or before.st_uid != os.geteuid()
            or before.st_dev != os.stat(store.root).st_dev
        ):
            os.close(fd)
            return None
        hasher = PipelinedHasher()
        try:
            with os.fdopen(os.dup(fd), "rb", buffering=0) as src:
                size = copy_hashing(src, lambda view: None, hasher, chunk_bytes=store.chunk_bytes)
            sha = hasher.hexdigest()
        except OSError as exc:
            raise SourceReadError(f"adoption read failed: {exc}") from exc
        finally:
            hasher.close()
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or (
            size != after.st_size
        ):
            raise SourceReadError(f"{path} changed while it was hashed")
    except BaseException:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    return AdoptedPut(store, Path(path), fd, sha, size)


class AdoptedPut(PendingPut):
    """A hashed file on the store's filesystem; commit() links it to its content address."""

    def __init__(self, store: LocalStore, path: Path, fd: int, sha256: str, size: int) -> None:
        self._store = store
        self._path = path
        self._fd = fd
        self._sha256 = sha256
        self._size = size

    def write(self, chunk: bytes | memoryview) -> None:
        raise TypeError("an adopted file takes no more bytes")

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def size_bytes(self) -> int:
        return self._size

    def local_path(self) -> str:
        return str(self._path)

    def commit(self, area: str, *, retain_until=None) -> PutResult:
        key = object_key(area, self._sha256)
        final = self._store.path_for(key)
        until = None
        try:
            if retain_until is not None:
                until = aware(retain_until)
                check_future(key, until)
            if self._fd < 0:
                raise StoreError("adopted put already finished")
            os.fsync(self._fd)  # the bytes are durable before any name points at them
            if final.exists():
                return self._present(key, until)
            mkdirs_durable(final.parent)
            os.fchmod(self._fd, READ_ONLY_MODE)
            try:
                # link() never replaces: a racing writer of the same bytes keeps its file.
                os.link(self._path, final, follow_symlinks=False)
            except FileExistsError:
                return self._present(key, until)
            if not _same_file(final, self._fd):  # the name was swapped after the hash
                final.unlink()
                raise StoreError(f"{self._path} was replaced before it was adopted")
            fsync_dir(final.parent)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFullError(f"no space left in {self._store.root}") from exc
            raise StoreError(f"adoption of {self._path} failed: {exc}") from exc
        finally:
            self.abort()
        held = self._store._record_commit(key, until, new_file=True)
        return PutResult(key, self._sha256, self._size, already_present=False, retain_until=held)

    def _present(self, key: str, until) -> PutResult:
        held = self._store._record_commit(key, until, new_file=False)
        return PutResult(key, self._sha256, self._size, already_present=True, retain_until=held)

    def abort(self) -> None:
        """Let go of the file; it stays where it is (it is its caller's)."""
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1


def _same_file(path: Path, fd: int) -> bool:
    linked, hashed = os.lstat(path), os.fstat(fd)
    return (linked.st_dev, linked.st_ino) == (hashed.st_dev, hashed.st_ino)
