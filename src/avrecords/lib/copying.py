"""Copy a file into a new file at the two-core bound, checking what was written (M6, M7).

The kernel copies (`os.copy_file_range`, the path `cat` and `cp` take: no bytes through
Python) on one core, while a second thread reads the *copy* back from the page cache, just
behind the copier, and feeds it to the digest on the other core. So the digest is of the
bytes that landed in the new file, not of a separate read of the source: a copy whose digest
matches the recorded one is the original. hashlib and ISA-L release the GIL for large
buffers and so do the system calls, so the two threads really run at once (see
bench/export_bench.py for the figures against the bound).

Streams that are not regular files (an S3 body), and file systems that refuse
copy_file_range, go through Python instead (`lib.hashing.copy_hashing`: read and write on
this thread, digest on another), inside copy_into_fd, so its callers (the bag, the zip) have
one copy whichever way it goes. Memory stays flat: one buffer of HASH_CHUNK_BYTES per copy
by the kernel, two of lib.hashing's DEFAULT_CHUNK_BYTES through Python.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from isal import isal_zlib

from avrecords.lib.hashing import PipelinedHasher, copy_hashing

COPY_CHUNK_BYTES = 8 * 1024 * 1024  # one copy_file_range call; the hasher follows behind
HASH_CHUNK_BYTES = 2 * 1024 * 1024  # read back and digested at a time (stays in L2/L3)
# copy_file_range refused on this pair of files (other file system, old kernel, FUSE...).
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF, errno.ETXTBSY}
)

_TO_THE_END = 1 << 62  # a length no file reaches: copy until the source ends

Progress = Callable[[int], None]


class Digest(Protocol):
    """What copy_into_fd feeds: hashlib's objects, Crc32."""

    def update(self, data: memoryview, /) -> object: ...


class Crc32:
    """The zip CRC-32 (zlib's polynomial) behind the hashlib interface (update / value).
    ISA-L's (isal_zlib.crc32, same values as zlib.crc32) runs at about 10 GB/s where
    zlib's manages under 1 GB/s, so it keeps up with the copy."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data) -> None:
        self.value = isal_zlib.crc32(data, self.value)


def copy_to_new_file(
    src: BinaryIO, dest: os.PathLike | str, *, progress: Progress | None = None
) -> tuple[int, str]:
    """Create `dest` (FileExistsError if it exists), copy `src` from its current position to
    its end into it; (bytes copied, SHA-256 hex of the bytes in `dest`)."""
    fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        digest = hashlib.sha256()
        size = copy_into_fd(src, fd, 0, digest, progress=progress)
        return size, digest.hexdigest()
    finally:
        os.close(fd)


def copy_into_fd(
    src: BinaryIO,
    out_fd: int,
    out_offset: int,
    digest: Digest,
    *,
    progress: Progress | None = None,
) -> int:
    """Copy `src` (from its position to its end) into `out_fd` at `out_offset`, feeding
    digest.update() the bytes in order, on a second thread; returns the bytes copied.

    The kernel copies when it can, and the digest is then of the bytes read back from
    `out_fd` (which must be open for reading and writing); otherwise (a stream without a
    file, a file system without copy_file_range) the bytes go through Python and the digest
    is of what was read. `out_fd`'s position is neither used nor moved; `src` is left at its
    end.
    """
    copied = _kernel_copy_into_fd(src, out_fd, out_offset, digest.update, progress)
    if copied is not None:
        return copied
    hasher = PipelinedHasher(digest)
    try:
        written = out_offset

        def write(view: memoryview) -> None:
            nonlocal written
            pwrite_all(out_fd, view, written)
            written += len(view)

        return copy_hashing(src, write, hasher, progress=progress)
    finally:
        hasher.close()


def _kernel_copy_into_fd(
    src: BinaryIO,
    out_fd: int,
    out_offset: int,
    update: Callable[[memoryview], object],
    progress: Progress | None,
) -> int | None:
    """copy_into_fd by the kernel; None when no kernel copy is possible for this pair and
    nothing was copied."""
    try:
        in_fd = src.fileno()
        if not stat.S_ISREG(os.fstat(in_fd).st_mode):
            return None
        start = src.tell()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    follower = _Follower(out_fd, out_offset, update)
    copied = 0
    try:
        for n in kernel_copy_chunks(in_fd, start, out_fd, out_offset, _TO_THE_END):
            copied += n
            follower.advance(copied)
            if progress is not None:
                progress(n)
        follower.finish()
    except NoKernelCopy:
        return None
    finally:
        follower.stop()  # after an error: without digesting the rest
    src.seek(start + copied)
    return copied


def pwrite_all(fd: int, data, offset: int) -> None:
    """os.pwrite until all of `data` is written (pwrite may write less than asked)."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


class NoKernelCopy(Exception):
    """copy_file_range refused this pair of files before copying anything."""


def kernel_copy_chunks(
    in_fd: int, in_offset: int, out_fd: int, out_offset: int, length: int
) -> Iterator[int]:
    """Copy `length` bytes between the offsets with copy_file_range, yielding each chunk's
    size; stops early at the source's end. Raises NoKernelCopy when the first call is
    refused (nothing copied: the caller may copy another way); no file position moves."""
    copied = 0
    while copied < length:
        try:
            n = os.copy_file_range(
                in_fd,
                out_fd,
                min(COPY_CHUNK_BYTES, length - copied),
                in_offset + copied,
                out_offset + copied,
            )
        except OSError as exc:
            if copied == 0 and exc.errno in _NO_KERNEL_COPY:
                raise NoKernelCopy(exc) from exc
            raise
        if n == 0:
            return
        copied += n
        yield n


class _Follower:
    """A thread that reads back what the copier has written so far and digests it."""

    def __init__(self, fd: int, offset: int, update: Callable[[memoryview], object]) -> None:
        self.fd, self.offset, self.update = fd, offset, update
        self.written = 0  # bytes the copier has written, guarded by the condition
        self.done = False  # nothing more will be written
        self.aborted = False  # stop now, digest or not
        self.failed: BaseException | None = None
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="copy-digest", daemon=True)
        self.thread.start()

    def advance(self, written: int) -> None:
        with self.cond:
            if self.failed is not None:
                raise self.failed
            self.written = written
            self.cond.notify()

    def finish(self) -> None:
        """Wait until every written byte has been digested; re-raise the thread's error."""
        with self.cond:
            self.done = True
            self.cond.notify()
        self.thread.join()
        if self.failed is not None:
            raise self.failed

    def stop(self) -> None:
        with self.cond:
            self.aborted = True
            self.cond.notify()
        self.thread.join()

    def _run(self) -> None:
        buf = bytearray(HASH_CHUNK_BYTES)
        view = memoryview(buf)
        position = 0
        try:
            while True:
                with self.cond:
                    while self.written == position and not (self.done or self.aborted):
                        self.cond.wait()
                    end = self.written
                    if self.aborted or end == position:  # stopped, or done and caught up
                        return
                while position < end and not self.aborted:
                    n = os.preadv(
                        self.fd,
                        [view[: min(HASH_CHUNK_BYTES, end - position)]],
                        self.offset + position,
                    )
                    if n == 0:
                        raise OSError(errno.EIO, "copy shorter than reported while reading it back")
                    self.update(view[:n])
                    position += n
        except BaseException as exc:  # handed to the copier, which raises it
            with self.cond:
                self.failed = exc
