"""E7: clock drift found at ingest — real camera dumps whose file names carry the device time."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.demo import media
from avrecords.equipment import clock
from avrecords.equipment.models import ClockFlag
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings import clock as ingest_clock
from avrecords.recordings.ingest import Ingestor, ingest_directory
from avrecords.recordings.models import IngestSource, Recording
from tests.conftest import client_for

CLIP_SECONDS = 2


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    """Three different short clips, encoded once; each test copies them under its own names."""
    root = tmp_path_factory.mktemp("clips")
    return [
        media.make_video(
            root / f"clip{i}.mp4", seconds=CLIP_SECONDS, width=160, height=120, variant=i
        )
        for i in range(3)
    ]


@pytest.fixture
def tongbai(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    return policies.profile_for_unit(org.squad1).equipment.clock


def device_name(start: dt.datetime, seq: int, serial: str = "3501001") -> str:
    """<serial>_<officer_no>_<YYYYMMDDHHMMSS>_<seq>.MP4 in the camera's (Beijing) time."""
    return f"{serial}_350211_{timezone.localtime(start):%Y%m%d%H%M%S}_{seq:04d}.MP4"


def dump(tmp_path: Path, clips: list[Path], starts: list[dt.datetime]) -> Path:
    root = tmp_path / "CAMERA"
    media_dir = root / "DCIM" / "100MEDIA"
    media_dir.mkdir(parents=True)
    for seq, (clip, start) in enumerate(zip(clips, starts, strict=False), 1):
        shutil.copyfile(clip, media_dir / device_name(start, seq))
    return root


def ingest_at_station(org, root: Path):
    return ingest_directory(root, source=IngestSource.STATION, station=org.station)


def test_it_flags_a_device_whose_clock_is_ten_minutes_fast(org, tongbai, clips, tmp_path):
    fast = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=10)
    summary = ingest_at_station(org, dump(tmp_path, clips[:1], [fast]))

    flag = ClockFlag.objects.get()
    recording = Recording.objects.get()
    assert flag.kind == ClockFlag.Kind.AHEAD
    assert flag.device == org.camera
    assert flag.batch_id == summary.batch_id
    assert flag.recording == recording
    assert 600 - 30 <= flag.offset_seconds <= 600 + CLIP_SECONDS
    assert flag.tolerance_seconds == tongbai.tolerance_seconds == 120
    assert flag.cite == "000§10"
    assert flag.device_time == recording.ended_at
    assert flag.station_time <= timezone.now()
    drift = (flag.device_time - flag.station_time).total_seconds()
    assert abs(drift - flag.offset_seconds) <= 0.5
    assert flag.resolved_at is None
    assert list(clock.open_flags(org.camera)) == [flag]
    entry = AuditEntry.objects.get(action="device.clock_flag")
    assert entry.object_id == str(org.camera.pk)
    assert entry.detail["offset_seconds"] == flag.offset_seconds


def test_it_shifts_nothing_and_keeps_the_device_time(org, tongbai, clips, tmp_path):
    fast = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=10)
    ingest_at_station(org, dump(tmp_path, clips[:1], [fast]))

    recording = Recording.objects.get()
    assert recording.started_at == fast
    assert recording.time_source == "filename"
    assert recording.ended_at == fast + dt.timedelta(seconds=recording.duration_seconds)


def test_it_raises_one_flag_per_device_and_batch_at_the_largest_offset(
    org, tongbai, clips, tmp_path
):
    now = timezone.now().replace(microsecond=0)
    starts = [now + dt.timedelta(minutes=5), now + dt.timedelta(minutes=10), now]
    ingest_at_station(org, dump(tmp_path, clips, starts))

    flag = ClockFlag.objects.get()
    assert flag.recording.started_at == starts[1]
    assert flag.offset_seconds >= 600 - 30
    assert Recording.objects.count() == 3


def test_it_does_not_flag_a_file_within_the_tolerance(org, tongbai, clips, tmp_path):
    now = timezone.now().replace(microsecond=0)
    ingest_at_station(
        org,
        dump(tmp_path, clips[:2], [now + dt.timedelta(seconds=60), now - dt.timedelta(hours=1)]),
    )

    assert Recording.objects.count() == 2
    assert not ClockFlag.objects.exists()
    assert not AuditEntry.objects.filter(action="device.clock_flag").exists()


def test_it_flags_a_dump_whose_newest_file_is_forty_days_old(org, tongbai, clips, tmp_path):
    old = timezone.now().replace(microsecond=0) - dt.timedelta(days=40)
    summary = ingest_at_station(org, dump(tmp_path, clips[:2], [old - dt.timedelta(hours=2), old]))

    flag = ClockFlag.objects.get()
    assert flag.kind == ClockFlag.Kind.STALE
    assert flag.batch_id == summary.batch_id
    assert flag.recording.started_at == old
    assert flag.device_time == flag.recording.ended_at
    assert flag.station_time == flag.batch.started_at
    assert flag.tolerance_seconds == tongbai.stale_days * 86400
    assert -40 * 86400 - 60 <= flag.offset_seconds <= -40 * 86400 + 60
    assert Recording.objects.get(pk=flag.recording_id).started_at == old  # nothing shifted


def test_it_does_not_call_a_dump_stale_within_the_profile_days(org, tongbai, clips, tmp_path):
    recent = timezone.now() - dt.timedelta(days=tongbai.stale_days - 1)
    ingest_at_station(org, dump(tmp_path, clips[:1], [recent]))

    assert not ClockFlag.objects.exists()


