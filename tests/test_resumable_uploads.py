"""Resumable uploads over tus 1.0.0 at /api/v1/uploads/ (issue 19 §3; M1, M2, X4): what a
station, a field terminal or the browser sees, in-process with real part files and a real store.

The cut connection against a real `avrecords serve` is tests/test_resumable_server.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from avrecords.agency import api_tokens
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Station
from avrecords.recordings import resumable
from avrecords.recordings.ingest import Ingestor
from avrecords.recordings.models import IngestBatch, Recording, ResumableUpload
from avrecords.recordings.resumable_metadata import encode
from avrecords.stations import services as stations
from tests import media as m
from tests.conftest import PASSWORD, client_for

URL = "/api/v1/uploads/"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture(autouse=True)
def part_files(settings, tmp_path) -> Path:
    """Each test's own temporary directory, so the part files can be looked at."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    return tmp_path / "upload-tmp" / "resumable"


def create(client: Client, data: bytes, name: str = m.H264, **metadata) -> str:
    """POST a new upload of `data`; its URL (path only)."""
    response = client.generic(
        "POST",
        URL,
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": encode({"filename": name, **metadata}),
        },
    )
    assert response.status_code == 201, response.content
    location = response["Location"]
    assert location.startswith("http://testserver/api/v1/uploads/")
    return location.removeprefix("http://testserver")


def patch(client: Client, url: str, offset: int, part: bytes, checksum: bytes | None = None):
    headers = {**TUS, "Upload-Offset": str(offset)}
    if checksum is not None:
        headers["Upload-Checksum"] = "sha256 " + base64.b64encode(checksum).decode()
    return client.generic("PATCH", url, part, content_type=OCTETS, headers=headers)


def head(client: Client, url: str):
    return client.head(url, headers=TUS)


def send_all(client: Client, url: str, data: bytes, part_bytes: int):
    response = None
    for offset in range(0, len(data), part_bytes):
        part = data[offset : offset + part_bytes]
        response = patch(client, url, offset, part, hashlib.sha256(part).digest())
        assert response.status_code == 204, response.content
    return response


def result(client: Client, url: str) -> dict:
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.json()


# --- the protocol ---------------------------------------------------------------------------


def test_it_says_what_it_speaks_to_options(org):
    response = client_for(None).options(URL)
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,checksum,termination,expiration"
    assert response["Tus-Checksum-Algorithm"] == "sha256"
    assert int(response["Tus-Max-Size"]) > 0


