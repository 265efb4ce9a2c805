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
    StoreIntegrityError,
    aware,
    check_future,
    object_key,
)

if TYPE_CHECKING:
    from avrecords.lib.storage.s3 import S3Store

log = logging.getLogger(__name__)
LOCK_MODE = "COMPLIANCE"
UPLOAD_PREFIX = "objects/"
META_SHA256 = "sha256"
# A pointer at a content address names the object holding the bytes (large files).
META_TARGET, META_TARGET_VERSION, META_TARGET_CHECKSUM = "target", "target-version", "target-sha256"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


class S3PendingPut(PendingPut):
    """Bytes on their way to S3: hashed as read, sent in parts, invisible until commit()."""

    def __init__(self, store: S3Store) -> None:
        self._store = store
        self._hasher = PipelinedHasher()
        self._part = bytearray()
        self._size = 0
        self._upload_key = f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"
        self._upload_id = ""
        self._upload_version = ""
        self._upload_until: dt.datetime | None = None
        self._futures: list[Future] = []
        self._pool: ThreadPoolExecutor | None = None
        # Parts queued or in flight, each a part_bytes buffer: bounds the memory of one put.
        self._slots = threading.Semaphore(store.upload_threads + 1)
        self._closed = False
        self._kept = False
        self._composite = ""

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
            # Locked from creation: the object exists only once the upload completes, and then
            # under COMPLIANCE lock (extended at commit if a later date is asked for).
            self._upload_until = store.default_retain_until()
            self._upload_id = store._request(
                "start upload",
                "create_multipart_upload",
                Key=self._upload_key,
                ChecksumAlgorithm="SHA256",
                ObjectLockMode=LOCK_MODE,
                ObjectLockRetainUntilDate=self._upload_until,
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
            f"upload part {number} of {self._upload_key}",
            "upload_part",
            Key=self._upload_key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
            ChecksumSHA256=checksum,
        )
        return {"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum}

    def finish_upload(self) -> None:
        """Complete the multipart upload: the object now exists, locked (no-op when small).

        The server checked each part's SHA-256 as it arrived; its checksum of the whole upload
        (SHA-256 over the parts' digests) must equal ours, proof that the object holds exactly
        the parts hashed here, in order."""
        if not self._upload_id or self._upload_version:
            return
        if self._part:
            self._send_part(self._part)
            self._part = bytearray()
        parts = [future.result() for future in self._futures]
        response = self._store._request(
            f"complete {self._upload_key}",
            "complete_multipart_upload",
            Key=self._upload_key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )
        self._upload_version = self._store._version_of(response, self._upload_key)
        expected = composite_checksum(parts)
        served = response.get("ChecksumSHA256") or ""
        if served and served.split("-")[0] != expected:
            raise StoreIntegrityError(
                f"{self._upload_key}@{self._upload_version}: server checksum {served}, "
                f"parts sent {expected}"
            )
        self._composite = served or f"{expected}-{len(parts)}"

    def commit(self, area: str, *, retain_until: dt.datetime | None = None) -> PutResult:
        if self._closed:
            raise StoreError("put already committed or aborted")
        store = self._store
        sha = self.sha256
        address = object_key(area, sha)
        until = aware(retain_until) if retain_until else store.default_retain_until()
        try:
            if retain_until is not None:
                check_future(address, until)  # as the server would (InvalidRequest)
            found = store.find_locked(address, sha, self._size)
            if found is not None:  # abort() below drops the upload unfinished: no object
                key, version, held = found
                if retain_until is not None and (held is None or held < until):
                    held = store.extend_retention(key, version=version, until=until)
                result = PutResult(key, sha, self._size, True, version, held)
            elif self._upload_id:
                self.finish_upload()
                key, version = self._upload_key, self._upload_version
                self._kept = True  # locked now: it stays whatever happens next
                if until > self._upload_until:
                    store.extend_retention(key, version=version, until=until)
                held = max(until, self._upload_until)
                store._confirm_locked(key, version, held)
                store._put_pointer(address, sha, self._size, key, version, self._composite, held)
                result = PutResult(key, sha, self._size, False, version, held)
            else:
                version = store._put_small(address, self._part, sha, until)
                store._confirm_locked(address, version, until)
                result = PutResult(address, sha, self._size, False, version, until)
        except BaseException:
            self.abort()
            raise
        self.abort()  # the committed object stays; an unfinished upload and buffers go
        log.debug("committed %s@%s (%d bytes)", result.key, result.version, self._size)
        return result

    def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        store = self._store
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._upload_version and not self._kept:
            # Completed but never committed (e.g. the content was already stored): the object
            # is locked and stays until its date; say so rather than pretend it is gone.
            log.warning(
                "uncommitted upload %s@%s stays locked until %s",
                self._upload_key,
                self._upload_version,
                self._upload_until,
            )
        elif self._upload_id and not self._upload_version:
            store._best_effort(
                "abort upload",
                "abort_multipart_upload",
                Key=self._upload_key,
                UploadId=self._upload_id,
            )
        self._part = bytearray()
        self._hasher.close()


def composite_checksum(parts: list[dict]) -> str:
    """S3's checksum of a multipart upload: SHA-256 over the parts' SHA-256 digests."""
    digests = b"".join(base64.b64decode(part["ChecksumSHA256"]) for part in parts)
    return b64(hashlib.sha256(digests).digest())
