"""The one interface every store of originals implements (M2: write-once, hashed).

There is deliberately no delete: originals are never removed through the product.
Retention-driven disposal (M5) will get its own guarded path in a later issue.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
AREAS = ("originals", "quarantine")


class StoreError(Exception):
    """The store could not complete an operation; the message is for logs (English)."""


class StoreFullError(StoreError):
    """The store ran out of space (ENOSPC); nothing was committed."""


class SourceReadError(StoreError):
    """The source vanished or could not be read mid-copy; nothing was committed."""


@dataclass(frozen=True)
class PutResult:
    """What a completed put wrote: content address, size, and whether it was already there."""

    key: str
    sha256: str
    size_bytes: int
    already_present: bool
    # The store's version of the object (S3 VersionId); "" where the store has none.
    version: str = ""


@dataclass(frozen=True)
class ObjectStat:
    """Size and write-protection of a stored object."""

    key: str
    size_bytes: int
    read_only: bool


def object_key(area: str, sha256: str) -> str:
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    if not SHA256_RE.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"{area}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


ProgressCallback = Callable[[int], None]


class PendingPut(ABC):
    """Bytes being written: hashed as they arrive, invisible until commit()."""

    @abstractmethod
    def write(self, chunk: bytes | memoryview) -> None: ...

    @property
    @abstractmethod
    def sha256(self) -> str:
        """Digest of everything written so far (valid once writing is finished)."""

    @property
    @abstractmethod
    def size_bytes(self) -> int: ...

    @abstractmethod
    def commit(self, area: str) -> PutResult:
        """Make the bytes durable under their content address, or find them already there."""

    @abstractmethod
    def local_path(self) -> str | None:
        """Where the uncommitted bytes can be read by media tools, or None if nowhere local."""

    @abstractmethod
    def abort(self) -> None:
        """Discard everything written; safe to call more than once."""


class OriginalStore(ABC):
    """A write-once, content-addressed store of originals and quarantined files."""

    @abstractmethod
    def begin_put(self) -> PendingPut: ...

    def put(
        self, src: BinaryIO, *, area: str = "originals", progress: ProgressCallback | None = None
    ) -> PutResult:
        """Copy a stream in, hashing in the same pass; commit only after the bytes are durable."""
        pending = self.begin_put()
        try:
            self.copy_into(src, pending, progress=progress)
            return pending.commit(area)
        except BaseException:
            pending.abort()
            raise

    @abstractmethod
    def copy_into(
        self, src: BinaryIO, pending: PendingPut, *, progress: ProgressCallback | None = None
    ) -> None:
        """Feed a source stream into a pending put (backends may pipeline hashing and I/O)."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A seekable binary reader (range reads seek, then read)."""

    def iter_range(
        self, key: str, start: int, end: int, chunk_bytes: int = 256 * 1024
    ) -> Iterator[bytes]:
        """Yield bytes start..end inclusive, in chunks, without loading the object."""
        with self.open(key) as fh:
            fh.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                data = fh.read(min(chunk_bytes, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data

    @abstractmethod
    def stat(self, key: str) -> ObjectStat: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def verify(self, key: str, sha256: str) -> bool:
        """Re-read the object and compare its SHA-256 with the expected digest."""

    @abstractmethod
    def local_path(self, key: str) -> str | None:
        """A filesystem path for media tools, or None when the backend has none."""

    @abstractmethod
    def cleanup_incomplete(self, older_than_seconds: float = 600) -> int:
        """Remove leftovers of puts interrupted by a crash; returns how many."""

    @abstractmethod
    def iter_keys(self, area: str) -> Iterator[str]:
        """Every committed key in an area (for reconciliation and fixity)."""