def test_it_creates_an_upload_whose_head_says_nothing_has_arrived(org, library, part_files):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    response = head(client, url)
    assert response.status_code == 200
    assert (response["Upload-Offset"], response["Upload-Length"]) == ("0", str(len(data)))
    assert response["Cache-Control"] == "no-store"
    assert response["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in response
    upload = ResumableUpload.objects.get()
    assert (part_files / f"{upload.pk}.part").stat().st_size == 0
    entry = AuditEntry.objects.get(action="upload.create")
    assert entry.actor_id == org.officer.pk and m.H264 in entry.summary


def test_a_file_sent_in_parts_is_recorded_once_with_its_sha256(org, library, part_files):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data, relative_path=f"DCIM/100MEDIA/{m.H264}")
    last = send_all(client, url, data, len(data) // 3 + 1)
    sha = hashlib.sha256(data).hexdigest()
    assert last["Upload-Offset"] == str(len(data))
    assert (last["Avrecords-Outcome"], last["Avrecords-Sha256"]) == ("imported", sha)
    recording = Recording.objects.get()
    assert (recording.sha256, recording.size_bytes) == (sha, len(data))
    assert last["Avrecords-Recording"] == str(recording.pk)
    assert recording.officer == org.officer  # his own camera, his own upload
    assert recording.sources.get().relative_path == f"DCIM/100MEDIA/{m.H264}"
    assert result(client, url) == {
        "state": "done",
        "offset": len(data),
        "length": len(data),
        "outcome": "imported",
        "reason": None,
        "sha256": sha,
        "recording_id": recording.pk,
        "recording_url": f"/recordings/{recording.pk}/",
    }
    assert list(part_files.iterdir()) == []  # the original is in the store
    assert AuditEntry.objects.filter(action="upload.finish").count() == 1


def test_a_part_with_a_wrong_checksum_is_refused_460_and_nothing_of_it_kept(org, library):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    assert (
        patch(client, url, 0, data[:1000], hashlib.sha256(data[:1000]).digest()).status_code == 204
    )
    wrong = patch(client, url, 1000, data[1000:2000], hashlib.sha256(b"other").digest())
    assert wrong.status_code == 460
    assert "校验值不一致" in wrong.json()["detail"]
    assert wrong["Tus-Resumable"] == "1.0.0"
    assert head(client, url)["Upload-Offset"] == "1000"
    upload = ResumableUpload.objects.get()
    assert resumable.part_path(upload).stat().st_size == 1000


def test_a_part_checksum_of_another_algorithm_is_refused_400(org, library):
    client = client_for(org.officer)
    url = create(client, b"x" * 10, name="现场.mp4")
    response = client.generic(
        "PATCH",
        url,
        b"x" * 10,
        content_type=OCTETS,
        headers={**TUS, "Upload-Offset": "0", "Upload-Checksum": "sha1 " + "A" * 28},
    )
    assert response.status_code == 400
    assert "只支持 sha256" in response.json()["detail"]
    assert head(client, url)["Upload-Offset"] == "0"


def test_a_part_at_the_wrong_offset_is_refused_409(org, library):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    response = patch(client, url, 500, data[500:1000])
    assert response.status_code == 409
    assert "服务器已收到 0 字节" in response.json()["detail"]
    assert head(client, url)["Upload-Offset"] == "0"


def test_a_part_without_the_tus_body_type_is_refused_415(org, library):
    client = client_for(org.officer)
    url = create(client, b"x" * 10, name="现场.mp4")
    response = client.generic(
        "PATCH",
        url,
        b"x" * 10,
        content_type="application/octet-stream",
        headers={**TUS, "Upload-Offset": "0"},
    )
    assert response.status_code == 415
    assert "application/offset+octet-stream" in response.json()["detail"]


def test_a_request_without_the_tus_version_is_refused_412(org):
    response = client_for(org.officer).generic("POST", URL, headers={"Upload-Length": "10"})
    assert response.status_code == 412
    assert "Tus-Resumable" in response.json()["detail"]


@pytest.mark.parametrize("length", ["", "-1", "1e3", "１０"])
def test_a_missing_or_malformed_length_is_refused_400(org, length):
    response = client_for(org.officer).generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": length, "Upload-Metadata": encode({"filename": m.H264})},
    )
    assert response.status_code == 400
    assert "Upload-Length" in response.json()["detail"]


def test_a_file_over_the_limit_is_refused_413_before_anything_is_written(org, settings, part_files):
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 1000
    response = client_for(org.officer).generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "1001", "Upload-Metadata": encode({"filename": m.H264})},
    )
    assert response.status_code == 413
    assert "上传大小上限" in response.json()["detail"]
    assert not ResumableUpload.objects.exists()
    assert not part_files.exists() or list(part_files.iterdir()) == []


def test_a_part_past_the_declared_length_is_refused_413(org, library):
    client = client_for(org.officer)
    url = create(client, b"x" * 10, name="现场.mp4")
    response = patch(client, url, 0, b"x" * 11)
    assert response.status_code == 413
    assert head(client, url)["Upload-Offset"] == "0"


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (encode({"relative_path": "a.mp4"}), "缺少文件名"),
        ("filename 不是base64", "base64"),
        ("filename YQ== extra", "格式有误"),
        ("filename !!!!", "base64"),
        (encode({"filename": "../../etc/passwd.mp4"}), "文件名不合法"),
        (encode({"filename": "备注.docx"}), "不支持的文件类型"),
        (encode({"filename": "Thumbs.db"}), "系统文件"),
        (encode({"filename": m.H264, "sha256": "abc"}), "64 位十六进制"),
        (encode({"filename": m.H264, "mtime": "昨天"}), "ISO 8601"),
        (encode({"filename": m.H264, "camera_clock_offset": "nan"}), "秒数"),
        (encode({"filename": m.H264, "relative_path": "DCIM/../x.MP4"}), "相对路径"),
        (encode({"filename": m.H264}) + "," + encode({"filename": m.H264}), "重复"),
    ],
)
def test_bad_metadata_is_refused_400_in_chinese(org, header, words):
    response = client_for(org.officer).generic(
        "POST", URL, headers={**TUS, "Upload-Length": "10", "Upload-Metadata": header}
    )
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert not ResumableUpload.objects.exists()


