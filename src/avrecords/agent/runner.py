"""The agent at work: docked cameras in parallel, one file at a time each, and the heartbeat
(issue 19 §2, §4).

Per file: journal row → copy to the spool hashing in the same pass → tus upload (its URL
journaled before the first byte) → the platform's SHA-256 compared with ours → journal done →
only then, if `erase_after_verify`, the camera's file deleted (if it is still the file that
was read) → the spool copy removed. A camera whose serial the platform does not know is left
untouched and shown; a refused token stops the agent.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from avrecords import __version__
from avrecords.agent import cameras
from avrecords.agent.journal import MAX_ATTEMPTS, OUTCOME_LABELS, FileRow, Journal
from avrecords.agent.platform import (
    Platform,
    PlatformDown,
    TokenRefused,
    UploadGone,
    UploadRefused,
    UploadResult,
)
from avrecords.agent.spool import SourceChanged, copy_and_hash
from avrecords.lib.camera_files import ERASED_FROM_DEVICE, KEPT_ON_DEVICE

log = logging.getLogger(__name__)

STORED = ("imported", "duplicate", "quarantined")  # a copy of the bytes is on the platform
DEFAULT_HEARTBEAT_SECONDS = 60


@dataclass
class Docked:
    """A camera root the agent has seen, and what became of it."""

    root: Path
    signature: tuple = ()
    future: Future | None = None
    serial: str = ""
    settled: bool = False  # processed (or refused) for its current contents


@dataclass
class Totals:
    """What one run did, for the closing lines and the exit status."""

    done: int = 0
    failed: int = 0
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class Agent:
    """One running agent; `run()` returns the exit status."""

    def __init__(self, config, *, once: bool = False, say=print) -> None:
        self.config = config
        self.once = once
        self.say = say
        self.journal = Journal(config.journal)
        config.spool.mkdir(parents=True, exist_ok=True)
        if config.direct:
            from avrecords.agent.direct import DirectPlatform

            self.platform = DirectPlatform(config)
        else:
            self.platform = Platform(config)
        self.stop = threading.Event()
        self.refused_token = ""
        self.last_error = ""
        self.clock_offset: float | None = None
        self.docked: dict[Path, Docked] = {}
        self.totals = Totals()
        self.heartbeat_seconds = config.heartbeat_seconds or DEFAULT_HEARTBEAT_SECONDS

    # --- the main loop ----------------------------------------------------------------
    def run(self) -> int:
        try:
            me = self.platform.me()
        except TokenRefused as exc:
            return self._token_refused(str(exc))
        except (PlatformDown, UploadRefused) as exc:
            self.say(f"无法连接平台 {self.config.platform_url}：{exc}")
            return 1
        self.heartbeat_seconds = self.config.heartbeat_seconds or int(
            me.get("heartbeat_seconds") or DEFAULT_HEARTBEAT_SECONDS
        )
        self.say(f"采集站“{me.get('name')}”（{me.get('unit')}）已连接平台，开始监视记录仪接入")
        beat = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        beat.start()
        waiter = cameras.ChangeWaiter(self.config.watch)
        with ThreadPoolExecutor(self.config.parallel, thread_name_prefix="camera") as pool:
            while not self.stop.is_set():
                self._scan(pool)
                if self.once:
                    for docked in list(self.docked.values()):
                        if docked.future is not None:
                            docked.future.result()
                    break
                waiter.wait(self.config.poll_seconds)
            self.stop.set()
        self._send_heartbeat()
        if self.refused_token:
            return self._token_refused(self.refused_token)
        self.say(
            f"本次完成 {self.totals.done} 个文件，失败 {self.totals.failed} 个"
            + (f"，拒绝的记录仪：{'、'.join(self.totals.refused)}" if self.totals.refused else "")
        )
        return 1 if self.totals.failed else 0

    def _token_refused(self, reason: str) -> int:
        self.journal.event("token", reason)
        self.say(
            f"平台拒绝了采集站令牌：{reason}。采集站代理已停止，请更新配置中的令牌后重新启动。"
        )
        return 3

    def _scan(self, pool: ThreadPoolExecutor) -> None:
        roots = cameras.discover(self.config)
        for gone in set(self.docked) - set(roots):
            docked = self.docked[gone]
            if docked.future is None or docked.future.done():
                del self.docked[gone]  # undocked: a later docking starts afresh
        for root in roots:
            docked = self.docked.setdefault(root, Docked(root))
            if docked.future is not None and not docked.future.done():
                continue
            signature = cameras.signature(root)
            if docked.settled and signature == docked.signature:
                continue
            if not self.once and signature != docked.signature:
                docked.signature, docked.settled = signature, False
                continue  # still being written: wait for one quiet scan
            docked.signature = signature
            docked.future = pool.submit(self._camera, docked)

    # --- one camera -------------------------------------------------------------------
    def _camera(self, docked: Docked) -> None:
        try:
            self._camera_files(docked)
            # what the camera holds now (fewer files after erase_after_verify) is settled:
            # the next scan does not mistake the erasures for a new docking
            docked.signature = cameras.signature(docked.root)
            docked.settled = True
        except TokenRefused as exc:
            self.refused_token = str(exc)
            self.stop.set()
        except (PlatformDown, OSError) as exc:
            self._error(f"{docked.root}：{exc}", docked.serial)
        except Exception as exc:  # a bug must not stop the other cameras
            log.exception("camera %s failed", docked.root)
            self._error(f"{docked.root}：内部错误 {type(exc).__name__}", docked.serial)

    def _camera_files(self, docked: Docked) -> None:
        info = cameras.read_device_info(docked.root, self.config.filename_patterns)
        if info is None:
            message = (
                f"无法识别 {docked.root} 的记录仪序列号（没有设备文件，文件名也不含序列号），未导入"
            )
            self.journal.event("unknown", message)
            self.say(message)
            return
        docked.serial = info.serial
        accepted, answer = self.platform.check_camera(info.serial, info.camera_time)
        if not accepted:
            self.journal.event("refused", answer["detail"], info.serial)
            self.say(f"拒绝：{answer['detail']}（{docked.root} 上的文件未改动）")
            self.totals.refused.append(info.serial)
            return
        items = list(cameras.walk(docked.root))
        holder = answer.get("holder") or "无领用人"
        message = f"记录仪 {info.serial}（{holder}）接入：{len(items)} 个文件"
        self.journal.event("docked", message, info.serial)
        self.say(message)
        if self.config.set_camera_clock:
            now = dt.datetime.now() - dt.timedelta(seconds=self.clock_offset or 0)
            written = cameras.write_clock(docked.root, now)
            self.journal.event("clock_set", f"已写入 {cameras.CLOCK_FILE}：{written}", info.serial)
        offset = None
        if info.camera_time is not None:
            offset = round((info.camera_time - dt.datetime.now()).total_seconds())
        for item in items:
            self.journal.file_for(info.serial, item)  # the whole camera counts in the queue
        for item in items:
            if self.stop.is_set():
                return
            self._file(info.serial, item, offset)

    # --- one file ---------------------------------------------------------------------
    def _file(self, serial: str, item: cameras.CameraFile, clock_offset: int | None) -> None:
        row = self.journal.file_for(serial, item)
        if row.state == "done":
            if row.verified and self.config.erase_after_verify and not row.erased:
                self._erase(row, item)
            return
        if row.state == "failed":
            if row.attempts >= MAX_ATTEMPTS:
                return
            self.journal.update(row.id, state="queued", upload_url="")
            row = self.journal.get(row.id)
        spool_path = self.config.spool / f"{row.id}.bin"
        try:
            if self.config.direct:
                result = self.platform.ingest(item, serial, self.config.erase_after_verify)
                self._finish(row, item, result, spool_path, local_sha=result.sha256)
                return
            if row.state == "queued" or not spool_path.exists():
                sha = copy_and_hash(item, spool_path)
                self.journal.update(row.id, state="spooled", sha256=sha, upload_url="")
                row = self.journal.get(row.id)
            result = self._upload(row, item, spool_path, clock_offset)
        except SourceChanged as exc:
            self._failed(row, f"读取失败，未上传：{exc}")
            return
        except UploadRefused as exc:
            self._failed(row, str(exc), spool_path)
            return
        self._finish(row, item, result, spool_path, local_sha=row.sha256)

    def _upload(self, row: FileRow, item, spool_path: Path, clock_offset) -> UploadResult:
        metadata = {
            "filename": item.relative_path.rsplit("/", 1)[-1],
            "relative_path": item.relative_path,
            "serial": row.serial,
            "sha256": row.sha256,
            "mtime": item.mtime.isoformat(),
        }
        if clock_offset is not None:
            metadata["camera_clock_offset"] = str(clock_offset)

        def on_url(url: str) -> None:
            self.journal.update(
                row.id, state="uploading", upload_url=url, uploads_started=row.uploads_started + 1
            )

        url = row.upload_url
        for _ in range(2):  # a journaled upload the platform forgot is started again once
            try:
                return self.platform.upload(
                    spool_path,
                    size=row.size,
                    url=url,
                    metadata=metadata,
                    on_url=on_url,
                    on_sent=lambda n: self.journal.add_sent(row.id, n),
                )
            except UploadGone:
                if not url:
                    raise UploadRefused("平台在上传过程中删除了这次上传") from None
                log.info("upload %s is gone on the platform; starting a new one", url)
                self.journal.update(row.id, upload_url="", state="spooled")
                url = ""
        raise UploadRefused("平台上的上传已过期，重新上传也未成功")

    def _finish(self, row: FileRow, item, result: UploadResult, spool_path: Path, local_sha: str):
        reason = result.reason
        if result.outcome in STORED and result.sha256 and result.sha256 == local_sha:
            self.journal.update(
                row.id,
                state="done",
                outcome=result.outcome,
                reason=reason,
                recording_id=result.recording_id,
                platform_sha256=result.sha256,
                verified=1,
            )
            self.totals.add(done=1)
            if self.config.erase_after_verify and not self.config.direct:
                self._erase(self.journal.get(row.id), item)
        elif result.outcome == "skipped":
            self.journal.update(row.id, state="done", outcome="skipped", reason=reason)
            self.totals.add(done=1)
        elif result.outcome in STORED:
            self._failed(row, f"平台校验值与本地不一致，将重新上传（{result.sha256[:12]}…）")
        else:
            self._failed(row, reason or "平台未能导入该文件", spool_path, outcome=result.outcome)
        spool_path.unlink(missing_ok=True)
        self.say(f"  {row.serial} {row.relative_path}：{_outcome_words(result)}")

    def _failed(self, row: FileRow, reason: str, spool_path: Path | None = None, outcome=""):
        self.journal.update(
            row.id,
            state="failed",
            attempts=row.attempts + 1,
            reason=reason[:500],
            outcome=outcome,
            upload_url="",
        )
        if spool_path is not None:
            spool_path.unlink(missing_ok=True)
        self.totals.add(failed=1)
        self.say(f"  {row.serial} {row.relative_path}：失败（{reason}）")

    def _erase(self, row: FileRow, item: cameras.CameraFile) -> None:
        """`--erase-after-verify` at a station: only the very file that was read and verified."""
        try:
            st = item.path.stat()
            same = st.st_size == row.size and st.st_mtime_ns == row.mtime_ns
        except OSError:
            same = False
        note = KEPT_ON_DEVICE
        if same and row.verified and row.platform_sha256 == row.sha256:
            item.path.unlink()
            note = ERASED_FROM_DEVICE
            self.journal.update(row.id, erased=1)
        self.journal.update(row.id, reason=f"{row.reason}；{note}" if row.reason else note)
        self.journal.event("erased" if note == ERASED_FROM_DEVICE else "error", note, row.serial)

    def _error(self, message: str, serial: str = "") -> None:
        self.last_error = message[:500]
        self.journal.event("error", message, serial)
        self.say(f"错误：{message}")

    # --- heartbeat --------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        while True:
            self._send_heartbeat()
            if self.stop.wait(self.heartbeat_seconds):
                return

    def _send_heartbeat(self) -> None:
        files, size = self.journal.pending()
        try:
            usage = shutil.disk_usage(self.config.spool)
            free, total = usage.free, usage.total
        except OSError:
            free = total = None
        state = {
            "version": __version__,
            "free_disk_bytes": free,
            "total_disk_bytes": total,
            "queue_files": files,
            "queue_bytes": size,
            "cameras": [d.serial for d in list(self.docked.values()) if d.serial],
            "clock_offset_seconds": self.clock_offset,
            "last_error": self.last_error,
        }
        try:
            offset = self.platform.heartbeat(state)
        except TokenRefused as exc:
            self.refused_token = str(exc)
            self.stop.set()
            return
        except (PlatformDown, UploadRefused) as exc:
            self.last_error = f"心跳失败：{exc}"
            log.warning("heartbeat failed: %s", exc)
            return
        if offset is not None:
            self.clock_offset = offset


def _outcome_words(result: UploadResult) -> str:
    words = OUTCOME_LABELS.get(result.outcome, result.outcome)
    return f"{words}（{result.reason}）" if result.reason else words
