"""A put on its way to the S3 store (M2): hashed as read, sent in parts, invisible until commit.

See ``s3.py`` for the whole write path; this is the client side of one upload.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO

from avrecords.lib.hashing import PipelinedHasher, copy_hashing
from avrecords.lib.storage.base import (
    PendingPut,
    ProgressCallback,
    PutResult,
    SourceReadError,
    StoreError,
    object_key,
)

if TYPE_CHECKING:
    from avrecords.lib.storage.s3 import S3Store

log = logging.getLogger(__name__)
STAGING_PREFIX = "incoming/"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def aware(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise ValueError("retain-until dates must carry a time zone")
    return when


class S3PendingPut(PendingPut):
    """Bytes on their way to S3: hashed as read, sent in parts, invisible until commit()."""

    def __init__(self, store: S3Store) -> None:
        self._store = store
        self._hasher = PipelinedHasher()
        self._part = bytearray()
        self._size = 0
        self._staging_key = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        self._upload_id = ""
        self._staging_version = ""
        self._futures: list[Future] = []
        self._pool: ThreadPoolExecutor | None = None
        # Parts queued or in flight, each a part_bytes buffer: bounds the memory of one put.
        self._slots = threading.Semaphore(store.upload_threads + 1)
        self._closed = False

    def local_path(self) -> None:
        return None

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    @property
    def size_bytes(self) -> int:
        return self._size

    def write(self, chunk: bytes | memoryview) -> None:
        self._hasher.feed(chunk)
        self._append(chunk)
        self._hasher.wait()

    def copy_from(self, src: BinaryIO, chunk_bytes: int, progress: ProgressCallback | None) -> None:
        try:
            copy_hashing(
                src, self._append, self._hasher, chunk_bytes=chunk_bytes, progress=progress
            )
        except (StoreError, KeyboardInterrupt):
            raise
        except OSError as exc:
            raise SourceReadError(f"source read failed: {exc}") from exc

    def _append(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        self._size += len(view)
        part_bytes = self._store.part_bytes
        while view:
            room = part_bytes - len(self._part)
            self._part += view[:room]
            view = view[room:]
            if len(self._part) >= part_bytes:
                self._send_part(self._part)
                self._part = bytearray()

    def _send_part(self, data: bytearray) -> None:
        store = self._store
        if not self._upload_id:
            self._upload_id = store._request(
                "start upload",
                "create_multipart_upload",
                Key=self._staging_key,
                ChecksumAlgorithm="SHA256",
            )["UploadId"]
            self._pool = ThreadPoolExecutor(store.upload_threads, thread_name_prefix="s3-part")
        for future in self._futures:
            if future.done() and future.exception() is not None:
                raise future.exception()
        self._slots.acquire()
        future = self._pool.submit(self._upload_part, len(self._futures) + 1, data)
        future.add_done_callback(lambda _future: self._slots.release())
        self._futures.append(future)

    def _upload_part(self, number: int, data: bytearray) -> dict:
        checksum = b64(hashlib.sha256(data).digest())
        response = self._store._request(
            f"upload part {number} of {self._staging_key}",
            "upload_part",
            Key=self._staging_key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
            ChecksumSHA256=checksum,
        )
        return {"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum}

    def finish_upload(self) -> None:
        """Wait until every byte is in the staging object (commit does it; no-op when small)."""
        if not self._upload_id or self._staging_version:
            return
        if self._part:
            self._send_part(self._part)
            self._part = bytearray()
        parts = [future.result() for future in self._futures]
        response = self._store._request(
            f"complete {self._staging_key}",
            "complete_multipart_upload",
            Key=self._staging_key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )
        self._staging_version = self._store._version_of(response, self._staging_key)

    def commit(self, area: str, *, retain_until: dt.datetime | None = None) -> PutResult:
        if self._closed:
            raise StoreError("put already committed or aborted")
        store = self._store
        sha = self.sha256
        key = object_key(area, sha)
        until = aware(retain_until) if retain_until else store.default_retain_until()
        try:
            found = store.find_locked(key, sha, self._size)
            if found is not None:  # abort() below drops the staging upload unfinished
                version, held = found
                if retain_until is not None and (held is None or held < until):
                    held = store.extend_retention(key, version=version, until=until)
                result = PutResult(key, sha, self._size, True, version, held)
            else:
                if self._upload_id:
                    self.finish_upload()
                    version = store._copy_into_place(
                        self._staging_key, self._staging_version, key, sha, self._size, until
                    )
                else:
                    version = store._put_small(key, self._part, sha, until)
                store._confirm_locked(key, version, until)
                result = PutResult(key, sha, self._size, False, version, until)
        except BaseException:
            self.abort()
            raise
        self.abort()  # the committed object stays; the staging upload and buffers go
        log.debug("committed %s@%s (%d bytes)", key, result.version, self._size)
        return result

    def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        store = self._store
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._staging_version:
            store._best_effort(
                "delete staging",
                "delete_object",
                Key=self._staging_key,
                VersionId=self._staging_version,
            )
        elif self._upload_id:
            store._best_effort(
                "abort upload",
                "abort_multipart_upload",
                Key=self._staging_key,
                UploadId=self._upload_id,
            )
        self._part = bytearray()
        self._hasher.close()