def test_unknown_metadata_keys_such_as_tus_js_clients_filetype_are_ignored(org):
    url = create(client_for(org.officer), b"x" * 10, name="现场.mp4", filetype="video/mp4")
    assert url
    assert ResumableUpload.objects.get().metadata == {
        "filename": "现场.mp4",
        "relative_path": "现场.mp4",
    }


# --- who may -------------------------------------------------------------------------------


def test_someone_who_may_not_upload_is_refused_403(org):
    response = client_for(org.leader).generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": encode({"filename": m.H264})},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "无权上传文件"


def test_an_anonymous_request_is_refused_401(org):
    response = Client().generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": encode({"filename": m.H264})},
    )
    assert response.status_code == 401


def test_another_persons_upload_is_answered_as_missing(org, library):
    data = (library / m.H264).read_bytes()
    url = create(client_for(org.officer), data)
    for who in (org.officer2, org.admin, org.sysadmin):
        other = client_for(who)
        assert head(other, url).status_code == 404
        assert patch(other, url, 0, data[:100]).status_code == 404
        assert other.delete(url, headers=TUS).status_code == 404
        assert other.get(url, headers={"Accept": "application/json"}).status_code == 404
    assert head(client_for(org.officer), url)["Upload-Offset"] == "0"


def test_a_browser_session_must_send_its_csrf_token(org):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.officer)
    headers = {**TUS, "Upload-Length": "10", "Upload-Metadata": encode({"filename": "a.mp4"})}
    refused = browser.generic("POST", URL, headers=headers)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/upload/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert (
        browser.generic("POST", URL, headers={**headers, "X-CSRFToken": token}).status_code == 201
    )


def test_a_persons_token_and_http_basic_upload_without_csrf(org, library):
    data = (library / m.H264).read_bytes()
    secret = api_tokens.create(org.officer, "执法终端").secret
    with_token = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    send_all(with_token, create(with_token, data), data, len(data))
    basic = base64.b64encode(f"{org.admin.username}:{PASSWORD}".encode()).decode()
    with_basic = Client(HTTP_AUTHORIZATION=f"Basic {basic}")
    photo = (library / m.PHOTO).read_bytes()
    send_all(with_basic, create(with_basic, photo, name=m.PHOTO), photo, len(photo))
    assert Recording.objects.count() == 2
    assert set(IngestBatch.objects.values_list("operator", flat=True)) == {
        org.officer.pk,
        org.admin.pk,
    }


def test_http_basic_is_refused_for_a_role_that_must_use_two_factors(org, settings):
    settings.AVRECORDS_TWO_FACTOR_ROLES = ["sysadmin", "leader"]
    basic = base64.b64encode(f"{org.sysadmin.username}:{PASSWORD}".encode()).decode()
    response = Client(HTTP_AUTHORIZATION=f"Basic {basic}").generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": encode({"filename": "a.mp4"})},
    )
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]


