"""M1/X4: uploading through POST /api/v1/recordings/uploads — what a browser or script sees."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import tracemalloc
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avrecords.recordings.models import IngestBatch, Recording
from avrecords.recordings.uploads import MULTIPART_OVERHEAD_BYTES, StreamingUploadHandler
from tests import media as m
from tests.conftest import client_for
from tests.rows import grant

URL = "/api/v1/recordings/uploads"
BOUNDARY = "avrecordsTestBoundary7MA4YWxkTrZu0gW"
CHUNK_LIMIT = 64 * 1024  # Django's upload handler chunk size


@pytest.fixture(autouse=True)
def upload_tmp(settings, tmp_path) -> Path:
    """Each test's own FILE_UPLOAD_TEMP_DIR, so 'nothing left behind' can be checked."""
    path = tmp_path / "upload-tmp"
    settings.FILE_UPLOAD_TEMP_DIR = str(path)
    return path


def leftovers(upload_tmp: Path) -> list[Path]:
    return sorted(upload_tmp.iterdir()) if upload_tmp.exists() else []


def part(filename: bytes, content: bytes, field: bytes = b"files") -> bytes:
    return (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="' + field + b'"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    )


def field(name: bytes, value: bytes) -> bytes:
    return (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
    )


def end() -> bytes:
    return b"--" + BOUNDARY.encode() + b"--\r\n"


def post_raw(client, body: bytes):
    """Send a hand-made multipart body as is (the test client would clean up file names)."""
    return client.generic(
        "POST", URL, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def upload(client, library: Path, *names: str, as_names: list[str] | None = None):
    files = [
        SimpleUploadedFile(as_name, (library / name).read_bytes())
        for name, as_name in zip(names, as_names or names, strict=True)
    ]
    return client.post(URL, {"files": files})


# --- uploads that work ----------------------------------------------------------------


def test_it_answers_201_with_an_outcome_for_each_file(org, library):
    response = upload(client_for(org.admin), library, m.H264, m.PHOTO)
    assert response.status_code == 201
    body = response.json()
    assert [(f["path"], f["outcome"]) for f in body["files"]] == [
        (m.H264, "imported"),
        (m.PHOTO, "imported"),
    ]
    assert body["counts"]["imported"] == 2
    assert all(len(f["sha256"]) == 64 and f["recording_id"] for f in body["files"])


def test_it_lists_an_uploaded_recording(org, library):
    client = client_for(org.admin)
    upload(client, library, m.H264)
    listed = client.get("/api/v1/recordings").json()["results"]
    assert [r["original_name"] for r in listed] == [m.H264]
    assert m.H264 in client.get("/recordings/").content.decode()


def test_it_takes_a_chinese_file_name_end_to_end(org, library):
    officer = client_for(org.officer)
    response = upload(officer, library, m.CHINESE)
    assert response.status_code == 201
    assert response.json()["files"][0]["path"] == m.CHINESE
    rec_id = response.json()["files"][0]["recording_id"]
    assert m.CHINESE in officer.get("/recordings/").content.decode()
    assert m.CHINESE in officer.get(f"/recordings/{rec_id}/").content.decode()
    grant(org.admin, Recording.objects.get(pk=rec_id))
    download = client_for(org.admin).get(f"/recordings/{rec_id}/original")
    assert download["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote(m.CHINESE)}"
    assert b"".join(download.streaming_content) == (library / m.CHINESE).read_bytes()


def test_it_reports_a_second_upload_of_the_same_file_as_a_duplicate(org, library):
    client = client_for(org.admin)
    first = upload(client, library, m.H264).json()["files"][0]
    second = upload(client, library, m.H264, as_names=["副本.MP4"]).json()["files"][0]
    assert second["outcome"] == "duplicate"
    assert second["recording_id"] == first["recording_id"]
    assert Recording.objects.count() == 1


def test_it_binds_an_officers_upload_without_a_device_in_the_name_to_that_officer(org, library):
    response = upload(client_for(org.officer), library, m.MP3)
    rec = Recording.objects.get(pk=response.json()["files"][0]["recording_id"])
    assert rec.device is None
    assert (rec.officer, rec.unit) == (org.officer, org.squad1)
    mine = client_for(org.officer).get("/api/v1/recordings").json()["results"]
    assert [r["officer_name"] for r in mine] == ["张伟"]


def test_it_leaves_an_administrators_upload_without_a_device_for_assignment(org, library):
    response = upload(client_for(org.admin), library, m.MP3)
    rec = Recording.objects.get(pk=response.json()["files"][0]["recording_id"])
    assert rec.officer is None and rec.needs_assignment
    assert "没有设备序号" in rec.assignment_note


# --- names that are refused -------------------------------------------------------------

BAD_NAMES = [
    pytest.param(b"clip..mp4", "..", id="dot-dot"),
    pytest.param(b"a/b.mp4", "路径分隔符", id="slash"),
    pytest.param(b"../../etc/cron.d/x.mp4", "路径分隔符", id="traversal"),
    pytest.param(b"a\\b.mp4", "路径分隔符", id="backslash"),
    pytest.param("现场检查.mp4".encode("gbk"), "UTF-8", id="gbk-bytes"),
    pytest.param(b"\xff\xfe\xfd.mp4", "UTF-8", id="invalid-utf8"),
]


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES)
def test_it_refuses_an_unsafe_file_name_with_a_chinese_reason(org, library, name, reason):
    body = part(name, (library / m.PHOTO).read_bytes()) + end()
    response = post_raw(client_for(org.admin), body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("文件名不合法") and reason in detail


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES)
def test_it_keeps_nothing_of_an_upload_with_an_unsafe_name(org, library, upload_tmp, name, reason):
    body = part(name, (library / m.PHOTO).read_bytes()) + end()
    post_raw(client_for(org.admin), body)
    assert Recording.objects.count() == 0 and IngestBatch.objects.count() == 0
    assert leftovers(upload_tmp) == []


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES)
def test_it_refuses_the_whole_upload_when_one_name_is_unsafe(
    org, library, upload_tmp, name, reason
):
    body = part(m.H264.encode(), (library / m.H264).read_bytes())
    body += part(name, (library / m.PHOTO).read_bytes()) + end()
    response = post_raw(client_for(org.admin), body)
    assert response.status_code == 400
    assert Recording.objects.count() == 0 and IngestBatch.objects.count() == 0
    assert leftovers(upload_tmp) == []


