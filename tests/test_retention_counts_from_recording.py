"""Keep-until counts from the day of recording, not the day of ingest (M5, issue 23 §1).

Every profile says 自录制之日起 (tongbai 000§18, chengde 001§20, lingchuan 002§16, zhanhe
003§15): a camera file recorded on 20 December 2025 and brought in forty days later, on 29
January 2026 (across the year end), is kept to the profile's term after 20 December 2025. The
file goes through the real ingest and its evaluation job with the clock at the ingest day; then
its keep-until, the disposal list made the day after (the item's date), the retention
dashboard's "due" count, the purge guard and the store's own lock all follow the recording day: the day before the
date is not due, the day after is. Counted from the ingest, each of them would be forty days
late. Time is set by replacing django.utils.timezone.now, as tests/test_jobs.py does, and the
retention services take `today`.
"""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

import pytest
from django.utils import timezone

from avrecords.jobs import services as jobs
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import PurgeRefused
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.recordings.ingest import Ingestor
from avrecords.recordings.models import IngestSource, Recording
from avrecords.retention import dashboard, disposal, purge
from avrecords.retention.models import RecordingRetention
from avrecords.retention.services import local_day

BEIJING = dt.timezone(dt.timedelta(hours=8))
RECORDED = dt.datetime(2025, 12, 20, 10, 0, tzinfo=BEIJING)
INGESTED = dt.datetime(2026, 1, 29, 15, 0, tzinfo=BEIJING)  # 40 days on, the next year
# The profiles whose default category runs for a term from the recording day
DATED_PROFILES = ["tongbai", "chengde", "lingchuan", "zhanhe"]


def _plus_months(day: dt.date, months: int) -> dt.date:
    """Worked out here, not with the product's add_months: the 20th exists in every month."""
    month0 = day.month - 1 + months
    return day.replace(year=day.year + month0 // 12, month=month0 % 12 + 1)


def _term_months(code: str) -> int:
    """The profile's default term in months, read from the profile (no literal numbers)."""
    retention = PolicyProfile.objects.get(code=code).profile.retention
    category = retention.category(retention.default)
    assert category.keep.value in ("years", "months"), f"{code}: {category.keep}"
    return category.amount * (12 if category.keep.value == "years" else 1)


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(8000 * 2))
    return path


def _ingest_late(org, tmp_path, monkeypatch, recorded: dt.datetime, code: str) -> Recording:
    """Under the profile `code`, a file recorded at `recorded` is ingested and evaluated (its
    first keep-until set) with the clock at INGESTED."""
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code=code))
    name = f"3501001_350211_{recorded:%Y%m%d%H%M%S}_0001.WAV"
    monkeypatch.setattr(timezone, "now", lambda: INGESTED.astimezone(dt.UTC))
    ingestor = Ingestor(source=IngestSource.STATION, station=org.station, operator=org.admin)
    result = ingestor.ingest_file(_wav(tmp_path / name), name)
    ingestor.finish()
    assert result.recording_id, result.reason
    while jobs.run_pending():  # compliance.evaluate → retention classifies it
        pass
    monkeypatch.undo()
    recording = Recording.objects.get(pk=result.recording_id)
    assert recording.started_at == recorded
    assert local_day(recording.ingested_at) == INGESTED.date()
    return recording


@pytest.mark.parametrize("code", DATED_PROFILES)
def test_keep_until_and_everything_after_it_count_from_the_recording_day(
    org, tmp_path, monkeypatch, code
):
    rec = _ingest_late(org, tmp_path, monkeypatch, RECORDED, code)
    keep_until = _plus_months(RECORDED.date(), _term_months(code))
    row = RecordingRetention.objects.get(recording=rec)
    assert row.keep_until == keep_until, f"counted from {row.keep_until} - term"

    last_kept_day, first_due_day = keep_until, keep_until + dt.timedelta(days=1)

    # the disposal list: nothing on the last day kept, the recording the day after
    assert disposal.make_lists(today=last_kept_day) == []
    (made,) = disposal.make_lists(today=first_due_day)
    (item,) = made.items.all()
    assert (item.recording_id, item.keep_until) == (rec.pk, keep_until)

    # the dashboard's due count (and what expires within 30 days before that)
    archivist = User.objects.create(
        username="dangan", full_name="何静", role=Role.ARCHIVIST, unit=org.bureau
    )
    assert dashboard.summary(archivist, today=last_kept_day)["due"] == 0
    assert dashboard.summary(archivist, today=last_kept_day)["expiring"][30]["count"] == 1
    assert dashboard.summary(archivist, today=first_due_day)["due"] == 1

    # the purge guard: not yet on the last day kept; past its date the day after
    refused = purge.why_not(rec, item, today=last_kept_day)
    assert refused == f"保存期限至 {keep_until:%Y-%m-%d}，未到期，不能清除"
    assert "未到期" not in purge.why_not(rec, item, today=first_due_day)

    # the store's own lock (what refuses a direct call, bypassing every service) ends as the
    # first due day begins; a purge can only be judged at the store's own clock, so the date
    # is read, and a purge at the last minute kept is refused
    store = get_store()
    lock = store.stat(rec.storage_key, version=rec.storage_version).retain_until
    first_moment = dt.datetime.combine(first_due_day, dt.time(0, 0), tzinfo=BEIJING)
    assert lock == first_moment
    last_minute = dt.datetime.combine(last_kept_day, dt.time(23, 59), tzinfo=BEIJING)
    with pytest.raises(PurgeRefused):
        store.purge(rec.storage_key, version=rec.storage_version, now=last_minute)


def test_the_recording_day_is_the_local_day_of_beijing(org, tmp_path, monkeypatch):
    """A recording at 00:30 Beijing time is 16:30 UTC the day before: it counts from the
    Beijing day (the profile's 自录制之日起 is the agency's calendar day)."""
    just_after_midnight = dt.datetime(2026, 1, 1, 0, 30, tzinfo=BEIJING)
    rec = _ingest_late(org, tmp_path, monkeypatch, just_after_midnight, "tongbai")
    row = RecordingRetention.objects.get(recording=rec)
    assert row.keep_until == _plus_months(dt.date(2026, 1, 1), _term_months("tongbai"))
