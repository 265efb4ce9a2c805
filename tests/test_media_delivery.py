"""X1, M3, M8: no bytes of a recording leave unrecorded (issue 15, rows 3 and 4).

Every response that delivers a recording's bytes — the playback copy, the original, its
thumbnail — is written once to the audit trail and, under a grant, once to the 查阅登记簿 /
复制登记簿; a Range header naming anything but one satisfiable range of bytes gets 416 and
delivers nothing. A thumbnail goes only to those who may play the recording; anyone else in
scope gets a neutral placeholder picture, and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from PIL import Image

from avrecords.access.models import RegisterEntry
from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings import services
from avrecords.recordings.models import Derivative
from avrecords.recordings.views_media import PLACEHOLDER_SVG
from tests.conftest import client_for
from tests.rows import grant, make_stored
from tests.test_evidence_export import _approved, _build

SIZE = 10_000
DATA = bytes(range(256)) * (SIZE // 256) + bytes(SIZE % 256)
HUGE = "99999999999999999999999"


@pytest.fixture
def rec(org):
    """张伟's recording of SIZE known bytes, really in the store."""
    return make_stored(org, "3501001_350211_20261120093000_0001.MP4", DATA, officer=org.officer)


def _audits(rec, action: str, user=None) -> int:
    entries = AuditEntry.objects.filter(action=action, object_id=str(rec.pk))
    return entries.filter(actor=user).count() if user else entries.count()


