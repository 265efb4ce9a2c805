"""The redaction jobs (issue 21 §2, §4): ``redaction.detect`` and ``redaction.render``.

Both read the original only through `recordings.jobs.original_for_tools` and never alter it
(M2); the copy is a derived file under AVRECORDS_DERIVED_PATH/redacted/. While they run they
save progress and the time left about once a second (the worker's heartbeat keeps the job's
lease), look for a cancel, and hold to AVRECORDS_REDACTION_MAX_FPS frames of work a second so
ingest and proxies are not starved. A `RedactionError` (no video, unreadable, too long,
cancelled) is a result — the copy's state 失败 with its Chinese message, or 已取消 — never a
retry; the library writes `dest.part` and renames it, so nothing half-written stays.

This module imports the redaction library (cv2, onnxruntime, PyAV) only inside the jobs: the
app loads it at start for its handlers (tests/test_startup_imports.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.jobs.models import Job
from avrecords.jobs.services import handler
from avrecords.recordings.jobs import original_for_tools
from avrecords.redaction.models import Redaction, RedactionTrack, State
from avrecords.redaction.services import DETECT_JOB, RENDER_JOB, remove_output

log = logging.getLogger(__name__)

SAVE_EVERY_SECONDS = 1.0
CANCEL_CHECK_SECONDS = 0.5
DETECT_FPS = 5.0
FAILED_MESSAGE = "生成脱敏副本时发生内部错误，请联系系统管理员"
KIND_LABELS = {
    "face": "人脸",
    "plate": "车牌/证件文字",
    "text": "车牌/证件文字",
    "manual": "手动遮盖",
}


class Watch:
    """The running job's side of the copy: progress and time left saved about once a second,
    the cancel flag read at most twice a second, and the frames-per-second limit."""

    def __init__(self, redaction: Redaction, state: str, frames_total: float) -> None:
        self.pk, self.state = redaction.pk, state
        self.frames_total = max(frames_total, 1.0)
        self.max_fps = float(settings.AVRECORDS_REDACTION_MAX_FPS or 0)
        self.started = time.monotonic()
        self._saved_at = 0.0
        self._checked_at = 0.0
        self._cancelled = False

    def progress(self, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        now = time.monotonic()
        self._throttle(fraction, now)
        if now - self._saved_at < SAVE_EVERY_SECONDS and fraction < 1.0:
            return
        self._saved_at = now
        elapsed = now - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else None
        Redaction.objects.filter(pk=self.pk, state=self.state).update(
            progress=fraction, eta_seconds=eta
        )

    def _throttle(self, fraction: float, now: float) -> None:
        """Sleep until the work done so far is within max_fps frames a second (the render
        throttles itself; detection's decoding is throttled here)."""
        if self.max_fps <= 0:
            return
        due = fraction * self.frames_total / self.max_fps - (now - self.started)
        if due > 0:
            time.sleep(min(due, 5.0))

    def cancelled(self) -> bool:
        if self._cancelled:
            return True
        now = time.monotonic()
        if now - self._checked_at >= CANCEL_CHECK_SECONDS:
            self._checked_at = now
            state = Redaction.objects.filter(pk=self.pk).values_list("state", flat=True).first()
            self._cancelled = state != self.state
        return self._cancelled


def _begin(job: Job, expected: tuple[str, ...], running: str) -> Redaction | None:
    """The copy, moved into its running state; None when it was cancelled or moved on."""
    moved = Redaction.objects.filter(pk=job.subject_id, state__in=expected).update(
        state=running, progress=0.0, eta_seconds=None, message=""
    )
    if not moved:
        log.info("redaction %s: not %s any more, job %s skipped", job.subject_id, running, job.pk)
        return None
    return Redaction.objects.select_related("recording").get(pk=job.subject_id)


def _frames(redaction: Redaction) -> float:
    seconds = max(redaction.segment_end - redaction.start_seconds, 0.0)
    return seconds * (redaction.recording.frame_rate or 25.0)


def _failed(redaction: Redaction, running: str, exc: Exception) -> None:
    from avrecords.lib.redaction.errors import Cancelled

    if isinstance(exc, Cancelled):
        log.info("redaction %s: cancelled while %s", redaction.pk, running)
        return
    message = str(exc)[:300]
    log.warning(
        "redaction %s failed while %s: %s",
        redaction.pk,
        running,
        getattr(exc, "log_message", "") or repr(exc),
    )
    with transaction.atomic():
        if Redaction.objects.filter(pk=redaction.pk, state=running).update(
            state=State.FAILED, message=message, eta_seconds=None
        ):
            record(
                "redaction.fail",
                obj=redaction,
                summary=f"脱敏副本生成失败：{message}",
                detail={"step": running, "error": getattr(exc, "log_message", "") or repr(exc)},
            )


def _unexpected(job: Job, redaction: Redaction, running: str, back_to: str, exc) -> None:
    """A fault that is not the file's (the store, a bug): tried again while attempts remain,
    else 失败 with a general message; the job's own row keeps the traceback."""
    if job.attempts < job.max_attempts:
        Redaction.objects.filter(pk=redaction.pk, state=running).update(state=back_to)
        raise exc
    _failed(redaction, running, RuntimeError(FAILED_MESSAGE))
    raise exc


# --- detection -------------------------------------------------------------------------------


@handler(DETECT_JOB)
def detect(job: Job) -> None:
    from avrecords.lib.redaction.errors import RedactionError

    redaction = _begin(job, (State.QUEUED, State.DETECTING), State.DETECTING)
    if redaction is None:
        return
    watch = Watch(redaction, State.DETECTING, _frames(redaction))
    try:
        tracks, versions = _detect(redaction, watch)
    except RedactionError as exc:
        _failed(redaction, State.DETECTING, exc)
        return
    except Exception as exc:
        _unexpected(job, redaction, State.DETECTING, State.QUEUED, exc)
        return
    _store_tracks(redaction, tracks, versions)


def _detect(redaction: Redaction, watch: Watch):
    from avrecords.lib.redaction.detect import detect_tracks
    from avrecords.lib.redaction.models import MODEL_VERSIONS

    with original_for_tools(redaction.recording) as source:
        tracks = detect_tracks(
            source,
            # "everything except marked people": the faces found are the people to mark
            targets=set(redaction.targets) - {"others"}
            | ({"faces"} if "others" in redaction.targets else set()),
            start_seconds=redaction.start_seconds,
            end_seconds=redaction.end_seconds,
            detect_fps=DETECT_FPS,
            progress=watch.progress,
            cancelled=watch.cancelled,
        )
    looked_for = set(redaction.targets) | ({"faces"} if "others" in redaction.targets else set())
    versions = {k: v for k, v in MODEL_VERSIONS.items() if k in looked_for}
    return tracks, versions


def _store_tracks(redaction: Redaction, tracks, versions: dict) -> None:
    with transaction.atomic():
        locked = Redaction.objects.select_for_update().get(pk=redaction.pk)
        if locked.state != State.DETECTING:
            return  # cancelled while the last frames were read
        counts: dict[str, int] = {}
        rows = []
        for track in tracks:
            counts[track.kind] = counts.get(track.kind, 0) + 1
            label = track.label or f"{KIND_LABELS.get(track.kind, '目标')} {counts[track.kind]}"
            rows.append(
                RedactionTrack(
                    redaction=locked,
                    kind=track.kind,
                    label=label[:60],
                    hide=True,
                    boxes=[[b.t, b.x, b.y, b.w, b.h] for b in track.boxes],
                )
            )
        RedactionTrack.objects.bulk_create(rows)
        Redaction.objects.filter(pk=locked.pk).update(
            state=State.REVIEW,
            progress=1.0,
            eta_seconds=0,
            model_versions=versions,
            message=f"识别到 {len(rows)} 个目标，请复核"
            if rows
            else "未识别到需要遮盖的目标，请复核",
        )
        record(
            "redaction.detect",
            obj=locked,
            summary=f"识别完成：{len(rows)} 个目标",
            detail={"tracks": len(rows), "by_kind": counts, "model_versions": versions},
        )


# --- rendering -------------------------------------------------------------------------------


def copy_path(redaction: Redaction, number: int) -> Path:
    """Where the copy's n-th rendering is written (a derived file, never the store: M2)."""
    return _folder(redaction.pk) / f"copy-{number}.mp4"


def _folder(pk: int) -> Path:
    return Path(settings.AVRECORDS_DERIVED_PATH) / "redacted" / f"{pk // 1000:04d}" / str(pk)


def _clear_parts(pk: int) -> None:
    """Remove unfinished parts of this copy. One render runs per copy at a time (a new one
    is refused while it renders), so any part found when a render job starts is a dead
    worker's: the reaper queued its job again (lib.leftovers cleans only dot-files)."""
    folder = _folder(pk)
    if folder.is_dir():
        for part in folder.glob("*.part"):
            part.unlink(missing_ok=True)


def _hidden(redaction: Redaction) -> list[RedactionTrack]:
    return list(redaction.tracks.filter(hide=True).order_by("pk"))


def tracks_digest(tracks: list[RedactionTrack]) -> str:
    """One SHA-256 over the hidden tracks' keyframes: the settings name exactly what hid."""
    body = json.dumps([[t.pk, t.kind, t.boxes] for t in tracks], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _settings(redaction: Redaction, hidden: list[RedactionTrack]) -> dict:
    return {
        "targets": redaction.targets,
        "style": redaction.style,
        "audio_ranges": redaction.audio_ranges,
        "start_seconds": redaction.start_seconds,
        "end_seconds": redaction.end_seconds,
        "detect_fps": DETECT_FPS,
        "max_fps": float(settings.AVRECORDS_REDACTION_MAX_FPS or 0),
        "hidden_tracks": [t.pk for t in hidden],
        "shown_tracks": list(
            redaction.tracks.filter(hide=False).order_by("pk").values_list("pk", flat=True)
        ),
        "tracks_sha256": tracks_digest(hidden),
        "shown_tracks_sha256": tracks_digest(
            list(redaction.tracks.filter(hide=False).order_by("pk"))
        ),
        "container": "mp4 (H.264 + AAC)",
    }


@handler(RENDER_JOB)
def render(job: Job) -> None:
    from avrecords.lib.redaction.errors import RedactionError

    redaction = _begin(job, (State.RENDERING,), State.RENDERING)
    _clear_parts(int(job.subject_id))  # a worker killed mid-render left its part behind
    if redaction is None:
        return
    hidden = _hidden(redaction)
    dest = copy_path(redaction, redaction.renders + 1)
    watch = Watch(redaction, State.RENDERING, _frames(redaction))
    try:
        result = _render(redaction, hidden, dest, watch)
    except RedactionError as exc:
        dest.unlink(missing_ok=True)
        _failed(redaction, State.RENDERING, exc)
        return
    except Exception as exc:
        dest.unlink(missing_ok=True)
        _unexpected(job, redaction, State.RENDERING, State.RENDERING, exc)
        return
    _store_copy(redaction, hidden, dest, result)


def _render(redaction: Redaction, hidden: list[RedactionTrack], dest: Path, watch: Watch):
    from avrecords.lib.redaction.render import render as render_copy

    tracks = [_track_data(t) for t in hidden]
    keep = None
    if "others" in redaction.targets:  # everything but the people marked 不遮盖
        keep = [_track_data(t) for t in redaction.tracks.filter(hide=False).order_by("pk")]
    max_fps = float(settings.AVRECORDS_REDACTION_MAX_FPS or 0) or None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with original_for_tools(redaction.recording) as source:
        return render_copy(
            source,
            dest,
            tracks=tracks,
            keep_tracks=keep,
            style=redaction.style,
            audio_ranges=[(float(a), float(b), m) for a, b, m in redaction.audio_ranges],
            start_seconds=redaction.start_seconds,
            end_seconds=redaction.end_seconds,
            max_fps=max_fps,
            max_seconds=float(settings.AVRECORDS_REDACTION_MAX_SECONDS),
            progress=watch.progress,
            cancelled=watch.cancelled,
        )


def _track_data(track: RedactionTrack):
    from avrecords.lib.redaction.tracker import Box, TrackData

    boxes = [Box(t=b[0], x=b[1], y=b[2], w=b[3], h=b[4], score=1.0) for b in track.boxes]
    if track.kind == "manual":
        return TrackData(kind=track.kind, boxes=boxes, label=track.label)
    # keyframes found every 1/DETECT_FPS s: box_at carries each end on by half of it
    return TrackData(kind=track.kind, boxes=boxes, label=track.label, interval=1.0 / DETECT_FPS)


def _store_copy(redaction: Redaction, hidden, dest: Path, result) -> None:
    """Record the finished copy; a copy cancelled while its last frames were written is
    deleted at once, and the copy it replaces once the new one is recorded."""
    relative = dest.relative_to(settings.AVRECORDS_DERIVED_PATH).as_posix()
    previous = _record_copy(redaction, hidden, relative, result)
    if previous is None:
        dest.unlink(missing_ok=True)
    elif previous and previous != relative:
        remove_output(previous)


def _record_copy(redaction: Redaction, hidden, relative: str, result) -> str | None:
    """The copy's row and audit entry; returns the path of the copy it replaces ("" when
    none), None when the copy was cancelled meanwhile and must not be kept."""
    with transaction.atomic():
        locked = Redaction.objects.select_for_update().get(pk=redaction.pk)
        if locked.state != State.RENDERING:
            return None
        previous = locked.output_path
        made = _settings(locked, hidden)
        Redaction.objects.filter(pk=locked.pk).update(
            state=State.READY,
            progress=1.0,
            eta_seconds=0,
            message="",
            output_path=relative,
            output_sha256=result.sha256,
            output_size=result.size_bytes,
            rendered_at=timezone.now(),
            renders=F("renders") + 1,
            settings=made,
        )
        record(
            "redaction.render",
            obj=locked,
            summary=f"脱敏副本已生成：SHA-256 {result.sha256[:16]}…",
            detail={
                "output_path": relative,
                "output_sha256": result.sha256,
                "output_size": result.size_bytes,
                "original_sha256": locked.original_sha256,
                "duration_seconds": result.duration_seconds,
                "frames": result.frames,
                "settings": made,
                "model_versions": locked.model_versions,
            },
        )
    return previous