def station_client(org, name: str = "一中队值班室采集站") -> Client:
    _, secret = stations.register(
        org.sysadmin, name=name, unit=org.squad1, location="值班室", responsible=org.admin
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_station_uploads_with_its_token_audited_under_its_name(org, library):
    data = (library / m.H264).read_bytes()
    station = station_client(org)
    url = create(station, data, relative_path=f"DCIM/100MEDIA/{m.H264}", serial="3501001")
    last = send_all(station, url, data, len(data) // 2 + 1)
    assert last["Avrecords-Outcome"] == "imported"
    recording = Recording.objects.get()
    assert recording.officer == org.officer  # by custody of camera 3501001
    batch = IngestBatch.objects.get()
    assert (batch.source, batch.station.name, batch.operator) == (
        "station",
        "一中队值班室采集站",
        None,
    )
    labels = set(
        AuditEntry.objects.filter(action__startswith="upload.").values_list(
            "actor_label", flat=True
        )
    )
    assert labels == {"采集站：一中队值班室采集站"}


def test_a_plain_named_file_from_a_docked_camera_is_bound_by_the_serial_the_station_read(
    org, library
):
    """A camera that writes VID_0001.MP4 names no device: the serial the station read from the
    camera's own device file binds it by custody (issue 19 §5), instead of leaving it 待指派;
    its import is audited under the station's name, not as 系统 (issue 19 §1)."""
    data = (library / m.H264).read_bytes()
    station = station_client(org)
    url = create(
        station, data, name="VID_0001.MP4", serial="3501001", mtime="2026-11-20T09:30:00+08:00"
    )
    assert send_all(station, url, data, len(data))["Avrecords-Outcome"] == "imported"
    recording = Recording.objects.get()
    assert (recording.device, recording.officer) == (org.camera, org.officer)
    entry = AuditEntry.objects.get(action="recording.ingest")
    assert (entry.actor_id, entry.actor_label) == (None, "采集站：一中队值班室采集站")


def test_a_stations_upload_is_not_another_stations_nor_a_persons(org, library):
    data = (library / m.H264).read_bytes()
    url = create(station_client(org), data)
    other = station_client(org, "一中队备用采集站")
    assert head(other, url).status_code == 404
    assert head(client_for(org.sysadmin), url).status_code == 404


def test_a_revoked_station_token_is_refused_401_with_its_reason(org):
    station = station_client(org)
    stations.revoke_token(org.sysadmin, Station.objects.get(name="一中队值班室采集站"))
    response = station.generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": encode({"filename": "a.mp4"})},
    )
    assert response.status_code == 401
    assert "撤销" in response.json()["detail"]


# --- termination and expiry ----------------------------------------------------------------


def test_a_cancelled_upload_loses_its_part_file_and_is_gone(org, library, part_files):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    patch(client, url, 0, data[:1000])
    response = client.delete(url, headers=TUS)
    assert response.status_code == 204
    assert list(part_files.iterdir()) == []
    assert head(client, url).status_code == 410
    assert patch(client, url, 1000, data[1000:2000]).status_code == 410
    assert AuditEntry.objects.filter(action="upload.terminate").count() == 1


def test_the_worker_removes_an_unfinished_upload_past_its_expiry(org, library, part_files):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    stale, fresh = create(client, data), create(client, data, name=m.H264_B)
    patch(client, stale, 0, data[:1000])
    ResumableUpload.objects.filter(pk=stale.rsplit("/", 1)[1]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert resumable.expire_due() == 1
    assert head(client, stale).status_code == 410
    assert head(client, fresh).status_code == 200
    assert [p.name for p in part_files.iterdir()] == [f"{fresh.rsplit('/', 1)[1]}.part"]
    assert ResumableUpload.objects.filter(state="expired").count() == 1
    assert resumable.expire_due() == 0


def test_each_part_moves_the_expiry_on(org, library, settings):
    settings.AVRECORDS_RESUMABLE_EXPIRE_HOURS = 2
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    ResumableUpload.objects.update(expires_at=timezone.now() + dt.timedelta(minutes=1))
    patch(client, url, 0, data[:100])
    left = ResumableUpload.objects.get().expires_at - timezone.now()
    assert dt.timedelta(hours=1, minutes=59) < left <= dt.timedelta(hours=2)


# --- the end of an upload ------------------------------------------------------------------


def test_a_final_part_sent_again_gives_the_same_answer_and_one_recording(org, library):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    half = len(data) // 2
    patch(client, url, 0, data[:half])
    first = patch(client, url, half, data[half:])
    again = patch(client, url, half, data[half:])
    assert (first.status_code, again.status_code) == (204, 204)
    assert again["Avrecords-Recording"] == first["Avrecords-Recording"]
    assert again["Upload-Offset"] == str(len(data))
    assert Recording.objects.count() == 1
    assert patch(client, url, 0, data[:half]).status_code == 409


def test_an_ingest_cut_short_by_a_crash_is_finished_by_the_next_head(org, library, monkeypatch):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)

    def crash(self, error=""):
        raise SystemExit("killed after the file was recorded, before the answer")

    monkeypatch.setattr(Ingestor, "finish", crash)
    with pytest.raises(SystemExit):
        patch(client, url, 0, data)
    monkeypatch.undo()
    assert ResumableUpload.objects.get().state == "ingesting"
    response = head(client, url)
    assert response["Avrecords-Outcome"] == "imported"
    assert Recording.objects.count() == 1
    assert response["Avrecords-Recording"] == str(Recording.objects.get().pk)
    assert result(client, url)["state"] == "done"
    assert IngestBatch.objects.get().state == IngestBatch.State.DONE


def test_an_ingest_that_died_before_recording_is_done_again_once(org, library, monkeypatch):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)

    def crash(self, *args, **kwargs):
        raise SystemExit("killed while copying into the store")

    monkeypatch.setattr(Ingestor, "ingest_file", crash)
    with pytest.raises(SystemExit):
        patch(client, url, 0, data)
    monkeypatch.undo()
    assert result(client, url)["outcome"] == "imported"
    assert Recording.objects.count() == 1
    assert IngestBatch.objects.filter(state=IngestBatch.State.FAILED).count() == 1


