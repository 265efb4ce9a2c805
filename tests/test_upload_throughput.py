"""What makes a resumable upload fast without loosening any bound (issue 19 §3, throughput;
M1, M2): `avrecords serve` keeps a part in memory instead of a temporary file, within a
budget for all parts at once; larger or surplus parts still wait in a temporary file."""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from waitress.adjustments import Adjustments

from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import OriginalStore
from avrecords.lib.storage.local import LocalStore
from avrecords.recordings.models import Recording
from avrecords.web import body_limits
from avrecords.web.body_limits import IN_MEMORY_PART_BYTES, BodyLimitParser
from tests import media as m
from tests.conftest import client_for

MIB = 1024**2


def _parse(path: str, length: int, body: bytes = b"") -> BodyLimitParser:
    """The real waitress parser of `avrecords serve`, fed a PATCH's head and `body`."""
    parser = BodyLimitParser(Adjustments())
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Content-Type: application/offset+octet-stream\r\n\r\n"
    ).encode()
    data = head + body
    while data:
        data = data[parser.received(data) :]
        if parser.completed:
            break
    return parser


UPLOAD = "/api/v1/uploads/6f0c7e9e-7d7e-4c58-9f0e-6a1b2c3d4e5f"


def test_a_part_of_the_announced_size_is_kept_in_memory_not_in_a_temporary_file(db):
    body = bytes(range(256)) * (8 * MIB // 256)
    parser = _parse(UPLOAD, len(body), body)
    assert parser.completed
    buffer = parser.body_rcv.buf
    assert not buffer.overflowed  # no temporary file written and read back
    assert parser.get_body_stream().read() == body


def test_a_part_larger_than_any_client_is_told_to_send_waits_in_a_temporary_file(db):
    length = IN_MEMORY_PART_BYTES + 1
    parser = _parse(UPLOAD, length, b"x" * length)
    assert parser.completed
    assert parser.body_rcv.buf.overflowed


def test_other_paths_keep_waitress_s_temporary_file(db):
    body = b"y" * (2 * MIB)
    parser = _parse("/api/v1/recordings/uploads", len(body), body)
    assert parser.body_rcv.buf.overflowed


def test_parts_held_in_memory_are_bounded_all_together_and_given_back(db, monkeypatch):
    budget = body_limits._MemoryBudget(20 * MIB)
    monkeypatch.setattr(body_limits, "_memory_budget", budget)
    first = _parse(UPLOAD, 8 * MIB)
    second = _parse(UPLOAD, 8 * MIB)
    third = _parse(UPLOAD, 8 * MIB)  # over the budget: a temporary file, never refused
    assert budget.held == 16 * MIB
    third.received(b"z" * (8 * MIB))
    assert third.completed and third.body_rcv.buf.overflowed
    del first, second, third
    gc.collect()
    assert budget.held == 0


@pytest.mark.parametrize("length", [0, 40 * MIB])
def test_nothing_is_reserved_for_an_empty_or_oversized_part(db, monkeypatch, length):
    budget = body_limits._MemoryBudget(256 * MIB)
    monkeypatch.setattr(body_limits, "_memory_budget", budget)
    parser = _parse(UPLOAD, length)
    assert budget.held == 0
    del parser


# --- the store adopts a finished upload instead of copying it --------------------------------


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store")


def _part(tmp_path, data: bytes, name: str = "upload.part"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_an_adopted_file_is_the_original_read_only_under_its_hash_without_a_copy(store, tmp_path):
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4000
    part = _part(tmp_path, data)
    pending = store.begin_adopt(str(part))
    assert pending is not None and pending.local_path() == str(part)  # probed where it lies
    put = pending.commit("originals")
    sha = hashlib.sha256(data).hexdigest()
    assert (put.key, put.sha256, put.size_bytes, put.already_present) == (
        f"originals/{sha[:2]}/{sha[2:4]}/{sha}",
        sha,
        len(data),
        False,
    )
    stored = store.path_for(put.key)
    assert stored.read_bytes() == data
    assert store.stat(put.key).read_only
    assert stored.stat().st_ino == part.stat().st_ino  # one write of the bytes, not two
    assert part.read_bytes() == data  # the source is left for its owner to remove
    assert not list(store.tmp_dir.iterdir())


def test_a_duplicate_adopted_leaves_one_object_and_its_source_alone(store, tmp_path):
    data = b"the same recording" * 1000
    first = store.begin_adopt(str(_part(tmp_path, data, "a.part"))).commit("originals")
    again = _part(tmp_path, data, "b.part")
    second = store.begin_adopt(str(again)).commit("originals")
    assert second.already_present and second.key == first.key
    assert [p for p in (store.root / "originals").rglob("*") if p.is_file()] == [
        store.path_for(first.key)
    ]
    assert again.stat().st_nlink == 1 and again.read_bytes() == data


def test_a_crash_between_hash_and_link_loses_nothing_and_a_rerun_finishes(
    store, tmp_path, monkeypatch
):
    data = b"arrived whole, then the power went" * 2000
    part = _part(tmp_path, data)
    pending = store.begin_adopt(str(part))

    def power_cut(*args, **kwargs):
        raise SystemExit("killed before the link")

    monkeypatch.setattr(os, "link", power_cut)
    with pytest.raises(SystemExit):
        pending.commit("originals")
    monkeypatch.undo()
    assert part.read_bytes() == data  # nothing lost
    assert not [p for p in (store.root / "originals").rglob("*") if p.is_file()]
    put = store.begin_adopt(str(part)).commit("originals")
    assert store.path_for(put.key).read_bytes() == data
    assert put.sha256 == hashlib.sha256(data).hexdigest()


def test_a_crash_after_the_link_is_finished_by_a_rerun_that_copies_nothing(store, tmp_path):
    data = b"linked, then the process died" * 2000
    part = _part(tmp_path, data)
    first = store.begin_adopt(str(part)).commit("originals")
    # The part's name was never removed: it now has two names, so it is not adopted again
    # (another name could change it); the ingest copies it and finds the object there.
    assert store.begin_adopt(str(part)) is None
    again = store.put(open(part, "rb"))
    assert again.already_present and again.key == first.key


def test_a_file_with_another_name_or_on_another_filesystem_is_copied_not_adopted(store, tmp_path):
    part = _part(tmp_path, b"data" * 100)
    os.link(part, tmp_path / "someone-elses-name")
    assert store.begin_adopt(str(part)) is None
    shm = Path("/dev/shm")
    if shm.is_dir() and os.stat(shm).st_dev != os.stat(store.root).st_dev:
        fd, other = tempfile.mkstemp(dir=shm)
        try:
            os.write(fd, b"data")
            assert store.begin_adopt(other) is None
        finally:
            os.close(fd)
            os.unlink(other)


def test_a_symbolic_link_is_never_adopted(store, tmp_path):
    target = _part(tmp_path, b"somebody's file")
    link = tmp_path / "link.part"
    link.symlink_to(target)
    with pytest.raises(OSError):
        store.begin_adopt(str(link))


def test_s3_and_other_stores_copy_as_before():
    from avrecords.lib.storage.s3 import S3Store

    assert S3Store.begin_adopt is OriginalStore.begin_adopt
    assert OriginalStore.begin_adopt(object(), "/any/file") is None


def test_a_resumable_upload_becomes_its_original_without_a_second_copy(
    org, library, settings, tmp_path, monkeypatch
):
    from tests.test_resumable_uploads import create, patch, result

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)
    copies = []
    monkeypatch.setattr(
        LocalStore, "begin_put", lambda self: copies.append(1) or pytest.fail("copied")
    )
    response = patch(client, url, 0, data)
    assert response.status_code == 204 and response["Avrecords-Outcome"] == "imported"
    recording = Recording.objects.get()
    stored = Path(get_store().local_path(recording.storage_key))
    assert stored.read_bytes() == data and recording.sha256 == hashlib.sha256(data).hexdigest()
    assert not stored.stat().st_mode & 0o222
    assert not list((tmp_path / "upload-tmp" / "resumable").iterdir())  # the part's name gone
    assert result(client, url)["state"] == "done"
    assert copies == []


def test_an_upload_whose_ingest_died_after_the_link_ends_with_one_recording(
    org, library, settings, tmp_path, monkeypatch
):
    from avrecords.recordings.ingest import Ingestor
    from tests.test_resumable_uploads import create, head, patch

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    data = (library / m.H264).read_bytes()
    client = client_for(org.officer)
    url = create(client, data)

    def killed(self, *args, **kwargs):
        raise SystemExit("killed after the link, before the recording's rows")

    monkeypatch.setattr(Ingestor, "_create_recording", killed)
    with pytest.raises(SystemExit):
        patch(client, url, 0, data)
    monkeypatch.undo()
    response = head(client, url)
    assert response["Avrecords-Outcome"] == "imported"
    recording = Recording.objects.get()
    assert get_store().verify(recording.storage_key, hashlib.sha256(data).hexdigest())


def test_a_multipart_upload_is_adopted_too(org, library, monkeypatch):
    monkeypatch.setattr(
        LocalStore, "begin_put", lambda self: pytest.fail("the upload's own file was copied")
    )
    with open(library / m.H264, "rb") as fh:
        response = client_for(org.officer).post("/api/v1/recordings/uploads", {"files": fh})
    assert response.status_code in (200, 201), response.content
    assert (
        Recording.objects.get().sha256
        == hashlib.sha256((library / m.H264).read_bytes()).hexdigest()
    )
