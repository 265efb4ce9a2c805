"""Resumable uploads (tus 1.0.0: core, creation, checksum, termination, expiration) for
stations, field terminals and the browser (issue 19 §3; M1, M2, X4).

A person (`can_upload`) or a station (always, for its own unit) creates an upload with its
length and metadata (`resumable_metadata`), then sends the file in parts. Each part is
appended to `FILE_UPLOAD_TEMP_DIR/resumable/<id>.part`:

- under an exclusive lock on the part file (a second writer at the same moment gets 409);
- the file is first cut back to the recorded offset, so bytes a crashed request wrote past
  it are never trusted;
- the part is streamed in chunks, never longer than what the upload still lacks;
- with `Upload-Checksum: sha256 <base64>` the part is kept only if it hashes to that (460 and
  cut back otherwise); a part cut short by the network keeps the bytes that arrived unless it
  carried a checksum (tus semantics);
- fsync, and only then the new offset is saved: the offset is never ahead of durable bytes.

When the last byte is durable the upload turns `ingesting` and, in the same request, the file
goes through `Ingestor` like a dump (quarantine, dedupe, binding), except that the store
adopts the part file (hashed once, linked to its content address read-only: no second copy
of the bytes) where it lies on the store's filesystem; the result is kept on the row and the
part file's name removed. The ingest's batch is
saved on the row before it starts, so an upload whose process died mid-ingest is finished on
its next HEAD, PATCH or GET: from the batch's item if the file was recorded, else by a new
ingest (which dedupes by hash anyway) — one recording whatever was retried.

Unfinished uploads expire AVRECORDS_RESUMABLE_EXPIRE_HOURS after their last part;
`expire_due()` (a periodic worker step) marks them expired and deletes their part files.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import errno
import fcntl
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.lib.quantities import size as size_label
from avrecords.lib.refusals import Conflict, Forbidden, NotFound, Refusal
from avrecords.org.scope import can_upload
from avrecords.recordings import resumable_metadata
from avrecords.recordings.ingest import (
    INTERRUPTED_MESSAGE,
    FileResult,
    IngestAborted,
    Ingestor,
    ReportedTimes,
)
from avrecords.recordings.models import IngestBatch, IngestItem, IngestSource
from avrecords.recordings.models_resumable import ResumableUpload

log = logging.getLogger(__name__)
State = ResumableUpload.State
Outcome = IngestItem.Outcome

RESUMABLE_PATH = "/api/v1/uploads/"
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum,termination,expiration"
CHECKSUM_ALGORITHMS = "sha256"
PART_CHUNK_BYTES = 1024 * 1024
_DIGITS = re.compile(r"^[0-9]{1,19}$")  # ASCII only: int() would take "１０" too
GONE_MESSAGE = "该上传已过期或已取消，请重新上传"


class TooLarge(Refusal):
    status = 413
    default_message = "文件超过上传大小上限"


class ChecksumMismatch(Refusal):
    """tus's 460: the part does not hash to its Upload-Checksum; nothing of it was kept."""

    status = 460
    default_message = "本段数据校验值不一致，未保存，请重新发送本段"


class Gone(Refusal):
    status = 410
    default_message = GONE_MESSAGE


class ShortBody(Refusal):
    """The part stopped before its Content-Length (the connection dropped)."""

    status = 400
    default_message = "本段数据未完整到达"


@dataclass(frozen=True)
class Sender:
    """Who is uploading: a person (session, token or HTTP Basic) or a collection station."""

    user: object | None = None
    station: object | None = None

    @property
    def label(self) -> str:
        return self.station.audit_label if self.station is not None else ""

    def owns(self, upload: ResumableUpload) -> bool:
        if self.station is not None:
            return upload.station_id == self.station.pk
        return self.user is not None and upload.user_id == self.user.pk


def part_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR) / "resumable"


def part_path(upload: ResumableUpload) -> Path:
    return part_dir() / f"{upload.pk}.part"


def max_bytes() -> int:
    return settings.AVRECORDS_UPLOAD_MAX_BYTES


