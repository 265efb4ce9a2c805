"""M4/X1: playing recordings in the browser — range requests, proxies, one audit entry per playback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from avrecords.audit.models import AuditEntry
from avrecords.jobs import services as jobs
from avrecords.recordings.models import Recording
from tests import media as m
from tests.conftest import client_for
from tests.media import make_dump
from tests.rows import grant


@pytest.fixture
def recs(org, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.HEVC, m.PHOTO, m.AMR])
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    ids = {Path(f["path"]).name: f["recording_id"] for f in json.loads(out.getvalue())["files"]}
    return {name: Recording.objects.get(pk=pk) for name, pk in ids.items()}


def _plays(rec) -> int:
    return AuditEntry.objects.filter(action="recording.play", object_id=str(rec.pk)).count()


def test_a_range_request_returns_exactly_those_bytes(recs, org, library):
    rec = recs[m.H264]
    data = (library / m.H264).read_bytes()
    resp = client_for(org.officer).get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=100-1099")
    assert resp.status_code == 206
    assert resp["Content-Range"] == f"bytes 100-1099/{len(data)}"
    assert resp["Content-Length"] == "1000"
    assert b"".join(resp.streaming_content) == data[100:1100]


def test_open_ended_and_suffix_ranges_work(recs, org, library):
    rec = recs[m.H264]
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    tail = client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE=f"bytes={len(data) - 10}-")
    assert b"".join(tail.streaming_content) == data[-10:]
    suffix = client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=-500")
    assert suffix.status_code == 206 and b"".join(suffix.streaming_content) == data[-500:]


def test_a_request_without_range_gets_the_whole_file_and_learns_ranges_are_supported(
    recs, org, library
):
    rec = recs[m.H264]
    resp = client_for(org.officer).get(f"/recordings/{rec.pk}/media")
    assert resp.status_code == 200 and resp["Accept-Ranges"] == "bytes"
    assert resp["Content-Type"] == "video/mp4"
    assert b"".join(resp.streaming_content) == (library / m.H264).read_bytes()


def test_an_unsatisfiable_range_is_refused_with_416(recs, org):
    rec = recs[m.H264]
    resp = client_for(org.officer).get(
        f"/recordings/{rec.pk}/media", HTTP_RANGE=f"bytes={rec.size_bytes}-"
    )
    assert resp.status_code == 416 and resp["Content-Range"] == f"bytes */{rec.size_bytes}"


def test_a_playback_is_audited_once_not_once_per_seek(recs, org):
    rec = recs[m.H264]
    client = client_for(org.officer)
    client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=0-")
    client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=5000-")
    client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=9000-")
    assert _plays(rec) == 1
    entry = AuditEntry.objects.get(action="recording.play", object_id=str(rec.pk))
    assert entry.actor == org.officer


def test_h265_plays_through_its_h264_proxy_once_made(recs, org, settings):
    rec = recs[m.HEVC]
    client = client_for(org.officer)
    pending = client.get(f"/recordings/{rec.pk}/media")
    assert pending.status_code == 409 and "正在生成" in pending.json()["detail"]
    page = client.get(f"/recordings/{rec.pk}/").content.decode()
    assert "正在后台生成" in page
    jobs.run_pending()
    resp = client.get(f"/recordings/{rec.pk}/media", HTTP_RANGE="bytes=0-")
    proxy = rec.derivatives.get(kind="proxy")
    body = b"".join(resp.streaming_content)
    assert resp.status_code == 206 and resp["Content-Type"] == "video/mp4"
    assert body == (Path(settings.AVRECORDS_DERIVED_PATH) / proxy.relative_path).read_bytes()
    assert body != (Path(settings.AVRECORDS_STORE_PATH) / rec.storage_key).read_bytes()[: len(body)]
    assert "<video" in client.get(f"/recordings/{rec.pk}/").content.decode()


def test_amr_audio_plays_through_an_aac_proxy(recs, org):
    rec = recs[m.AMR]
    jobs.run_pending()
    resp = client_for(org.officer).get(f"/recordings/{rec.pk}/media")
    assert resp.status_code == 200 and resp["Content-Type"] == "audio/mp4"
    assert "<audio" in client_for(org.officer).get(f"/recordings/{rec.pk}/").content.decode()


def test_photos_display_and_have_thumbnails(recs, org, library):
    rec = recs[m.PHOTO]
    client = client_for(org.officer)
    assert (
        b"".join(client.get(f"/recordings/{rec.pk}/media").streaming_content)
        == (library / m.PHOTO).read_bytes()
    )
    assert client.get(f"/recordings/{rec.pk}/thumbnail").status_code == 404
    jobs.run_pending()
    thumb = client.get(f"/recordings/{rec.pk}/thumbnail")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"


def test_downloading_the_original_gives_its_exact_bytes_and_is_audited(recs, org, library):
    rec = recs[m.HEVC]
    grant(org.admin, rec)  # M3: a download always needs a live copy grant
    resp = client_for(org.admin).get(f"/recordings/{rec.pk}/original")
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    assert b"".join(resp.streaming_content) == (library / m.HEVC).read_bytes()
    assert (
        AuditEntry.objects.filter(
            action="recording.download", object_id=str(rec.pk), actor=org.admin
        ).count()
        == 1
    )


def test_the_api_streams_the_same_media(recs, org, library):
    rec = recs[m.H264]
    resp = client_for(org.officer).get(
        f"/api/v1/recordings/{rec.pk}/media", HTTP_RANGE="bytes=0-99"
    )
    assert resp.status_code == 206
    assert b"".join(resp.streaming_content) == (library / m.H264).read_bytes()[:100]
