"""Rows without media for tests: recordings (searching and describing them, M4), and the
activity and case a recording is filed with."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from zoneinfo import ZoneInfo

from avrecords.lib.storage.base import object_key
from avrecords.recordings.models import IngestBatch, Recording
from avrecords.recordings.textsearch import tidy

BEIJING = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def make(org, name: str, *, officer=None, unit=None, at=(2026, 11, 20, 10, 0), **fields):
    """One recording row; `name` is its file name and is what the pages list."""
    n = next(_seq)
    started = dt.datetime(*at, tzinfo=BEIJING)
    batch = IngestBatch.objects.get_or_create(source="upload", source_path="test_search")[0]
    officer = org.officer if officer is None else officer
    sha256 = hashlib.sha256(f"test_search:{n}".encode()).hexdigest()
    values = {
        "sha256": sha256,
        "size_bytes": 1000,
        # a well-formed content address of bytes never stored: the store answers "not found"
        "storage_key": object_key("originals", sha256),
        "media_kind": "video",
        "status": "ready",
        "original_name": name,
        "extension": name.rsplit(".", 1)[-1].lower(),
        "officer": officer or None,
        "unit": unit or (officer.unit if officer else org.squad1),
        "started_at": started,
        "ended_at": started + dt.timedelta(minutes=5),
        "time_source": "filename",
        "batch": batch,
    }
    values.update(fields)
    for field in ("party", "place", "case_number"):  # stored tidied, as the form stores them
        values[field] = tidy(values.get(field, ""))
    return Recording.objects.create(**values)


def make_stored(org, name: str, data: bytes | None = None, **fields):
    """A recording row whose original really is in the store (for playback, copy, export)."""
    import io

    from avrecords.lib.storage import get_store

    data = data if data is not None else f"{name} 的原始内容".encode() * 200
    put = get_store().put(io.BytesIO(data))
    return make(
        org,
        name,
        sha256=put.sha256,
        size_bytes=put.size_bytes,
        storage_key=put.key,
        storage_version=put.version or "",
        **fields,
    )


def grant(user, *recordings, kind: str = "copy", days: int = 1):
    """A live, executed request of `user` for these recordings, made directly (the approval
    chains themselves are tested in tests/test_access_requests.py)."""
    from django.utils import timezone

    from avrecords.access.models import AccessRequest

    now = timezone.now()
    req = AccessRequest.objects.create(
        number=f"T-{kind}-{next(_seq)}",
        kind=kind,
        status="active",
        requester=user,
        unit=recordings[0].unit,
        reason="测试授权",
        days=days,
        profile_code="test",
        chain=["unit_head"],
        executed_by_role="admin",
        executed_at=now,
        valid_until=now + dt.timedelta(days=days),
    )
    req.recordings.set(recordings)
    return req


ACTIVITY_AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def make_activity(unit, officer, **fields):
    """An hour's 现场检查 of `officer` in `unit` at 10:00 UTC on 2026-11-20."""
    from avrecords.compliance.models import Activity

    activity = Activity.objects.create(
        unit=unit,
        kind="inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=ACTIVITY_AT,
        ended_at=ACTIVITY_AT + dt.timedelta(hours=1),
        source="web",
        **fields,
    )
    activity.officers.set([officer])
    return activity


def make_case(org, number: str, unit, **fields):
    """A 行政处罚 case `number` of `unit`, opened that day by the administrator."""
    from avrecords.cases.models import Case

    return Case.objects.create(
        number=number,
        title=f"案卷 {number}",
        case_type="penalty",
        unit=unit,
        opened_on=ACTIVITY_AT.date(),
        created_by=org.admin,
        **fields,
    )
