"""Lock records of the local store: its equivalent of S3 Object Lock, for purge (M5).

One JSON file per locked object, beside the tree of originals, never inside it (so
``iter_keys`` and the tree itself are unchanged)::

    <root>/locks/<area>/ab/cd/<sha256>.json   {"retain_until": "2027-01-01T00:00:00+00:00",
                                               "legal_hold": false}

``retain_until`` is ISO-8601 UTC, or null when only a hold was ever set. A purge first adds
``"purged_at"`` and then unlinks the original; the record stays. A record marked purged
whose original is gone belongs to bytes that no longer exist: a later put of the same bytes
starts a fresh record. A record without the mark whose original is gone (lost behind the
store's back, then put again from a backup) keeps its date and hold.

Every record is written whole to a temporary file in its directory, fsynced, renamed over
the old one (``os.replace``) and the directory fsynced, so a crash leaves the old record
or the new one, never a torn one. Changes to records and purges are serialised across
processes by ``flock`` on ``<root>/locks/.mutex``.

This guard is enforced by this code only: unlike S3 COMPLIANCE locks, anyone with write
access to the directories can still remove a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from avrecords.lib.storage.base import StoreError, StoreFullError

TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class LockRecord:
    retain_until: dt.datetime | None = None
    legal_hold: bool = False
    purged_at: dt.datetime | None = None

    def alive(self) -> LockRecord:
        """The same lock, for an original that exists (no purge mark)."""
        return replace(self, purged_at=None)

    def to_json(self) -> str:
        data: dict = {
            "retain_until": _iso(self.retain_until),
            "legal_hold": self.legal_hold,
        }
        if self.purged_at is not None:
            data["purged_at"] = _iso(self.purged_at)
        return json.dumps(data, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LockRecord:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("legal_hold", False), bool):
            raise ValueError("not a lock record")
        return cls(
            retain_until=_parse(data.get("retain_until")),
            legal_hold=data.get("legal_hold", False),
            purged_at=_parse(data.get("purged_at")),
        )


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.UTC).isoformat()


def _parse(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"lock date without time zone: {text!r}")
    return when.astimezone(dt.UTC)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mkdirs_durable(path: Path) -> None:
    """Create missing directories, fsyncing each new one's parent (the entry survives a crash)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            pass
        fsync_dir(directory.parent)


class LockBook:
    """The lock records under ``<root>/locks``."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "locks"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"  # key is a checked content address (area/ab/cd/sha)

    @contextlib.contextmanager
    def mutex(self) -> Iterator[None]:
        """Exclusive across threads and processes (each call opens its own descriptor)."""
        if not self.dir.exists():
            mkdirs_durable(self.dir)
        fd = os.open(self.dir / ".mutex", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def read(self, key: str) -> LockRecord | None:
        path = self.path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"lock record {path} unreadable: {exc}") from exc
        try:
            return LockRecord.from_json(text)
        except ValueError as exc:  # json.JSONDecodeError included
            raise StoreError(f"lock record {path} is corrupt: {exc}") from exc

    def write(self, key: str, record: LockRecord) -> None:
        path = self.path(key)
        try:
            mkdirs_durable(path.parent)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(record.to_json())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(name, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)
                raise
            fsync_dir(path.parent)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFullError(f"no space left for lock record {path}") from exc
            raise StoreError(f"lock record {path} not written: {exc}") from exc

    def remove(self, key: str) -> None:
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"lock record {path} not removed: {exc}") from exc
        fsync_dir(path.parent)

    def cleanup(self, cutoff: float) -> int:
        """Remove temporary records left by a crash mid-write; returns how many."""
        removed = 0
        for leftover in self.dir.glob(f"*/*/*/.*{TMP_SUFFIX}"):
            try:
                if leftover.stat().st_mtime <= cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
