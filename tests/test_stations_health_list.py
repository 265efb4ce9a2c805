"""A list of stations reads their heartbeats, their units' profiles and today's uploads for all
of them at once (`health.states_of`, `health.uploaded_today_of`; issue 22 §4): the answers are
each station's own (`state_of`, `uploaded_today`), with each unit's own thresholds, in a
number of queries that does not grow with the stations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords.equipment.models import Station
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import IngestBatch, IngestItem
from avrecords.stations import health
from avrecords.stations.models import StationState

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def squad1_profile(org):
    """Squad 1 with its own thresholds (10 minutes, 50 files); squad 2 follows none (the
    platform's 30 minutes, 200 files)."""
    source = PolicyProfile.objects.get(code="tongbai").source
    source = source.replace("code: tongbai", "code: moushi").replace(
        "name: 桐柏县市场监督管理局", "name: 某市局执法策略"
    )
    source = source.replace(
        "stations: {silent_minutes: 30, disk_warn_percent: 10, backlog_files: 200,",
        "stations: {silent_minutes: 10, disk_warn_percent: 10, backlog_files: 50,",
    )
    assert "silent_minutes: 10" in source
    policies.assign(None, org.squad1, policies.save_profile(None, source))


def _stations(org, n: int) -> list[Station]:
    made = []
    for unit in (org.squad1, org.squad2):
        for _ in range(n):
            station = Station.objects.create(
                name=f"采集站{Station.objects.count() + 1}", unit=unit, location="东楼"
            )
            made.append(station)
            if len(made) % 3 == 0:
                continue  # never connected
            StationState.objects.create(
                station=station, last_seen_at=NOW - dt.timedelta(minutes=20), queue_files=100
            )
            batch = IngestBatch.objects.create(source="station", station=station, unit=unit)
            for outcome, size in (("imported", 1000), ("imported", 24), ("duplicate", 7)):
                IngestItem.objects.create(
                    batch=batch,
                    relative_path=f"{outcome}{size}.MP4",
                    outcome=outcome,
                    size_bytes=size,
                )
    return list(
        Station.objects.filter(pk__in=[s.pk for s in made]).select_related("unit").order_by("pk")
    )


def test_it_gives_each_station_its_own_state_and_uploads(org, squad1_profile):
    stations = _stations(org, 3)
    states = health.states_of(stations, now=NOW)
    todays = health.uploaded_today_of(stations)
    assert states == {s.pk: health.state_of(s, now=NOW) for s in stations}
    assert todays == {s.pk: health.uploaded_today(s) for s in stations}
    # each unit's own thresholds: 20 minutes silent is offline in squad 1, online in squad 2
    first, second = stations[0], stations[3]
    assert first.unit == org.squad1 and second.unit == org.squad2
    assert states[first.pk].labels[0].startswith("离线") and "队列积压 100 个文件" in (
        states[first.pk].labels
    )
    assert states[second.pk].labels == ["在线"]
    assert todays[first.pk] == health.Today(2, 1024)
    assert states[stations[2].pk].labels == ["从未连接"] and todays[stations[2].pk].files == 0


def test_it_reads_as_many_queries_for_3n_stations_as_for_n(org, squad1_profile):
    def queries(stations) -> int:
        with CaptureQueriesContext(connection) as captured:
            health.states_of(stations, now=NOW)
            health.uploaded_today_of(stations)
        return len(captured)

    few = queries(_stations(org, 1))
    _stations(org, 2)
    assert queries(list(Station.objects.select_related("unit"))) == few
