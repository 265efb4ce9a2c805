"""Station health (issue 19 §4): the agent's heartbeat is kept (not audited one by one: only the
first contact and the return after a silence), and the station's state is said in Chinese from
it and the thresholds of its unit's profile — 在线 / 离线（自 …）/ 队列积压 / 磁盘将满 / 时钟偏差 /
从未连接 / 已停用 — each exceeded strictly (the bound itself is still fine). A station silent
past its threshold is audited once by the worker's step, told to its 负责人 and put in his 待办;
what a station imported today is counted."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from avrecords import worklist
from avrecords.audit.models import AuditEntry
from avrecords.notices.models import Notice
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.stations import health
from avrecords.stations import services as svc
from avrecords.stations.models import StationState
from avrecords.stations.silence import report_silent_stations
from tests import media as m
from tests.conftest import client_for

HEARTBEAT = "/api/v1/station/heartbeat"
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
# the bureau's own profile: a 10-minute silence, 5% disk, 50 files, 30 seconds
LIMITS = {"silent_minutes": 10, "disk_warn_percent": 5, "backlog_files": 50}
LIMITS_CLOCK = 30


@pytest.fixture
def bureau_profile(org):
    """A profile made from tongbai with the bureau's own station thresholds, assigned."""
    source = PolicyProfile.objects.get(code="tongbai").source
    source = source.replace("code: tongbai", "code: moushi").replace(
        "name: 桐柏县市场监督管理局", "name: 某市局执法策略"
    )
    source = source.replace(
        "stations: {silent_minutes: 30, disk_warn_percent: 10, backlog_files: 200, "
        "clock_tolerance_seconds: 60,",
        "stations: {silent_minutes: 10, disk_warn_percent: 5, backlog_files: 50, "
        "clock_tolerance_seconds: 30,",
    )
    assert "silent_minutes: 10" in source
    profile = policies.save_profile(None, source)
    policies.assign(None, org.bureau, profile)
    return profile


@pytest.fixture
def station(org):
    station, secret = svc.register(
        org.sysadmin, name="一中队值班室采集站", unit=org.squad1, responsible=org.admin
    )
    station.secret = secret
    return station


def beat(station, **report):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {station.secret}")
    return client.post(HEARTBEAT, report, content_type="application/json")


def seen(station, at, **facts) -> StationState:
    state, _ = StationState.objects.update_or_create(
        station=station, defaults={"last_seen_at": at, **facts}
    )
    return state


def labels(station, now=NOW) -> list[str]:
    return health.state_of(station, now=now).labels


# --- the states at their bounds ----------------------------------------------------------


def test_it_says_never_connected_and_retired(org, station):
    assert labels(station) == ["从未连接"]
    station = svc.retire(org.sysadmin, station)
    seen(station, NOW, queue_files=999)
    assert labels(station) == ["已停用"]


def test_it_is_online_until_silent_for_longer_than_the_profiles_minutes(bureau_profile, station):
    seen(station, NOW - dt.timedelta(minutes=10))
    assert labels(station) == ["在线"]
    seen(station, NOW - dt.timedelta(minutes=10, seconds=1))
    since = timezone.localtime(NOW - dt.timedelta(minutes=10, seconds=1)).strftime("%m-%d %H:%M")
    assert labels(station) == [f"离线（自 {since}）"]
    assert not health.state_of(station, now=NOW).online


def test_without_a_profile_the_platforms_thirty_minutes_apply(station):
    seen(station, NOW - dt.timedelta(minutes=30))
    assert labels(station) == ["在线"]
    seen(station, NOW - dt.timedelta(minutes=31))
    assert labels(station)[0].startswith("离线")


def test_a_backlog_is_more_files_waiting_than_the_profile_allows(bureau_profile, station):
    seen(station, NOW, queue_files=50, queue_bytes=10 * 1024**3)
    assert labels(station) == ["在线"]
    seen(station, NOW, queue_files=51)
    assert labels(station) == ["在线", "队列积压 51 个文件"]


def test_the_disk_is_nearly_full_below_the_profiles_percentage(bureau_profile, station):
    seen(station, NOW, free_disk_bytes=5_000, total_disk_bytes=100_000)  # exactly 5%
    assert labels(station) == ["在线"]
    seen(station, NOW, free_disk_bytes=4_999, total_disk_bytes=100_000)
    assert labels(station) == ["在线", "磁盘将满（剩余 4%）"]


def test_the_clock_is_off_beyond_the_profiles_seconds_either_way(bureau_profile, station):
    seen(station, NOW, clock_offset_seconds=LIMITS_CLOCK)
    assert labels(station) == ["在线"]
    seen(station, NOW, clock_offset_seconds=-LIMITS_CLOCK)
    assert labels(station) == ["在线"]
    seen(station, NOW, clock_offset_seconds=130)
    assert labels(station) == ["在线", "时钟偏差 快 2 分 10 秒"]
    seen(station, NOW, clock_offset_seconds=-31)
    assert labels(station) == ["在线", "时钟偏差 慢 31 秒"]