def test_it_does_not_call_an_upload_of_old_files_stale(org, tongbai, clips, tmp_path):
    old = timezone.now() - dt.timedelta(days=40)
    root = dump(tmp_path, clips[:1], [old])
    ingestor = Ingestor(source=IngestSource.UPLOAD, operator=org.officer)
    for path in sorted(root.rglob("*.MP4")):
        ingestor.ingest_file(path, path.name)
    ingestor.finish()

    assert Recording.objects.count() == 1
    assert not ClockFlag.objects.exists()


def test_it_flags_an_upload_from_a_fast_clock(org, tongbai, clips, tmp_path):
    root = dump(tmp_path, clips[:1], [timezone.now() + dt.timedelta(minutes=10)])
    ingestor = Ingestor(source=IngestSource.UPLOAD, operator=org.officer)
    for path in sorted(root.rglob("*.MP4")):
        ingestor.ingest_file(path, path.name)
    ingestor.finish()

    assert ClockFlag.objects.get().kind == ClockFlag.Kind.AHEAD


def test_it_checks_nothing_for_a_unit_without_a_profile(org, clips, tmp_path):
    now = timezone.now()
    ingest_at_station(
        org,
        dump(tmp_path, clips[:2], [now + dt.timedelta(minutes=10), now - dt.timedelta(days=40)]),
    )

    assert Recording.objects.count() == 2
    assert not ClockFlag.objects.exists()


def test_it_checks_nothing_for_a_file_of_an_unknown_device(org, tongbai, clips, tmp_path):
    root = tmp_path / "CAMERA"
    root.mkdir()
    future = timezone.now() + dt.timedelta(minutes=10)
    shutil.copyfile(clips[0], root / device_name(future, 1, serial="3509999"))
    ingest_at_station(org, root)

    assert Recording.objects.get().device is None
    assert not ClockFlag.objects.exists()


def test_it_does_not_flag_the_same_dump_twice_when_finished_again(org, tongbai, clips, tmp_path):
    old = timezone.now() - dt.timedelta(days=40)
    summary = ingest_at_station(org, dump(tmp_path, clips[:1], [old]))
    batch = Recording.objects.get().batch
    assert batch.pk == summary.batch_id

    assert ingest_clock.check_batch(batch) == []
    assert ClockFlag.objects.count() == 1


# --- resolving ---------------------------------------------------------------------------
@pytest.fixture
def flag(org, tongbai, clips, tmp_path) -> ClockFlag:
    ingest_at_station(org, dump(tmp_path, clips[:1], [timezone.now() + dt.timedelta(minutes=10)]))
    return ClockFlag.objects.get()


def test_it_lets_an_admin_in_scope_resolve_a_flag(org, flag):
    clock.resolve_flag(org.admin, flag, "已按北京时间校准")

    flag.refresh_from_db()
    assert flag.resolved_by == org.admin
    assert flag.resolution == "已按北京时间校准"
    assert not clock.open_flags(org.camera).exists()
    entry = AuditEntry.objects.get(action="device.clock_resolve")
    assert entry.actor_id == org.admin.pk


def test_it_refuses_to_resolve_without_a_note_or_twice(org, flag):
    with pytest.raises(clock.FlagError, match="处理说明"):
        clock.resolve_flag(org.admin, flag, "  ")
    clock.resolve_flag(org.admin, flag, "已校准")
    with pytest.raises(clock.FlagError, match="已处理"):
        clock.resolve_flag(org.admin, flag, "再次")
    assert AuditEntry.objects.filter(action="device.clock_resolve").count() == 1


def test_it_refuses_the_holder_and_an_admin_of_another_unit(org, flag):
    for user in (org.officer, org.other_admin, org.leader):
        with pytest.raises(clock.FlagNotAllowed):
            clock.resolve_flag(user, flag, "已校准")
    assert not AuditEntry.objects.filter(action="device.clock_resolve").exists()


def test_it_describes_offsets_in_chinese():
    assert clock.describe_offset(600) == "快 10 分 0 秒"
    assert clock.describe_offset(-40 * 86400 - 3 * 3600) == "慢 40 天 3 小时"
    assert clock.describe_offset(3725) == "快 1 小时 2 分"


# --- pages ---------------------------------------------------------------------------------
def test_the_flag_list_shows_both_times_to_an_admin_in_scope(org, flag):
    response = client_for(org.admin).get("/equipment/clock-flags")
    assert response.status_code == 200
    text = response.content.decode()
    assert org.camera.serial in text
    assert "快 " in text
    assert f"/equipment/clock-flags/{flag.pk}/resolve" in text


def test_the_flag_list_hides_flags_out_of_scope(org, flag):
    response = client_for(org.other_admin).get("/equipment/clock-flags")
    assert response.status_code == 200
    assert org.camera.serial not in response.content.decode()


def test_the_resolve_page_answers_by_scope_and_role(org, flag):
    url = f"/equipment/clock-flags/{flag.pk}/resolve"
    assert client_for(None).post(url, {"note": "x"}).status_code == 302  # to the login page
    assert client_for(org.other_admin).post(url, {"note": "x"}).status_code == 404
    assert client_for(org.officer).post(url, {"note": "x"}).status_code == 403
    assert client_for(org.admin).get(url).status_code == 405
    assert client_for(org.admin).post("/equipment/clock-flags/999999/resolve").status_code == 404
    assert not AuditEntry.objects.filter(action="device.clock_resolve").exists()

    response = client_for(org.admin).post(url, {"note": "已校准"})
    assert response.status_code == 302
    assert response["Location"] == "/equipment/clock-flags"
    assert AuditEntry.objects.filter(action="device.clock_resolve").count() == 1