def test_a_whole_file_checksum_mismatch_records_nothing(org, library, isolated_store):
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data, sha256=hashlib.sha256(b"another file").hexdigest())
    response = patch(client, url, 0, data)
    assert response.status_code == 204
    assert response["Avrecords-Outcome"] == "failed"
    body = result(client, url)
    assert body["state"] == "failed" and "文件校验值不一致" in body["reason"]
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert not Recording.objects.exists()
    assert not [p for p in isolated_store.rglob("*") if p.is_file()]
    assert (library / m.H264).read_bytes() == data  # the sender's file untouched


def test_a_file_larger_than_the_copy_chunk_arrives_whole(org, settings, tmp_path):
    """The one large test: parts and the store's copy chunk both smaller than the file."""
    from avrecords.demo import media
    from avrecords.lib.storage import get_store

    settings.AVRECORDS_COPY_CHUNK_BYTES = 65536
    get_store.cache_clear()
    path = tmp_path / m.H264_B
    media.make_video(path, seconds=6, variant=7)
    data = path.read_bytes()
    assert len(data) > 2 * 65536
    client = client_for(org.admin)
    url = create(client, data, name=m.H264_B, mtime="2026-11-20T09:35:00+08:00")
    last = send_all(client, url, data, 50_000)
    recording = Recording.objects.get()
    assert last["Avrecords-Sha256"] == recording.sha256 == hashlib.sha256(data).hexdigest()
    with get_store().open(recording.storage_key) as stored:
        assert stored.read() == data


def test_an_empty_file_is_finished_at_creation_and_quarantined_as_empty(org, part_files):
    """Upload-Length 0: no PATCH will ever bring a last byte, so the upload does not sit
    `receiving` until it expires; the ingest decides at once (issue 19 §3)."""
    from avrecords.recordings.models import QuarantinedFile

    client = client_for(org.officer)
    response = client.generic(
        "POST",
        URL,
        headers={**TUS, "Upload-Length": "0", "Upload-Metadata": encode({"filename": m.H264})},
    )
    assert response.status_code == 201
    assert response["Avrecords-Outcome"] == "quarantined"
    assert response["Avrecords-Sha256"] == hashlib.sha256(b"").hexdigest()
    url = response["Location"].removeprefix("http://testserver")
    body = result(client, url)
    assert (body["state"], body["outcome"], body["reason"]) == (
        "done",
        "quarantined",
        "空文件（0 字节）",
    )
    assert QuarantinedFile.objects.get().error == "空文件（0 字节）"
    assert not Recording.objects.exists()
    assert not list(part_files.iterdir())
    assert head(client, url)["Upload-Offset"] == "0"
    again = client.generic(  # a client that sends its (empty) last part anyway
        "PATCH", url, b"", CONTENT_TYPE=OCTETS, headers={**TUS, "Upload-Offset": "0"}
    )
    assert again.status_code == 204 and again["Avrecords-Outcome"] == "quarantined"
    assert AuditEntry.objects.filter(action="upload.finish").count() == 1
