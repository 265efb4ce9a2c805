"""M1/M2/X4: importing a whole camera dump — every outcome a station operator sees."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from pathlib import Path

import pytest
from django.core.management import call_command

from avrecords.audit.models import AuditEntry
from avrecords.jobs import services as jobs
from avrecords.recordings.models import (
    IngestBatch,
    QuarantinedFile,
    Recording,
    RecordingSource,
    RecordingStatus,
)
from tests import media as m
from tests.conftest import client_for
from tests.media import make_dump


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_ingest(dump: Path, *args: str) -> dict:
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def imported(org, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA")
    before = _tree_hashes(dump)
    report = run_ingest(dump)
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    return dump, before, report, by_name


def test_it_reports_every_file_with_its_outcome(imported):
    _, _, report, by_name = imported
    assert report["counts"] == {
        "imported": 13,
        "duplicate": 1,
        "quarantined": 2,
        "skipped": 5,
        "failed": 0,
    }
    for name in [
        m.H264,
        m.HEVC,
        m.MOV,
        m.TS,
        m.PHOTO,
        m.PNG,
        m.WAV,
        m.MP3,
        m.AAC,
        m.AMR,
        m.CHINESE,
    ]:
        assert by_name[name]["outcome"] == "imported", by_name[name]
        assert len(by_name[name]["sha256"]) == 64
        assert by_name[name]["recording_id"]
    assert by_name[m.DUPLICATE]["outcome"] == "duplicate"
    assert by_name[m.DUPLICATE]["recording_id"] == by_name[m.H264]["recording_id"]
    assert by_name[m.ZERO]["outcome"] == "quarantined" and "空文件" in by_name[m.ZERO]["reason"]
    assert by_name[m.TRUNCATED]["outcome"] == "quarantined"
    assert (
        by_name[m.UNSUPPORTED]["outcome"] == "skipped"
        and "不支持" in by_name[m.UNSUPPORTED]["reason"]
    )
    for junk in m.JUNK:
        assert by_name[junk]["outcome"] == "skipped" and by_name[junk]["reason"]


def test_it_stores_the_exact_bytes_read_only_under_their_hash(imported, isolated_store, library):
    _, _, _, by_name = imported
    rec = Recording.objects.get(pk=by_name[m.H264]["recording_id"])
    stored = isolated_store / rec.storage_key
    assert stored.read_bytes() == (library / m.H264).read_bytes()
    assert rec.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_it_never_touches_the_device_copy(imported):
    dump, before, _, _ = imported
    assert _tree_hashes(dump) == before


def test_it_binds_recordings_to_device_and_custodian(imported, org):
    _, _, _, by_name = imported
    rec = Recording.objects.get(pk=by_name[m.H264]["recording_id"])
    assert rec.device == org.camera and rec.officer == org.officer and rec.unit == org.squad1
    assert rec.time_source == "filename"
    assert rec.started_at.isoformat() == "2026-11-20T01:30:00+00:00"  # 09:30 Beijing time
    assert rec.duration_seconds == pytest.approx(3.0, abs=0.2)
    assert (rec.ended_at - rec.started_at).total_seconds() == pytest.approx(rec.duration_seconds)
    assert not rec.needs_assignment


def test_it_marks_unknown_devices_for_assignment(imported):
    _, _, _, by_name = imported
    rec = Recording.objects.get(pk=by_name[m.UNKNOWN_DEVICE]["recording_id"])
    assert rec.needs_assignment and rec.device is None and rec.officer is None
    assert "3509999" in rec.assignment_note and "359999" in rec.assignment_note


def test_it_falls_back_to_container_creation_time(imported):
    _, _, _, by_name = imported
    rec = Recording.objects.get(pk=by_name[m.CHINESE]["recording_id"])
    assert rec.original_name == m.CHINESE
    assert rec.time_source == "container"
    assert rec.started_at.isoformat() == "2026-11-20T02:00:00+00:00"


def test_it_records_codecs_and_playability(imported):
    _, _, _, by_name = imported
    h264 = Recording.objects.get(pk=by_name[m.H264]["recording_id"])
    hevc = Recording.objects.get(pk=by_name[m.HEVC]["recording_id"])
    amr = Recording.objects.get(pk=by_name[m.AMR]["recording_id"])
    photo = Recording.objects.get(pk=by_name[m.PHOTO]["recording_id"])
    assert (h264.video_codec, h264.audio_codec, h264.width, h264.height) == (
        "h264",
        "aac",
        320,
        240,
    )
    assert not h264.needs_proxy and h264.status == RecordingStatus.READY
    assert (
        hevc.video_codec == "hevc"
        and hevc.needs_proxy
        and hevc.status == RecordingStatus.PROCESSING
    )
    assert amr.media_kind == "audio" and amr.needs_proxy
    assert photo.media_kind == "photo" and photo.width == 640


def test_it_keeps_one_original_and_every_occurrence(imported):
    _, _, _, by_name = imported
    rec = Recording.objects.get(pk=by_name[m.H264]["recording_id"])
    names = sorted(
        RecordingSource.objects.filter(recording=rec).values_list("original_name", flat=True)
    )
    assert names == sorted([m.H264, m.DUPLICATE])
    assert Recording.objects.filter(sha256=rec.sha256).count() == 1


def test_it_keeps_quarantined_bytes_with_hash_and_error(imported, isolated_store, library):
    _, _, _, by_name = imported
    q = QuarantinedFile.objects.get(original_name=m.TRUNCATED)
    assert (isolated_store / q.storage_key).read_bytes() == (library / m.TRUNCATED).read_bytes()
    assert q.sha256 == by_name[m.TRUNCATED]["sha256"] and q.error
    assert not Recording.objects.filter(sha256=q.sha256).exists()
    zero = QuarantinedFile.objects.get(original_name=m.ZERO)
    assert zero.size_bytes == 0 and zero.sha256 == hashlib.sha256(b"").hexdigest()


def test_it_shows_the_batch_and_quarantine_on_the_web(imported, org):
    _, _, report, _ = imported
    client = client_for(org.admin)
    page = client.get(f"/ingest/{report['batch_id']}/").content.decode()
    assert m.CHINESE in page and "已隔离" in page and "重复" in page and "系统文件" in page
    batch = IngestBatch.objects.get(pk=report["batch_id"])
    assert (batch.imported, batch.duplicates, batch.quarantined, batch.skipped) == (13, 1, 2, 5)
    assert batch.station == org.station and batch.state == "done"
    quarantine = client.get("/quarantine/").content.decode()
    assert m.TRUNCATED in quarantine and "空文件" in quarantine


def test_a_second_import_of_the_same_dump_stores_nothing_new(imported, org, isolated_store):
    dump, _, _, _ = imported
    objects_before = sorted(
        p.name for p in (isolated_store / "originals").rglob("*") if p.is_file()
    )
    report = run_ingest(dump)
    assert report["counts"]["imported"] == 0
    assert report["counts"]["duplicate"] == 14
    objects_after = sorted(p.name for p in (isolated_store / "originals").rglob("*") if p.is_file())
    assert objects_after == objects_before


def test_it_audits_each_import(imported):
    _, _, report, by_name = imported
    rec_id = str(by_name[m.H264]["recording_id"])
    actions = list(
        AuditEntry.objects.filter(object_id=rec_id, object_type="recordings.recording").values_list(
            "action", flat=True
        )
    )
    assert actions == ["recording.ingest", "recording.duplicate"]
    assert AuditEntry.objects.filter(action="quarantine.create").count() == 2


def test_media_jobs_make_thumbnails_and_proxies(imported, settings):
    _, _, _, by_name = imported
    assert jobs.run_pending() >= 10
    hevc = Recording.objects.get(pk=by_name[m.HEVC]["recording_id"])
    assert hevc.status == RecordingStatus.READY
    proxy = hevc.derivatives.get(kind="proxy")
    import av

    with av.open(str(Path(settings.AVRECORDS_DERIVED_PATH) / proxy.relative_path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.duration / 1e6 == pytest.approx(3.0, abs=0.3)
    assert (
        Recording.objects.get(pk=by_name[m.AMR]["recording_id"])
        .derivatives.filter(kind="proxy")
        .exists()
    )
    assert (
        Recording.objects.get(pk=by_name[m.PHOTO]["recording_id"])
        .derivatives.filter(kind="thumbnail")
        .exists()
    )


def test_erase_after_verify_removes_only_verified_files(org, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.TRUNCATED, m.UNSUPPORTED])
    report = run_ingest(dump, "--erase-after-verify")
    left = sorted(p.name for p in (dump / "DCIM" / "100MEDIA").iterdir())
    assert left == [m.UNSUPPORTED]  # stored (imported or quarantined) files go, skipped stay
    assert all("已复核" in f["reason"] for f in report["files"] if f["outcome"] != "skipped")


def test_erase_is_refused_if_the_stored_copy_does_not_rehash(org, library, tmp_path, monkeypatch):
    from avrecords.lib.storage.local import LocalStore

    monkeypatch.setattr(LocalStore, "verify", lambda self, key, sha, version="": False)
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264])
    report = run_ingest(dump, "--erase-after-verify")
    assert (dump / "DCIM" / "100MEDIA" / m.H264).exists()
    assert "设备文件保留" in report["files"][0]["reason"]


def test_it_refuses_a_missing_path(org, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="路径不存在") as exc:
        call_command("ingest", str(tmp_path / "nope"), "--station", "一中队采集站")
    assert exc.value.returncode == 2


def test_it_refuses_an_unknown_station(org, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未登记的采集站") as exc:
        call_command("ingest", str(tmp_path), "--station", "不存在的站")
    assert exc.value.returncode == 2
    assert not IngestBatch.objects.exists()


def test_a_file_vanishing_mid_copy_leaves_no_record(
    org, library, tmp_path, monkeypatch, isolated_store
):
    from avrecords.lib import hashing

    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.MOV])
    real_copy = hashing.copy_hashing
    victim = dump / "DCIM" / "100MEDIA" / m.H264

    def unplug_midway(src, write, hasher, **kw):
        if src.name == str(victim):
            write(src.read(1000))
            raise OSError(5, "Input/output error")  # what a yanked USB cable gives
        return real_copy(src, write, hasher, **kw)

    monkeypatch.setattr("avrecords.lib.storage.local.copy_hashing", unplug_midway)
    from django.core.management.base import CommandError

    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    assert exc.value.returncode == 1
    report = json.loads(out.getvalue())
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name[m.H264]["outcome"] == "failed" and "读取" in by_name[m.H264]["reason"]
    assert by_name[m.MOV]["outcome"] == "imported"
    assert Recording.objects.count() == 1
    assert list((isolated_store / "tmp").iterdir()) == []
    assert victim.exists()


def test_a_full_disk_aborts_cleanly(org, library, tmp_path, monkeypatch, isolated_store):
    import errno

    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.MOV, m.TS])
    real_write = os.write
    calls = {"n": 0}

    def write_until_full(fd, data):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr("avrecords.lib.storage.local.os.write", write_until_full)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="存储空间不足") as exc:
        call_command(
            "ingest", str(dump), "--station", "一中队采集站", "--json", stdout=io.StringIO()
        )
    assert exc.value.returncode == 3
    assert Recording.objects.count() == 1  # the first file went in whole; nothing partial after it
    rec = Recording.objects.get()
    assert (isolated_store / rec.storage_key).stat().st_size == rec.size_bytes
    assert list((isolated_store / "tmp").iterdir()) == []
    batch = IngestBatch.objects.get()
    assert batch.state == "failed" and "存储空间不足" in batch.error
