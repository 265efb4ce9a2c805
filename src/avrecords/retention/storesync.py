"""The store's own locks follow the computed dates and holds (M5, S1).

On S3 the COMPLIANCE retain-until date of each original is moved later as its keep-until date
moves (never earlier: the store refuses that too), and a legal hold is set while a hold is in
force; on the local store the same locks are kept beside the files and guard deletion the same
way (`lib.storage.local`). `sync_one()` runs whenever a recording's retention changes; the
nightly `check_all()` compares every computed date with the store's and reports the drift:
locks shorter than required (extended), holds that disagree (set right), locks longer than the
computed date (reported: that original cannot be purged before the store allows it).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import StoreError, UnsupportedByStore
from avrecords.retention.models import RecordingRetention, StoreCheck
from avrecords.retention.services import required_lock

log = logging.getLogger(__name__)
DRIFT_SHOWN = 200
# A lock ending within this long is extended by the nightly check (it then lasts a horizon).
RENEW_MARGIN = dt.timedelta(days=30)


def sync_one(row: RecordingRetention, *, now: dt.datetime | None = None, store=None) -> dict:
    """Bring one original's store lock in line; returns what was found and done."""
    now = now or timezone.now()
    store = store or get_store()
    recording = row.recording
    outcome = {"recording": recording.pk, "name": recording.original_name}
    try:
        stat = store.stat(recording.storage_key, version=recording.storage_version)
        required = required_lock(row, now)
        indefinite = row.keep_until is None or row.held
        held_until = stat.retain_until
        slack = RENEW_MARGIN if indefinite else dt.timedelta()
        if held_until is None or held_until < required - slack:
            held_until = store.extend_retention(
                recording.storage_key, version=recording.storage_version, until=required
            )
            outcome["extended"] = f"{stat.retain_until or '无'} → {held_until}"
        elif not indefinite and held_until > required + dt.timedelta(days=1):
            outcome["longer"] = f"存储锁定至 {held_until:%Y-%m-%d}，晚于保存期限 {row.keep_until}"
        if stat.legal_hold != row.held:
            store.set_legal_hold(
                recording.storage_key, version=recording.storage_version, on=row.held
            )
            outcome["hold"] = "已设置法律保全" if row.held else "已解除法律保全"
        RecordingRetention.objects.filter(pk=row.pk).update(
            store_until=held_until, store_hold=row.held, store_checked_at=now
        )
    except UnsupportedByStore as exc:
        outcome["unsupported"] = str(exc)
    except (StoreError, OSError, ValueError) as exc:
        log.warning("store lock of recording %s not brought in line: %s", recording.pk, exc)
        outcome["failed"] = str(exc)
    return outcome


def check_all(*, now: dt.datetime | None = None, batch: int = 500) -> StoreCheck:
    """The nightly comparison of every live original's lock with its computed retention."""
    now = now or timezone.now()
    store = get_store()
    check = StoreCheck.objects.create()
    drift: list[dict] = []
    rows = (
        RecordingRetention.objects.filter(recording__purged_at__isnull=True)
        .select_related("recording")
        .order_by("pk")
    )
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:batch])
        if not chunk:
            break
        for row in chunk:
            outcome = sync_one(row, now=now, store=store)
            check.checked += 1
            check.extended += "extended" in outcome
            check.holds_fixed += "hold" in outcome
            check.longer += "longer" in outcome
            check.failed += "failed" in outcome
            if len(outcome) > 2 and "unsupported" not in outcome and len(drift) < DRIFT_SHOWN:
                drift.append(outcome)
        last = chunk[-1].pk
        StoreCheck.objects.filter(pk=check.pk).update(
            checked=check.checked,
            extended=check.extended,
            holds_fixed=check.holds_fixed,
            longer=check.longer,
            failed=check.failed,
        )
    check.drift = drift
    check.finished_at = timezone.now()
    check.save()
    if check.extended or check.holds_fixed or check.failed:
        log.warning(
            "store check %s: %d locks extended, %d holds set right, %d failed",
            check.pk,
            check.extended,
            check.holds_fixed,
            check.failed,
        )
    return check


def unchecked_count() -> int:
    return RecordingRetention.objects.filter(
        recording__purged_at__isnull=True, store_checked_at__isnull=True
    ).count()
