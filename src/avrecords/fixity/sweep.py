"""Fixity sweeps (M2): re-read and re-hash originals through the store, oldest-checked first.

Originals never checked come first (by id), then those whose last conclusive check is
oldest. Each original is claimed with a conditional UPDATE before it is read, so a
scheduled sweep and a sweep started by hand (or sweeps on several hosts) split the work
instead of repeating it. Reading streams through two alternating buffers with the hash on
a helper thread (lib/hashing.copy_hashing), so memory stays constant whatever the size,
and the whole sweep is held to a byte rate. Every outcome is stored by
services.record_check, which also raises the alarms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.fixity import conf
from avrecords.fixity.models import ALARM_OUTCOMES, FixityCheck, FixityState, Outcome
from avrecords.jobs.services import worker_id
from avrecords.lib.hashing import PipelinedHasher, copy_hashing
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import OriginalStore, StoreIntegrityError
from avrecords.recordings.models import Recording

log = logging.getLogger(__name__)

SELECT_BATCH = 200
CLAIM_MIN_SECONDS = 3600
# This many read errors in a row means the store is unreachable, not one bad object.
MAX_ERRORS_IN_A_ROW = 10
# The S3 store wraps botocore's checksum failure in StoreIntegrityError; should one ever
# arrive unwrapped it still means the same (matched by name: no botocore import here).
_BOTOCORE_CHECKSUM_ERROR = "FlexibleChecksumError"


@dataclass
class ReadResult:
    """What re-reading one original found (outcome values are models.Outcome)."""

    outcome: str
    observed_sha256: str = ""
    bytes_read: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class SweepSummary:
    """What one sweep did; `stopped` says why it ended (done, bytes, seconds or errors)."""

    checked: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    bytes_read: int = 0
    seconds: float = 0.0
    alarms: list[int] = field(default_factory=list)
    stopped: str = "done"

    @property
    def throughput_mb_s(self) -> float:
        return self.bytes_read / conf.MB / self.seconds if self.seconds > 0 else 0.0

    @property
    def bad(self) -> int:
        return sum(self.counts[o] for o in ALARM_OUTCOMES)

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "counts": dict(self.counts),
            "bytes": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "throughput_mb_s": round(self.throughput_mb_s, 1),
            "alarms": list(self.alarms),
            "stopped": self.stopped,
        }


class Throttle:
    """Holds the bytes read over a whole sweep to a rate (bytes per second; 0 = unlimited)."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = max(bytes_per_second, 0)
        self.started = time.monotonic()
        self.total = 0

    def consume(self, nbytes: int) -> None:
        self.total += nbytes
        if self.rate:
            delay = self.started + self.total / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


# --- reading one original -----------------------------------------------------------------


def is_integrity_error(exc: BaseException | None) -> bool:
    """True if the store refused the bytes as corrupt (its own checksum), at any depth."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StoreIntegrityError) or any(
            cls.__name__ == _BOTOCORE_CHECKSUM_ERROR for cls in type(exc).__mro__
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _discard(_view) -> None:
    """The copy target of a re-hash: the bytes are only hashed."""


def rehash(
    store: OriginalStore,
    key: str,
    expected_sha256: str,
    *,
    version: str = "",
    on_bytes: Callable[[int], None] | None = None,
) -> ReadResult:
    """Stream one stored object through SHA-256 and compare; never raises for a bad object."""
    started = time.monotonic()
    read = 0

    def progress(nbytes: int) -> None:
        nonlocal read
        read += nbytes
        if on_bytes is not None:
            on_bytes(nbytes)

    hasher = PipelinedHasher()
    try:
        with store.open(key, version=version) as src:
            copy_hashing(
                src,
                _discard,
                hasher,
                chunk_bytes=settings.AVRECORDS_COPY_CHUNK_BYTES,
                progress=progress,
            )
        observed = hasher.hexdigest()
    except Exception as exc:  # a bad or unreadable object is a result, not a crash
        return _failure(store, key, version, exc, read, time.monotonic() - started)
    finally:
        hasher.close()
    outcome = Outcome.OK if observed == expected_sha256 else Outcome.MISMATCH
    return ReadResult(outcome, observed, read, time.monotonic() - started)


def _failure(store, key, version, exc, read, seconds) -> ReadResult:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if is_integrity_error(exc):
        return ReadResult(Outcome.MISMATCH, "", read, seconds, error)
    if isinstance(exc, FileNotFoundError):
        return ReadResult(Outcome.MISSING, "", read, seconds, error)
    try:
        present = store.exists(key, version=version)
    except Exception:  # cannot tell: treat as a read error, the next sweep tries again
        present = True
    return ReadResult(Outcome.ERROR if present else Outcome.MISSING, "", read, seconds, error)


# --- choosing what to check ----------------------------------------------------------------


def ensure_states(batch: int = 2000) -> int:
    """Give every original a FixityState row (never checked); returns how many were added."""
    added, last = 0, 0
    while True:
        ids = list(
            Recording.objects.filter(pk__gt=last, fixity_state__isnull=True, purged_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return added
        FixityState.objects.bulk_create(
            [FixityState(recording_id=pk) for pk in ids], ignore_conflicts=True
        )
        added += len(ids)
        last = ids[-1]


def candidates(started_at) -> Iterator[FixityState]:
    """Never-checked originals by id, then those checked before started_at, oldest first."""
    # A purged original (M5) is gone on purpose: its tombstone is not checked.
    rows = (
        FixityState.objects.filter(recording__purged_at__isnull=True)
        .select_related("recording")
        .only(
            "recording_id",
            "last_checked_at",
            "recording__sha256",
            "recording__size_bytes",
            "recording__storage_key",
            "recording__storage_version",
            "recording__original_name",
        )
    )
    last_id = 0
    while batch := list(
        rows.filter(last_checked_at__isnull=True, recording_id__gt=last_id).order_by(
            "recording_id"
        )[:SELECT_BATCH]
    ):
        yield from batch
        last_id = batch[-1].recording_id
    after = Q()
    while batch := list(
        rows.filter(after, last_checked_at__lt=started_at).order_by(
            "last_checked_at", "recording_id"
        )[:SELECT_BATCH]
    ):
        yield from batch
        at, rid = batch[-1].last_checked_at, batch[-1].recording_id
        after = Q(last_checked_at__gt=at) | Q(last_checked_at=at, recording_id__gt=rid)


def claim(state: FixityState, me: str, seconds: float) -> bool:
    """Take one original for this sweep, unless another holds it or checked it meanwhile.

    Claims run on the database's clock, like job leases, so hosts whose clocks disagree
    never take each other's originals."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=Now())
    unchanged = (
        Q(last_checked_at__isnull=True)
        if state.last_checked_at is None
        else Q(last_checked_at=state.last_checked_at)
    )
    return (
        FixityState.objects.filter(free, unchanged, pk=state.pk).update(
            claimed_until=Now() + timedelta(seconds=seconds), claimed_by=me
        )
        == 1
    )


