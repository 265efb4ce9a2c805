"""The one interface every store of originals implements (M2: write-once, hashed).

Originals are never overwritten, and there is exactly one way to remove one: ``purge()``,
the guarded path of retention-driven disposal (M5: "nothing is purged before its date;
legal hold stops the clock"). The guard is the store's own lock, not the caller's word:
purge deletes only when the store itself holds a retain-until date that has passed and no
legal hold is on (S3: the object's Object Lock, checked again by the server; local: the
lock record kept next to the tree). Anything else raises PurgeRefused and changes nothing.

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


class PurgeRefused(RetentionError):
    """The store's own lock forbids removing this original now; nothing was changed (M5).

    ``str()`` is the English log line; ``user_message`` the one Chinese line for the
    operator. ``reason`` is one of the constants below; ``retain_until`` and ``legal_hold``
    are what the store holds (None / False where it holds nothing).
    """

    NO_LOCK = "no_lock"  # the store has no retain-until date for the object
    NOT_DUE = "not_due"  # the date is still ahead
    LEGAL_HOLD = "legal_hold"  # a legal hold is on, whatever the date
    BY_STORE = "by_store"  # the store's server refused the delete itself (S3 AccessDenied)

    def __init__(
        self,
        log_message: str,
        user_message: str,
        *,
        reason: str,
        key: str = "",
        version: str = "",
        retain_until: dt.datetime | None = None,
        legal_hold: bool = False,
    ) -> None:
        super().__init__(log_message)
        self.user_message = user_message
        self.reason = reason
        self.key = key
        self.version = version
        self.retain_until = retain_until
        self.legal_hold = legal_hold


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


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise ValueError("retain-until dates must carry a time zone")
    return when


def purge_moment(now: dt.datetime | None) -> dt.datetime:
    """The instant a purge is judged at: the store's clock, or ``now`` if that is earlier.

    A caller's ``now`` can only make the guard stricter, never move the clock forward."""
    wall = utcnow()
    return wall if now is None else min(aware(now), wall)


def _shown(when: dt.datetime) -> str:
    """A lock date as the operator reads it: local time of the installation (TIME_ZONE)."""
    zone: dt.tzinfo = dt.UTC
    try:
        from zoneinfo import ZoneInfo

        from django.conf import settings

        if settings.configured:
            zone = ZoneInfo(settings.TIME_ZONE)
    except Exception:  # noqa: BLE001 (no Django, unknown zone: UTC says the same instant)
        zone = dt.UTC
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def check_purge(
    key: str,
    version: str,
    retain_until: dt.datetime | None,
    legal_hold: bool,
    now: dt.datetime | None = None,
) -> None:
    """Raise PurgeRefused unless the store's lock allows removing the object at ``now``."""
    where = f"{key}@{version}" if version else key
    facts = {"key": key, "version": version, "retain_until": retain_until, "legal_hold": legal_hold}
    if legal_hold:
        raise PurgeRefused(
            f"purge of {where} refused: legal hold is on",
            "存储处于法律保全（legal hold）状态，拒绝清除",
            reason=PurgeRefused.LEGAL_HOLD,
            **facts,
        )
    if retain_until is None:
        raise PurgeRefused(
            f"purge of {where} refused: the store holds no retain-until date for it",
            "存储中没有该对象的保存期限记录，拒绝清除",
            reason=PurgeRefused.NO_LOCK,
            **facts,
        )
    moment = purge_moment(now)
    if retain_until > moment:
        raise PurgeRefused(
            f"purge of {where} refused: locked until {retain_until.isoformat()}, "
            f"now {moment.isoformat()}",
            f"存储锁定至 {_shown(retain_until)}，未到期，拒绝清除",
            reason=PurgeRefused.NOT_DUE,
            **facts,
        )


def check_future(key: str, until: dt.datetime) -> None:
    """A lock is always set into the future (as S3 refuses a past retain-until date)."""
    if until <= utcnow():
        raise RetentionError(f"refusing to lock {key} until {until.isoformat()}: not in the future")


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
    #: True if ``purge()`` exists and is guarded by the store's own lock (retain-until date
    #: and legal hold): S3 (Object Lock, enforced again by the server) and local (lock
    #: records, enforced by this code only: anyone with a shell can still unlink a file).
    guards_purge: bool = False

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

    def begin_adopt(self, path: str) -> PendingPut | None:
        """Take a finished file in WITHOUT copying it, if this store can (issue 19 §3).

        Only for a file its caller owns and nobody else can still change: a resumable
        upload's part file under its lock, a multipart upload's own temporary file - never a
        camera's file (that one must be copied). The file is hashed (one read) and the put
        it returns commits it by linking it to its content address (local store, same
        filesystem). None where the store cannot (S3, another filesystem): the caller copies
        it with ``begin_put`` as before. The source is left in place whatever happens; the
        caller removes it when it is done with it.
        """
        return None

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

    def purge(
        self,
        key: str,
        *,
        version: str = "",
        now: dt.datetime | None = None,
        sha256: str = "",
    ) -> None:
        """Delete the original permanently, if and only if the store's own lock allows it.

        Allowed when the store holds a retain-until date that has passed and no legal hold
        is on; otherwise PurgeRefused, and nothing changes. ``now`` can only make the check
        stricter (an earlier instant); the store's clock is the final word. ``sha256`` is the
        digest recorded at ingest: S3 finds the content pointer of a large original
        (``objects/…``) by it (without it the bytes are read once to compute it); every store
        refuses (ValueError) a key it does not match.
        FileNotFoundError if the object is already gone (a purge interrupted by a crash is
        resumed by calling purge again: it finishes what was left and raises that).
        """
        raise UnsupportedByStore(f"{type(self).__name__} cannot purge")

    @abstractmethod
    def cleanup_incomplete(self, older_than_seconds: float = 600) -> int:
        """Remove leftovers of puts interrupted by a crash; returns how many."""

    @abstractmethod
    def iter_keys(self, area: str) -> Iterator[str]:
        """Every committed key in an area (for reconciliation and fixity)."""
