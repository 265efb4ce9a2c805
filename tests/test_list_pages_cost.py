"""The recordings list's cheaper reads (issue 22 §4, M4) answer as the plain ones did.

- SQLite pages its ids by time alone and settles the order of rows at the same time by id
  afterwards (ORDER BY started_at DESC, id DESC made its planner sort a unit head's whole
  scope): every page equals the plain ORDER BY, rows at one time falling across pages.
- SQLite groups the month facet on the stored UTC text, and takes only the rows of a month's
  first and last days to the local month: the counts equal each row's local month, in zones
  east and west of UTC and at half and three-quarter hours.
- A unit role without an upload waiting to be bound is scoped without that condition; with
  one, the upload stays in his list.
- The alarm banner on an administrator's every page counts the alarms of his scope only when
  some alarm is open at all.
"""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avrecords.fixity.models import FixityCheck
from avrecords.org.scope import recording_q
from avrecords.recordings import listing
from avrecords.recordings.models import Recording
from avrecords.recordings.search import RecordingFilter, scoped_recordings, search_recordings
from tests.conftest import client_for
from tests.rows import make

# several rows at each of three times, their kinds, statuses and units mixed so that an
# index's order among them is not the ids' order
TIMES = [(2026, 11, 20, 10, 0), (2026, 11, 19, 8, 30), (2026, 11, 18, 16, 0)]
KINDS = ["video", "photo", "audio"]
STATUSES = ["ready", "processing"]


def _tied_rows(org) -> None:
    for n in range(21):
        make(
            org,
            f"tied{n}.mp4",
            at=TIMES[n % 3 if n < 12 else 0],
            media_kind=KINDS[(n * 7) % 3],
            status=STATUSES[(n // 2) % 2],
            unit=org.squad1 if n % 4 else org.bureau,
            officer=org.officer if n % 4 else org.bureau_admin,
        )


@pytest.mark.parametrize("viewer", ["bureau_admin", "admin", "leader", "officer"])
def test_it_pages_rows_by_time_then_id_whatever_rows_share_a_time(org, viewer):
    _tied_rows(org)
    user = getattr(org, viewer)
    qs = scoped_recordings(user)
    expected = list(qs.order_by("-started_at", "-id").values_list("pk", flat=True))
    assert len(expected) >= 10, viewer
    for size in (1, 2, 4, 5, 7):
        for start in range(0, len(expected) + 1, size):
            got = [r.pk for r in listing.page_rows(qs, start, start + size)]
            assert got == expected[start : start + size], (viewer, start, size)


# Beijing times (tests.rows): 1 March 00:30 is 28 February 16:30 in UTC, 1 February 00:10
# is 31 January 16:10; in St John's (UTC-3:30) 1 June 01:00 UTC is still 31 May, and
# in Kathmandu (UTC+5:45) 30 April 21:00 UTC is 1 May
MONTH_ENDS = [
    (2026, 3, 1, 0, 30),
    (2026, 2, 28, 23, 59),
    (2026, 1, 31, 23, 30),
    (2026, 2, 1, 0, 10),
    (2026, 4, 30, 20, 0),
    (2026, 5, 1, 5, 0),
    (2026, 5, 15, 12, 0),
    (2025, 12, 31, 23, 30),
    (2026, 1, 1, 7, 59),
    (2026, 6, 1, 9, 0),
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/St_Johns", "Asia/Kathmandu"])
def test_it_counts_each_row_in_its_local_month_at_month_ends(org, zone):
    where = ZoneInfo(zone)
    made = [make(org, f"m{n}.mp4", at=at).pk for n, at in enumerate(MONTH_ENDS)]
    with timezone.override(where):
        # no text condition: the facets are grouped in the database (a LIKE would read rows)
        rows = Recording.objects.filter(pk__in=made)
        summary = listing.summarise(rows)
        got = {v.label: v.count for v in summary.facets["month"]}
        expected = Counter(
            f"{local.year}年{local.month}月"
            for local in (r.started_at.astimezone(where) for r in rows)
        )
    assert got == dict(expected), zone
    assert summary.total == len(MONTH_ENDS)


def test_a_unit_role_with_an_upload_waiting_still_lists_it(org):
    outside = make(org, "waiting.mp4", officer=False, unit=org.squad2, uploaded_by=org.admin)
    make(org, "own-squad.mp4")
    listed = set(search_recordings(org.admin, RecordingFilter()).values_list("pk", flat=True))
    assert outside.pk in listed
    assert listed == set(
        Recording.objects.filter(recording_q(org.admin)).values_list("pk", flat=True)
    )
    Recording.objects.filter(pk=outside.pk).update(officer=org.officer2)  # bound: not his now
    listed = set(search_recordings(org.admin, RecordingFilter()).values_list("pk", flat=True))
    assert outside.pk not in listed
    assert listed == set(
        Recording.objects.filter(recording_q(org.admin)).values_list("pk", flat=True)
    )


def _joins_alarms_to_recordings(client, path: str) -> bool:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return any(
        "fixity_fixitycheck" in q["sql"] and "recordings_recording" in q["sql"]
        for q in queries.captured_queries
    )


def test_an_administrators_page_counts_alarms_in_his_scope_only_when_one_is_open(org):
    """The alarm banner's scoped count joins every recording (a scan on SQLite); with no open
    alarm anywhere one probe of the alarm index answers, and the banner still shows one."""
    admin = client_for(org.admin)
    assert not _joins_alarms_to_recordings(admin, "/recordings/")
    row = make(org, "damaged.mp4")
    FixityCheck.objects.create(
        recording=row,
        checked_at=timezone.now(),
        outcome="mismatch",
        storage_key=row.storage_key,
        expected_sha256=row.sha256,
        observed_sha256="0" * 64,
        alarm=True,
    )
    assert _joins_alarms_to_recordings(admin, "/recordings/")
    assert "alarm-banner" in admin.get("/recordings/").content.decode()
