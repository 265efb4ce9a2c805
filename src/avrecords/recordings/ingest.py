"""Ingest: copy files into the write-once store, hashing in the same pass, then record them (M1, M2).

Order of durability: bytes are written, hashed, fsynced and renamed into their content
address *before* the database rows are committed. A crash between the two leaves a stored
object without a row; running the import again finds the object by its hash and writes
the rows, so a re-run always finishes the job and never stores anything twice. On S3 an
object is committed once its version is locked (COMPLIANCE) at its content address; the
version id is recorded with the rows and every later read is pinned to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from avrecords import events
from avrecords.audit import services as audit
from avrecords.jobs import services as jobs
from avrecords.lib.camera_files import ERASED_FROM_DEVICE, KEPT_ON_DEVICE
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import (
    PendingPut,
    PutResult,
    SourceReadError,
    StoreError,
    StoreFullError,
)
from avrecords.policies.services import profile_for_unit
from avrecords.recordings import clock
from avrecords.recordings.binding import bind
from avrecords.recordings.media.probe import MediaError, probe_file
from avrecords.recordings.models import (
    IngestBatch,
    IngestItem,
    IngestSource,
    QuarantinedFile,
    Recording,
    RecordingSource,
    RecordingStatus,
)
from avrecords.recordings.naming import extension_of, junk_reason, media_kind_of, parse_name

log = logging.getLogger(__name__)
Outcome = IngestItem.Outcome


class IngestAborted(Exception):
    """The whole import had to stop (store full or down); the message is Chinese."""

    def __init__(self, message: str, http_status: int = 507) -> None:
        super().__init__(message)
        self.http_status = http_status


CHECKSUM_MISMATCH = "文件校验值不一致：收到的内容与发送方的 SHA-256 不符，未入库，请重新上传"
STORE_FULL_MESSAGE = "存储空间不足，导入已中止；已导入的文件完好，腾出空间后重新导入即可"
# S3 down or too slow after every retry (M2): the file stays on the device, nothing is
# recorded for it, and the rest of the import stops rather than wait on each file in turn.
STORE_DOWN_REASON = "存储服务不可用，稍后重新导入"
STORE_DOWN_MESSAGE = (
    "存储服务不可用，导入已中止；已导入的文件完好，设备上的文件未改动，存储恢复后重新导入即可"
)


@dataclass
class FileResult:
    """One file's outcome, as printed by `avrecords ingest --json`."""

    path: str
    outcome: str
    size_bytes: int = 0
    sha256: str = ""
    recording_id: int | None = None
    reason: str = ""
    quarantine_id: int | None = None


@dataclass
class BatchSummary:
    """Counts and per-file results of one import run."""

    batch_id: int
    files: list[FileResult] = field(default_factory=list)
    bytes_copied: int = 0
    seconds: float = 0.0
    aborted: str = ""

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for item in self.files:
            counts[item.outcome] += 1
        return counts

    def as_dict(self) -> dict:
        mbps = self.bytes_copied / self.seconds / 1e6 if self.seconds else 0.0
        return {
            "batch_id": self.batch_id,
            "counts": self.counts(),
            "bytes": self.bytes_copied,
            "seconds": round(self.seconds, 3),
            "throughput_mb_s": round(mbps, 1),
            "aborted": self.aborted or None,
            "files": [asdict(f) for f in self.files],
        }


def display_path(relative: str) -> str:
    """File names from a device may not be UTF-8; keep them readable and storable."""
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def walk_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under root, in a stable order, with its path relative to root."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            yield full, full.relative_to(root).as_posix()


@dataclass(frozen=True)
class ReportedTimes:
    """What a station or uploader reported about a file beside its bytes (Upload-Metadata):
    its times (`mtime`; `camera_clock_offset`: camera minus station, seconds), which
    `recordings.start_time` uses, and the serial of the camera a station read it from
    (`serial`), which binding uses when the file's name names no device (issue 19 §2, §5)."""

    mtime: dt.datetime | None = None
    camera_clock_offset_seconds: float | None = None
    device_serial: str = ""