@pytest.mark.parametrize(
    "before_read_end",
    [20, 60],  # bytes of the second part's delimiter line before the first read ends
    ids=["delimiter-split", "header-split"],
)
def test_it_catches_a_bad_name_that_arrives_split_across_two_reads(org, library, before_read_end):
    first_head = part(b"first.jpg", b"")[: -len(b"\r\n")]
    filler = random.Random(1).randbytes(CHUNK_LIMIT - len(first_head) - before_read_end)
    body = first_head + filler + b"\r\n" + part(b"\xff\xfe.jpg", b"x") + end()
    response = post_raw(client_for(org.admin), body)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
    assert Recording.objects.count() == 0


# --- size limit -------------------------------------------------------------------------


def test_it_refuses_an_upload_whose_content_length_is_over_the_limit(org, settings, upload_tmp):
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 50_000
    body = part(b"big.mp4", b"\0" * 200_000) + end()
    assert len(body) > 50_000 + MULTIPART_OVERHEAD_BYTES
    response = post_raw(client_for(org.admin), body)
    assert response.status_code == 413
    assert "上传大小上限" in response.json()["detail"]
    assert Recording.objects.count() == 0 and IngestBatch.objects.count() == 0
    assert leftovers(upload_tmp) == []


def test_it_stops_an_upload_that_streams_past_the_limit(org, settings, upload_tmp):
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 50_000
    body = part(b"big.mp4", random.Random(2).randbytes(60_000)) + end()
    # The announced length is within the framing allowance: only the stream can tell.
    assert len(body) <= 50_000 + MULTIPART_OVERHEAD_BYTES
    response = post_raw(client_for(org.admin), body)
    assert response.status_code == 413
    assert "上传大小上限" in response.json()["detail"]
    assert Recording.objects.count() == 0 and IngestBatch.objects.count() == 0
    assert leftovers(upload_tmp) == []


def test_it_accepts_a_file_of_exactly_the_limit(org, library, settings):
    photo = (library / m.PHOTO).read_bytes()
    settings.AVRECORDS_UPLOAD_MAX_BYTES = len(photo)
    response = post_raw(client_for(org.admin), part(m.PHOTO.encode(), photo) + end())
    assert response.status_code == 201
    assert response.json()["files"][0]["outcome"] == "imported"


# --- requests without files ---------------------------------------------------------------


def test_it_answers_400_when_no_file_was_sent(org, upload_tmp):
    response = post_raw(client_for(org.admin), field(b"note", "现场".encode()) + end())
    assert response.status_code == 400
    assert response.json()["detail"] == "没有收到文件"
    assert IngestBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"files": ["a.mp4"]}'),
        ("application/x-www-form-urlencoded", b"files=a.mp4"),
        ("application/octet-stream", b"\0\1\2\3"),
    ],
    ids=["json", "form", "raw"],
)
def test_it_answers_400_to_a_body_that_is_not_multipart(org, content_type, body):
    response = client_for(org.admin).generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["detail"]
    assert IngestBatch.objects.count() == 0


# --- streamed, never held whole -----------------------------------------------------------


