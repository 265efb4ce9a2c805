"""Issue 19 §5 (M1, E7): where a recording's start time comes from, and the page saying so.

Real files made with PyAV and Pillow, imported through the ingest: a GA/T 947 name wins; a
name without a time gives way to the container's creation time (or a photo's EXIF time),
even when the file's modification time is months away; a station upload that reports the
camera's clock offset is placed on the station's clock; only then the modification time.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PIL import Image

from avrecords.demo import media
from avrecords.recordings.ingest import Ingestor, ReportedTimes
from avrecords.recordings.media.probe import parse_time_tag
from avrecords.recordings.models import IngestSource, Recording
from avrecords.recordings.start_time import choose
from tests.conftest import client_for
from tests.rows import BEIJING

CREATED = "2026-11-20T06:05:00.000000Z"  # 14:05 Beijing time
CREATED_AT = dt.datetime(2026, 11, 20, 6, 5, tzinfo=dt.UTC)
FAR_MTIME = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)  # months before: a copied file
GAT947 = "3501001_350211_20261120093000_0001.MP4"  # 09:30 Beijing time, 张伟's camera


def video(tmp_path: Path, name: str, *, created: str | None = None) -> Path:
    path = media.make_video(tmp_path / name, seconds=1, creation_time=created)
    os.utime(path, (FAR_MTIME.timestamp(), FAR_MTIME.timestamp()))
    return path


def ingest(org, path: Path, times: ReportedTimes | None = None) -> Recording:
    ingestor = Ingestor(source=IngestSource.STATION, station=org.station, operator=org.admin)
    result = ingestor.ingest_file(path, path.name, times=times)
    ingestor.finish()
    assert result.recording_id, result.reason
    return Recording.objects.get(pk=result.recording_id)


def test_a_gat947_name_wins_over_the_container_time(org, tmp_path):
    rec = ingest(org, video(tmp_path, GAT947, created=CREATED))
    assert rec.time_source == "filename"
    assert rec.started_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)


def test_the_container_time_wins_over_a_far_modification_time(org, tmp_path):
    rec = ingest(org, video(tmp_path, "现场检查_李记餐馆.mp4", created=CREATED))
    assert (rec.time_source, rec.started_at) == ("container", CREATED_AT)
    assert rec.get_time_source_display() == "容器元数据"


def test_without_name_or_metadata_the_modification_time_is_used(org, tmp_path):
    rec = ingest(org, video(tmp_path, "现场检查_无时间.mp4"))
    assert (rec.time_source, rec.started_at) == ("mtime", FAR_MTIME)


def test_a_station_upload_is_placed_on_the_stations_clock(org, tmp_path):
    """The station reports the camera's file time and that the camera runs 2 minutes fast."""
    reported = dt.datetime(2026, 11, 20, 6, 7, tzinfo=dt.UTC)
    times = ReportedTimes(mtime=reported, camera_clock_offset_seconds=120.0)
    rec = ingest(org, video(tmp_path, "现场检查_采集站.mp4"), times)
    assert (rec.time_source, rec.started_at) == ("station", CREATED_AT)
    assert rec.get_time_source_display() == "采集站时钟"
    assert rec.sources.get().source_mtime == reported  # what the station reported is kept


def test_the_container_time_still_wins_over_the_stations_clock(org, tmp_path):
    times = ReportedTimes(mtime=FAR_MTIME, camera_clock_offset_seconds=120.0)
    rec = ingest(org, video(tmp_path, "现场检查_有元数据.mp4", created=CREATED), times)
    assert (rec.time_source, rec.started_at) == ("container", CREATED_AT)


def test_a_reported_time_without_an_offset_is_a_modification_time(org, tmp_path):
    times = ReportedTimes(mtime=CREATED_AT)
    rec = ingest(org, video(tmp_path, "现场检查_无偏差.mp4"), times)
    assert (rec.time_source, rec.started_at) == ("mtime", CREATED_AT)


def test_a_photos_exif_time_is_its_camera_metadata(org, tmp_path):
    plain = media.make_photo(tmp_path / "plain.jpg")
    path = tmp_path / "现场照片_张三食品店.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: "2026:11:20 14:05:00", 0x9011: "+08:00"})
    with Image.open(plain) as image:
        image.save(path, "JPEG", exif=exif)
    os.utime(path, (FAR_MTIME.timestamp(), FAR_MTIME.timestamp()))
    rec = ingest(org, path)
    assert (rec.time_source, rec.started_at) == ("container", CREATED_AT)


def test_the_recording_page_says_which_source_was_used(org, tmp_path):
    rec = ingest(org, video(tmp_path, "现场检查_页面.mp4", created=CREATED))
    page = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    assert "2026-11-20 14:05:00" in page
    assert "开始时间来源：容器元数据" in page
    assert "container" not in page.split("开始时间来源：", 1)[1][:40]


@pytest.mark.parametrize(
    ("raw", "offset", "expected"),
    [
        ("2026-11-20T06:05:00.000000Z", "", CREATED_AT),  # MP4 mvhd, as FFmpeg reports it
        ("2026-11-20T14:05:00+0800", "", CREATED_AT),  # QuickTime creationdate
        ("2026-11-20 14:05:00", "", CREATED_AT),  # AVI IDIT / RIFF date: camera local time
        ("2026:11:20 14:05:00", "+08:00", CREATED_AT),  # EXIF with OffsetTimeOriginal
        ("1970-01-01T00:00:00.000000Z", "", None),  # a camera without a clock
        ("1904-01-01T00:00:00.000000Z", "", None),
        ("2026-11-20", "", None),  # a date is not a start time
        ("2026", "", None),
        ("今天上午", "", None),
        ("2026-11-20T14:05:00" + "0" * 40, "", None),  # not a time tag
        ("", "", None),
    ],
)
def test_time_tags_are_read_as_cameras_write_them(raw, offset, expected):
    assert parse_time_tag(raw, offset) == expected


def test_the_order_is_name_container_station_mtime():
    name, box, mtime = (dt.datetime(2026, 11, 20, h, tzinfo=dt.UTC) for h in (1, 2, 3))
    assert choose(name, box, mtime, camera_clock_offset_seconds=60).source == "filename"
    assert choose(None, box, mtime, camera_clock_offset_seconds=60).source == "container"
    station = choose(None, None, mtime, camera_clock_offset_seconds=-60)
    assert (station.source, station.at) == ("station", mtime + dt.timedelta(minutes=1))
    assert choose(None, None, mtime).source == "mtime"
    # an "offset" of decades is a camera that never had its clock set, not an offset
    assert choose(None, None, mtime, camera_clock_offset_seconds=1e12).source == "mtime"
    assert choose(None, None, mtime, camera_clock_offset_seconds=float("nan")).source == "mtime"


def test_the_migration_gives_a_recording_without_a_source_one(org):
    """Ingest always recorded one; a row without (none is expected) gets 文件名 when its name
    parses as GA/T 947, else 文件修改时间; rows with a source keep it."""
    from importlib import import_module

    from django.apps import apps

    from tests.rows import make

    migration = import_module("avrecords.recordings.migrations.0010_recording_time_sources")
    named, plain, kept = make(org, GAT947), make(org, "现场检查.mp4"), make(org, "元数据.mp4")
    Recording.objects.filter(pk__in=[named.pk, plain.pk]).update(time_source="")
    Recording.objects.filter(pk=kept.pk).update(time_source="container")
    migration.fill_missing_sources(apps, None)
    sources = dict(Recording.objects.values_list("original_name", "time_source"))
    assert sources == {GAT947: "filename", "现场检查.mp4": "mtime", "元数据.mp4": "container"}
