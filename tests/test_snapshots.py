"""截取画面 (issue 17 §5): a frame saved as a derived JPEG, never touching the original; taken and
downloaded under the playback rule, audited, each download registered like a thumbnail."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from avrecords.access.models import RegisterEntry
from avrecords.audit.models import AuditEntry
from avrecords.lib.storage import get_store
from avrecords.recordings.models import Derivative, Recording
from tests import media as m
from tests.conftest import client_for
from tests.media import make_dump
from tests.rows import grant


@pytest.fixture
def rec(org, library, tmp_path) -> Recording:
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264])
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    (file,) = json.loads(out.getvalue())["files"]
    return Recording.objects.get(pk=file["recording_id"])


def _original_sha256(rec) -> str:
    with get_store().open(rec.storage_key, version=rec.storage_version) as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def test_a_snapshot_is_a_jpeg_of_the_recordings_size_and_the_original_is_untouched(org, rec):
    officer = client_for(org.officer)
    for at in ("1.2", "2.5"):
        assert officer.post(f"/recordings/{rec.pk}/snapshots", {"at": at}).status_code == 302
    shots = list(Derivative.objects.filter(recording=rec, kind=Derivative.Kind.SNAPSHOT))
    assert len(shots) == 2  # several per recording
    shot = shots[0]
    path = Path(settings.AVRECORDS_DERIVED_PATH) / shot.relative_path
    with Image.open(path) as img:
        assert img.format == "JPEG" and img.size == (rec.width, rec.height)
    assert shot.made_by == org.officer and shot.at_seconds == pytest.approx(1.2)
    assert _original_sha256(rec) == rec.sha256
    entry = AuditEntry.objects.filter(action="recording.snapshot").first()
    assert entry.actor == org.officer and "截取画面" in entry.summary
    page = officer.get(f"/recordings/{rec.pk}/").content.decode()
    assert "00:00:01" in page and "张伟" in page and f"/snapshots/{shot.pk}" in page


def test_a_snapshot_from_the_player_answers_the_snapshot_list(org, rec):
    resp = client_for(org.officer).post(
        f"/recordings/{rec.pk}/snapshots", {"at": "0.5"}, HTTP_HX_REQUEST="true"
    )
    body = resp.content.decode()
    assert resp.status_code == 200 and 'id="snapshots"' in body and "下载" in body


def test_one_who_may_not_play_can_neither_take_nor_download_a_snapshot(org, rec):
    client_for(org.officer).post(f"/recordings/{rec.pk}/snapshots", {"at": "1"})
    shot = Derivative.objects.get(kind=Derivative.Kind.SNAPSHOT)
    admin = client_for(org.admin)  # in scope, no grant
    assert admin.post(f"/recordings/{rec.pk}/snapshots", {"at": "1"}).status_code == 403
    assert admin.get(f"/recordings/{rec.pk}/snapshots/{shot.pk}").status_code == 403
    outsider = client_for(org.other_officer)
    assert outsider.get(f"/recordings/{rec.pk}/snapshots/{shot.pk}").status_code == 404
    assert Derivative.objects.filter(kind=Derivative.Kind.SNAPSHOT).count() == 1
    assert not AuditEntry.objects.filter(action="recording.snapshot_download").exists()


def test_each_download_is_audited_and_registered_under_the_grant(org, rec):
    client_for(org.officer).post(f"/recordings/{rec.pk}/snapshots", {"at": "1"})
    shot = Derivative.objects.get(kind=Derivative.Kind.SNAPSHOT)
    request = grant(org.admin, rec, kind="view")
    resp = client_for(org.admin).get(f"/recordings/{rec.pk}/snapshots/{shot.pk}")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert b"".join(resp.streaming_content)[:2] == b"\xff\xd8"
    assert "attachment" in resp["Content-Disposition"]
    entry = AuditEntry.objects.get(action="recording.snapshot_download")
    assert entry.actor == org.admin
    row = RegisterEntry.objects.get(act="下载截图")
    assert row.request_id == request.pk and row.actor == org.admin


@pytest.mark.parametrize("at", ["", "abc", "-2", "999"])
def test_a_time_outside_the_recording_is_refused_and_nothing_is_made(org, rec, at):
    resp = client_for(org.officer).post(f"/recordings/{rec.pk}/snapshots", {"at": at})
    assert resp.status_code == 400 and "时间点应在" in resp.content.decode()
    assert not Derivative.objects.filter(kind=Derivative.Kind.SNAPSHOT).exists()
    assert not AuditEntry.objects.filter(action="recording.snapshot").exists()