def _registered(rec, user, register: str = "view") -> list[str]:
    return list(
        RegisterEntry.objects.filter(recording=rec, actor=user, register=register).values_list(
            "act", flat=True
        )
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# (Range header, status, the slice of the file delivered); None delivers nothing (416).
RANGE_FORMS = [
    pytest.param(None, 200, slice(None), id="no-range"),
    pytest.param("bytes=0-", 206, slice(None), id="player-start"),
    pytest.param("bytes=0-1", 206, slice(0, 2), id="player-probe"),
    pytest.param("bytes=100-1099", 206, slice(100, 1100), id="single-range"),
    pytest.param("bytes=1-", 206, slice(1, None), id="open-ended-from-the-second-byte"),
    pytest.param(f"bytes={SIZE - 10}-", 206, slice(SIZE - 10, None), id="open-ended-tail"),
    pytest.param("bytes=-500", 206, slice(SIZE - 500, None), id="suffix"),
    pytest.param("bytes= 0-", 206, slice(None), id="whitespace-after-equals"),
    pytest.param(" bytes = 100 - 199 ", 206, slice(100, 200), id="whitespace-everywhere"),
    pytest.param("BYTES=0-9", 206, slice(0, 10), id="unit-in-capitals"),
    pytest.param(f"bytes=0-{HUGE}", 206, slice(None), id="huge-end"),
    pytest.param(f"bytes=-{HUGE}", 206, slice(None), id="huge-suffix"),
    pytest.param("bytes=0-1,5-9", 416, None, id="multi-range"),
    pytest.param("bytes=0-,0-", 416, None, id="multi-range-whole-twice"),
    pytest.param("items=0-", 416, None, id="other-unit"),
    pytest.param("bytes=", 416, None, id="empty-range-set"),
    pytest.param("bytes=-", 416, None, id="dash-only"),
    pytest.param("bytes=abc-", 416, None, id="not-a-number"),
    pytest.param(f"bytes={HUGE}-", 416, None, id="huge-start"),
    pytest.param(f"bytes={'9' * 5000}-", 416, None, id="five-thousand-digits"),
    pytest.param(f"bytes={SIZE}-", 416, None, id="start-at-the-size"),
    pytest.param(f"bytes={SIZE + 5}-{SIZE + 10}", 416, None, id="start-beyond-the-size"),
    pytest.param("bytes=900-100", 416, None, id="reversed"),
    pytest.param("bytes=-0", 416, None, id="empty-suffix"),
]


def _get(client, url: str, range_header: str | None):
    return client.get(url, **({"HTTP_RANGE": range_header} if range_header is not None else {}))


@pytest.mark.parametrize(("header", "status", "delivered"), RANGE_FORMS)
@pytest.mark.parametrize("prefix", ["", "/api/v1"], ids=["page", "api"])
def test_each_range_form_is_answered_once_and_every_delivery_is_recorded_once(
    org, rec, prefix, header, status, delivered
):
    """A grant holder plays: each answer delivers exactly what its status says, and a delivery
    writes exactly one 播放 to the audit trail and to the 查阅登记簿; a 416 writes neither."""
    grant(org.admin, rec, kind="view")
    response = _get(client_for(org.admin), f"{prefix}/recordings/{rec.pk}/media", header)
    body = _body(response)
    assert response.status_code == status
    if delivered is None:
        assert response["Content-Range"] == f"bytes */{SIZE}"
        # No byte of the recording: an empty page answer, the API's Chinese JSON error.
        assert body == b"" if not prefix else "detail" in json.loads(body)
        assert _audits(rec, "recording.play") == 0 and _registered(rec, org.admin) == []
    else:
        start, stop, _ = delivered.indices(SIZE)
        assert body == DATA[delivered] and response["Content-Length"] == str(stop - start)
        if status == 206:
            assert response["Content-Range"] == f"bytes {start}-{stop - 1}/{SIZE}"
        assert _audits(rec, "recording.play", org.admin) == 1
        assert _registered(rec, org.admin) == ["播放"]


@pytest.mark.parametrize(("header", "status", "delivered"), RANGE_FORMS)
def test_each_range_form_of_an_original_download_is_recorded_once_as_a_copy(
    org, rec, settings, header, status, delivered
):
    settings.AVRECORDS_S3_URL_SECONDS = 0  # a local store streams downloads in any case
    grant(org.leader, rec, kind="copy")
    response = _get(client_for(org.leader), f"/recordings/{rec.pk}/original", header)
    assert response.status_code == status
    if delivered is None:
        assert _body(response) == b""
        assert _audits(rec, "recording.download") == 0
        assert _registered(rec, org.leader, "copy") == []
    else:
        assert _body(response) == DATA[delivered]
        assert _audits(rec, "recording.download", org.leader) == 1
        assert _registered(rec, org.leader, "copy") == ["下载原始文件"]


def test_seeks_after_a_recorded_start_are_part_of_that_playback(org, rec):
    grant(org.admin, rec, kind="view")
    client = client_for(org.admin)
    for header in ("bytes=0-1", f"bytes=0-{SIZE - 1}", "bytes=5000-", "bytes=9000-9999"):
        assert _get(client, f"/recordings/{rec.pk}/media", header).status_code == 206
    assert _audits(rec, "recording.play") == 1 and _registered(rec, org.admin) == ["播放"]


def test_a_seek_with_no_recorded_playback_is_itself_recorded(org, rec):
    """bytes=1- takes all but one byte: without a recorded start it is a playback itself."""
    client = client_for(org.officer)
    assert _body(_get(client, f"/recordings/{rec.pk}/media", "bytes=1-")) == DATA[1:]
    assert _get(client, f"/recordings/{rec.pk}/media", "bytes=2-").status_code == 206
    assert _audits(rec, "recording.play", org.officer) == 1


def test_a_seek_long_after_the_last_recorded_playback_is_recorded_again(org, rec, monkeypatch):
    client = client_for(org.officer)
    _get(client, f"/recordings/{rec.pk}/media", "bytes=0-")
    later = timezone.now() + dt.timedelta(
        seconds=rec.duration_seconds + services.PLAYBACK_PAUSE_SECONDS + 60
    )
    # Only the playback rule's clock moves on: the session's own expiry (30 idle minutes)
    # would otherwise end the sign-in before the seek.
    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: later))
    _get(client, f"/recordings/{rec.pk}/media", "bytes=5000-")
    assert _audits(rec, "recording.play", org.officer) == 2


def test_every_whole_file_delivery_and_every_player_start_is_recorded(org, rec):
    client = client_for(org.officer)
    for header in (None, "bytes=0-", None):
        _get(client, f"/recordings/{rec.pk}/media", header)
    assert _audits(rec, "recording.play", org.officer) == 3


def test_a_refused_range_touches_nothing_and_records_nothing_for_the_api_either(org, rec):
    response = _get(client_for(org.officer), f"/api/v1/recordings/{rec.pk}/media", "items=0-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{SIZE}"
    recorded = AuditEntry.objects.filter(object_type="recordings.recording", actor=org.officer)
    assert not recorded.exists()


# --- thumbnails -------------------------------------------------------------------------


@pytest.fixture
def thumb(rec, settings) -> bytes:
    """A real JPEG thumbnail of `rec`, where the media job puts it."""
    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), (200, 30, 30)).save(buffer, "JPEG")
    data = buffer.getvalue()
    relative = f"{rec.pk // 1000:04d}/{rec.pk}/thumbnail.jpg"
    path = Path(settings.AVRECORDS_DERIVED_PATH) / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    Derivative.objects.create(
        recording=rec,
        kind=Derivative.Kind.THUMBNAIL,
        relative_path=relative,
        mime_type="image/jpeg",
        size_bytes=len(data),
    )
    return data