# --- the sweep ------------------------------------------------------------------------------


def sweep(
    *,
    max_bytes: int | None = None,
    max_seconds: float | None = None,
    rate_bytes_per_second: float | None = None,
    store: OriginalStore | None = None,
    progress: Callable[[int], None] | None = None,
    on_check: Callable[[FixityCheck], None] | None = None,
) -> SweepSummary:
    """Check originals until all are done or a budget is spent (M2).

    max_bytes: stop before an original that would take the bytes read past it (the first
    original is always checked); None or 0 = no limit. max_seconds: start no original after
    this. rate_bytes_per_second: None = AVRECORDS_FIXITY_RATE_MB_S, 0 = unlimited.
    """
    from avrecords.fixity.services import record_check

    store = store or get_store()
    rate = conf.RATE_MB_S * conf.MB if rate_bytes_per_second is None else rate_bytes_per_second
    throttle = Throttle(rate)

    def on_bytes(nbytes: int) -> None:
        throttle.consume(nbytes)
        if progress is not None:
            progress(nbytes)

    me = worker_id()
    started_at, t0 = timezone.now(), time.monotonic()
    summary = SweepSummary()
    ensure_states()
    errors_in_a_row = 0
    for state in candidates(started_at):
        recording = state.recording
        if max_seconds is not None and time.monotonic() - t0 >= max_seconds:
            summary.stopped = "seconds"
            break
        if max_bytes and summary.checked and summary.bytes_read + recording.size_bytes > max_bytes:
            summary.stopped = "bytes"
            break
        hold = max(CLAIM_MIN_SECONDS, 2 * recording.size_bytes / rate if rate else 0)
        if not claim(state, me, hold):
            continue
        result = rehash(
            store,
            recording.storage_key,
            recording.sha256,
            version=recording.storage_version,
            on_bytes=on_bytes,
        )
        check = record_check(recording, result, worker=me)
        summary.checked += 1
        summary.counts[check.outcome] += 1
        summary.bytes_read += check.bytes_read
        if check.alarm:
            summary.alarms.append(check.pk)
        if on_check is not None:
            on_check(check)
        errors_in_a_row = errors_in_a_row + 1 if check.outcome == Outcome.ERROR else 0
        if errors_in_a_row >= MAX_ERRORS_IN_A_ROW:
            log.error("fixity sweep stopped: %d read errors in a row", errors_in_a_row)
            summary.stopped = "errors"
            break
    summary.seconds = time.monotonic() - t0
    _finish(summary)
    return summary


def _finish(summary: SweepSummary) -> None:
    counts = summary.counts
    log.log(
        logging.ERROR if summary.bad else logging.INFO,
        "fixity sweep: %d checked (%d ok, %d mismatch, %d missing, %d error), %d bytes "
        "in %.1f s (%.1f MB/s), %d new alarm(s), stopped: %s",
        summary.checked,
        counts[Outcome.OK],
        counts[Outcome.MISMATCH],
        counts[Outcome.MISSING],
        counts[Outcome.ERROR],
        summary.bytes_read,
        summary.seconds,
        summary.throughput_mb_s,
        len(summary.alarms),
        summary.stopped,
    )
    if summary.checked:
        audit.record(
            "fixity.sweep",
            object_type="fixity.sweep",
            summary=(
                f"完整性校验：{summary.checked} 个原始文件，完好 {counts[Outcome.OK]}，"
                f"哈希不符 {counts[Outcome.MISMATCH]}，缺失 {counts[Outcome.MISSING]}，"
                f"读取出错 {counts[Outcome.ERROR]}"
            ),
            detail=summary.as_dict(),
        )