def _expires(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(hours=settings.AVRECORDS_RESUMABLE_EXPIRE_HOURS)


def _audit(sender: Sender, action: str, upload: ResumableUpload, summary: str, detail: dict):
    kwargs = {"actor_label": sender.label} if sender.station is not None else {}
    audit.record(action, actor=sender.user, obj=upload, summary=summary, detail=detail, **kwargs)


# --- creation, lookup, termination ---------------------------------------------------------


def create(sender: Sender, length_header: str | None, metadata_header: str) -> ResumableUpload:
    """A new upload of `Upload-Length` bytes (creation extension); audited. An upload of
    0 bytes is complete as created: it is ingested at once (issue 19 §3)."""
    if sender.station is None and not can_upload(sender.user):
        raise Forbidden("无权上传文件")
    length = _length(length_header)
    metadata = resumable_metadata.parse(metadata_header)
    part_dir().mkdir(parents=True, exist_ok=True)
    upload = ResumableUpload.objects.create(
        user=sender.user if sender.station is None else None,
        station=sender.station,
        filename=metadata["filename"],
        relative_path=metadata["relative_path"],
        length=length,
        metadata=metadata,
        expires_at=_expires(),
    )
    fd = os.open(part_path(upload), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    _audit(
        sender,
        "upload.create",
        upload,
        f"开始断点续传上传 {upload.filename}（{size_label(length)}）",
        {"length": length, "metadata": metadata},
    )
    if length == 0:
        # No PATCH will ever carry a last byte: the empty file is finished now, through the
        # ingest like any other, which decides its outcome (quarantined as an empty file).
        ResumableUpload.objects.filter(pk=upload.pk).update(state=State.INGESTING)
        upload.refresh_from_db()
        with _locked(upload) as fd:
            if fd is not None:
                return _ingest_locked(sender, upload)
    return upload


def _length(header: str | None) -> int:
    if header is None or not header.strip():
        raise Refusal("缺少文件大小（Upload-Length）")
    text = header.strip()
    if not _DIGITS.match(text):
        raise Refusal("文件大小（Upload-Length）应为非负整数")
    length = int(text)
    if length > max_bytes():
        raise TooLarge(f"文件超过上传大小上限（{size_label(max_bytes())}）")
    return length


def find(sender: Sender, upload_id) -> ResumableUpload:
    """The sender's own upload; anyone else's is answered as missing (X2)."""
    upload = ResumableUpload.objects.filter(pk=upload_id).first()
    if upload is None or not sender.owns(upload):
        raise NotFound()
    return upload


def terminate(sender: Sender, upload: ResumableUpload) -> None:
    """Termination: an unfinished upload is given up, its part file deleted; audited."""
    with _locked(upload) as fd:
        if fd is None:
            raise Conflict("该上传正在接收数据，请稍后再取消")
        upload.refresh_from_db()
        if upload.state in (State.EXPIRED, State.TERMINATED):
            raise Gone()
        if upload.state != State.RECEIVING:
            raise Conflict("该上传已完成接收，不能取消")
        ResumableUpload.objects.filter(pk=upload.pk).update(state=State.TERMINATED)
        part_path(upload).unlink(missing_ok=True)
        _audit(
            sender,
            "upload.terminate",
            upload,
            f"取消断点续传上传 {upload.filename}",
            {"offset": upload.offset, "length": upload.length},
        )
    upload.refresh_from_db()


# --- receiving parts -----------------------------------------------------------------------


@contextmanager
def _locked(upload: ResumableUpload) -> Iterator[int | None]:
    """The part file, open and exclusively locked; None if another request holds it (or it
    is gone: the upload was finished, expired or cancelled meanwhile)."""
    try:
        fd = os.open(part_path(upload), os.O_RDWR)
    except FileNotFoundError:
        yield None
        return
    except PermissionError:
        # Read-only: the store adopted it (its original now) and the process died before
        # removing this name; only the ingest's re-run reads it (issue 19 §3).
        try:
            fd = os.open(part_path(upload), os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            yield None
            return
        yield fd
    finally:
        os.close(fd)


def parse_checksum(header: str | None):
    """`Upload-Checksum: sha256 <base64>` → the expected digest, or None without one."""
    if header is None:
        return None
    algorithm, _, value = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise Refusal("不支持的校验算法（Upload-Checksum），只支持 sha256")
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise Refusal("校验值（Upload-Checksum）应为 base64 编码的 SHA-256")
    return digest


def append(
    sender: Sender,
    upload: ResumableUpload,
    *,
    offset_header: str | None,
    body,
    body_length: int,
    checksum: bytes | None,
) -> ResumableUpload:
    """One PATCH: the part at `Upload-Offset`, durably, then the offset; on the last byte
    the ingest. Returns the upload as it now stands."""
    offset = _offset(offset_header)
    with _locked(upload) as fd:
        upload.refresh_from_db()
        if upload.state in (State.EXPIRED, State.TERMINATED):
            raise Gone()
        if fd is None:
            if upload.state in (State.DONE, State.FAILED):
                return _answer_finished(upload, offset, body_length)
            raise Conflict("该上传正在接收另一段数据，请稍后查询进度再续传")
        if upload.state == State.INGESTING:
            return _ingest_locked(sender, upload)
        if offset != upload.offset:
            raise Conflict(f"续传位置不一致：服务器已收到 {upload.offset} 字节，请从该处续传")
        if offset + body_length > upload.length:
            raise TooLarge("本段数据超出上传时声明的文件大小")
        received = _write_part(fd, upload.offset, body, body_length, checksum)
        new_offset = upload.offset + received
        finished = new_offset == upload.length
        ResumableUpload.objects.filter(
            pk=upload.pk, state=State.RECEIVING, offset=upload.offset
        ).update(
            offset=new_offset,
            expires_at=_expires(),
            state=State.INGESTING if finished else State.RECEIVING,
            updated_at=timezone.now(),
        )
        upload.refresh_from_db()
        if received < body_length:
            raise ShortBody(f"本段数据未完整到达，已保存到第 {new_offset} 字节，请从该处续传")
        if finished:
            return _ingest_locked(sender, upload)
    return upload


def _offset(header: str | None) -> int:
    text = (header or "").strip()
    if not _DIGITS.match(text):
        raise Refusal("续传位置（Upload-Offset）缺失或不是非负整数")
    return int(text)


def _write_part(fd: int, offset: int, body, body_length: int, checksum: bytes | None) -> int:
    """Append up to `body_length` bytes at `offset`, fsynced; the count that arrived."""
    os.ftruncate(fd, offset)  # bytes past the saved offset are a crashed request's, untrusted
    os.lseek(fd, offset, os.SEEK_SET)
    hasher = hashlib.sha256() if checksum is not None else None
    received = 0
    try:
        while received < body_length:
            chunk = body.read(min(PART_CHUNK_BYTES, body_length - received))
            if not chunk:
                break
            if hasher is not None:
                hasher.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
            received += len(chunk)
    except OSError:
        # the client went away mid-part (or the disk failed): keep what is durable below
        log.warning("resumable part read stopped after %s of %s bytes", received, body_length)
    if checksum is not None and (received < body_length or hasher.digest() != checksum):
        os.ftruncate(fd, offset)
        os.fsync(fd)
        if received < body_length:
            return 0
        raise ChecksumMismatch()
    os.fsync(fd)
    return received


def _answer_finished(upload: ResumableUpload, offset: int, body_length: int) -> ResumableUpload:
    """A PATCH to a finished upload: its last part sent again (the answer was lost) is
    answered with the result, anything else as an offset mismatch."""
    if offset + body_length == upload.length or offset == upload.length:
        return upload
    raise Conflict(f"续传位置不一致：服务器已收到 {upload.offset} 字节，该上传已完成")


# --- the last byte: ingest -----------------------------------------------------------------


def settle(sender: Sender, upload: ResumableUpload) -> ResumableUpload:
    """HEAD or GET: an upload left `ingesting` by a process that died is finished now."""
    if upload.state == State.INGESTING:
        with _locked(upload) as fd:
            if fd is not None:
                upload.refresh_from_db()
                if upload.state == State.INGESTING:
                    return _ingest_locked(sender, upload)
        upload.refresh_from_db()
    elif upload.state in (State.DONE, State.FAILED):
        part_path(upload).unlink(missing_ok=True)  # a crash after the result, before this
    return upload


def _ingest_locked(sender: Sender, upload: ResumableUpload) -> ResumableUpload:
    """Ingest the complete part file (the caller holds its lock), keep the result."""
    result = _earlier_result(upload)
    if result is None:
        result = _ingest(sender, upload)
    state = State.FAILED if result.outcome in (Outcome.FAILED, Outcome.SKIPPED) else State.DONE
    ResumableUpload.objects.filter(pk=upload.pk, state=State.INGESTING).update(
        state=state,
        outcome=result.outcome,
        reason=result.reason[:500],
        sha256=result.sha256,
        recording_id=result.recording_id,
        updated_at=timezone.now(),
    )
    upload.refresh_from_db()
    _audit(
        sender,
        "upload.finish",
        upload,
        f"断点续传上传完成 {upload.filename}：{Outcome(result.outcome).label}",
        {
            "outcome": result.outcome,
            "sha256": result.sha256,
            "recording": result.recording_id,
            "batch": upload.batch_id,
        },
    )
    part_path(upload).unlink(missing_ok=True)
    return upload


def _earlier_result(upload: ResumableUpload) -> FileResult | None:
    """What an ingest that died before its answer had already recorded, if anything."""
    if upload.batch_id is None:
        return None
    item = IngestItem.objects.filter(batch_id=upload.batch_id).first()
    IngestBatch.objects.filter(pk=upload.batch_id, state=IngestBatch.State.RUNNING).update(
        state=IngestBatch.State.FAILED if item is None else IngestBatch.State.DONE,
        error="" if item is not None else INTERRUPTED_MESSAGE,
        finished_at=timezone.now(),
    )
    if item is None:
        return None
    return FileResult(
        item.relative_path,
        item.outcome,
        item.size_bytes,
        item.sha256,
        item.recording_id,
        item.reason,
        item.quarantined_file_id,
    )


def _ingest(sender: Sender, upload: ResumableUpload) -> FileResult:
    if sender.station is not None:
        ingestor = Ingestor(
            source=IngestSource.STATION, station=sender.station, source_path="采集站断点续传上传"
        )
    else:
        ingestor = Ingestor(
            source=IngestSource.UPLOAD, operator=sender.user, source_path="网页/接口断点续传上传"
        )
    ResumableUpload.objects.filter(pk=upload.pk).update(batch=ingestor.batch)
    upload.batch_id = ingestor.batch.pk
    metadata = upload.metadata
    times = ReportedTimes(
        mtime=dt.datetime.fromisoformat(metadata["mtime"]) if "mtime" in metadata else None,
        camera_clock_offset_seconds=metadata.get("camera_clock_offset"),
        device_serial=metadata.get("serial", ""),
    )
    try:
        result = ingestor.ingest_file(
            part_path(upload),
            upload.relative_path or upload.filename,
            display_name=upload.filename,
            times=times,
            expected_sha256=metadata.get("sha256", ""),
            own_file=True,  # ours, under our lock: the store adopts it without a copy
        )
    except IngestAborted as exc:
        # Store full or down: the bytes stay, the upload stays `ingesting`; the next HEAD,
        # PATCH or GET tries again.
        ingestor.finish(error=str(exc))
        raise _StoreRefused(str(exc), exc.http_status) from exc
    ingestor.finish()
    return result


class _StoreRefused(Refusal):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# --- what a client reads back --------------------------------------------------------------


def result(upload: ResumableUpload) -> dict:
    """The upload's state and, once finished, the ingest's result (GET as JSON)."""
    return {
        "state": upload.state,
        "offset": upload.offset,
        "length": upload.length,
        "outcome": upload.outcome or None,
        "reason": upload.reason or None,
        "sha256": upload.sha256 or None,
        "recording_id": upload.recording_id,
        "recording_url": f"/recordings/{upload.recording_id}/" if upload.recording_id else None,
    }


# --- expiry --------------------------------------------------------------------------------


def expire_due(now: dt.datetime | None = None) -> int:
    """Unfinished uploads past their expiry: marked expired, part files deleted (a periodic
    step of every worker; an upload receiving a part at this moment is left alone)."""
    now = now or timezone.now()
    expired = 0
    due = ResumableUpload.objects.filter(state=State.RECEIVING, expires_at__lt=now)
    for upload in due[:500]:
        with _locked(upload) as fd:
            if fd is None and part_path(upload).exists():
                continue  # a part is arriving; it moves the expiry on
            claimed = ResumableUpload.objects.filter(
                Q(pk=upload.pk, state=State.RECEIVING, expires_at__lt=now)
            ).update(state=State.EXPIRED)
            if not claimed:
                continue
            part_path(upload).unlink(missing_ok=True)
            _audit(
                Sender(),  # the system, not the sender
                "upload.expire",
                upload,
                f"断点续传上传已过期并清除 {upload.filename}",
                {"offset": upload.offset, "length": upload.length},
            )
            expired += 1
    if expired:
        log.info("expired %s unfinished resumable uploads", expired)
    return expired
