"""Copy a stream while hashing it, overlapping the SHA-256 with the I/O.

hashlib releases the GIL for large buffers, so hashing chunk N on a helper thread
while the main thread writes chunk N and reads chunk N+1 keeps ingest close to the
`tee | openssl dgst` bound (see bench/ingest_bench.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024


def sha256_file(path: str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


class PipelinedHasher:
    """Hashes chunks on one background thread, in order, one chunk in flight. `digest` is
    SHA-256 unless given (anything with update(), such as lib.copying.Crc32)."""

    def __init__(self, digest=None) -> None:
        self.digest = hashlib.sha256() if digest is None else digest
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
        self._pending = None

    def feed(self, chunk: bytes | memoryview) -> None:
        self.wait()
        self._pending = self._pool.submit(self.digest.update, chunk)

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def hexdigest(self) -> str:
        self.wait()
        return self.digest.hexdigest()

    def close(self) -> None:
        self.wait()
        self._pool.shutdown(wait=True)


def _advise_sequential(src: BinaryIO) -> None:
    """Tell the kernel src is read once, front to back: larger readahead from a camera's
    USB storage. A hint only; streams without a file descriptor are left alone."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        advise(src.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        pass


def copy_hashing(
    src: BinaryIO,
    write: Callable[[bytes], object],
    hasher: PipelinedHasher,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Read src to EOF; every chunk goes to the hasher and to write(). Returns bytes copied.

    Two buffers alternate so the hasher can still read chunk N while chunk N+1 is read.
    """
    _advise_sequential(src)
    buffers = [bytearray(chunk_bytes), bytearray(chunk_bytes)]
    total = 0
    turn = 0
    readinto = getattr(src, "readinto", None)
    while True:
        buf = buffers[turn]
        if readinto is not None:
            n = readinto(buf)
            view = memoryview(buf)[:n] if n else None
        else:
            data = src.read(chunk_bytes)
            n = len(data)
            view = memoryview(data) if n else None
        if not n:
            break
        hasher.feed(view)
        write(view)
        total += n
        if progress is not None:
            progress(n)
        # The buffer refilled next round was fed to the hasher a round ago, and feed()
        # above waited for that hash to finish, so it is free to overwrite.
        turn ^= 1
    hasher.wait()
    return total