def test_an_offline_station_still_shows_its_last_reports_troubles(bureau_profile, station):
    seen(
        station,
        NOW - dt.timedelta(hours=2),
        queue_files=60,
        free_disk_bytes=1,
        total_disk_bytes=100,
        clock_offset_seconds=3700,
    )
    state = health.state_of(station, now=NOW)
    assert [b.tone for b in state.badges] == ["bad", "warn", "bad", "warn"]
    assert state.labels[1:] == [
        "队列积压 60 个文件",
        "磁盘将满（剩余 1%）",
        "时钟偏差 快 1 小时 1 分 40 秒",
    ]


# --- the heartbeat ---------------------------------------------------------------------------


def test_a_heartbeat_keeps_the_report_and_audits_only_the_first_contact(station):
    report = {
        "version": "1.0.0",
        "free_disk_bytes": 400 * 1024**3,
        "total_disk_bytes": 500 * 1024**3,
        "queue_files": 3,
        "queue_bytes": 3 * 1024**3,
        "cameras": ["3501001", "3501004", "3501001"],
        "clock_offset_seconds": -1.5,
        "last_error": "",
    }
    response = beat(station, **report)
    assert response.status_code == 200, response.content
    assert "server_time" in response.json()
    beat(station, **report)
    state = StationState.objects.get(station=station)
    assert state.agent_version == "1.0.0" and state.queue_files == 3
    assert state.cameras == ["3501001", "3501004"] and state.clock_offset_seconds == -1.5
    assert state.last_ip == "127.0.0.1"
    entries = AuditEntry.objects.filter(action="station.online")
    assert [(e.actor_id, e.actor_label) for e in entries] == [(None, "采集站：一中队值班室采集站")]
    assert "首次连接" in entries[0].summary
    assert labels(station, now=timezone.now()) == ["在线"]


def test_a_heartbeat_after_a_silence_is_audited_as_the_return(station):
    beat(station, version="1.0.0")
    long_ago = timezone.now() - dt.timedelta(hours=3)
    StationState.objects.filter(station=station).update(last_seen_at=long_ago)
    beat(station, version="1.0.1")
    back = AuditEntry.objects.filter(action="station.online").last()
    assert "恢复连接" in back.summary and back.detail["after"]["version"] == "1.0.1"


@pytest.mark.parametrize(
    "report",
    [{"queue_files": -1}, {"cameras": ["3501001"] * 65}, {"last_error": "错" * 501}],
)
def test_a_bad_heartbeat_is_refused_and_changes_nothing(station, report):
    beat(station, version="1.0.0", queue_files=2)
    response = beat(station, version="9.9.9", **report)
    assert response.status_code == 422 and response.json()["detail"].startswith("参数无效")
    state = StationState.objects.get(station=station)
    assert state.agent_version == "1.0.0" and state.queue_files == 2


# --- silence: audited once, told, in 待办 ------------------------------------------------


def titles(user, source="stations.silent") -> list[str]:
    return [t.title for g in worklist.groups_for(user) if g.source.name == source for t in g.tasks]


def test_a_silent_station_is_audited_once_and_told_to_its_responsible_person(
    org, station, django_capture_on_commit_callbacks
):
    beat(station, version="1.0.0")
    StationState.objects.filter(station=station).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert report_silent_stations() == 1
    assert report_silent_stations() == 0
    entry = AuditEntry.objects.get(action="station.silent")
    assert entry.object_id == str(station.pk) and "离线" in entry.summary
    notice = Notice.objects.get(recipient=org.admin)
    assert notice.title.startswith("采集站“一中队值班室采集站”离线")
    assert notice.url == f"/stations/{station.pk}/"
    # back and silent again: a new silence, reported again
    beat(station, version="1.0.0")
    StationState.objects.filter(station=station).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=45)
    )
    assert report_silent_stations() == 1


def test_a_silent_station_is_in_its_responsible_persons_todo_and_no_officers(org, station):
    beat(station, version="1.0.0")
    assert titles(org.admin) == []
    StationState.objects.filter(station=station).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=31)
    )
    assert titles(org.admin)[0].startswith("采集站“一中队值班室采集站”离线（自 ")
    assert titles(org.sysadmin) == titles(org.admin)
    for someone in (org.officer, org.other_admin, org.bureau_admin, org.leader):
        assert titles(someone) == []
    page = client_for(org.admin).get("/todo/").content.decode()
    assert "离线的采集站" in page and f"/stations/{station.pk}/" in page


def test_a_station_never_connected_is_no_todo_item(org, station):
    assert titles(org.admin) == [] and titles(org.sysadmin) == []


# --- uploaded today ----------------------------------------------------------------------


def test_it_counts_what_the_station_imported_today(org, library, tmp_path):
    dump = m.make_dump(library, tmp_path / "dock", [m.H264, m.PHOTO])
    call_command("ingest", str(dump), "--station", org.station.name, "--json", stdout=io.StringIO())
    today = health.uploaded_today(org.station)
    assert today.files == 2
    sizes = (library / m.H264).stat().st_size + (library / m.PHOTO).stat().st_size
    assert today.bytes == sizes
    assert health.uploaded_today_recordings(org.station).count() == 2
    assert health.uploaded_today(org.station2).files == 0
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert health.uploaded_today(org.station, now=tomorrow).files == 0