def test_the_officer_who_made_it_sees_the_real_thumbnail_once_audited(org, rec, thumb):
    response = client_for(org.officer).get(f"/recordings/{rec.pk}/thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert _body(response) == thumb
    assert _audits(rec, "recording.thumbnail", org.officer) == 1
    assert RegisterEntry.objects.count() == 0  # his own recording: no grant, no register


@pytest.mark.parametrize("who", ["admin", "leader", "bureau_admin", "sysadmin"])
def test_a_unit_role_without_a_grant_gets_a_placeholder_and_nothing_is_recorded(
    org, rec, thumb, who
):
    user = getattr(org, who)
    response = client_for(user).get(f"/recordings/{rec.pk}/thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    body = _body(response)
    assert body == PLACEHOLDER_SVG and thumb not in body and b"<svg" in body
    assert "no-store" in response["Cache-Control"]
    assert _audits(rec, "recording.thumbnail") == 0 and RegisterEntry.objects.count() == 0


def test_the_placeholder_does_not_tell_whether_a_thumbnail_exists(org, rec):
    response = client_for(org.admin).get(f"/recordings/{rec.pk}/thumbnail")
    assert response.status_code == 200 and _body(response) == PLACEHOLDER_SVG


@pytest.mark.parametrize("kind", ["view", "copy"])
def test_a_grant_holder_gets_the_real_thumbnail_audited_and_registered(org, rec, thumb, kind):
    grant(org.admin, rec, kind=kind)
    client = client_for(org.admin)
    for _ in range(2):
        response = client.get(f"/recordings/{rec.pk}/thumbnail")
        assert response.status_code == 200 and _body(response) == thumb
    assert _audits(rec, "recording.thumbnail", org.admin) == 2
    assert _registered(rec, org.admin) == ["查看缩略图", "查看缩略图"]


def test_an_expired_grant_gives_the_placeholder_again(org, rec, thumb):
    request = grant(org.admin, rec, kind="view")
    request.valid_until = timezone.now() - dt.timedelta(minutes=1)
    request.save(update_fields=["valid_until"])
    response = client_for(org.admin).get(f"/recordings/{rec.pk}/thumbnail")
    assert _body(response) == PLACEHOLDER_SVG and _audits(rec, "recording.thumbnail") == 0


@pytest.mark.parametrize("who", ["officer2", "other_officer", "other_admin", "head2"])
def test_a_thumbnail_out_of_scope_does_not_exist(org, rec, thumb, who):
    response = client_for(getattr(org, who)).get(f"/recordings/{rec.pk}/thumbnail")
    assert response.status_code == 404
    assert _audits(rec, "recording.thumbnail") == 0


def test_a_thumbnail_still_being_made_is_404_to_those_who_may_see_it(org, rec):
    assert client_for(org.officer).get(f"/recordings/{rec.pk}/thumbnail").status_code == 404
    assert _audits(rec, "recording.thumbnail") == 0


def test_the_list_still_shows_a_picture_for_every_recording(org, rec, thumb):
    page = client_for(org.admin).get("/recordings/").content.decode()
    assert f"/recordings/{rec.pk}/thumbnail" in page


# --- evidence packages ------------------------------------------------------------------


@pytest.fixture
def export_ready(org, settings, tmp_path):
    """An export of two of 张伟's recordings by the leader, approved by 陈刚 under fuzhou."""
    settings.AVRECORDS_EXPORT_PATH = tmp_path / "exports"
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    head = User(username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1)
    head.save()
    recs = [
        make_stored(org, "3501001_350211_20261120100000_0001.MP4", officer=org.officer),
        make_stored(org, "3501001_350211_20261120101000_0002.MP4", officer=org.officer),
    ]
    return _approved(org, head, org.leader, "export", recs, place="执法一中队办公室")


def test_a_range_header_on_an_evidence_package_still_delivers_it_whole_and_once(org, export_ready):
    """Packages are not ranged: whatever the Range header, the one download is the whole
    file, audited and registered once (M7)."""
    package = _build(export_ready)
    whole = Path(package.directory) / f"{package.number}.zip"
    size = whole.stat().st_size
    response = client_for(org.leader).get(
        f"/evidence/{package.pk}/download/bag", HTTP_RANGE="bytes=0-1,5-9"
    )
    assert response.status_code == 200 and len(_body(response)) == size
    assert AuditEntry.objects.filter(action="evidence.download", actor=org.leader).count() == 1
    assert RegisterEntry.objects.filter(actor=org.leader, register="copy").count() == 1