def wav_header(data_bytes: int, rate: int = 8000) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class GeneratedBody(io.RawIOBase):
    """A request body made as it is read: fixed head and tail around a long noise payload.

    The test never has the whole upload in memory either, so any large allocation seen
    while the request runs is the server's.
    """

    BLOCK = random.Random(3).randbytes(CHUNK_LIMIT)

    def __init__(self, head: bytes, payload_bytes: int, tail: bytes) -> None:
        self.head, self.payload_bytes, self.tail = head, payload_bytes, tail
        self.size = len(head) + payload_bytes + len(tail)
        self.pos = 0

    def readable(self) -> bool:
        return True

    def _payload(self, offset: int, n: int) -> bytes:
        start = offset % len(self.BLOCK)
        out = (self.BLOCK[start:] + self.BLOCK)[: min(n, len(self.BLOCK))]
        return out[: self.payload_bytes - offset]

    def _at(self, pos: int, n: int) -> bytes:
        if pos < len(self.head):
            return self.head[pos : pos + n]
        pos -= len(self.head)
        if pos < self.payload_bytes:
            return self._payload(pos, n)
        pos -= self.payload_bytes
        return self.tail[pos : pos + n]

    def readinto(self, buffer) -> int:
        data = self._at(self.pos, len(buffer))
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def send_generated(client, name: str, audio_bytes: int) -> tuple[object, GeneratedBody, str]:
    header = wav_header(audio_bytes)
    head = part(name.encode(), b"")[: -len(b"\r\n")] + header
    body = GeneratedBody(head, audio_bytes, b"\r\n" + end())
    digest = hashlib.sha256(header)
    offset = 0
    while offset < audio_bytes:
        chunk = body._payload(offset, CHUNK_LIMIT)
        digest.update(chunk)
        offset += len(chunk)
    response = client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=URL,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": io.BufferedReader(body)},
    )
    return response, body, digest.hexdigest()


@pytest.fixture
def chunk_spy(monkeypatch):
    """Watch every chunk the upload handler receives, and what was on disk when it came."""
    seen: list[dict] = []
    real = StreamingUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        path = self._current.path
        seen.append(
            {
                "bytes": len(raw_data),
                "path": path,
                "on_disk": path.stat().st_size,
                "received_before": self._current.size_bytes,
            }
        )
        return real(self, raw_data, start)

    monkeypatch.setattr(StreamingUploadHandler, "receive_data_chunk", spy)
    return seen


def test_it_writes_an_upload_to_a_temporary_file_in_bounded_chunks(org, upload_tmp, chunk_spy):
    size = 8 * 1024 * 1024
    response, _, _ = send_generated(client_for(org.admin), "询问录音.wav", size)
    assert response.status_code == 201
    assert max(c["bytes"] for c in chunk_spy) <= CHUNK_LIMIT
    assert len(chunk_spy) >= size // CHUNK_LIMIT
    assert {c["path"].parent for c in chunk_spy} == {upload_tmp}


def test_it_has_what_arrived_on_disk_before_the_next_chunk_comes(org, chunk_spy):
    response, _, _ = send_generated(client_for(org.admin), "询问录音.wav", 8 * 1024 * 1024)
    assert response.status_code == 201
    # Never more than one chunk of the upload is waiting in memory.
    behind = [c["received_before"] - c["on_disk"] for c in chunk_spy]
    assert max(behind) <= CHUNK_LIMIT
    assert chunk_spy[-1]["on_disk"] >= chunk_spy[-1]["received_before"] - CHUNK_LIMIT


def test_it_removes_the_temporary_file_once_the_upload_is_stored(org, upload_tmp, chunk_spy):
    response, _, _ = send_generated(client_for(org.admin), "询问录音.wav", 1024 * 1024)
    assert response.status_code == 201
    assert chunk_spy and not chunk_spy[0]["path"].exists()
    assert leftovers(upload_tmp) == []


def test_it_stores_a_large_upload_byte_exact_without_holding_it_in_memory(
    org, settings, isolated_store
):
    settings.AVRECORDS_COPY_CHUNK_BYTES = 256 * 1024
    size = 32 * 1024 * 1024
    client = client_for(org.admin)
    # A first small upload loads what any first request loads (modules, templates, URLs),
    # so what is measured below is only what depends on the upload.
    assert send_generated(client, "预热.wav", 64 * 1024)[0].status_code == 201
    tracemalloc.start()
    try:
        response, _, sha = send_generated(client, "询问录音.wav", size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    result = response.json()["files"][0]
    assert result["outcome"] == "imported" and result["sha256"] == sha
    rec = Recording.objects.get(pk=result["recording_id"])
    assert (isolated_store / rec.storage_key).stat().st_size == rec.size_bytes
    assert peak < size // 16, f"peak {peak / 1e6:.1f} MB while uploading {size / 1e6:.0f} MB"
