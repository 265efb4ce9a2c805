"""The one interface every store of originals implements (M2: write-once, hashed).

There is deliberately no delete: originals are never removed through the product.
Retention-driven disposal (M5) will get its own guarded path in a later issue.

Stores that keep versions (S3) pin every read to the version recorded at ingest:
the ``version`` arguments default to "" for stores that have none (local).
"""

from __future__ import annotations

import datetime as dt
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


class StoreUnavailableError(StoreError):
    """The store did not answer (down, unreachable, too slow) after every retry."""


class StoreIntegrityError(StoreError):
    """The store returned bytes that do not match their checksum (corrupt or tampered)."""


class RetentionError(StoreError):
    """A lock change was refused: retention is never shortened through the product (M2)."""


class UnsupportedByStore(StoreError):
    """The operation needs a store feature this backend does not have (e.g. Object Lock)."""


class StoreNotReady(StoreError):
    """The store cannot be used (credentials, bucket, Object Lock): processes refuse to start.

    ``str()`` is the English log line; ``user_message`` is the one Chinese line for the operator.
    """

    def __init__(self, log_message: str, user_message: str, returncode: int = 2) -> None:
        super().__init__(log_message)
        self.user_message = user_message
        self.returncode = returncode


@dataclass(frozen=True)
class PutResult:
    """What a completed put wrote: content address, size, and whether it was already there."""

    key: str
    sha256: str
    size_bytes: int
    already_present: bool
    # The store's version of the object (S3 VersionId); "" where the store has none.
    version: str = ""
    # Until when the store itself refuses to delete or overwrite it (S3 COMPLIANCE lock).
    retain_until: dt.datetime | None = None


@dataclass(frozen=True)
class ObjectStat:
    """Size and write-protection of a stored object (and its lock, where the store has one)."""

    key: str
    size_bytes: int
    read_only: bool
    version: str = ""
    retain_until: dt.datetime | None = None
    legal_hold: bool = False


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
    def commit(self, area: str, *, retain_until: dt.datetime | None = None) -> PutResult:
        """Make the bytes durable under their content address, or find them already there.

        ``retain_until`` overrides the store's default lock period (stores that lock).
        """

    @abstractmethod
    def local_path(self) -> str | None:
        """Where the uncommitted bytes can be read by media tools, or None if nowhere local."""

    @abstractmethod
    def abort(self) -> None:
        """Discard everything written; safe to call more than once."""


class OriginalStore(ABC):
    """A write-once, content-addressed store of originals and quarantined files."""

    #: True if the store itself refuses deletes and overwrites (S3 Object Lock, COMPLIANCE).
    locks_objects: bool = False

    def verify_ready(self) -> None:  # noqa: B027 (most stores have nothing to check)
        """Raise StoreNotReady if processes must not start on this store (checked at start)."""

    @abstractmethod
    def begin_put(self) -> PendingPut: ...

    def put(
        self,
        src: BinaryIO,
        *,
        area: str = "originals",
        progress: ProgressCallback | None = None,
        retain_until: dt.datetime | None = None,
    ) -> PutResult:
        """Copy a stream in, hashing in the same pass; commit only after the bytes are durable."""
        pending = self.begin_put()
        try:
            self.copy_into(src, pending, progress=progress)
            return pending.commit(area, retain_until=retain_until)
        except BaseException:
            pending.abort()
            raise

    @abstractmethod
    def copy_into(
        self, src: BinaryIO, pending: PendingPut, *, progress: ProgressCallback | None = None
    ) -> None:
        """Feed a source stream into a pending put (backends may pipeline hashing and I/O)."""

    @abstractmethod
    def open(self, key: str, *, version: str = "") -> BinaryIO:
        """A seekable binary reader (range reads seek, then read); FileNotFoundError if absent."""

    def iter_range(
        self, key: str, start: int, end: int, chunk_bytes: int = 256 * 1024, *, version: str = ""
    ) -> Iterator[bytes]:
        """Yield bytes start..end inclusive, in chunks, without loading the object."""
        with self.open(key, version=version) as fh:
            fh.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                data = fh.read(min(chunk_bytes, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data

    @abstractmethod
    def stat(self, key: str, *, version: str = "") -> ObjectStat: ...

    @abstractmethod
    def exists(self, key: str, *, version: str = "") -> bool: ...

    @abstractmethod
    def verify(self, key: str, sha256: str, *, version: str = "") -> bool:
        """Re-read the object and compare its SHA-256 with the expected digest."""

    @abstractmethod
    def local_path(self, key: str, *, version: str = "") -> str | None:
        """A filesystem path for media tools, or None when the backend has none."""

    def presigned_url(
        self,
        key: str,
        *,
        version: str = "",
        expires_seconds: int,
        filename: str = "",
        content_type: str = "",
    ) -> str | None:
        """A short-lived download URL signed by the store itself, or None (stream instead)."""
        return None

    def set_legal_hold(self, key: str, *, version: str, on: bool) -> None:
        """Set or release a legal hold: no delete while it is on, whatever the retention."""
        raise UnsupportedByStore(f"{type(self).__name__} has no legal hold")

    def extend_retention(self, key: str, *, version: str, until: dt.datetime) -> dt.datetime:
        """Lock the object until ``until``; never shortens (RetentionError). Returns the date."""
        raise UnsupportedByStore(f"{type(self).__name__} has no retention lock")

    @abstractmethod
    def cleanup_incomplete(self, older_than_seconds: float = 600) -> int:
        """Remove leftovers of puts interrupted by a crash; returns how many."""

    @abstractmethod
    def iter_keys(self, area: str) -> Iterator[str]:
        """Every committed key in an area (for reconciliation and fixity)."""
