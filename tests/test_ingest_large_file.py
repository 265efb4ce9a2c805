"""Ingest of a file larger than one copy chunk (M2, issue 23 §1): the hash is of every byte.

The store copies and hashes in chunks of `AVRECORDS_COPY_CHUNK_BYTES` (lib/hashing.py
`copy_hashing`); a file of two chunks and one byte goes through the real ingest paths — a
camera's directory copied into the local store, an upload's own file adopted by the local
store, a camera's directory put into S3 (SeaweedFS) — and the recording's SHA-256 must be
hashlib's over the whole file, as must the stored copy's. A hash of the first chunk only, or
of every chunk but the last short one, differs.
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import pytest

from avrecords.lib.storage import get_store
from avrecords.recordings.ingest import Ingestor, ingest_directory
from avrecords.recordings.models import IngestSource, Recording
from tests.s3server import configure_store

# The smallest chunk the setting accepts from the environment (settings.py, minimum=65536)
CHUNK_BYTES = 64 * 1024
SIZE_BYTES = 2 * CHUNK_BYTES + 1  # two whole chunks and a last one of a single byte
NAME = "3501001_350211_20261120100000_0007.WAV"  # the fixtures' camera, issued to 张伟


def _wav_of_exact_size(path: Path, size: int) -> Path:
    """A real 8-bit mono WAV (one byte a sample, so any size is whole samples) whose bytes
    vary, so a chunk hashed twice or left out changes the digest."""
    header_bytes = 44
    samples = bytes((i * 37 + i // 251) % 256 for i in range(size - header_bytes))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(samples)
    assert path.stat().st_size == size
    return path


def _dump(tmp_path: Path) -> Path:
    media = tmp_path / "CAMERA" / "DCIM" / "100MEDIA"
    media.mkdir(parents=True)
    _wav_of_exact_size(media / NAME, SIZE_BYTES)
    return tmp_path / "CAMERA"


def _stored_sha(recording: Recording) -> str:
    digest = hashlib.sha256()
    with get_store().open(recording.storage_key) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check(recording: Recording, source: Path, whole_sha: str) -> None:
    assert recording.size_bytes == SIZE_BYTES
    assert recording.sha256 == whole_sha, "the recording's hash is not of the whole file"
    assert _stored_sha(recording) == whole_sha
    assert get_store().verify(recording.storage_key, whole_sha)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == whole_sha  # source untouched


@pytest.fixture
def small_chunks(settings):
    settings.AVRECORDS_COPY_CHUNK_BYTES = CHUNK_BYTES
    get_store.cache_clear()
    yield
    get_store.cache_clear()


def _ingest_camera_dump_and_check(org, tmp_path) -> None:
    """A station copies a camera's directory in; the recording's hash is the whole file's."""
    dump = _dump(tmp_path)
    source = dump / "DCIM" / "100MEDIA" / NAME
    whole_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    summary = ingest_directory(dump, source=IngestSource.STATION, station=org.station)
    assert summary.counts()["imported"] == 1, summary.files
    _check(Recording.objects.get(), source, whole_sha)


def test_it_hashes_every_chunk_of_a_camera_file_copied_into_the_local_store(
    org, small_chunks, tmp_path
):
    _ingest_camera_dump_and_check(org, tmp_path)


def test_it_hashes_every_chunk_of_an_uploaded_file_the_local_store_adopts(
    org, small_chunks, tmp_path, isolated_store
):
    # An upload's own file sits on the store's filesystem and is linked in, hashed once
    upload_dir = isolated_store / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    source = _wav_of_exact_size(upload_dir / NAME, SIZE_BYTES)
    whole_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    ingestor = Ingestor(source=IngestSource.UPLOAD, operator=org.admin)
    result = ingestor.ingest_file(source, NAME, own_file=True, expected_sha256=whole_sha)
    ingestor.finish()
    assert result.outcome == "imported", result
    assert result.sha256 == whole_sha
    _check(Recording.objects.get(), source, whole_sha)


def test_it_hashes_every_chunk_of_a_camera_file_put_into_s3(
    org, settings, s3_server, s3_bucket, tmp_path
):
    configure_store(settings, s3_server, s3_bucket, AVRECORDS_COPY_CHUNK_BYTES=CHUNK_BYTES)
    try:
        _ingest_camera_dump_and_check(org, tmp_path)
    finally:
        get_store.cache_clear()