class Ingestor:
    """One import batch. Create it, feed it files, then finish()."""

    def __init__(
        self,
        *,
        source: str,
        operator=None,
        station=None,
        unit=None,
        source_path: str = "",
        erase_after_verify: bool = False,
        progress: Callable[[int], None] | None = None,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> None:
        self.store = get_store()
        self.operator = operator
        # a station's own import (its token, no person) is audited under its name (issue 19 §1)
        self.actor_label = station.audit_label if station is not None and operator is None else ""
        self.erase_after_verify = erase_after_verify
        self.progress = progress
        self.on_file = on_file
        unit = unit or (station.unit if station else None) or getattr(operator, "unit", None)
        self.batch = IngestBatch.objects.create(
            source=source,
            station=station,
            operator=operator,
            unit=unit,
            source_path=source_path[:1000],
            process=f"{socket.gethostname()}:{os.getpid()}",
        )
        self.summary = BatchSummary(batch_id=self.batch.pk)
        self._started = timezone.now()

    # --- per file -------------------------------------------------------------------
    def ingest_file(
        self,
        path: Path,
        relative_path: str,
        *,
        display_name: str | None = None,
        times: ReportedTimes | None = None,
        expected_sha256: str = "",
        own_file: bool = False,
    ) -> FileResult:
        """`times`: the file's times as its sender reported them (a resumable upload's
        metadata), for a file whose own mtime is only when it arrived (issue 19 §5).
        `expected_sha256`: what the sender says the whole file hashes to (a resumable
        upload's metadata, issue 19 §3); bytes that hash otherwise are not recorded.
        `own_file`: the file is the caller's own and nobody can change it any more (a
        resumable upload's part file under its lock, a multipart upload's temporary file;
        never a camera's): the store may adopt it by a link instead of a copy (issue 19 §3).
        The caller still removes it afterwards."""
        relative = display_path(relative_path)
        name = display_name or relative.rsplit("/", 1)[-1]
        try:
            result = self._ingest(
                path, relative, name, times or ReportedTimes(), expected_sha256, own_file
            )
        except _StoreDown as down:
            log.error("ingest %s: store failed, import stopped: %s", relative, down)
            self._report(down.result)
            raise IngestAborted(STORE_DOWN_MESSAGE, http_status=503) from down.__cause__
        return self._report(result)

    def _report(self, result: FileResult) -> FileResult:
        self._record_item(result)
        self.summary.files.append(result)
        if self.on_file is not None:
            self.on_file(result)
        return result

    def _ingest(
        self,
        path: Path,
        relative: str,
        name: str,
        times: ReportedTimes,
        expected_sha256: str,
        own_file: bool = False,
    ) -> FileResult:
        reason = junk_reason(relative)
        if reason:
            return FileResult(relative, Outcome.SKIPPED, reason=f"系统文件，已跳过：{reason}")
        kind = media_kind_of(name)
        if kind is None:
            ext = extension_of(name) or "无扩展名"
            return FileResult(relative, Outcome.SKIPPED, reason=f"不支持的文件类型（{ext}）")
        try:
            st = path.lstat()
        except FileNotFoundError:
            return FileResult(relative, Outcome.FAILED, reason="文件不存在或已被移除")
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            return FileResult(relative, Outcome.SKIPPED, reason="不是普通文件（链接或设备文件）")
        mtime = times.mtime or dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC)

        pending = self._adopt(path, st.st_size) if own_file else None
        if pending is not None:
            copied = pending.size_bytes
        else:
            pending, copied = self._copy_in(path, relative, st.st_size)
            if isinstance(copied, FileResult):
                return copied
        self.summary.bytes_copied += copied
        sha = pending.sha256
        if expected_sha256 and sha != expected_sha256:
            pending.abort()  # damaged on the way: the sender still has the file, sends it again
            log.warning("ingest %s: sha256 %s, the sender said %s", relative, sha, expected_sha256)
            return FileResult(relative, Outcome.FAILED, copied, sha, reason=CHECKSUM_MISMATCH)
        existing = Recording.objects.filter(sha256=sha).first()
        if existing is not None:
            pending.abort()
            self._add_source(existing, relative, name, mtime)
            result = FileResult(
                relative, Outcome.DUPLICATE, copied, sha, existing.pk, "与已入库文件内容相同"
            )
            return self._maybe_erase(path, existing.storage_key, existing.storage_version, result)
        if copied == 0:
            return self._quarantine(pending, path, relative, name, "空文件（0 字节）")
        try:
            probe = probe_file(pending.local_path() or str(path), kind)
        except MediaError as exc:
            return self._quarantine(pending, path, relative, name, str(exc))
        put = self._commit(pending, "originals", relative)
        recording, notes = self._create_recording(put, kind, name, relative, probe, mtime, times)
        reason = "；".join(notes)
        if recording.officer_id is None:  # the uploader reads why it waits (issue 15)
            reason = f"待指派：{reason}" if reason else "待指派"
        result = FileResult(relative, Outcome.IMPORTED, copied, sha, recording.pk, reason)
        return self._maybe_erase(path, put.key, put.version, result)

    def _commit(self, pending: PendingPut, area: str, relative: str) -> PutResult:
        """Commit, or stop the import: store full (507) or store down (503, file failed)."""
        try:
            return pending.commit(area)
        except StoreFullError as exc:
            raise IngestAborted(STORE_FULL_MESSAGE) from exc
        except StoreError as exc:
            raise _StoreDown(relative, exc) from exc

    def _adopt(self, path: Path, expected_size: int) -> PendingPut | None:
        """The caller's own file taken in by the store without a copy, or None: the store
        cannot (S3, another filesystem) or the file is not as expected; then it is copied."""
        try:
            pending = self.store.begin_adopt(str(path))
        except (OSError, StoreError) as exc:
            log.warning("ingest %s: not adopted (%s), copying it", path, exc)
            return None
        if pending is not None and pending.size_bytes != expected_size:
            pending.abort()
            return None
        return pending

    def _copy_in(
        self, path: Path, relative: str, expected_size: int
    ) -> tuple[PendingPut, int | FileResult]:
        """A new put with the file copied into it (hashing in the same pass); the count
        copied, or the failed result of a source that changed or vanished."""
        pending = self.store.begin_put()
        try:
            return pending, self._copy(path, pending, expected_size)
        except _SourceChanged as exc:
            pending.abort()
            log.warning("ingest %s: source read failed: %s", relative, exc)
            return pending, FileResult(
                relative, Outcome.FAILED, reason=f"读取失败，未导入：{exc.user_message}"
            )
        except StoreFullError as exc:
            pending.abort()
            raise IngestAborted(STORE_FULL_MESSAGE) from exc
        except StoreError as exc:
            pending.abort()
            raise _StoreDown(relative, exc) from exc
        except BaseException:
            pending.abort()
            raise

    def _copy(self, path: Path, pending: PendingPut, expected_size: int) -> int:
        try:
            with open(path, "rb") as src:
                self.store.copy_into(src, pending, progress=self.progress)
                after = os.fstat(src.fileno()).st_size
        except FileNotFoundError as exc:
            raise _SourceChanged("文件在导入前已被移除") from exc
        except SourceReadError as exc:
            raise _SourceChanged("设备读取出错，文件可能已被拔出或损坏") from exc
        if pending.size_bytes != expected_size or after != expected_size:
            raise _SourceChanged("文件在复制过程中发生了变化")
        if not path.exists():
            raise _SourceChanged("文件在复制过程中消失")
        return pending.size_bytes

    def _quarantine(
        self, pending: PendingPut, path: Path, relative: str, name: str, error: str
    ) -> FileResult:
        put = self._commit(pending, "quarantine", relative)
        with transaction.atomic():
            q = QuarantinedFile.objects.create(
                sha256=put.sha256,
                size_bytes=put.size_bytes,
                storage_key=put.key,
                storage_version=put.version,
                original_name=name,
                relative_path=relative,
                error=error,
                batch=self.batch,
                unit=self.batch.unit,
            )
            audit.record(
                "quarantine.create",
                actor=self.operator,
                actor_label=self.actor_label,
                obj=q,
                summary=f"{name}: {error}",
                detail={"sha256": put.sha256, "batch": self.batch.pk},
            )
        result = FileResult(
            relative,
            Outcome.QUARANTINED,
            put.size_bytes,
            put.sha256,
            None,
            error,
            quarantine_id=q.pk,
        )
        return self._maybe_erase(path, put.key, put.version, result)

    def _create_recording(
        self, put: PutResult, kind, name, relative, probe, mtime, times: ReportedTimes
    ) -> tuple[Recording, list[str]]:
        sha, size = put.sha256, put.size_bytes
        parsed = parse_name(name)
        uploaded = self.batch.source == IngestSource.UPLOAD
        binding = bind(
            parsed,
            probe,
            mtime,
            fallback_unit_id=self.batch.unit_id,
            uploader=self.operator,
            uploaded=uploaded,
            camera_clock_offset_seconds=times.camera_clock_offset_seconds,
            reported_serial=times.device_serial,
        )
        with transaction.atomic():
            recording = Recording.objects.create(
                sha256=sha,
                size_bytes=size,
                storage_key=put.key,
                storage_version=put.version,
                retain_until=put.retain_until,
                media_kind=kind,
                original_name=name,
                extension=extension_of(name),
                device=binding.device,
                officer=binding.officer,
                uploaded_by=self.operator if uploaded else None,
                unit_id=binding.unit_id,
                device_serial=binding.device_serial,
                officer_no=binding.officer_no,
                segment_no=binding.segment_no,
                needs_assignment=binding.needs_assignment,
                assignment_note="；".join(binding.notes)[:200],
                started_at=binding.started_at,
                ended_at=binding.started_at + dt.timedelta(seconds=probe.duration_seconds),
                time_source=binding.time_source,
                duration_seconds=probe.duration_seconds,
                container=probe.container,
                video_codec=probe.video_codec,
                audio_codec=probe.audio_codec,
                width=probe.width,
                height=probe.height,
                frame_rate=probe.frame_rate,
                audio_channels=probe.audio_channels,
                sample_rate=probe.sample_rate,
                needs_proxy=probe.needs_proxy,
                batch=self.batch,
                status=RecordingStatus.PROCESSING if probe.needs_proxy else RecordingStatus.READY,
            )
            RecordingSource.objects.create(
                recording=recording,
                batch=self.batch,
                original_name=name,
                relative_path=relative,
                source_mtime=mtime,
            )
            audit.record(
                "recording.ingest",
                actor=self.operator,
                actor_label=self.actor_label,
                obj=recording,
                summary=f"导入 {name}",
                detail={"sha256": sha, "size": size, "batch": self.batch.pk},
            )
            if kind != "audio":
                jobs.enqueue("media.thumbnail", "recording", recording.pk)
            if probe.needs_proxy:
                jobs.enqueue("media.proxy", "recording", recording.pk)
            if recording.unit_id is not None and profile_for_unit(recording.unit) is not None:
                events.RECORDING_STORED.send(recording=recording)  # U1, U2, M1
            clock.check_recording(recording, station_time=timezone.now(), batch=self.batch)  # E7
        return recording, binding.notes

    def _add_source(self, recording: Recording, relative: str, name: str, mtime) -> None:
        with transaction.atomic():
            RecordingSource.objects.create(
                recording=recording,
                batch=self.batch,
                original_name=name,
                relative_path=relative,
                source_mtime=mtime,
            )
            audit.record(
                "recording.duplicate",
                actor=self.operator,
                actor_label=self.actor_label,
                obj=recording,
                summary=f"重复文件 {name}",
                detail={"batch": self.batch.pk, "path": relative},
            )

    def _maybe_erase(self, path: Path, key: str, version: str, result: FileResult) -> FileResult:
        if not self.erase_after_verify:
            return result
        try:
            verified = self.store.verify(key, result.sha256, version=version)
        except StoreError as exc:  # store down: cannot prove the copy, so the device keeps it
            log.error("erase refused: stored copy %s could not be re-read: %s", key, exc)
            verified = False
        if not verified:
            log.error("erase refused: stored copy %s does not re-hash to %s", key, result.sha256)
            result.reason = (result.reason + "；" if result.reason else "") + KEPT_ON_DEVICE
            return result
        path.unlink()
        result.reason = (result.reason + "；" if result.reason else "") + ERASED_FROM_DEVICE
        return result

    def _record_item(self, result: FileResult) -> None:
        counter = {
            Outcome.IMPORTED: "imported",
            Outcome.DUPLICATE: "duplicates",
            Outcome.QUARANTINED: "quarantined",
            Outcome.SKIPPED: "skipped",
            Outcome.FAILED: "failed",
        }[result.outcome]
        with transaction.atomic():
            IngestItem.objects.create(
                batch=self.batch,
                relative_path=result.path,
                outcome=result.outcome,
                size_bytes=result.size_bytes,
                sha256=result.sha256,
                recording_id=result.recording_id,
                quarantined_file_id=result.quarantine_id,
                reason=result.reason[:500],
            )
            IngestBatch.objects.filter(pk=self.batch.pk).update(
                files_total=F("files_total") + 1,
                bytes_total=F("bytes_total") + result.size_bytes,
                **{counter: F(counter) + 1},
            )

    # --- whole batch ------------------------------------------------------------------
    def finish(self, error: str = "") -> BatchSummary:
        now = timezone.now()
        self.summary.seconds = (now - self._started).total_seconds()
        self.summary.aborted = error
        state = IngestBatch.State.FAILED if error else IngestBatch.State.DONE
        with transaction.atomic():
            clock.check_batch(self.batch)  # E7: a dump whose newest file is long before docking
            IngestBatch.objects.filter(pk=self.batch.pk).update(
                state=state, finished_at=now, error=error
            )
            self.batch.refresh_from_db()
            audit.record(
                "ingest.batch",
                actor=self.operator,
                actor_label=self.actor_label,
                obj=self.batch,
                summary=f"导入批次完成：{self.summary.counts()}",
                detail={"counts": self.summary.counts()},
            )
        return self.summary


class _StoreDown(Exception):
    """The store failed this file after every retry; it is reported failed, then the import stops."""

    def __init__(self, relative: str, cause: StoreError) -> None:
        super().__init__(str(cause))
        self.result = FileResult(relative, Outcome.FAILED, reason=STORE_DOWN_REASON)


class _SourceChanged(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


INTERRUPTED_MESSAGE = (
    "导入进程意外中止（被强制结束或断电）；已完整入库的文件不受影响，重新导入即可补齐"
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_interrupted_batches() -> int:
    """Mark batches whose import process on this host is gone as interrupted."""
    host = socket.gethostname()
    closed = 0
    for batch in IngestBatch.objects.filter(
        state=IngestBatch.State.RUNNING, process__startswith=f"{host}:"
    ):
        pid = int(batch.process.rsplit(":", 1)[1])
        if pid != os.getpid() and not _pid_alive(pid):
            closed += IngestBatch.objects.filter(
                pk=batch.pk, state=IngestBatch.State.RUNNING
            ).update(
                state=IngestBatch.State.FAILED,
                error=INTERRUPTED_MESSAGE,
                finished_at=timezone.now(),
            )
    return closed


def ingest_directory(root: Path, **kwargs) -> BatchSummary:
    """Import every file under root as one batch (what `avrecords ingest` runs)."""
    get_store().cleanup_incomplete()
    close_interrupted_batches()
    ingestor = Ingestor(source_path=str(root), **kwargs)
    try:
        for path, relative in walk_files(root):
            ingestor.ingest_file(path, relative)
    except IngestAborted as exc:
        return ingestor.finish(error=str(exc))
    except BaseException as exc:
        ingestor.finish(error=f"导入意外中止：{type(exc).__name__}")
        raise
    return ingestor.finish()
